"""scikit-image's own test cases for slic, quickshift and felzenszwalb, run on pixlime's segmenters.

Ported case by case (not copied) from scikit-image 0.19.3's test suite as Debian's
python3-skimage ships it: skimage/segmentation/tests/test_slic.py, test_quickshift.py and
test_felzenszwalb.py (BSD-3-Clause, Copyright (C) 2019, the scikit-image team). Each test below
is named after the case it ports; the images, parameters and expectations are the case's,
with scikit-image's keywords mapped to pixlime's (n_segments -> num_segments, convert2lab ->
convert_to_lab, max_num_iter -> max_iterations; channel_axis=None -> a 2-D array, channels
last otherwise; random_seed dropped: pixlime's quickshift adds no tie-breaking noise).

Three mappings hold for every case:
* defaults: pixlime.quickshift's are lime_image's (ratio 0.2, kernel_size 4, max_dist 200), so a
  case leaving one at scikit-image's default passes that default (ratio=1.0, kernel_size=5,
  max_dist=10);
* scikit-image's start_label=0 numbering, where a case checks label values: pixlime numbers
  segments 0..K-1 as well, and the checks hold as written unless noted;
* gray images: scikit-image's slic default does not convert gray to CIELAB, pixlime's
  convert_to_lab=True does (slic.hpp says why and by how much), so a case that leaves
  convert2lab at its default on a gray image passes convert_to_lab=False.

Cases that test what pixlime does not have (3-D volumes, masks, per-axis sigma and spacing,
SLIC-zero, deprecated keywords, channel_axis other than last, warnings) are listed in
NOT_APPLICABLE with the reason, and the list is checked to name only cases that exist.
The images come from skimage.data, so without scikit-image the module is skipped.
"""
import os
from itertools import product

import numpy as np
import pytest

import pixlime

skimage = pytest.importorskip("skimage", reason="scikit-image is not installed (Debian: python3-skimage): "
                                                "its test cases and images are not available")
from skimage import data, filters, img_as_float  # noqa: E402

SKIMAGE_TESTS = os.path.join(os.path.dirname(skimage.__file__), "segmentation", "tests")

# case name (as in scikit-image's files, [parameters] for one parametrization) -> why it does not apply
NOT_APPLICABLE = {
    "test_slic.py::test_max_iter_kwarg_deprecation": "tests the warning for scikit-image's deprecated max_iter keyword",
    "test_slic.py::test_gray_2d_deprecated_multichannel": "tests the warnings for scikit-image's deprecated multichannel "
                                                          "keyword and positional arguments (the segmentation itself is "
                                                          "test_gray_2d)",
    "test_slic.py::test_color_3d": "3-D volume: pixlime segments 2-D images",
    "test_slic.py::test_gray_3d": "3-D volume: pixlime segments 2-D images",
    "test_slic.py::test_list_sigma": "per-axis sigma list: pixlime's sigma is one value",
    "test_slic.py::test_spacing[spaced]": "per-axis spacing: pixlime has no spacing option "
                                          "(the unspaced half is ported)",
    "test_slic.py::test_invalid_lab_conversion": "channel_axis=-1 on a 2-D array (5 'channels'): pixlime takes a 2-D "
                                                 "array as gray, which convert_to_lab handles (L), so there is "
                                                 "nothing to refuse",
    "test_slic.py::test_enforce_connectivity[max_size_factor]": "max_size_factor: pixlime does not cut large pieces "
                                                                "(slic.hpp, min_size_factor)",
    "test_slic.py::test_slic_zero": "SLIC-zero (slic_zero=True) is not implemented",
    "test_slic.py::test_color_2d_mask": "mask: pixlime's slic has no mask",
    "test_slic.py::test_multichannel_2d_mask": "mask: pixlime's slic has no mask",
    "test_slic.py::test_gray_2d_mask": "mask: pixlime's slic has no mask",
    "test_slic.py::test_list_sigma_mask": "mask and per-axis sigma",
    "test_slic.py::test_spacing_mask": "mask and per-axis spacing",
    "test_slic.py::test_enforce_connectivity_mask": "mask: pixlime's slic has no mask",
    "test_slic.py::test_slic_zero_mask": "mask and SLIC-zero",
    "test_slic.py::test_more_segments_than_pixels_mask": "mask: pixlime's slic has no mask",
    "test_slic.py::test_color_3d_mask": "mask and 3-D volume",
    "test_slic.py::test_gray_3d_mask": "mask and 3-D volume",
    "test_quickshift.py::test_color[channel_axis in -3, -2, 0, 1]": "pixlime takes channels last only "
                                                                     "(channel_axis -1 and 2 are ported)",
    "test_felzenszwalb.py::test_3D[warnings and errors]": "scikit-image's RuntimeWarning for more than 3 channels and "
                                                          "ValueError for channel_axis=None on 3-D arrays: pixlime has "
                                                          "no channel_axis (the segmentations themselves are ported)",
    "test_felzenszwalb.py::test_3D_multichannel_deprecation": "tests the warnings for scikit-image's deprecated "
                                                              "multichannel keyword",
}


def test_the_inapplicable_cases_are_listed_and_exist():
    assert NOT_APPLICABLE
    for case, reason in NOT_APPLICABLE.items():
        print(f"not applicable: {case}: {reason}")
        file, name = case.split("::")
        path = os.path.join(SKIMAGE_TESTS, file)
        if os.path.exists(path):  # the test files ship with Debian's package, not with every install
            with open(path) as f:
                assert f"def {name.split('[')[0]}(" in f.read(), case


# ---------------------------------------------------------------------------------------------
# Images of the cases

def noisy(shape, scale, seed=0):
    return scale * np.random.default_rng(seed).normal(size=shape)


def quadrants_rgb(seed=0, shape=(20, 21, 3), noise=0.01):
    """Red top-left, green bottom-left, blue bottom-right, black top-right, plus noise, in [0, 1]."""
    img = np.zeros(shape)
    img[:10, :10, 0] = 1
    img[10:, :10, 1] = 1
    img[10:, 10:, 2] = 1
    img += noisy(img.shape, noise, seed)
    return np.clip(img, 0, 1)


def quadrants_gray():
    img = np.zeros((20, 21))
    img[:10, :10] = 0.33
    img[10:, :10] = 0.67
    img[10:, 10:] = 1.00
    img += noisy(img.shape, 0.0033)
    return np.clip(img, 0, 1)


def assert_quadrants(seg, top_left, bottom_left, top_right, bottom_right):
    assert len(np.unique(seg)) == 4
    assert (seg[:10, :10] == top_left).all() and (seg[10:, :10] == bottom_left).all()
    assert (seg[:10, 10:] == top_right).all() and (seg[10:, 10:] == bottom_right).all()


def assert_regions_mostly_kept(img, seg, at_least):
    """The cases' histogram check: segment i holds more than `at_least` pixels of region i."""
    for i in range(4):
        hist = np.histogram(img[seg == i], bins=[0, 0.1, 0.3, 0.5, 1])[0]
        assert hist[i] > at_least, (i, hist)


# ---------------------------------------------------------------------------------------------
# test_slic.py

def test_slic_color_2d():
    img = quadrants_rgb()
    seg = pixlime.slic(img, num_segments=4, sigma=0, enforce_connectivity=False)
    assert seg.shape == img.shape[:-1]
    assert_quadrants(seg, 0, 2, 1, 3)


def test_slic_multichannel_2d():
    img = np.zeros((20, 20, 8))
    img[:10, :10, 0:2] = 1
    img[:10, 10:, 2:4] = 1
    img[10:, :10, 4:6] = 1
    img[10:, 10:, 6:8] = 1
    img = np.clip(img + noisy(img.shape, 0.01), 0, 1)
    seg = pixlime.slic(img, num_segments=4, enforce_connectivity=False)
    assert seg.shape == img.shape[:-1]
    assert_quadrants(seg, 0, 2, 1, 3)


def test_slic_gray_2d():
    img = quadrants_gray()
    seg = pixlime.slic(img, sigma=0, num_segments=4, compactness=1, convert_to_lab=False)
    assert seg.shape == img.shape
    assert_quadrants(seg, 0, 2, 1, 3)


def test_slic_consistency_across_image_magnitude():
    # the case that needed uint16 and float64 images (issue 21)
    img_uint8 = data.cat()[:256, :128]
    img_uint16 = 256 * img_uint8.astype(np.uint16)
    img_float = img_as_float(img_uint8)
    img_float_norm = img_float / img_float.max()
    seg1, seg2, seg3, seg4 = (pixlime.slic(i) for i in (img_uint8, img_uint16, img_float, img_float_norm))
    assert np.array_equal(seg1, seg2)
    assert np.array_equal(seg1, seg3)
    # as in the case: floating-point rounding may move a few pixels, so only the count is compared
    assert abs(int(seg1.max()) - int(seg4.max())) / seg1.max() < 0.5


def test_slic_spacing_non_spaced():
    img = np.array([[1, 1, 1, 0, 0],
                    [1, 1, 0, 0, 0]], float) + noisy((2, 5), 0.1)
    seg = pixlime.slic(img, num_segments=2, sigma=0, compactness=1.0, convert_to_lab=False)
    assert seg.tolist() == [[0, 0, 0, 1, 1], [0, 0, 1, 1, 1]]


def test_slic_enforce_connectivity():
    img = np.array([[0, 0, 0, 1, 1, 1],
                    [1, 0, 0, 1, 1, 0],
                    [0, 0, 0, 1, 1, 0]], float)
    connected = pixlime.slic(img, num_segments=2, compactness=0.0001, enforce_connectivity=True, convert_to_lab=False)
    disconnected = pixlime.slic(img, num_segments=2, compactness=0.0001, enforce_connectivity=False,
                                convert_to_lab=False)
    assert connected.tolist() == [[0, 0, 0, 1, 1, 1]] * 3
    assert disconnected.tolist() == img.astype(int).tolist()  # the clusters are the two values


def test_slic_more_segments_than_pixels():
    img = quadrants_gray()
    seg = pixlime.slic(img, sigma=0, num_segments=500, compactness=1, convert_to_lab=False)
    assert np.array_equal(seg.ravel(), np.arange(seg.size))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "uint8", "int"])
def test_slic_dtype_support(dtype):
    img = np.random.default_rng(0).random((28, 28)).astype(dtype)  # 'int': all zeros, as in the case
    seg = pixlime.slic(img, convert_to_lab=False)  # the case only asks that it runs
    assert seg.shape == img.shape


def test_slic_start_label_fix():
    # scikit-image's bug gave a label below start_label; pixlime's labels are 0..K-1, none below 0
    rng = np.random.default_rng(9)
    img = filters.gaussian(rng.standard_normal((8, 13)) > 0, sigma=1)
    seg = pixlime.slic(img, num_segments=6, compactness=0.01, enforce_connectivity=True, max_iterations=10,
                       convert_to_lab=False)
    assert seg.min() == 0 and np.array_equal(np.unique(seg), np.arange(seg.max() + 1))


# ---------------------------------------------------------------------------------------------
# test_quickshift.py

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_quickshift_grey(dtype):
    img = np.zeros((20, 21))
    img[:10, 10:] = 0.2
    img[10:, :10] = 0.4
    img[10:, 10:] = 0.6
    img = (img + noisy(img.shape, 0.05)).astype(dtype)
    seg = pixlime.quickshift(img, kernel_size=2, max_dist=3, convert_to_lab=False, sigma=0, ratio=1.0)
    assert len(np.unique(seg)) == 4
    assert_regions_mostly_kept(img, seg, 20)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channel_axis", [-1, 2])
def test_quickshift_color(dtype, channel_axis):
    img = np.moveaxis(quadrants_rgb(seed=583428449).astype(dtype), -1, channel_axis)  # -1 and 2: channels last
    seg = pixlime.quickshift(img, max_dist=30, kernel_size=10, sigma=0, ratio=1.0)
    # scikit-image's numbering here is (1, 3, 0, 2), the order of its tree roots; pixlime's is
    # its own, so the case's four uniform quadrants are checked with pixlime's labels
    assert_quadrants(seg, seg[0, 0], seg[-1, 0], seg[0, -1], seg[-1, -1])
    seg2 = pixlime.quickshift(img, kernel_size=1, max_dist=2, convert_to_lab=False, sigma=0, ratio=1.0)
    assert len(np.unique(seg2)) > 10  # very oversegmented
    assert (seg2[9, :] != seg2[10, :]).all() and (seg2[:, 9] != seg2[:, 10]).all()  # no segment crosses the lines


# ---------------------------------------------------------------------------------------------
# test_felzenszwalb.py

def test_felzenszwalb_grey():
    img = np.zeros((20, 21))
    img[:10, 10:] = 0.2
    img[10:, :10] = 0.4
    img[10:, 10:] = 0.6
    seg = pixlime.felzenszwalb(img, sigma=0)
    assert len(np.unique(seg)) == 4
    assert_regions_mostly_kept(img, seg, 40)


def test_felzenszwalb_minsize():
    for img in (data.coins()[20:168, 0:128], data.coffee()[::4, ::4]):  # one channel, then three
        for min_size in range(10, 100, 10):
            seg = pixlime.felzenszwalb(img, min_size=min_size, sigma=3)
            assert np.bincount(seg.ravel()).min() >= min_size, min_size


def test_felzenszwalb_3D():
    # the segmentations of the case (which only asks that they run): gray, RGB and 10 channels
    for img in (np.zeros((10, 10)), np.zeros((10, 10, 3)), np.zeros((10, 10, 10))):
        assert pixlime.felzenszwalb(img).shape == (10, 10)


def test_felzenszwalb_color():
    img = np.zeros((20, 21, 3))
    img[:10, :10, 0] = 1
    img[10:, :10, 1] = 1
    img[10:, 10:, 2] = 1
    seg = pixlime.felzenszwalb(img, sigma=0)
    assert_quadrants(seg, 0, 2, 1, 3)


def test_felzenszwalb_merging():
    img = np.array([[0, 0.3], [0.7, 1]])
    seg = pixlime.felzenszwalb(img, scale=0, sigma=0, min_size=2)  # scale 0: only the merging pass
    assert len(np.unique(seg)) == 2
    assert (seg[0, :] == 0).all() and (seg[1, :] == 1).all()


# ---------------------------------------------------------------------------------------------
# Not a scikit-image case: the default that differs (slic.hpp, convert_to_lab), checked where
# the other cases run. convert_to_lab=False gives scikit-image's default gray segments.

@pytest.mark.parametrize("name", ["coins", "camera"])
def test_slic_gray_without_lab_is_scikit_images_default(name):
    from skimage.segmentation import slic

    img = getattr(data, name)()
    theirs = slic(img)  # scikit-image's defaults: gray stays gray
    ours = pixlime.slic(img, convert_to_lab=False)
    pairs = np.unique(np.stack([ours.ravel(), theirs.ravel()]), axis=1)
    assert pairs.shape[1] == len(np.unique(ours)) == len(np.unique(theirs))  # the same partition
    assert len(np.unique(pixlime.slic(img))) != len(np.unique(theirs))  # the default differs, as documented
