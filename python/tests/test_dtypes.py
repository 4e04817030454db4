"""Images of any real dtype (issue 21, item 4): uint8 and float32 are used as they are; every other
real dtype is converted to float32 by one rule (python/src/module.cpp's input_image, stated in
pixlime._IMAGE_DTYPES): floats keep their values, integers and bool as scikit-image's
img_as_float32 makes them. Each result on such an image must equal the result on the image
converted by hand (`by_hand` below, the rule written out in numpy, checked against scikit-image's
img_as_float32 when it is installed)."""
import inspect
import os
from pathlib import Path

import numpy as np
import pytest

import pixlime

DATA = Path(os.environ.get("PIXLIME_TEST_DATA", Path(__file__).resolve().parents[2] / "tests" / "data"))

# Every real dtype numpy has on this platform, and two byte-swapped ones (numpy's own cast
# handles the byte order; a native-order comparison would miss them).
CONVERTED = ["float64", "float16", "longdouble", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
             "bool", ">f4", ">u2", ">f8"]


@pytest.fixture(scope="module")
def photo():
    """A 48 x 56 crop of chelsea: small enough for every dtype x every function, with texture."""
    return np.ascontiguousarray(pixlime.load_image(str(DATA / "images" / "chelsea_224.png"))[60:108, 80:136])


def as_dtype(photo, name):
    """The photo in dtype `name`, spread over the type's range (negative values and the type's
    minimum and maximum included, where the rule clips or scales at the ends)."""
    dt = np.dtype(name)
    if dt.kind == "f":  # values outside [0, 1] too: floats keep their range
        return (photo.astype(np.float64) / 255 * 1.5 - 0.25).astype(dt)
    if dt.kind == "b":
        return photo > 110
    info = np.iinfo(dt)
    # integer arithmetic in the type itself (a float64 product would round 64-bit maxima)
    if dt.kind == "u":
        out = photo.astype(dt) * dt.type(info.max // 255)
    else:
        out = (photo.astype(np.int64) - 127).clip(-127, 127).astype(dt) * dt.type(info.max // 127)
        out[0, 0, 0] = info.min  # maps to -1 (clipped), not below
    out[0, 0, 1] = info.max
    return out


def by_hand(image):
    """The documented rule in numpy, for the reference runs."""
    dt = image.dtype
    if dt.kind == "f":
        return image.astype(np.float32)
    if dt.kind == "b":
        return image.astype(np.float32)
    info = np.iinfo(dt)
    # scikit-image computes v * (1 / max) in float32 for types of up to 4 bytes, float64 above
    compute = np.float32 if dt.itemsize <= 4 else np.float64
    out = np.multiply(image, 1.0 / info.max, dtype=compute)
    if dt.kind == "i":
        np.maximum(out, -1.0, out=out)
    return out.astype(np.float32)


def classifier(batch):
    """Deterministic outputs that depend on every channel (three classes), for any input dtype."""
    x = np.asarray(batch, dtype=np.float64).reshape(len(batch), -1)
    return np.stack([np.tanh(x[:, 0::3].mean(1)), np.tanh(x[:, 1::5].mean(1)), np.tanh(x[:, 2::7].mean(1))], 1)


@pytest.mark.parametrize("name", CONVERTED)
def test_the_rule_is_scikit_images_img_as_float32(photo, name):
    skimage_dtype = pytest.importorskip("skimage.util.dtype", reason="scikit-image is not installed")
    image = as_dtype(photo, name)
    if image.dtype == np.longdouble and np.dtype(np.longdouble) != np.float64:
        pytest.skip("scikit-image refuses float128 (pixlime converts it as numpy's astype)")
    assert np.array_equal(by_hand(image), skimage_dtype.img_as_float32(image))


@pytest.mark.parametrize("name", CONVERTED)
def test_pixlime_works_on_the_converted_image(photo, name):
    image = as_dtype(photo, name)
    expected = by_hand(image)
    seen = {}

    def segmenter(img):  # explain's segmenter callable receives the image pixlime works on
        seen["image"] = np.array(img)
        return pixlime.grid(img, cells_x=4, cells_y=3)

    def model(batch):
        seen.setdefault("batch", np.array(batch[:1]))
        return classifier(batch)

    pixlime.explain(image, model, segmenter=segmenter, num_samples=4, batch_size=4)
    assert seen["image"].dtype == np.float32 and np.array_equal(seen["image"], expected, equal_nan=True)
    assert seen["batch"].dtype == np.float32 and np.array_equal(seen["batch"][0], expected)  # sample 0: the image


@pytest.mark.parametrize("name", CONVERTED)
def test_segmentations_equal_those_of_the_converted_image(photo, name):
    image = as_dtype(photo, name)
    converted = by_hand(image)
    for segment in (lambda i: pixlime.slic(i, num_segments=12),
                    lambda i: pixlime.slic(i[..., 0], num_segments=12, convert_to_lab=False),
                    lambda i: pixlime.quickshift(i, kernel_size=3, max_dist=20),
                    lambda i: pixlime.felzenszwalb(i, scale=50)):
        ours, reference = segment(image), segment(converted)
        assert np.array_equal(ours, reference)
        assert reference.max() >= 1  # more than one segment: the comparison says something


@pytest.mark.parametrize("name", CONVERTED)
def test_explanations_equal_those_of_the_converted_image(photo, name):
    image = as_dtype(photo, name)
    converted = by_hand(image)
    options = dict(segmenter=pixlime.slic_options(num_segments=12), num_samples=40, batch_size=16, top_labels=2, seed=3)
    ours, reference = pixlime.explain(image, classifier, **options), pixlime.explain(converted, classifier, **options)
    assert ours.top_labels == reference.top_labels and np.array_equal(ours.segments, reference.segments)
    for label in reference.top_labels:
        assert np.array_equal(ours.weights(label), reference.weights(label))
        assert ours.intercept(label) == reference.intercept(label)
        assert np.array_equal(ours.positive_pane(label), reference.positive_pane(label))
    label = reference.top_labels[0]
    curve = pixlime.deletion_curve(image, classifier, ours, label=label, random_rankings=2)
    reference_curve = pixlime.deletion_curve(converted, classifier, reference, label=label, random_rankings=2)
    assert np.array_equal(curve.score, reference_curve.score) and np.array_equal(curve.random_score, reference_curve.random_score)


def test_an_image_fill_array_follows_the_rule(photo):
    replacement = as_dtype(photo, "uint16")[::-1].copy()
    a = pixlime.image_fill(replacement)
    b = pixlime.image_fill(by_hand(replacement))
    image = photo.astype(np.float32) / 255
    options = dict(segments=pixlime.grid(image, cells_x=3, cells_y=3), num_samples=20, top_labels=1)
    # explain's fill keyword: hide, renamed fill (issue 21); whichever this version has
    keyword = "fill" if "fill" in inspect.signature(pixlime.explain).parameters else "hide"
    ours = pixlime.explain(image, classifier, **options, **{keyword: a})
    reference = pixlime.explain(image, classifier, **options, **{keyword: b})
    assert np.array_equal(ours.predictions, reference.predictions)
    plain = pixlime.explain(image, classifier, **options)
    assert not np.array_equal(ours.predictions, plain.predictions)  # the fill is used at all


@pytest.mark.parametrize("name", ["uint8", "float32"])
def test_uint8_and_float32_are_used_as_they_are(photo, name):
    image = photo if name == "uint8" else photo.astype(np.float32) / 255
    seen = {}

    def segmenter(img):
        seen["image"] = img
        return pixlime.grid(img, cells_x=4, cells_y=3)

    def model(batch):
        seen.setdefault("dtype", batch.dtype)
        return classifier(batch)

    pixlime.explain(image, model, segmenter=segmenter, num_samples=4)
    # the caller's own buffer, not a converted copy; batches in the image's dtype
    assert seen["image"].dtype == image.dtype and np.shares_memory(seen["image"], image)
    assert seen["dtype"] == image.dtype

    # Results on the same array given another way (not contiguous: copied; a dtype with
    # metadata: not the same dtype object) are bit-identical: nothing converts the values.
    strided = np.zeros((image.shape[0], image.shape[1], 6), image.dtype)[..., ::2]
    strided[...] = image
    tagged = image.view(np.dtype(image.dtype.str, metadata={"source": "test"}))
    assert not strided.flags.c_contiguous and tagged.dtype.metadata
    options = dict(segmenter=pixlime.slic_options(num_segments=12), num_samples=40, top_labels=2, seed=3)
    reference = pixlime.explain(image, classifier, **options)
    for same in (strided, tagged):
        assert np.array_equal(pixlime.slic(same), pixlime.slic(image))
        assert np.array_equal(pixlime.quickshift(same), pixlime.quickshift(image))
        assert np.array_equal(pixlime.felzenszwalb(same), pixlime.felzenszwalb(image))
        ex = pixlime.explain(same, classifier, **options)
        for label in reference.top_labels:
            assert np.array_equal(ex.weights(label), reference.weights(label))
            assert np.array_equal(ex.overlay(label), reference.overlay(label))


@pytest.mark.parametrize("bad", [np.complex64, np.complex128, object, "U3", "S2", "datetime64[s]", "timedelta64[s]"])
def test_other_dtypes_are_refused_naming_the_dtype(photo, bad):
    image = np.zeros(photo.shape, dtype=bad)
    for call in (lambda: pixlime.slic(image), lambda: pixlime.quickshift(image), lambda: pixlime.felzenszwalb(image),
                 lambda: pixlime.explain(image, classifier, num_samples=4), lambda: pixlime.image_fill(image)):
        with pytest.raises(pixlime.InvalidArgument) as e:
            call()
        assert e.value.parameter.endswith("dtype") and e.value.value == str(image.dtype)
        assert "real dtype" in e.value.expected and "uint8" in e.value.expected and "float32" in e.value.expected


def test_save_png_names_the_dtype_it_refuses(tmp_path, photo):
    for name in ("float64", "uint16", "float32"):
        with pytest.raises(pixlime.InvalidArgument) as e:
            pixlime.save_png(tmp_path / "x.png", as_dtype(photo, name))
        assert e.value.value == name and "uint8" in e.value.expected
    assert not list(tmp_path.iterdir())


def test_non_finite_values_are_treated_as_for_float32(photo):
    for bad in (np.nan, np.inf):
        image32 = photo.astype(np.float32) / 255
        image32[5, 7, 1] = bad
        with pytest.raises(pixlime.InvalidArgument) as reference:
            pixlime.explain(image32, classifier, num_samples=4)
        with pytest.raises(pixlime.InvalidArgument) as ours:
            pixlime.explain(image32.astype(np.float64), classifier, num_samples=4)
        assert str(ours.value) == str(reference.value)


def test_a_finite_value_float32_cannot_hold_is_refused(photo):
    image = photo.astype(np.float64) / 255
    image[5, 7, 1] = -1e300  # would become -inf
    with pytest.raises(pixlime.InvalidArgument) as e, np.errstate(over="ignore"):
        pixlime.slic(image)
    assert e.value.parameter == "image pixel (7, 5) channel 1" and "float32" in e.value.expected
    assert float(e.value.value) == -1e300


def test_lime_image_segments_other_dtypes_by_the_rule(photo):
    # lime_image's default segmentation (segmentation_fn=None): pixlime.quickshift on the image
    pytest.importorskip("sklearn", reason="pixlime.lime_image needs scikit-learn")
    from pixlime import lime_image

    for name in ("int16", "uint32", "float64"):
        image = as_dtype(photo, name)
        exp = lime_image.LimeImageExplainer(random_state=0).explain_instance(
            image, classifier, num_samples=10, batch_size=10, progress_bar=False, top_labels=1)
        reference = pixlime.quickshift(by_hand(image), kernel_size=4, max_dist=200, ratio=0.2)
        assert np.array_equal(exp.segments, reference), name


def test_dask_takes_other_dtypes_and_shows_them_as_explain_saw_them(tmp_path, photo):
    pytest.importorskip("distributed", reason="pixlime.dask needs Dask's distributed")
    from pixlime.dask import explain_serial

    image = as_dtype(photo, "uint16")
    options = dict(num_samples=20, batch_size=10, seed=1, segmenter=pixlime.slic_options(num_segments=12))
    ours = explain_serial([image], lambda: classifier, out_dir=tmp_path / "ours", **options)[0]
    reference = explain_serial([by_hand(image)], lambda: classifier, out_dir=tmp_path / "reference", **options)[0]
    assert ours["ok"] and reference["ok"], (ours, reference)
    for a, b in zip(ours["labels"], reference["labels"]):
        assert np.array_equal(a["weights"], b["weights"])
    for pane in ("input.png", "positive.png"):
        (ours_png,) = (tmp_path / "ours").glob("*/" + pane)
        (reference_png,) = (tmp_path / "reference").glob("*/" + pane)
        assert np.array_equal(pixlime.load_image(ours_png), pixlime.load_image(reference_png)), pane
