"""pixlime.explain_detections and pixlime.explain_segmentation through the Python module, on planted
models whose ground truth is known: a detector that finds a red and a blue square (box and score from
the square's pixels still in the image) explains each square's detection by that square's grid cells,
the other square's cells weighing < 5 % of them, in both output layouts, with targets given or found
on the image (min_score), from one set of detector calls; a segmentation model whose class scores
depend only on a square's pixels explains each class by its square, nchw and nhwc alike; torch
tensors are accepted; every error names its parameter."""
import numpy as np
import pytest

import pixlime

# 96 x 96 grey, a red square at [16, 48)^2 and a blue one at [64, 96)^2: on a 6 x 6 grid of 16-pixel
# cells, red covers cells 7, 8, 13, 14 and blue 28, 29, 34, 35 (as tests/test_detection.cpp).
IMAGE = np.full((96, 96, 3), 90, np.uint8)
IMAGE[16:48, 16:48] = (220, 20, 10)
IMAGE[64:96, 64:96] = (10, 20, 220)
GRID = pixlime.grid(IMAGE, cells_x=6, cells_y=6)
RED_CELLS, BLUE_CELLS = {7, 8, 13, 14}, {28, 29, 34, 35}
RED_BOX, BLUE_BOX = (16.0, 16.0, 32.0, 32.0), (64.0, 64.0, 32.0, 32.0)
OPTIONS = dict(segments=GRID, fill="constant", num_samples=400, seed=5)


def squares(image):
    """[(class, x1, y1, x2, y2, share of the square's 1024 pixels present)] for the red (class 1)
    and the blue (class 2) pixels found in one (H, W, 3) image."""
    r, b = image[..., 0].astype(int), image[..., 2].astype(int)
    found = []
    for label, mask in ((1, (r > 128) & (b < 64)), (2, (b > 128) & (r < 64))):
        ys, xs = np.nonzero(mask)
        if len(xs):
            found.append((label, xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, len(xs) / 1024))
    return found


class Detector:
    """The planted detector, in torchvision's layout or YOLO's (one pre-NMS row per square, two
    classes: red, blue), counting the images it sees."""

    def __init__(self, layout="torchvision", array=np.asarray):
        self.layout, self.array, self.images, self.calls = layout, array, 0, 0

    def __call__(self, batch):
        self.calls += 1
        self.images += len(batch)
        if self.layout == "torchvision":
            out = []
            for image in batch:
                found = squares(image)
                out.append({"boxes": self.array(np.array([f[1:5] for f in found], np.float32).reshape(-1, 4)),
                            "labels": self.array(np.array([f[0] for f in found], np.int64)),
                            "scores": self.array(np.array([f[5] for f in found], np.float32))})
            return out
        rows = np.zeros((len(batch), 2, 7), np.float32)  # a row that finds nothing: objectness 0
        for i, image in enumerate(batch):
            for j, (label, x1, y1, x2, y2, share) in enumerate(squares(image)):
                rows[i, j] = ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1, share,
                              1.0 if label == 1 else 0.0, 1.0 if label == 2 else 0.0)
        return self.array(rows)


def top(weights, k=4):
    return set(np.argsort(-weights, kind="stable")[:k].tolist())


def assert_square_explains_its_target(ex, label, own, other):
    w = ex.weights(label)
    assert top(w) == own, (label, np.round(w.reshape(6, 6), 3))
    least = min(w[c] for c in own)
    assert least > 0
    assert all(abs(w[c]) < 0.05 * least for c in other), (label, np.round(w.reshape(6, 6), 3))


@pytest.mark.parametrize("layout", ["torchvision", "yolo"])
def test_each_detection_is_explained_by_its_square(layout):
    detector = Detector(layout)
    if layout == "torchvision":
        targets = [{"box": RED_BOX, "label": 1}, {"box": BLUE_BOX, "label": 2}]
    else:
        targets = [{"box": RED_BOX, "class_scores": [1, 0]}, {"box": BLUE_BOX, "class_scores": [0, 1]}]
    ex = pixlime.explain_detections(IMAGE, detector, targets=targets, layout=layout, batch_size=20, **OPTIONS)
    assert ex.labels == [0, 1] and ex.task == "classification"
    assert_square_explains_its_target(ex, 0, RED_CELLS, BLUE_CELLS)
    assert_square_explains_its_target(ex, 1, BLUE_CELLS, RED_CELLS)
    # One set of detector calls for both targets: every sample once, in batches of 20.
    assert detector.images == 400 and detector.calls == 20 and ex.model_calls == 400
    assert [t["box"] for t in ex.targets] == [RED_BOX, BLUE_BOX]
    # The unperturbed image scores 1 for each target (IoU 1, all pixels, same class).
    np.testing.assert_allclose(ex.predictions[0], [1.0, 1.0])


def test_targets_none_takes_one_yolo_row_per_object():
    """YOLO's pre-NMS rows: each square found twice, the second row shifted by 2 pixels with 0.9 of
    the objectness; targets=None keeps the most confident row of each (non-maximum suppression)."""
    planted = Detector("yolo")

    def twice(batch):
        rows = planted(batch)
        shifted = rows.copy()
        shifted[..., 0] += 2
        shifted[..., 4] *= 0.9
        return np.concatenate([shifted, rows], axis=1)

    ex = pixlime.explain_detections(IMAGE, twice, layout="yolo", **OPTIONS)
    assert [t["box"] for t in ex.targets] == [RED_BOX, BLUE_BOX]
    assert_square_explains_its_target(ex, 0, RED_CELLS, BLUE_CELLS)


@pytest.mark.parametrize("layout", ["torchvision", "yolo"])
def test_targets_none_finds_every_detection_scoring_min_score(layout):
    detector = Detector(layout)
    ex = pixlime.explain_detections(IMAGE, detector, layout=layout, **OPTIONS)
    assert detector.images == 401  # the image alone once, then the samples
    assert [t["box"] for t in ex.targets] == [RED_BOX, BLUE_BOX]
    assert all(t["score"] == 1.0 for t in ex.targets)
    if layout == "torchvision":
        assert [t["label"] for t in ex.targets] == [1, 2]
    else:
        np.testing.assert_array_equal(ex.targets[0]["class_scores"], [1, 0])
    assert_square_explains_its_target(ex, 0, RED_CELLS, BLUE_CELLS)
    assert_square_explains_its_target(ex, 1, BLUE_CELLS, RED_CELLS)
    # The same explanation as with the targets given: ex.targets is the form targets= takes.
    again = pixlime.explain_detections(IMAGE, Detector(layout), targets=ex.targets, layout=layout, **OPTIONS)
    np.testing.assert_array_equal(again.predictions, ex.predictions)


def test_min_score_picks_the_targets():
    half_red = IMAGE.copy()
    half_red[16:32, 16:48] = 90  # half of the red square gone: its detection scores 0.5
    ex = pixlime.explain_detections(half_red, Detector(), min_score=0.6, **OPTIONS)
    assert [t["label"] for t in ex.targets] == [2]
    assert ex.task == "regression" and ex.labels == [0]  # one target: its score is the value explained
    assert top(ex.weights(0)) == BLUE_CELLS
    ex = pixlime.explain_detections(half_red, Detector(), min_score=0.5, **OPTIONS)
    assert [t["label"] for t in ex.targets] == [1, 2]
    with pytest.raises(pixlime.InvalidArgument) as e:
        pixlime.explain_detections(half_red, Detector(), min_score=1.5, **OPTIONS)
    assert e.value.parameter == "min_score" and e.value.value == "1.5" and "1" in e.value.expected
    grey = np.full_like(IMAGE, 90)
    with pytest.raises(pixlime.InvalidArgument) as e:
        pixlime.explain_detections(grey, Detector(), **OPTIONS)
    assert e.value.parameter == "targets" and e.value.value == "None" and "finds nothing" in e.value.expected


def test_the_detector_gets_the_batches_model_input_asks_for():
    shapes = []

    def nchw_detector(batch):
        shapes.append((batch.dtype, batch.shape))
        return Detector()(np.ascontiguousarray(batch.transpose(0, 2, 3, 1)) * 255)

    ex = pixlime.explain_detections(IMAGE, nchw_detector, model_input={"to_float": True, "layout": "nchw", "scale": 1 / 255},
                                    **OPTIONS)
    assert shapes[0] == (np.float32, (1, 3, 96, 96))  # the image alone, for targets=None
    assert all(s == (np.float32, (10, 3, 96, 96)) for s in shapes[1:])
    assert top(ex.weights(0)) == RED_CELLS and top(ex.weights(1)) == BLUE_CELLS


def test_the_scoring_is_the_cpp_one():
    red, blue = {"box": RED_BOX, "label": 1}, {"box": BLUE_BOX, "label": 2}
    assert pixlime.iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    half = {"box": (16, 16, 32, 16), "label": 1, "score": 0.5}
    np.testing.assert_allclose(pixlime.drise_scores([red, blue], [half]), [0.5 * 0.5, 0.0])
    found = pixlime.detections_from_torchvision([[16, 16, 48, 48], [64, 64, 96, 96]], [1, 2], [0.9, 0.3], min_score=0.5)
    assert found == [{"box": RED_BOX, "score": pytest.approx(0.9), "label": 1}]
    rows = np.array([[32, 32, 32, 32, 0.8, 0.9, 0.1], [80, 80, 32, 32, 0.2, 0.1, 0.9]])
    found = pixlime.detections_from_yolo(rows, min_objectness=0.5)
    assert len(found) == 1 and found[0]["box"] == RED_BOX and found[0]["score"] == pytest.approx(0.8)
    np.testing.assert_allclose(found[0]["class_scores"], [0.9, 0.1])


def test_detection_errors_name_the_parameter():
    def invalid(parameter, **kw):
        with pytest.raises(pixlime.InvalidArgument) as e:
            pixlime.explain_detections(IMAGE, Detector(), **{**OPTIONS, **kw})
        assert e.value.parameter == parameter, (parameter, str(e.value))
        return e.value

    e = invalid("targets[0] box", targets=[{"box": (1, 2, 3), "label": 1}])
    assert "(x, y, w, h)" in e.expected
    invalid("targets[0] box", targets=[{"box": (1, 2, -3, 4), "label": 1}])
    invalid("targets[1]", targets=[{"box": RED_BOX, "label": 1}, {"box": BLUE_BOX}])
    invalid("targets[0] key", targets=[{"box": RED_BOX, "label": 1, "colour": "red"}])
    invalid("targets[0] label", targets=[{"box": RED_BOX, "label": -1}])
    invalid("targets", targets=[])
    e = invalid("layout", layout="detr")
    assert e.value == "detr" and "'torchvision'" in e.expected and "'yolo'" in e.expected
    e = invalid("labels", labels=[0])
    assert "one output per target" in e.expected
    invalid("task", task="regression")
    invalid("top_labels", top_labels=2)
    with pytest.raises(TypeError, match="explain_detections.*no_such_option"):
        pixlime.explain_detections(IMAGE, Detector(), no_such_option=1)
    # A detector that returns another layout: pixlime.ClassifierError, the reason named.
    with pytest.raises(pixlime.ClassifierError) as e:
        pixlime.explain_detections(IMAGE, Detector("yolo"), targets=[{"box": RED_BOX, "label": 1}], **OPTIONS)
    assert "detector result" in str(e.value)
    with pytest.raises(pixlime.InvalidArgument) as e:  # targets=None: the first call says it directly
        pixlime.explain_detections(IMAGE, Detector("torchvision"), layout="yolo", **OPTIONS)
    assert e.value.parameter.startswith("detector result")

    class Boom(Exception):
        pass

    def broken(batch):
        raise Boom("no detector today")

    with pytest.raises(Boom):
        pixlime.explain_detections(IMAGE, broken, targets=[{"box": RED_BOX, "label": 1}], **OPTIONS)


# Segmentation: 96 x 96 grey with a green square at [16, 48)^2 (cells 7, 8, 13, 14) and a yellow one at
# [64, 96)^2 (cells 28, 29, 34, 35). The model's score maps are at half resolution, 48 x 48, 3 classes:
# background 0.5 everywhere; class 1 at an output pixel the share of its 2 x 2 input pixels that are
# green, class 2 the share that are yellow: each class's scores depend only on its square's pixels.
SEG_IMAGE = np.full((96, 96, 3), 90, np.uint8)
SEG_IMAGE[16:48, 16:48] = (20, 220, 20)
SEG_IMAGE[64:96, 64:96] = (220, 220, 20)
GREEN_CELLS, YELLOW_CELLS = RED_CELLS, BLUE_CELLS


def score_maps(batch, layout="nchw"):
    b = np.asarray(batch).astype(np.int16)
    green = ((b[..., 1] > 128) & (b[..., 0] < 64)).astype(np.float64)
    yellow = ((b[..., 1] > 128) & (b[..., 0] > 128)).astype(np.float64)
    pool = lambda m: m.reshape(len(b), 48, 2, 48, 2).mean(axis=(2, 4))  # noqa: E731
    maps = np.stack([np.full((len(b), 48, 48), 0.5), pool(green), pool(yellow)], axis=1)  # (N, 3, 48, 48)
    return maps if layout == "nchw" else maps.transpose(0, 2, 3, 1)


class Segmenter:
    def __init__(self, layout="nchw", array=np.asarray):
        self.layout, self.array, self.images = layout, array, 0

    def __call__(self, batch):
        self.images += len(batch)
        return self.array(np.ascontiguousarray(score_maps(batch, self.layout)))


SEG_OPTIONS = dict(segmenter=pixlime.grid_options(cells_x=6, cells_y=6), fill="constant", num_samples=400, seed=5)


def test_a_class_is_explained_by_its_square():
    model = Segmenter()
    ex = pixlime.explain_segmentation(SEG_IMAGE, model, target_class=1, **SEG_OPTIONS)
    np.testing.assert_array_equal(ex.segments, GRID)  # segmenter=grid_options: the same cells
    assert ex.task == "regression" and ex.labels == [0]
    assert model.images == 401  # the image alone once (score maps' size, predicted region), then the samples
    assert_square_explains_its_target(ex, 0, GREEN_CELLS, YELLOW_CELLS)
    region = ex.targets[0]["region"]
    assert ex.targets[0]["class_index"] == 1 and region.shape == (48, 48) and region.dtype == np.uint8
    expected = np.zeros((48, 48), np.uint8)
    expected[8:24, 8:24] = 255  # the green square at the score maps' half resolution
    np.testing.assert_array_equal(region, expected)
    assert ex.model_prediction(0) == pytest.approx(1.0)


def test_two_classes_from_one_set_of_model_calls_and_masks():
    model = Segmenter()
    ex = pixlime.explain_segmentation(SEG_IMAGE, model, target_class=[1, 2], **SEG_OPTIONS)
    assert model.images == 401 and ex.labels == [0, 1]
    assert_square_explains_its_target(ex, 0, GREEN_CELLS, YELLOW_CELLS)
    assert_square_explains_its_target(ex, 1, YELLOW_CELLS, GREEN_CELLS)
    # A mask at the image's size (brought to the score maps'), one None (predicted): the same targets.
    mask = np.zeros((96, 96), bool)
    mask[16:48, 16:48] = True
    same = pixlime.explain_segmentation(SEG_IMAGE, Segmenter(), target_class=[1, 2], target_mask=[mask, None], **SEG_OPTIONS)
    np.testing.assert_array_equal(same.predictions, ex.predictions)
    # The region decides: class 1 over the left half of the green square only follows those cells.
    left = np.zeros((48, 48))
    left[8:24, 8:16] = 1
    ex = pixlime.explain_segmentation(SEG_IMAGE, Segmenter(), target_class=1, target_mask=left, **SEG_OPTIONS)
    assert top(ex.weights(0), 2) == {7, 13}


def test_nchw_and_nhwc_agree():
    a = pixlime.explain_segmentation(SEG_IMAGE, Segmenter("nchw"), target_class=[1, 2], **SEG_OPTIONS)
    b = pixlime.explain_segmentation(SEG_IMAGE, Segmenter("nhwc"), target_class=[1, 2], layout="nhwc", **SEG_OPTIONS)
    np.testing.assert_array_equal(a.predictions, b.predictions)
    np.testing.assert_array_equal(a.weights(0), b.weights(0))
    # The wrong layout reads other numbers: the (N, 48, 48, 3) maps as 48 classes of 48 x 3 pixels.
    with pytest.raises(pixlime.InvalidArgument) as e:
        pixlime.explain_segmentation(SEG_IMAGE, Segmenter("nhwc"), target_class=[1, 2], layout="nchw", **SEG_OPTIONS)
    assert e.value.parameter.startswith("target_class[")  # a class predicted nowhere in that reading


def test_segmentation_errors_name_the_parameter():
    def invalid(parameter, model=None, **kw):
        with pytest.raises(pixlime.InvalidArgument) as e:
            pixlime.explain_segmentation(SEG_IMAGE, model or Segmenter(), **{**SEG_OPTIONS, **kw})
        assert e.value.parameter == parameter, (parameter, str(e.value))
        return e.value

    e = invalid("target_class", target_class=3)
    assert e.value == "3" and "0 to 2" in e.expected
    e = invalid("target_class", target_class=0, target_mask=None, model=lambda b: score_maps(b) - [[[[1.5]], [[0]], [[0]]]])
    assert "no pixel" in e.expected  # background (-1) predicted nowhere: no region
    invalid("target_class[1]", target_class=[1, -1])
    invalid("target_class", target_class=[])
    invalid("target_class", target_class="road")
    e = invalid("target_mask shape", target_class=1, target_mask=np.ones((10, 10)))
    assert "48 x 48" in e.expected and "96 x 96" in e.expected
    invalid("target_mask", target_class=1, target_mask=np.zeros((48, 48)))
    invalid("target_mask length", target_class=[1, 2], target_mask=[None])
    invalid("layout", target_class=1, layout="chw")
    invalid("labels", target_class=1, labels=[1])
    invalid("segmentation model result shape", target_class=1, model=lambda b: score_maps(b)[:, 0])
    with pytest.raises(pixlime.ClassifierError) as e:  # another size than on the image, later
        pixlime.explain_segmentation(SEG_IMAGE, lambda b: score_maps(b)[:, :, : 48 if len(b) == 1 else 24], target_class=1,
                                     **SEG_OPTIONS)
    assert "segmentation model result shape" in str(e.value)


def test_torch_tensors_are_accepted():
    torch = pytest.importorskip("torch")

    def tensor(array):  # as a model's output: float tensors that require grad (numpy's __array__ refuses them)
        t = torch.from_numpy(array)
        return t.requires_grad_() if t.is_floating_point() else t

    detector = Detector("torchvision", array=tensor)
    ex = pixlime.explain_detections(IMAGE, detector, **OPTIONS)
    assert [t["label"] for t in ex.targets] == [1, 2]
    assert top(ex.weights(0)) == RED_CELLS and top(ex.weights(1)) == BLUE_CELLS
    ex = pixlime.explain_detections(IMAGE, Detector("yolo", array=tensor), layout="yolo", **OPTIONS)
    assert top(ex.weights(0)) == RED_CELLS and top(ex.weights(1)) == BLUE_CELLS
    same = pixlime.explain_detections(IMAGE, Detector("yolo"), layout="yolo", **OPTIONS)
    np.testing.assert_array_equal(same.predictions, ex.predictions)
    a = pixlime.explain_segmentation(SEG_IMAGE, Segmenter(array=tensor), target_class=[1, 2],
                                     target_mask=[torch.from_numpy(np.array(score_maps(SEG_IMAGE[None])[0, 1] > 0.5)), None],
                                     **SEG_OPTIONS)
    b = pixlime.explain_segmentation(SEG_IMAGE, Segmenter(), target_class=[1, 2], **SEG_OPTIONS)
    np.testing.assert_array_equal(a.predictions, b.predictions)


def test_the_stubs_show_the_runtime_signatures():
    import ast
    import inspect
    from pathlib import Path

    tree = ast.parse(Path(pixlime.__file__).with_name("__init__.pyi").read_text())
    stubs = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    for name in ("explain_detections", "explain_segmentation", "detections_from_yolo", "detections_from_torchvision", "iou",
                 "drise_scores"):
        runtime = inspect.signature(getattr(pixlime, name)).parameters
        args = stubs[name].args
        assert [a.arg for a in args.args] == [n for n, p in runtime.items() if p.kind == p.POSITIONAL_OR_KEYWORD], name
        assert [a.arg for a in args.kwonlyargs] == [n for n, p in runtime.items() if p.kind == p.KEYWORD_ONLY], name
        defaults = {a.arg: ast.literal_eval(d) for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None}
        assert defaults == {n: p.default for n, p in runtime.items() if p.default is not p.empty}, name
        assert (args.kwarg is None) == all(p.kind != p.VAR_KEYWORD for p in runtime.values()), name
    # Every keyword is documented in the docstring.
    for function in (pixlime.explain_detections, pixlime.explain_segmentation):
        for name in inspect.signature(function).parameters:
            shown = "**" + name if name == "explain_keywords" else name
            assert f"\n    {shown} " in function.__doc__, (function.__name__, name)


def test_panes_draw_each_target():
    """A detection's panes draw its box, a segmentation target's its region's outline (cyan), as
    the command's do; another target's panes do not."""
    cyan = [0, 210, 255]
    ex = pixlime.explain_detections(IMAGE, Detector(), targets=[{"box": RED_BOX, "label": 1}, {"box": BLUE_BOX, "label": 2}],
                                    **OPTIONS)
    red, blue = ex.positive_pane(0), ex.heatmap(1)
    assert red[30, 16].tolist() == cyan and red[16, 30].tolist() == cyan  # the red box's left and top edges
    assert red[80, 64].tolist() != cyan
    assert blue[80, 64].tolist() == cyan and blue[30, 16].tolist() != cyan
    big = ex.negative_pane(0, options=pixlime.render_options(scale=3))
    assert big[3 * 30, 3 * 16].tolist() == cyan and big[3 * 30, 3 * 16 - 1].tolist() != cyan
    # A segmentation target: its region's outline, scaled from the 48 x 48 score map to the image.
    ex = pixlime.explain_segmentation(SEG_IMAGE, Segmenter(), target_class=[1, 2], **SEG_OPTIONS)
    green, yellow = ex.positive_pane(0), ex.positive_pane(1)
    assert green[30, 16].tolist() == cyan and green[30, 47].tolist() == cyan and green[30, 30].tolist() != cyan
    assert green[80, 64].tolist() != cyan and yellow[80, 64].tolist() == cyan
