"""pixlime's native Python API: numpy in, numpy out, ground-truth explanations, every option as a
keyword, errors as Python exceptions, the GIL released, Ctrl-C."""
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import pixlime

DATA = Path(os.environ.get("PIXLIME_TEST_DATA", Path(__file__).resolve().parents[2] / "tests" / "data"))
CHELSEA = str(DATA / "images" / "chelsea_224.png")


def grid_ids(h, w, gy, gx):
    y, x = np.mgrid[0:h, 0:w]
    return (y * gy // h) * gx + x * gx // w


def planted(batch):
    """P(class 1) from the red of rows / columns 56..111 only (the fixture's classifier)."""
    red = batch[:, 56:112, 56:112, 0].astype(np.float64).reshape(len(batch), -1).sum(1) / (3136 * 255.0)
    p1 = 1 / (1 + np.exp(-10 * (red - 0.3)))
    return np.stack([1 - p1, p1], axis=1)


@pytest.fixture(scope="module")
def cat():
    return pixlime.load_image(CHELSEA)


def test_images_round_trip_and_decode(tmp_path, cat):
    assert cat.shape == (224, 224, 3) and cat.dtype == np.uint8
    path = tmp_path / "cat.png"
    pixlime.save_png(str(path), cat)
    assert np.array_equal(pixlime.load_image(str(path)), cat)
    assert np.array_equal(pixlime.decode_image(path.read_bytes()), cat)
    gray = pixlime.load_image(CHELSEA, channels=1)
    assert gray.shape == (224, 224, 1)
    pixlime.save_png(str(tmp_path / "gray.png"), gray[:, :, 0])  # (H, W) is a gray image too
    assert np.array_equal(pixlime.load_image(str(tmp_path / "gray.png")), gray)


def test_segmenters_return_int32_labels_and_take_any_strides(cat):
    for segment in (pixlime.slic, pixlime.quickshift, pixlime.felzenszwalb):
        s = segment(cat)
        assert s.shape == (224, 224) and s.dtype == np.int32
        assert set(np.unique(s)) == set(range(s.max() + 1))
    assert pixlime.slic(cat, num_segments=30).max() + 1 < pixlime.slic(cat).max() + 1
    view = cat[::2, ::2]  # not contiguous
    assert not view.flags.c_contiguous
    assert np.array_equal(pixlime.slic(view), pixlime.slic(np.ascontiguousarray(view)))
    g = pixlime.grid(cat, cells_x=4, cells_y=2)
    assert g.max() == 7 and g[0, 223] == 3 and g[223, 0] == 4
    assert np.array_equal(pixlime.grid((224, 224), cells_x=4, cells_y=2), g)


def test_a_planted_region_gets_the_top_weights(cat):
    seg = grid_ids(224, 224, 8, 8)
    ex = pixlime.explain(cat, planted, segments=seg, num_samples=400, seed=3, fill="constant")
    # Cells 18, 19, 26, 27 cover rows / columns 56..111: they alone matter, all positive.
    top = {s for s, _ in ex.ranked(1)[:4]}
    assert top == {18, 19, 26, 27}
    assert all(ex.weights(1)[s] > 0 for s in top)
    assert ex.top_labels == [1, 0] and ex.labels == [1, 0]
    assert ex.samples.shape == (400, 64) and ex.samples.dtype == np.uint8
    assert ex.predictions.shape == (400, 2) and ex.sample_weights.shape == (400,)
    assert np.array_equal(ex.segments, seg)
    assert abs(ex.model_prediction(1) - planted(cat[None])[0, 1]) < 1e-12


def test_lime_compatible_masks_are_numpys_randint(cat):
    seg = grid_ids(224, 224, 4, 4)
    ex = pixlime.explain(cat, planted, segments=seg, num_samples=50, seed=9, sampler="lime_compatible")
    expected = np.random.RandomState(9).randint(0, 2, (50, 16))
    expected[0] = 1
    assert np.array_equal(ex.samples, expected)


def test_same_seed_same_explanation_any_batch_or_threads(cat):
    seg = grid_ids(224, 224, 5, 5)
    ref = pixlime.explain(cat, planted, segments=seg, num_samples=120, seed=11)
    for batch, threads in ((1, 1), (7, 2), (500, 3)):
        ex = pixlime.explain(cat, planted, segments=seg, num_samples=120, seed=11, batch_size=batch, num_threads=threads)
        assert np.array_equal(ex.weights(1), ref.weights(1))
        assert np.array_equal(ex.predictions, ref.predictions)
    assert not np.array_equal(pixlime.explain(cat, planted, segments=seg, num_samples=120, seed=12).samples, ref.samples)


def test_classifier_outputs_binary_lists_and_the_image_dtype(cat):
    seg = grid_ids(224, 224, 4, 4)
    binary = pixlime.explain(cat, lambda b: planted(b)[:, 1], segments=seg, num_samples=60)
    assert binary.num_classes == 2 and binary.labels == [1, 0]
    as_list = pixlime.explain(cat, lambda b: planted(b).tolist(), segments=seg, num_samples=60)
    assert np.allclose(as_list.predictions, binary.predictions)
    seen = []
    f32 = cat.astype(np.float32) / 255

    def check_float(b):
        seen.append((b.dtype, b.shape[1:], b.flags.writeable))
        return planted(b * 255)

    pixlime.explain(f32, check_float, segments=seg, num_samples=20, batch_size=10)
    assert seen == [(np.float32, (224, 224, 3), False)] * 2


def test_model_input_hands_over_normalised_nchw_float(cat):
    seg = grid_ids(224, 224, 4, 4)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    by_hand, received = [], []

    def nhwc(b):
        for im in b:
            by_hand.append(((im.astype(np.float64) / 255 - mean) / std).transpose(2, 0, 1).astype(np.float32))
        return planted(b)

    def nchw(b):
        assert b.dtype == np.float32 and b.shape[1:] == (3, 224, 224)
        received.extend(np.array(b))
        return np.full((len(b), 2), 0.5)

    pixlime.explain(cat, nhwc, segments=seg, num_samples=30)
    pixlime.explain(cat, nchw, segments=seg, num_samples=30,
                    model_input={"to_float": True, "layout": "nchw", "scale": 1 / 255, "mean": list(mean), "stddev": list(std)})
    assert len(received) == 30
    assert max(float(np.abs(a - b).max()) for a, b in zip(received, by_hand)) < 1e-6


def test_every_stage_is_a_keyword(cat):
    seg = grid_ids(224, 224, 3, 3)
    calls = {"sampler": 0, "kernel": 0, "surrogate": 0}

    def one_hidden(n, k, seed):
        calls["sampler"] += 1
        m = np.ones((n, k), np.uint8)
        for i in range(1, n):
            m[i, (i - 1) % k] = 0
        return m

    def flat(samples):
        calls["kernel"] += 1
        return np.ones(len(samples))

    def drop(samples, weights, targets):
        calls["surrogate"] += 1
        fits = []
        for t in range(targets.shape[1]):
            w = np.zeros(samples.shape[1])
            for i in range(1, len(samples)):
                w[np.argmin(samples[i])] = targets[0, t] - targets[i, t]
            fits.append((w, 0.0, 1.0, float(targets[0, t])))
        return fits

    ex = pixlime.explain(cat, planted, segments=seg, num_samples=10, sampler=one_hidden, kernel=flat, surrogate=drop,
                         fill=pixlime.constant_fill(color=[0]))
    assert calls == {"sampler": 1, "kernel": 1, "surrogate": 1}
    assert ex.samples[3, 2] == 0
    # Segment 4 (the centre of a 3 x 3 grid) covers the planted square: hiding it drops P(1) most.
    assert ex.ranked(1)[0][0] == 4
    # The built-ins by object, and a fill callable.
    pixlime.explain(cat, planted, segments=seg, num_samples=20, kernel=pixlime.exponential_kernel(width=0.5),
                    surrogate=pixlime.weighted_ridge(alpha=2.0), fill=pixlime.blur_fill(sigma=3.0), sampler="bernoulli")
    fill_calls = []

    def grey_fill(image, segments):
        fill_calls.append(segments.shape)
        return np.full_like(image, 128)

    pixlime.explain(cat, planted, segments=seg, num_samples=20, fill=grey_fill)
    assert fill_calls == [(224, 224)]
    # A segmenter by name, by options, or a callable.
    a = pixlime.explain(cat, planted, segmenter=pixlime.slic_options(num_segments=30), num_samples=10)
    assert np.array_equal(a.segments, pixlime.slic(cat, num_segments=30))
    b = pixlime.explain(cat, planted, segmenter=lambda im: grid_ids(im.shape[0], im.shape[1], 2, 2) * 7 + 100, num_samples=10)
    assert b.num_segments == 4


def test_panes_are_rgb_images_of_the_image_size(cat):
    ex = pixlime.explain(cat, planted, segments=grid_ids(224, 224, 8, 8), num_samples=100, fill="constant")
    for pane in (ex.positive_pane(1), ex.negative_pane(1), ex.overlay(1), ex.heatmap(1)):
        assert pane.shape == (224, 224, 3) and pane.dtype == np.uint8
    opts = pixlime.render_options(hide_rest=True, boundaries=False)
    shown = ex.positive_pane(1, num_features=1, options=opts)
    s = ex.ranked(1)[0][0]
    mask = ex.segments == s
    assert np.array_equal(shown[mask], cat[mask]) and not shown[~mask].any()
    big = ex.positive_pane(1, options=pixlime.render_options(scale=2))
    assert big.shape == (448, 448, 3)


def test_uncertain_segments_are_hatched(cat):
    seg = grid_ids(224, 224, 8, 8)
    ex = pixlime.explain(cat, planted, segments=seg, num_samples=100, fill="constant")
    flags = ex.uncertain_segments(1)
    iv = ex.weight_intervals(1)
    assert flags.dtype == np.bool_ and np.array_equal(flags, (iv[:, 0] <= 0) & (iv[:, 1] >= 0))
    assert 0 < flags.sum() < 64
    assert np.array_equal(ex.uncertain_segments(1, 0.5), (ex.weight_intervals(1, 0.5)[:, 0] <= 0) & (ex.weight_intervals(1, 0.5)[:, 1] >= 0))
    plain = ex.heatmap(1, options=pixlime.render_options(boundaries=False))  # boundaries are drawn over the hatching
    opts = pixlime.render_options(boundaries=False, uncertain=list(flags), hatch_color=(1, 2, 3), hatch_spacing=4)
    assert opts.uncertain == list(flags) and opts.hatch_spacing == 4
    hatched = ex.heatmap(1, options=opts)
    y, x = np.mgrid[0:224, 0:224]
    lines = ((x + y) % 4 == 0) & flags[ex.segments]
    assert (hatched[lines] == (1, 2, 3)).all()
    assert np.array_equal(hatched[~lines], plain[~lines])
    assert np.array_equal(ex.heatmap(1, options=pixlime.render_options(boundaries=False, uncertain=[])), plain)
    with pytest.raises(pixlime.InvalidArgument, match="render_options.uncertain size = 3"):
        ex.heatmap(1, options=pixlime.render_options(uncertain=[True, False, True]))
    with pytest.raises(pixlime.InvalidArgument, match="render_options.hatch_spacing = 1"):
        ex.heatmap(1, options=pixlime.render_options(hatch_spacing=1))


def test_progress_and_cancellation(cat):
    seg = grid_ids(224, 224, 4, 4)
    seen = []
    pixlime.explain(cat, planted, segments=seg, num_samples=45, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(10, 45), (20, 45), (30, 45), (40, 45), (45, 45)]
    calls = []

    def counting(b):
        calls.append(len(b))
        return planted(b)

    with pytest.raises(pixlime.Cancelled) as e:
        pixlime.explain(cat, counting, segments=seg, num_samples=100, progress=lambda done, total: done < 30)
    assert len(calls) == 3 and isinstance(e.value, RuntimeError) and e.value.parameter == "explain_options.progress"
    pixlime.explain(cat, planted, segments=seg, num_samples=20, progress=True)  # a bar, no error


def test_errors_are_python_exceptions_with_the_parts(cat):
    with pytest.raises(pixlime.InvalidArgument) as e:
        pixlime.explain(cat, planted, num_samples=1)
    assert isinstance(e.value, ValueError) and isinstance(e.value, pixlime.Error)
    assert (e.value.parameter, e.value.value, e.value.expected) == ("explain_options.num_samples", "1", "at least 2")
    assert str(e.value) == "pixlime: explain_options.num_samples = 1: expected at least 2"
    with pytest.raises(pixlime.SizeLimitError):
        pixlime.explain(cat, planted, num_samples=2**30)
    with pytest.raises(pixlime.IoError) as io:
        pixlime.load_image("/no/such/file.png")
    assert isinstance(io.value, OSError)
    with pytest.raises(pixlime.InvalidArgument, match="complex128: expected a real dtype"):
        pixlime.slic(cat.astype(np.complex128))  # float64 and other real dtypes are converted (test_dtypes.py)
    with pytest.raises(pixlime.InvalidArgument, match="weighted_ridge.alpha"):
        pixlime.explain(cat, planted, surrogate=pixlime.weighted_ridge(alpha=-1), num_samples=10)
    with pytest.raises(pixlime.ClassifierError, match=r"\[0, 1\]"):
        pixlime.explain(cat, lambda b: np.full(len(b), 7.5), segments=grid_ids(224, 224, 2, 2), num_samples=10)
    with pytest.raises(TypeError, match="no option 'num_segment'"):
        pixlime.slic_options(num_segment=5)


def test_a_classifier_exception_propagates_unchanged_and_chained(cat):
    class ModelBroke(Exception):
        pass

    def broken(b):
        raise ModelBroke("weights missing")

    with pytest.raises(ModelBroke, match="weights missing") as e:
        # 16 segments: the 10 masks are distinct, so the first batch is samples 0..9 (a
        # repeated mask would not be sent again)
        pixlime.explain(cat, broken, segments=grid_ids(224, 224, 4, 4), num_samples=10)
    assert isinstance(e.value.__cause__, pixlime.ClassifierError)
    assert "samples 0..9" in str(e.value.__cause__)


def test_a_stage_callable_exception_propagates_unchanged_and_chained_to_a_stage_error(cat):
    class StageBroke(Exception):
        pass

    def broken(*args):
        raise StageBroke("stage broke")

    seg = grid_ids(224, 224, 4, 4)
    for stage in ("sampler", "kernel", "surrogate"):
        with pytest.raises(StageBroke, match="stage broke") as e:
            pixlime.explain(cat, planted, segments=seg, num_samples=10, **{stage: broken})
        cause = e.value.__cause__
        assert isinstance(cause, pixlime.StageError) and isinstance(cause, pixlime.Error) and isinstance(cause, RuntimeError)
        assert cause.parameter == "explain_options." + stage
        assert cause.value == "python threw: StageBroke: stage broke"
    # A sampler's result that is not a mask matrix: a StageError naming the stage.
    with pytest.raises(pixlime.StageError) as e:
        pixlime.explain(cat, planted, segments=seg, num_samples=10, sampler=lambda n, k, s: 7)
    assert e.value.parameter == "explain_options.sampler"


def test_the_gil_is_released_while_pixlime_works():
    # A Python thread counts while the main thread is inside a long C++ call: with the GIL held
    # it could only count in the few switch intervals around the call.
    big = np.random.RandomState(0).randint(0, 256, (600, 600, 3)).astype(np.uint8)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=counter)
    try:
        t.start()
        before = count[0]
        pixlime.quickshift(big, kernel_size=6)
        during = count[0] - before
    finally:
        stop.set()
        t.join()
        sys.setswitchinterval(old)
    assert during > 200_000, during


def run_script(tmp_path, code):
    """Runs `code` in a fresh interpreter (so that a crash fails this test, not the suite) and
    returns what it printed, stripped; a non-zero exit fails with its stderr."""
    script = tmp_path / "script.py"
    script.write_text(code)
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env=dict(os.environ))
    assert out.returncode == 0, (out.returncode, out.stderr)
    return out.stdout.strip()


def test_ctrl_c_stops_an_explanation_within_one_batch(tmp_path):
    # The classifier is C code (no Python bytecode runs while explain works), so only pixlime's own
    # check before each batch can turn the SIGINT into a KeyboardInterrupt. Left alone, this
    # explanation would take over half an hour (2^17 batches of ten 512x512 images): without the
    # check the script runs into the timeout and the test fails. The interrupt comes unchained,
    # as from interrupted Python code, raised in pixlime.explain.
    out = run_script(tmp_path, """
import functools, os, signal, sys, threading, traceback, numpy as np, pixlime
img = np.full((512, 512, 3), 1e-6, np.float32)
classify = functools.partial(np.add.reduce, axis=(1, 2, 3))
threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT)).start()
try:
    pixlime.explain(img, classify, segments=np.arange(512 * 512).reshape(512, 512) // 8192, num_samples=1 << 20,
                    batch_size=10, limits=pixlime.limits(max_explanation_bytes=1 << 34))
    print("finished")
except KeyboardInterrupt as e:
    last = traceback.extract_tb(sys.exc_info()[2])[-1]
    print("interrupted in", os.path.basename(last.filename), last.name, "cause", e.__cause__)
""")
    assert out == "interrupted in __init__.py explain cause None"


def test_ctrl_c_during_a_progress_callback_stops_it_too(tmp_path):
    out = run_script(tmp_path, """
import os, signal, numpy as np, pixlime
img = np.zeros((64, 64, 3), np.uint8)
def progress(done, total):
    if done >= 20:
        os.kill(os.getpid(), signal.SIGINT)
try:
    pixlime.explain(img, lambda b: np.zeros((len(b), 2)), segmenter="grid", num_samples=1000, progress=progress)
    print("finished")
except KeyboardInterrupt as e:
    print("interrupted, cause", e.__cause__)
""")
    assert out == "interrupted, cause None"


def test_a_classifier_may_keep_its_batches(tmp_path):
    # Each batch is a read-only view of a numpy array pixlime writes every batch into: an array the
    # classifier keeps stays valid after explain returns (it then holds the last batch's images).
    # Run in a subprocess: were it freed memory, reading it would crash the interpreter.
    out = run_script(tmp_path, """
import numpy as np, pixlime
img = np.arange(1, 1 + 48 * 40 * 3).reshape(40, 48, 3).astype(np.float32)
seg = (np.arange(40)[:, None] // 10) * 6 + np.arange(48)[None, :] // 8
kept = []
def classify(batch):
    kept.append(batch)
    return batch[:, :, :, 0].mean(axis=(1, 2))[:, None] * np.ones((1, 2)) / 5760
ex = pixlime.explain(img, classify, segments=seg, num_samples=95, batch_size=10, fill="constant")
del classify
import gc; gc.collect()
last = kept[-1]
expected = np.where(ex.samples[90:][:, ex.segments][..., None] == 1, img, 0)
assert last.shape == (5, 40, 48, 3) and not last.flags.writeable
assert np.array_equal(last, expected), "the kept batch is not the last batch's images"
assert np.array_equal(kept[0][:5], expected), "every kept batch is a view of the same memory"
print("kept batches readable")
""")
    assert out == "kept batches readable"


def test_torch_like_outputs_are_accepted(cat):
    class Tensor:  # what pixlime needs of a torch.Tensor: .detach().cpu().numpy()
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    seg = grid_ids(224, 224, 4, 4)
    a = pixlime.explain(cat, lambda b: Tensor(planted(b)), segments=seg, num_samples=40)
    b = pixlime.explain(cat, planted, segments=seg, num_samples=40)
    assert np.array_equal(a.predictions, b.predictions) and np.array_equal(a.weights(1), b.weights(1))
    torch = pytest.importorskip("torch", reason="python3-torch is not installed (the duck-typed tensor above stands in)")
    c = pixlime.explain(cat, lambda x: torch.from_numpy(planted(x)).requires_grad_(), segments=seg, num_samples=40)
    assert np.array_equal(c.weights(1), b.weights(1))


def test_every_explain_option_of_the_cpp_api_is_a_keyword_with_its_default():
    import inspect
    import re
    header = (Path(__file__).resolve().parents[2] / "include" / "pixlime" / "explain_options.hpp").read_text()
    body = re.search(r"struct explain_options \{(.*?)\n\};", header, re.S).group(1)
    # Deprecated members kept for one release (hide) are Python keywords only through their new name.
    body = re.sub(r"^\s+detail::renamed_\w+ \w+;$", "", body, flags=re.M)
    fields = dict(re.findall(r"^\s+(?!///)[\w:<>, ()]+?\b(\w+)(?: = ([^;]+))?;", body, re.M))
    assert {"num_samples", "seed", "fill", "progress", "limits"} <= fields.keys(), fields
    sig = inspect.signature(pixlime.explain)
    for name, default in fields.items():
        assert name in sig.parameters, name
        assert sig.parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        if default and default.startswith("pixlime::task::"):  # an enum: its name (to_string)
            assert sig.parameters[name].default == default.split("::")[-1], (name, default)
        elif default:
            assert sig.parameters[name].default == int(default), (name, default)
    assert set(sig.parameters) - set(fields) == {"image", "classifier", "segments"}


def test_help_shows_the_signature_and_defaults():
    doc = pixlime.explain.__doc__
    assert "num_samples" in doc and "lime: 1000" in doc
    import inspect
    sig = inspect.signature(pixlime.explain)
    assert sig.parameters["num_samples"].default == 1000 and sig.parameters["fill"].default == "segment_mean"
    stubs = Path(pixlime.__file__).with_name("__init__.pyi")
    assert stubs.exists() and "def explain(" in stubs.read_text()


def test_uncertainty_model_calls_and_the_adaptive_stop_reach_python(cat):
    seg = grid_ids(224, 224, 4, 4)
    ex = pixlime.explain(cat, planted, segments=seg, num_samples=300, sampler="paired", labels=[1])
    assert ex.model_calls == 300
    se = ex.standard_errors(1)
    assert se.shape == (16,) and (se > 0).all()
    iv = ex.weight_intervals(1, level=0.95)
    assert iv.shape == (16, 2)
    np.testing.assert_allclose(iv[:, 1] - ex.weights(1), 1.959963984540054 * se, rtol=1e-12)
    assert 0 <= ex.stability(1, k=3) <= 1
    assert not ex.target_reached
    fast = pixlime.explain(cat, planted, segments=seg, num_samples=2000, sampler="paired", labels=[1],
                           target_stability=0.9, stability_top_k=1)
    assert fast.target_reached and fast.model_calls < 2000
    with pytest.raises(pixlime.InvalidArgument, match="target_stability"):
        pixlime.explain(cat, planted, segments=seg, target_stability=2.0)


def test_shapley_kernel_gives_exact_shapley_values_through_python(cat):
    # Four grid segments, 16 <= num_samples: every mask is enumerated, so the weights are the exact
    # Shapley values, computed here from the model's outputs on all masks by their definition.
    from itertools import combinations
    from math import factorial
    seg = grid_ids(224, 224, 2, 2)
    ex = pixlime.explain(cat, planted, segments=seg, num_samples=64, fill="constant", labels=[1],
                         kernel=pixlime.shapley_kernel(), sampler="shapley")
    masks, outputs = ex.samples, ex.predictions[:, 1]
    value = {tuple(m): v for m, v in zip(masks.tolist(), outputs)}
    assert len(value) == 16
    exact = np.zeros(4)
    for j in range(4):
        others = [i for i in range(4) if i != j]
        for size in range(4):
            for subset in combinations(others, size):
                z = [1 if i in subset else 0 for i in range(4)]
                zj = list(z)
                zj[j] = 1
                exact[j] += factorial(size) * factorial(3 - size) / factorial(4) * (value[tuple(zj)] - value[tuple(z)])
    np.testing.assert_allclose(ex.weights(1), exact, atol=1e-12)
    assert abs(ex.intercept(1) - value[(0, 0, 0, 0)]) < 1e-14
    drawn = pixlime.explain(cat, planted, segments=grid_ids(224, 224, 4, 4), num_samples=300, labels=[1],
                            kernel=pixlime.shapley_kernel(alpha=0.0), sampler="shapley")
    assert abs(drawn.weights(1).sum() - (drawn.model_prediction(1) - drawn.intercept(1))) < 1e-12
    with pytest.raises(pixlime.InvalidArgument, match="shapley_kernel.alpha"):
        pixlime.explain(cat, planted, segments=seg, kernel=pixlime.shapley_kernel(alpha=-1.0))
