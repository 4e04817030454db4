"""pixlime.deletion_curve / insertion_curve (RISE's causal metrics) through the Python module: known
answers from a classifier that sees one planted segment, the AUC as numpy's trapezoid, an
Explanation ranked as ranking_by_weight, the random baseline, errors naming the parameter."""
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

import pixlime

# 32x32: ids 7 (rows 0..7, 256 px), 3 (rows 8..15, cols 0..15, 128 px), 9 (rows 8..15, cols 16..31,
# 128 px), 1 (rows 16..31, 512 px): relabelled 0, 1, 2, 3 in order of first appearance.
SEGMENTS = np.empty((32, 32), np.int64)
SEGMENTS[0:8] = 7
SEGMENTS[8:16, 0:16] = 3
SEGMENTS[8:16, 16:32] = 9
SEGMENTS[16:32] = 1
PLANTED = (slice(8, 16), slice(0, 16))  # segment 1
IMAGE = np.random.default_rng(3).integers(1, 256, (32, 32, 3), dtype=np.uint8)  # no pixel is black
AREA = np.array([256, 128, 128, 512]) / 1024


def planted(batch):
    """(N, 2): class 1 = the share of segment 1's pixels that are the image's own."""
    kept = (np.asarray(batch)[:, PLANTED[0], PLANTED[1], :] == IMAGE[PLANTED]).all(axis=3).mean(axis=(1, 2))
    return np.stack([1 - kept, kept], axis=1)


def trapezoid(x, y):
    x, y = np.asarray(x), np.asarray(y)
    return float(np.sum(np.diff(x) * (y[1:] + y[:-1]) / 2))


def test_deletion_with_the_planted_segment_first_drops_at_step_one():
    c = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3])
    assert isinstance(c, pixlime.FaithfulnessCurve)
    np.testing.assert_array_equal(c.ranking, [1, 0, 2, 3])
    np.testing.assert_allclose(c.fraction, [0, 128 / 1024, 384 / 1024, 512 / 1024, 1])
    np.testing.assert_array_equal(c.score, [1, 0, 0, 0, 0])
    assert c.auc == pytest.approx(trapezoid(c.fraction, c.score)) and c.auc == pytest.approx(0.0625)
    # the planted segment second: the output falls at step 2, after a quarter of the pixels
    late = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[0, 1, 2, 3], random_rankings=0)
    np.testing.assert_allclose(late.fraction, np.concatenate([[0], np.cumsum(AREA)]))
    np.testing.assert_array_equal(late.score, [1, 1, 0, 0, 0])
    assert late.auc == pytest.approx(trapezoid(late.fraction, late.score)) and late.auc == pytest.approx(0.3125)
    # label 0 is the complement
    zero = pixlime.deletion_curve(IMAGE, planted, label=0, segments=SEGMENTS, ranking=[1, 0, 2, 3], random_rankings=0)
    np.testing.assert_array_equal(zero.score, [0, 1, 1, 1, 1])


def test_insertion_with_the_planted_segment_first_rises_at_step_one():
    c = pixlime.insertion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 3, 0, 2], insertion_fill="constant")
    np.testing.assert_array_equal(c.score, [0, 1, 1, 1, 1])
    np.testing.assert_allclose(c.fraction, [0, 128 / 1024, 640 / 1024, 896 / 1024, 1])
    assert c.auc == pytest.approx(trapezoid(c.fraction, c.score)) and c.auc == pytest.approx(1 - 0.0625)
    # the default insertion_fill (blur_fill(sigma=3.0)): the image itself at the last step; and
    # deletion_fill is not used by insertion
    blur = pixlime.insertion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 3, 0, 2])
    assert blur.score[-1] == 1 and blur.score[0] < 0.5
    same = pixlime.insertion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 3, 0, 2],
                                   insertion_fill=pixlime.blur_fill(sigma=3.0), deletion_fill="blur")
    np.testing.assert_array_equal(same.score, blur.score)
    assert same.random_auc == blur.random_auc


def test_fills_parse_as_explains_fill():
    ranking = [0, 1, 2, 3]
    ref = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=ranking)
    for black in ("black", pixlime.constant_fill(), pixlime.constant_fill(color=[0, 0, 0]),
                  pixlime.image_fill(np.zeros_like(IMAGE)), lambda img, seg: np.zeros_like(img)):
        c = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=ranking, deletion_fill=black)
        np.testing.assert_array_equal(c.score, ref.score)
        assert c.random_auc == ref.random_auc
    seen = []

    def fill(img, seg):
        seen.append((img.shape, seg.shape, seg.max()))
        return np.zeros_like(img)

    pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=ranking, deletion_fill=fill, random_rankings=0)
    assert seen == [((32, 32, 3), (32, 32), 3)]


def test_an_explanation_is_ranked_by_its_weights_as_ranking_by_weight():
    ex = pixlime.explain(IMAGE, planted, segments=SEGMENTS, labels=[1], num_samples=200, fill="constant", seed=1)
    w = ex.weights(1)
    assert np.argmax(w) == 1
    by_weight = np.argsort(-w, kind="stable")
    np.testing.assert_array_equal(pixlime.ranking_by_weight(w), by_weight)
    for curve in (pixlime.deletion_curve, pixlime.insertion_curve):
        a = curve(IMAGE, planted, ex, label=1)
        b = curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=by_weight)
        np.testing.assert_array_equal(a.ranking, by_weight)
        for name in ("fraction", "score", "random_score"):
            np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert (a.auc, a.random_auc, a.random_auc_stddev) == (b.auc, b.random_auc, b.random_auc_stddev)
    assert pixlime.deletion_curve(IMAGE, planted, ex, label=1).auc == pytest.approx(0.0625)
    # ties: the lower segment first (a stable sort of -weights), negative weights last
    np.testing.assert_array_equal(pixlime.ranking_by_weight([1.0, 2.0, 2.0, 0.0, -3.0, 2.0]), [1, 2, 5, 0, 3, 4])
    assert pixlime.area_under_curve([0, 0.5, 1], [1, 0, 0]) == pytest.approx(0.25)


def test_the_random_baseline():
    calls, seen = [], []

    def counting(batch):
        calls.append(len(batch))
        return planted(batch)

    c = pixlime.deletion_curve(IMAGE, counting, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3], random_rankings=20,
                               batch_size=7, progress=lambda done, total: seen.append((done, total)))
    assert sum(calls) == 4 + 1 + 20 * 3 and max(calls) == 7 and seen[-1] == (65, 65)
    assert c.random_score.shape == (5,) and c.random_score[0] == 1 and c.random_score[-1] == 0
    assert np.all(np.diff(c.random_score) <= 1e-12)  # every random curve falls once, from 1 to 0
    # random AUCs lie between the best and the worst rankings': 128/2048 and 1 - 128/2048
    assert 0.0625 < c.random_auc < 0.9375 and c.random_auc_stddev > 0
    assert c.auc < c.random_auc
    # the same seed, the same baseline whatever the batch size; another seed, another one
    same = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3], batch_size=3)
    assert (same.random_auc, same.random_auc_stddev) == (c.random_auc, c.random_auc_stddev)
    np.testing.assert_array_equal(same.random_score, c.random_score)
    other = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3], seed=5)
    assert other.random_auc != c.random_auc
    none = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3], random_rankings=0)
    assert none.random_score.shape == (0,) and np.isnan(none.random_auc) and np.isnan(none.random_auc_stddev)
    one = pixlime.deletion_curve(IMAGE, planted, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3], random_rankings=1)
    assert np.isfinite(one.random_auc) and np.isnan(one.random_auc_stddev)


def test_model_input_float_images_and_binary_models():
    got = []

    def floats(batch):
        got.append((batch.dtype, batch.shape))
        return planted((np.asarray(batch) * 255).round().astype(np.uint8).transpose(0, 2, 3, 1))

    c = pixlime.deletion_curve(IMAGE, floats, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3], random_rankings=0,
                               model_input={"to_float": True, "layout": "nchw", "scale": 1 / 255})
    np.testing.assert_array_equal(c.score, [1, 0, 0, 0, 0])
    assert got[0] == (np.float32, (5, 3, 32, 32))
    binary = pixlime.deletion_curve(IMAGE, lambda b: planted(b)[:, 1], label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3])
    np.testing.assert_array_equal(binary.score, [1, 0, 0, 0, 0])
    as_float = pixlime.deletion_curve(IMAGE.astype(np.float32) / 255, lambda b: planted((b * 255).round().astype(np.uint8)),
                                      label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3])
    np.testing.assert_array_equal(as_float.score, [1, 0, 0, 0, 0])


def parameter(call, **kw):
    with pytest.raises(pixlime.InvalidArgument) as e:
        call(IMAGE, planted, **kw)
    assert isinstance(e.value, ValueError)
    return e.value.parameter


def test_errors_name_the_parameter():
    ex = pixlime.explain(IMAGE, planted, segments=SEGMENTS, labels=[1], num_samples=50)
    ok = {"segments": SEGMENTS, "ranking": [1, 0, 2, 3]}
    for curve in (pixlime.deletion_curve, pixlime.insertion_curve):
        assert parameter(curve, label=-1, **ok) == "label"
        assert parameter(curve, label=2, **ok) == "label"  # two output columns
        assert parameter(curve, explanation=ex, label=0) == "label"  # not an explained label
        assert parameter(curve, explanation=ex, label=1, segments=SEGMENTS) == "segments"
        assert parameter(curve, explanation=ex, label=1, ranking=[1, 0, 2, 3]) == "ranking"
        assert parameter(curve, explanation=ex, label=1, **ok) == "segments"
        assert parameter(curve, label=1) == "explanation"
        assert parameter(curve, label=1, segments=SEGMENTS) == "ranking"
        assert parameter(curve, label=1, ranking=[1, 0, 2, 3]) == "segments"
        assert parameter(curve, explanation="an explanation", label=1) == "explanation"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[1, 1, 2, 3]) == "ranking[1]"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[4, 0, 2, 1]) == "ranking[0]"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[-1, 0, 2, 1]) == "ranking[0]"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 2**40]) == "ranking[3]"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[1, 0, 2]) == "ranking size"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[[1, 0, 2, 3]]) == "ranking"
        assert parameter(curve, label=1, segments=SEGMENTS, ranking=[1.0, 0.0, 2.0, 3.0]) == "ranking dtype"
        assert parameter(curve, label=1, segments=SEGMENTS[:8], ranking=[0]) == "segments size"
        assert parameter(curve, label=1, deletion_fill="bogus", **ok) == "deletion_fill"
        assert parameter(curve, label=1, insertion_fill="bogus", **ok) == "insertion_fill"
        assert parameter(curve, label=1, random_rankings=-1, **ok) == "curve_options.random_rankings"
        assert parameter(curve, label=1, batch_size=0, **ok) == "curve_options.batch_size"
        with pytest.raises(TypeError):
            curve(IMAGE, planted, **ok)  # label is a required keyword
    with pytest.raises(pixlime.SizeLimitError):
        pixlime.deletion_curve(IMAGE, planted, label=1, limits=pixlime.limits(max_samples=10), **ok)
    with pytest.raises(pixlime.Cancelled) as e:
        pixlime.deletion_curve(IMAGE, planted, label=1, progress=lambda done, total: False, **ok)
    assert e.value.parameter == "curve_options.progress"


def test_a_classifier_exception_propagates_unchanged_and_chained():
    class ModelBroke(Exception):
        pass

    def broken(b):
        raise ModelBroke("weights missing")

    with pytest.raises(ModelBroke, match="weights missing") as e:
        pixlime.insertion_curve(IMAGE, broken, label=1, segments=SEGMENTS, ranking=[1, 0, 2, 3])
    assert isinstance(e.value.__cause__, pixlime.ClassifierError)


def test_every_curve_option_of_the_cpp_api_is_a_keyword_with_its_default():
    header = (Path(__file__).resolve().parents[2] / "include" / "pixlime" / "faithfulness.hpp").read_text()
    body = re.search(r"struct curve_options \{(.*?)\n\};", header, re.S).group(1)
    # Deprecated members kept for one release (removed, substrate) are keywords only by their new names.
    body = re.sub(r"^\s+detail::renamed_\w+ \w+;$", "", body, flags=re.M)
    fields = dict(re.findall(r"^\s+(?!///)[\w:<>, ()]+?\b(\w+)(?: = ([^;]+))?;", body, re.M))
    assert {"batch_size", "deletion_fill", "insertion_fill", "random_rankings", "seed", "model_input", "task",
            "progress", "limits"} == fields.keys()
    for curve in (pixlime.deletion_curve, pixlime.insertion_curve):
        sig = inspect.signature(curve)
        for name, default in fields.items():
            assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
            if default and default.isdigit():
                assert sig.parameters[name].default == int(default), (name, default)
            elif default and default.startswith("pixlime::task::"):  # an enum: its name (to_string)
                assert sig.parameters[name].default == default.split("::")[-1], (name, default)
        assert sig.parameters["deletion_fill"].default == "constant" and sig.parameters["insertion_fill"].default is None
        assert set(sig.parameters) - set(fields) == {"image", "classifier", "explanation", "label", "segments", "ranking"}
        assert sig.parameters["label"].default is inspect.Parameter.empty
        assert "RISE" in curve.__doc__ and "blur_fill(sigma=3.0)" in curve.__doc__
    stubs = Path(pixlime.__file__).with_name("__init__.pyi").read_text()
    assert "def deletion_curve(" in stubs and "def insertion_curve(" in stubs and "class FaithfulnessCurve" in stubs


def test_ctrl_c_stops_a_curve_within_one_batch(tmp_path):
    # As test_native's for explain: a C classifier, so only pixlime's check before each batch can
    # raise the KeyboardInterrupt; left alone the curve would classify about a million images.
    import os
    import subprocess
    import sys
    script = tmp_path / "script.py"
    script.write_text("""
import functools, os, signal, sys, threading, traceback, numpy as np, pixlime
img = np.full((512, 512, 3), 1e-6, np.float32)
classify = functools.partial(np.add.reduce, axis=(1, 2, 3))
threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    pixlime.deletion_curve(img, classify, label=1, segments=np.arange(512 * 512).reshape(512, 512) // 256,
                           ranking=np.arange(1024), random_rankings=1000)
    print("finished")
except KeyboardInterrupt as e:
    last = traceback.extract_tb(sys.exc_info()[2])[-1]
    print("interrupted in", os.path.basename(last.filename), last.name, "cause", e.__cause__)
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert out.returncode == 0, (out.returncode, out.stderr)
    assert out.stdout.strip() == "interrupted in __init__.py deletion_curve cause None"
