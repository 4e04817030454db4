"""pixlime.lime_image against lime 0.2.0.1: the numbers of tests/data/lime_image/ and, when lime's
source is beside the repository (../shared/vendor/lime) or on PYTHONPATH, lime itself live."""
import importlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pixlime
from pixlime import lime_image

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.environ.get("PIXLIME_TEST_DATA", os.path.join(REPO, "tests", "data"))
TOL = 1e-9


def _find_lime():
    vendored = os.path.join(REPO, "..", "shared", "vendor", "lime")
    if os.path.isdir(os.path.join(vendored, "lime")) and vendored not in sys.path:
        sys.path.append(vendored)
    try:
        return importlib.import_module("lime.lime_image")
    except ImportError:
        return None


lime = _find_lime()
needs_lime = pytest.mark.skipif(lime is None, reason="lime 0.2.0.1's source not found (../shared/vendor/lime "
                                "beside the repository, or on PYTHONPATH): live comparisons skipped")


def image(name, step=4):
    return pixlime.load_image(os.path.join(DATA, "images", name))[::step, ::step].copy()


def planted(images):
    red = images[:, 56:112, 56:112, 0].astype(np.float64)
    m = red.reshape(len(images), -1).sum(1) / (3136 * 255.0)
    p1 = 1 / (1 + np.exp(-10.0 * (m - 0.3)))
    return np.stack([1 - p1, p1], axis=1)


def grid8(img):
    y, x = np.mgrid[0:224, 0:224]
    return (y // 28) * 8 + x // 28


def five_classes(images):
    """A cheap classifier of 5 classes that depends on the segments unevenly (any dtype, any range)."""
    x = images.astype(np.float64)
    scale = 255.0 if x.max() > 2 else 1.0
    h, w, c = x.shape[1:4]
    r = x[:, : h // 3, : w // 3, 0].mean((1, 2)) / scale
    g = x[..., 1 % c].mean((1, 2)) / scale
    b = x[:, h // 2:, :, 2 % c].mean((1, 2)) / scale
    z = np.stack([r, g, b, r * g, 1 - b], 1) * 4
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def slic_fn(num_segments=30):
    cache = {}

    def segment(img):
        key = (img.shape, img.dtype.str, img.tobytes()[:64])
        if key not in cache:
            src = img if img.dtype in (np.uint8, np.float32) else img.astype(np.float32) / (255 if img.max() > 2 else 1)
            cache[key] = pixlime.slic(src, num_segments=num_segments).astype(np.int64)
        return cache[key].copy()
    return segment


# ---------------------------------------------------------------------------------------------
# The recorded numbers


@pytest.mark.parametrize("name,hide", [("planted_grid8_hide_black.json", 0), ("planted_grid8_hide_mean.json", None)])
def test_fixture_numbers(name, hide):
    with open(os.path.join(DATA, "lime_image", name)) as f:
        fixture = json.load(f)
    cat = pixlime.load_image(os.path.join(DATA, "images", "chelsea_224.png"))
    explainer = lime_image.LimeImageExplainer(kernel_width=0.25, feature_selection="auto", random_state=3)
    exp = explainer.explain_instance(cat, planted, hide_color=hide, top_labels=2, num_features=100000, num_samples=200,
                                     batch_size=10, segmentation_fn=grid8, distance_metric="cosine", random_seed=3,
                                     progress_bar=False)
    assert exp.top_labels == fixture["top_labels_result"]
    assert list(exp.local_exp) == fixture["top_labels_result"][::-1]  # lime fills them lowest first
    for label, ref in fixture["labels"].items():
        label = int(label)
        weights = dict(exp.local_exp[label])
        assert sorted(weights) == list(range(64))
        assert max(abs(weights[k] - w) for k, w in enumerate(ref["weights"])) < TOL
        assert [int(k) for k, _ in exp.local_exp[label]] == ref["local_exp_order"]
        assert abs(exp.intercept[label] - ref["intercept"]) < TOL
        assert abs(exp.score[label] - ref["score_r2"]) < TOL
        assert exp.local_pred[label].shape == (1,) and abs(exp.local_pred[label][0] - ref["local_pred"]) < TOL
        assert abs(planted(exp.image[None])[0, label] - ref["model_pred"]) < 1e-12
    # lime's data_labels: the masks and outputs of the recorded run.
    fudged = cat.copy()
    if hide is None:
        for s in range(64):
            fudged[grid8(cat) == s] = [np.mean(cat[grid8(cat) == s][:, c]) for c in range(3)]
    else:
        fudged[:] = hide
    data, outputs = lime_image.LimeImageExplainer(random_state=3).data_labels(cat, fudged, grid8(cat), planted, 200,
                                                                                progress_bar=False)
    assert data[:5].tolist() == fixture["mask_rows_0_to_4"]
    assert data.sum(1)[:20].tolist() == fixture["mask_row_sums_first_20"]
    assert np.abs(outputs[:5] - np.array(fixture["classifier_outputs_rows_0_to_4"])).max() < 1e-12


# ---------------------------------------------------------------------------------------------
# Live against lime


def assert_same(ours, theirs, tol=TOL):
    """Every result attribute of two ImageExplanations equal (numbers to tol, order where weights
    differ by more than tol, arrays exactly)."""
    assert np.array_equal(ours.segments, theirs.segments) and ours.segments.dtype == theirs.segments.dtype
    assert np.array_equal(ours.image, theirs.image) and ours.image.dtype == theirs.image.dtype
    assert hasattr(ours, "top_labels") == hasattr(theirs, "top_labels")
    if hasattr(theirs, "top_labels"):
        assert [int(x) for x in ours.top_labels] == [int(x) for x in theirs.top_labels]
    assert [int(x) for x in ours.local_exp] == [int(x) for x in theirs.local_exp]
    for label, exp in theirs.local_exp.items():
        mine = ours.local_exp[label]
        assert len(mine) == len(exp)
        assert {int(f) for f, _ in mine} == {int(f) for f, _ in exp}
        ref = dict(exp)
        assert max(abs(w - ref[f]) for f, w in mine) < tol
        magnitudes = [abs(w) for _, w in exp]
        for i, ((f, _), (g, _)) in enumerate(zip(mine, exp)):
            ties = [j for j, m in enumerate(magnitudes) if abs(m - magnitudes[i]) <= tol]
            if len(ties) == 1:
                assert int(f) == int(g), f"label {label}: feature {i} is {f}, lime's {g}"
        assert abs(ours.intercept[label] - theirs.intercept[label]) < tol
        assert abs(ours.score[label] - theirs.score[label]) < tol or (np.isnan(ours.score[label])
                                                                      and np.isnan(theirs.score[label]))
        assert np.shape(ours.local_pred[label]) == np.shape(theirs.local_pred[label])
        assert np.abs(np.asarray(ours.local_pred[label]) - np.asarray(theirs.local_pred[label])).max() < tol


def both(img, classifier=five_classes, explainer=None, **options):
    """(ours, lime's) for the same arguments; `explainer` holds constructor arguments."""
    options.setdefault("num_samples", 120)
    options.setdefault("progress_bar", False)
    results = []
    for module in (lime_image, lime):
        ex = module.LimeImageExplainer(**dict(explainer or {"random_state": 0}))
        results.append(ex.explain_instance(img, classifier, **options))
    return results


CASES = {
    "chelsea default, random_seed None": dict(img="chelsea_224.png", explainer={"random_state": 0}),
    "astronaut hide_color 0, random_seed 7": dict(img="astronaut_224.png", explainer={"random_state": 1},
                                                  hide_color=0, random_seed=7),
    "coffee hide_color array": dict(img="coffee_224.png", explainer={"random_state": 2},
                                    hide_color=np.array([10, 200, 30])),
    "rocket hide_color 128, batch 7": dict(img="rocket_224.png", explainer={"random_state": 3}, hide_color=128,
                                           batch_size=7, num_samples=61),
    "chelsea top_labels 2": dict(img="chelsea_224.png", explainer={"random_state": 4}, top_labels=2),
    "astronaut labels, no top_labels": dict(img="astronaut_224.png", explainer={"random_state": 5}, top_labels=None,
                                            labels=(3, 0, 3)),
    "coffee euclidean, kernel_width 2": dict(img="coffee_224.png", explainer={"random_state": 6, "kernel_width": 2},
                                             distance_metric="euclidean"),
    "rocket own kernel": dict(img="rocket_224.png",
                              explainer={"random_state": 7, "kernel": lambda d, kernel_width: 1 / (1 + d / kernel_width)}),
    "chelsea global RandomState": dict(img="chelsea_224.png", explainer={"random_state": None}, seed_global=11),
    "astronaut RandomState object": dict(img="astronaut_224.png", explainer={"random_state": "object"}),
    "coffee ids not in raster order": dict(img="coffee_224.png", explainer={"random_state": 14}, reverse_ids=True),
}


@needs_lime
@pytest.mark.parametrize("case", list(CASES))
def test_live_images_and_options(case):
    options = dict(CASES[case])
    img = image(options.pop("img"))
    seed_global = options.pop("seed_global", None)
    constructor = dict(options.pop("explainer"))
    segment = slic_fn()
    if options.pop("reverse_ids", False):
        # pixlime numbers segments by first appearance; lime's column j is id j whatever its place.
        segment = lambda img, base=segment: base(img).max() - base(img)  # noqa: E731
    results = []
    for module in (lime_image, lime):
        if seed_global is not None:
            np.random.seed(seed_global)
        kw = dict(constructor)
        if kw.get("random_state") == "object":
            kw["random_state"] = np.random.RandomState(42)
        ex = module.LimeImageExplainer(**kw)
        results.append(ex.explain_instance(img, five_classes, segmentation_fn=segment,
                                           **{"num_samples": 120, "progress_bar": False, **options}))
    assert_same(*results)


@needs_lime
@pytest.mark.parametrize("kind", ["gray", "float64", "float32", "int16", "float64 hide_color 0.25", "rgba hide_color 0",
                                  "one channel hide_color 9", "float16"])
def test_live_image_kinds(kind):
    img = image("chelsea_224.png")
    options = {}
    if kind == "gray":
        img = img.mean(2).astype(np.uint8)
    elif kind.startswith("float64"):
        img = img.astype(np.float64) / 255
        if "hide_color" in kind:
            options["hide_color"] = 0.25
    elif kind == "float32":
        img = img.astype(np.float32) / 255
    elif kind == "int16":
        img = img.astype(np.int16) * 3 - 100
    elif kind == "float16":
        img = (img / 255).astype(np.float16)
    elif kind == "rgba hide_color 0":
        img = np.dstack([img, img[..., :1]])
        options["hide_color"] = 0
    elif kind == "one channel hide_color 9":
        img = img[..., 1:2].copy()
        options["hide_color"] = 9
    seen = {}
    for name, module in (("ours", lime_image), ("lime", lime)):
        batches = []

        def classifier(x, batches=batches):
            batches.append(x.copy())
            return five_classes(x)
        ex = module.LimeImageExplainer(random_state=8)
        seen[name] = (ex.explain_instance(img, classifier, segmentation_fn=slic_fn(), num_samples=60,
                                          progress_bar=False, **options), batches)
    assert_same(seen["ours"][0], seen["lime"][0])
    # The classifier sees exactly lime's batches, in the image's dtype (gray: made RGB).
    assert len(seen["ours"][1]) == len(seen["lime"][1])
    for a, b in zip(seen["ours"][1], seen["lime"][1]):
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b)


@needs_lime
@pytest.mark.parametrize("mode,num_features,name", [
    ("auto", 5, "coffee"), ("auto", 6, "coffee"), ("auto", 7, "coffee"), ("auto", 10, "coffee"), ("none", 5, "coffee"),
    ("highest_weights", 8, "coffee"), ("forward_selection", 4, "coffee"), ("lasso_path", 6, "coffee"),
    ("lasso_path", 100, "coffee"), ("forward_selection", 100, "coffee"),
    # where forward selection's Ridge(alpha=0) picks other features than a regularised one would
    ("auto", 5, "astronaut"), ("forward_selection", 3, "astronaut")])
@pytest.mark.parametrize("random_seed", [None, 3])
def test_live_feature_selection(mode, num_features, name, random_seed):
    img = image(name + "_224.png")  # coffee: forward_selection and highest_weights pick differently
    ours, theirs = both(img, explainer={"random_state": 9, "feature_selection": mode}, segmentation_fn=slic_fn(20),
                        num_features=num_features, random_seed=random_seed, num_samples=80, top_labels=3)
    assert_same(ours, theirs)
    if num_features < 20 and mode != "none":
        assert all(len(e) <= num_features for e in ours.local_exp.values())


@needs_lime
@pytest.mark.parametrize("regressor", ["ridge", "lasso", "linear"])
def test_live_model_regressor(regressor):
    from sklearn.linear_model import Lasso, LinearRegression, Ridge
    make = {"ridge": lambda: Ridge(alpha=0.5), "lasso": lambda: Lasso(alpha=1e-5),
            "linear": lambda: LinearRegression()}[regressor]
    img = image("coffee_224.png")
    calls = {}
    results = []
    for module in (lime_image, lime):
        model = make()
        fit = model.fit
        calls[module.__name__] = seen = []

        def recording_fit(X, y, sample_weight=None, fit=fit, seen=seen):
            seen.append((X.copy(), y.copy(), sample_weight.copy()))
            return fit(X, y, sample_weight=sample_weight)
        model.fit = recording_fit
        ex = module.LimeImageExplainer(random_state=10)
        results.append(ex.explain_instance(img, five_classes, segmentation_fn=slic_fn(), num_samples=90,
                                           model_regressor=model, progress_bar=False, top_labels=2))
    assert_same(*results)
    ours, theirs = calls.values()
    assert len(ours) == len(theirs) == 2
    for (xa, ya, wa), (xb, yb, wb) in zip(ours, theirs):
        assert xa.dtype == xb.dtype and np.array_equal(xa, xb)
        assert np.abs(ya - yb).max() < 1e-12 and np.abs(wa - wb).max() < 1e-12


@needs_lime
def test_live_sequence_of_calls_draws_like_lime():
    """One explainer, several calls: the RandomState advances as lime's does (the random_seed draw
    when random_seed is None, then the masks)."""
    imgs = [image("chelsea_224.png"), image("rocket_224.png")]
    runs = []
    for module in (lime_image, lime):
        ex = module.LimeImageExplainer(random_state=12)
        runs.append([ex.explain_instance(imgs[0], five_classes, segmentation_fn=slic_fn(), num_samples=50,
                                         progress_bar=False),
                     ex.explain_instance(imgs[1], five_classes, segmentation_fn=slic_fn(), num_samples=70,
                                         progress_bar=False, random_seed=5),
                     ex.explain_instance(imgs[0], five_classes, segmentation_fn=slic_fn(), num_samples=40,
                                         progress_bar=False)])
        runs[-1].append(ex.random_state.randint(0, 2 ** 31))
    assert runs[0][3] == runs[1][3]
    for a, b in zip(runs[0][:3], runs[1][:3]):
        assert_same(a, b)


@needs_lime
@pytest.mark.parametrize("shift", ["ids 1..K", "ids with a gap"])
def test_live_segment_ids_not_0_to_k_minus_1(shift):
    """lime assumes ids 0..K-1; with other ids its behaviour (column j is id j, other pixels never
    hidden) is kept."""
    base = slic_fn()

    def segment(img):
        s = base(img)
        return s + 1 if shift == "ids 1..K" else np.where(s >= 5, s + 3, s)
    img = image("chelsea_224.png")
    ours, theirs = both(img, segmentation_fn=segment, num_samples=70)
    assert_same(ours, theirs)


@needs_lime
@pytest.mark.parametrize("kind", ["uint8", "float64"])
def test_live_single_segment(kind):
    """One segment: pixlime's core wants two, so this runs in numpy, as lime computes it."""
    img = image("coffee_224.png")
    img = img if kind == "uint8" else img / 255.0
    ours, theirs = both(img, segmentation_fn=lambda i: np.zeros(i.shape[:2], np.int64), num_samples=30)
    assert_same(ours, theirs)


@needs_lime
@pytest.mark.filterwarnings("ignore::UserWarning")  # scikit-learn: R^2 of one sample is not defined
@pytest.mark.parametrize("kind", ["uint8", "float64"])
@pytest.mark.parametrize("num_samples", [1, 2])
def test_live_fewest_samples(kind, num_samples):
    img = image("rocket_224.png")
    img = img if kind == "uint8" else img / 255.0
    ours, theirs = both(img, segmentation_fn=slic_fn(), num_samples=num_samples)
    assert_same(ours, theirs)


@needs_lime
@pytest.mark.parametrize("output", ["float64", "float32", "2-D image"])
def test_live_data_labels(output):
    img = image("rocket_224.png")
    seg = slic_fn()(img)
    if output == "2-D image":  # lime's data_labels takes it as it is
        img = img[..., 0].copy()
    fudged = img.copy()
    fudged[:] = 0

    def classifier(x):
        x = x if x.ndim == 4 else x[..., None]
        return five_classes(x).astype(np.float32 if output == "float32" else np.float64)
    a = lime_image.LimeImageExplainer(random_state=13).data_labels(img, fudged, seg, classifier, 33, batch_size=4,
                                                                   progress_bar=False)
    b = lime.LimeImageExplainer(random_state=13).data_labels(img, fudged, seg, classifier, 33, batch_size=4,
                                                            progress_bar=False)
    assert a[0].dtype == b[0].dtype and np.array_equal(a[0], b[0])
    assert a[1].dtype == b[1].dtype and np.array_equal(a[1], b[1])


@needs_lime
@pytest.mark.parametrize("kind", ["uint8", "float64"])
def test_live_classifier_owns_its_input(kind):
    """As in lime, each batch is a fresh writable array: a classifier may change it in place and
    keep it."""
    img = image("chelsea_224.png")
    img = img if kind == "uint8" else img / 255.0
    kept = {}
    for name, module in (("ours", lime_image), ("lime", lime)):
        kept[name] = batches = []

        def classifier(x, batches=batches):
            out = five_classes(x)
            x += 1
            batches.append(x)
            return out
        module.LimeImageExplainer(random_state=15).explain_instance(img, classifier, segmentation_fn=slic_fn(),
                                                                    num_samples=40, progress_bar=False)
    assert len(kept["ours"]) == len(kept["lime"]) == 4
    for a, b in zip(kept["ours"], kept["lime"]):
        assert a.flags.writeable and np.array_equal(a, b)


# ---------------------------------------------------------------------------------------------
# get_image_and_mask


def fixed_explanation(module, img, segments, local_exp):
    e = module.ImageExplanation(img, segments)
    for label, exp in local_exp.items():
        e.local_exp[label] = list(exp)
    return e


@needs_lime
@pytest.mark.parametrize("image_kind", ["uint8", "float64", "gray", "int32 segments"])
def test_live_get_image_and_mask_every_flag(image_kind):
    img = image("astronaut_224.png")
    segment = slic_fn()
    if image_kind == "int32 segments":  # the mask takes the segments' dtype
        segment = lambda i, base=segment: base(i).astype(np.int32)  # noqa: E731
    if image_kind == "float64":
        img = img.astype(np.float64) / 255
    elif image_kind == "gray":
        img = img.mean(2).astype(np.uint8)
    ours, theirs = both(img, segmentation_fn=segment, num_samples=80, top_labels=2)
    assert_same(ours, theirs)
    # The same local_exp in both (bit for bit), so the arrays can be compared element for element.
    mine = fixed_explanation(lime_image, ours.image, ours.segments, ours.local_exp)
    ref = fixed_explanation(lime, ours.image, ours.segments, ours.local_exp)
    label = ours.top_labels[0]
    magnitudes = sorted(abs(w) for _, w in ours.local_exp[label])
    checked = 0
    for positive_only in (True, False):
        for negative_only in (True, False):
            for hide_rest in (True, False):
                for num_features in (1, 3, 100):
                    for min_weight in (0.0, magnitudes[len(magnitudes) // 2]):
                        kw = dict(positive_only=positive_only, negative_only=negative_only, hide_rest=hide_rest,
                                  num_features=num_features, min_weight=min_weight)
                        if positive_only and negative_only:
                            with pytest.raises(ValueError):
                                ref.get_image_and_mask(label, **kw)
                            with pytest.raises(ValueError):
                                mine.get_image_and_mask(label, **kw)
                            continue
                        t1, m1 = mine.get_image_and_mask(label, **kw)
                        t2, m2 = ref.get_image_and_mask(label, **kw)
                        assert t1.dtype == t2.dtype and t1.shape == t2.shape and np.array_equal(t1, t2), kw
                        assert m1.dtype == m2.dtype and np.array_equal(m1, m2), kw
                        checked += 1
    assert checked == 36
    with pytest.raises(KeyError):
        mine.get_image_and_mask(99)
    # Defaults: lime's positive_only=True, num_features=5.
    assert all(np.array_equal(a, b) for a, b in zip(mine.get_image_and_mask(label), ref.get_image_and_mask(label)))


def test_get_image_and_mask_by_hand():
    img = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
    seg = np.repeat(np.arange(4, dtype=np.int16), 4).reshape(4, 4)
    e = lime_image.ImageExplanation(img, seg)
    e.local_exp[0] = [(2, 0.5), (0, -0.4), (3, 0.2), (1, -0.1)]
    temp, mask = e.get_image_and_mask(0, num_features=5, hide_rest=True)
    assert temp.dtype == np.float64 and mask.dtype == np.int16 and mask.tolist() == [[0] * 4, [0] * 4, [1] * 4, [1] * 4]
    assert np.array_equal(temp[2:], img[2:]) and not temp[:2].any()
    temp, mask = e.get_image_and_mask(0, positive_only=False, num_features=3, min_weight=0.3)
    assert mask.tolist() == [[-1] * 4, [0] * 4, [1] * 4, [0] * 4]
    assert (temp[2, :, 1] == img.max()).all() and (temp[0, :, 0] == img.max()).all()
    assert np.array_equal(temp[3], img[3]) and np.array_equal(temp[2, :, [0, 2]], img[2, :, [0, 2]])
    _, mask = e.get_image_and_mask(0, positive_only=False, negative_only=True, num_features=1)
    assert mask.tolist() == [[1] * 4, [0] * 4, [0] * 4, [0] * 4]


# ---------------------------------------------------------------------------------------------
# segmentation_fn=None, progress_bar, errors, independence from lime


def test_default_segmentation_is_pixlime_quickshift_with_lime_parameters():
    img = image("coffee_224.png", step=2)
    ex = lime_image.LimeImageExplainer(random_state=0)
    exp = ex.explain_instance(img, five_classes, num_samples=30, progress_bar=False)
    expected = pixlime.quickshift(img, kernel_size=4, max_dist=200, ratio=0.2)
    assert np.array_equal(exp.segments, expected) and exp.segments.dtype == np.int64
    assert len(dict(exp.local_exp[exp.top_labels[0]])) == expected.max() + 1


@needs_lime
def test_default_segmentation_draws_random_seed_and_is_close_to_scikit_image():
    from sklearn.metrics import adjusted_rand_score
    img = image("chelsea_224.png", step=2)
    ours = lime_image.LimeImageExplainer(random_state=1)
    theirs = lime.LimeImageExplainer(random_state=1)
    a = ours.explain_instance(img, five_classes, num_samples=20, progress_bar=False)
    b = theirs.explain_instance(img, five_classes, num_samples=20, progress_bar=False)
    ka, kb = a.segments.max() + 1, b.segments.max() + 1
    agreement = adjusted_rand_score(b.segments.ravel(), a.segments.ravel())
    print(f"quickshift 112x112: pixlime {ka} segments, scikit-image {kb}; adjusted Rand index {agreement:.4f}")
    assert abs(int(ka) - int(kb)) <= max(2, kb // 10) and agreement > 0.9
    if ka == kb:  # then both drew random_seed and the same number of mask bits
        assert ours.random_state.randint(0, 2 ** 31) == theirs.random_state.randint(0, 2 ** 31)


def test_progress_bar(capsys):
    img = image("rocket_224.png")
    for kind in (img, img.astype(np.float64)):  # pixlime's core, and the numpy path
        quiet = lime_image.LimeImageExplainer(random_state=2).explain_instance(
            kind, five_classes, segmentation_fn=slic_fn(), num_samples=40, progress_bar=False)
        assert capsys.readouterr().err == ""
        shown = lime_image.LimeImageExplainer(random_state=2).explain_instance(
            kind, five_classes, segmentation_fn=slic_fn(), num_samples=40)  # lime's default: progress_bar=True
        err = capsys.readouterr().err
        assert "40/40" in err, err
        assert_same(shown, quiet, tol=1e-15)  # the bar changes nothing else


@pytest.mark.parametrize("call,parameter", [
    (lambda e, img: e.explain_instance([[1, 2]], five_classes), "image"),
    (lambda e, img: e.explain_instance(img[None], five_classes), "image shape"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=lambda i: np.zeros((3, 3), int)),
     "segmentation_fn result"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=lambda i: np.zeros(i.shape[:2])),
     "segmentation_fn result"),
    (lambda e, img: e.explain_instance(np.dstack([img, img[..., :1]]), five_classes, segmentation_fn=slic_fn()),
     "hide_color"),
    (lambda e, img: e.explain_instance(img, lambda x: five_classes(x)[:, 0], segmentation_fn=slic_fn()),
     "classifier_fn result shape"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=slic_fn(), top_labels=None, labels=(7,)),
     "labels"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=slic_fn(), top_labels=None, labels=(-1,)),
     "labels"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=slic_fn(), num_samples=0), "num_samples"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=slic_fn(), batch_size=0), "batch_size"),
    (lambda e, img: e.explain_instance(img, five_classes, segmentation_fn=slic_fn(), top_labels=-1), "top_labels"),
    (lambda e, img: lime_image.LimeImageExplainer(random_state="seven"), "LimeImageExplainer random_state"),
    (lambda e, img: lime_image.LimeImageExplainer(feature_selection="best"), "LimeImageExplainer feature_selection"),
])
def test_clear_errors(call, parameter):
    img = image("chelsea_224.png")
    with pytest.raises(pixlime.InvalidArgument) as info:
        call(lime_image.LimeImageExplainer(random_state=0), img)
    assert info.value.parameter == parameter
    assert str(info.value).startswith(f"pixlime: {parameter} = ")


def test_lasso_path_without_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.linear_model", None)
    ex = lime_image.LimeImageExplainer(random_state=0, feature_selection="lasso_path")
    with pytest.raises(pixlime.InvalidArgument, match="scikit-learn"):
        ex.explain_instance(image("chelsea_224.png"), five_classes, segmentation_fn=slic_fn(), num_samples=30,
                            num_features=3, progress_bar=False)


def test_lime_is_not_imported():
    code = ("import sys, numpy as np, pixlime; from pixlime import lime_image\n"
            "img = np.zeros((32, 32, 3), np.uint8); img[:, 16:] = 200; img[8:20, 4:12, 1] = 90\n"
            "e = lime_image.LimeImageExplainer(random_state=0).explain_instance(img, lambda x: x.mean((1, 2)), "
            "num_samples=20, progress_bar=False)\n"
            "assert e.top_labels\n"
            "print(sorted(m for m in sys.modules if m == 'lime' or m.startswith(('lime.', 'sklearn', 'skimage'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={
        **os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(pixlime.__file__))})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_switch_by_one_import_line():
    """docs/lime.md's example (readme_python runs the page's own copy): lime's code unchanged but
    for the import, with lime's answer where lime is present."""
    import numpy as np
    import pixlime
    from pixlime import lime_image  # was: from lime import lime_image

    image = pixlime.load_image(os.path.join(DATA, "images", "chelsea_224.png"))

    def classifier_fn(images):  # (n, H, W, 3) uint8 -> (n, classes)
        red = images[..., 0].mean(axis=(1, 2)) / 255
        return np.stack([red, 1 - red], axis=1)

    explainer = lime_image.LimeImageExplainer(random_state=0)
    explanation = explainer.explain_instance(image, classifier_fn, top_labels=2, num_samples=200)
    temp, mask = explanation.get_image_and_mask(explanation.top_labels[0], positive_only=True, num_features=5,
                                                hide_rest=False)
    assert temp.shape == image.shape and mask.shape == image.shape[:2] and set(np.unique(mask)) <= {0, 1}
    assert 1 <= len(np.unique(explanation.segments[mask == 1])) <= 5
    if lime is not None:  # and lime's own answer is the same
        theirs = lime.LimeImageExplainer(random_state=0).explain_instance(
            image, classifier_fn, top_labels=2, num_samples=200, progress_bar=False,
            segmentation_fn=lambda im: explanation.segments)  # pixlime's quickshift segments
        assert all(np.array_equal(a, b) for a, b in zip(
            theirs.get_image_and_mask(theirs.top_labels[0], positive_only=True, num_features=5), (temp, mask)))


@needs_lime
def test_live_verbose(capsys):
    img = image("rocket_224.png")
    printed = []
    for module in (lime_image, lime):
        module.LimeImageExplainer(random_state=16, verbose=True).explain_instance(
            img, five_classes, segmentation_fn=slic_fn(), num_samples=30, top_labels=2, progress_bar=False)
        printed.append(capsys.readouterr().out.splitlines())
    ours, theirs = printed
    assert len(ours) == len(theirs) == 6
    for a, b in zip(ours, theirs):
        word_a, _, value_a = a.partition(" ")
        word_b, _, value_b = b.partition(" ")
        assert word_a == word_b
        assert abs(float(value_a.strip("[](), ")) - float(value_b.strip("[](), "))) < 1e-9


@needs_lime
@pytest.mark.parametrize("classes", [6, 40])
def test_live_tied_outputs(classes):
    """Classes with equal outputs on the image: lime's np.argsort order decides the top labels; the
    labels pixlime's own top-label choice left out are fitted in numpy."""
    def tied(x):
        p = five_classes(x)
        rest = np.repeat(p[:, 4:5] / (classes - 3), classes - 3, axis=1)
        return np.hstack([p[:, :3] * 0 + rest[:, :3], rest])  # every class equal at row 0 but by a hair
    img = image("coffee_224.png")
    ours, theirs = both(img, classifier=tied, segmentation_fn=slic_fn(), num_samples=40, top_labels=5)
    assert_same(ours, theirs)
