"""pixlime: what did the image classifier look at?

LIME for images (Ribeiro et al. 2016) with lime_image's semantics and defaults, on pixlime's C++
core: numpy in, numpy out, the GIL released while pixlime works.

    import pixlime
    img = pixlime.load_image("cat.png")                    # (H, W, C) uint8
    ex = pixlime.explain(img, classifier, num_samples=1000, seed=7)
    label = ex.top_labels[0]
    pixlime.save_png("positive.png", ex.positive_pane(label))

`pixlime.deletion_curve` / `pixlime.insertion_curve` measure whether an explanation names what the
classifier uses (RISE's causal metrics). `from pixlime import lime_image` is a drop-in for lime's module (same classes, arguments and results);
`pixlime.dask.explain_many` spreads many images over a Dask cluster; `pixlime.client.Client` talks to
the `pixlime serve` service (standard library HTTP: it works without the compiled module too).
"""
import functools as _functools
import os as _os
import sys as _sys
import warnings as _warnings

try:
    from . import _pixlime as _core
except ImportError:
    import importlib.util as _importlib_util

    if _importlib_util.find_spec(__name__ + "._pixlime") is not None:
        raise  # it is there but does not load (a missing library, another Python's build): its own error
    # The compiled module is not built for this Python (a source checkout on sys.path, say): the
    # package still imports, so that pixlime.client (pure Python, HTTP to `pixlime serve`) works;
    # everything else raises an ImportError saying how to build it when used (pixlime._unbuilt).
    from . import _unbuilt as _core
    _sys.modules[__name__ + "._pixlime"] = _core
from ._pixlime import (  # noqa: F401  (re-exported)
    Cancelled,
    ClassifierError,
    Error,
    Explanation,
    FaithfulnessCurve,
    InvalidArgument,
    IoError,
    SizeLimitError,
    StageError,
    blur_fill,
    constant_fill,
    decode_image,
    distance_metric,
    encode_png,
    exponential_kernel,
    felzenszwalb_options,
    grid_options,
    image_fill,
    layout,
    limits,
    model_input,
    quickshift_options,
    render_options,
    segment_mean_fill,
    shapley_kernel,
    slic_options,
    weighted_ridge,
)

__version__ = _core.__version__

# The dtype rule of every image pixlime takes, in the words every image-taking function's docstring
# shows (where it has a line "[image dtypes]"). python/src/module.cpp's input_image applies it.
_IMAGE_DTYPES = (
    "Image dtypes: uint8 and float32 are used as they are; any other real dtype becomes float32 first, "
    "which is what pixlime (and a classifier or callable it calls) then sees: other floats (float64, "
    "float16, ...) keep their values, integers are scaled as scikit-image's img_as_float32 scales them "
    "(unsigned: v / max, to [0, 1]; signed: v / max clipped at -1, to [-1, 1]) and bool becomes 0 and 1; "
    "complex, object and string dtypes raise pixlime.InvalidArgument."
)


def _with_image_dtypes(doc):
    """`doc` with its "[image dtypes]" line replaced by _IMAGE_DTYPES, wrapped at that line's indent."""
    import textwrap

    lines = []
    for line in doc.split("\n"):
        if line.strip() == "[image dtypes]":
            indent = line[:len(line) - len(line.lstrip())]
            line = textwrap.fill(_IMAGE_DTYPES, width=100, initial_indent=indent, subsequent_indent=indent)
        lines.append(line)
    return "\n".join(lines)

__all__ = [
    "explain", "explain_detections", "explain_segmentation", "detections_from_yolo", "detections_from_torchvision", "iou",
    "drise_scores", "deletion_curve", "insertion_curve", "ranking_by_weight", "area_under_curve", "FaithfulnessCurve",
    "slic", "quickshift", "felzenszwalb", "grid", "load_image", "decode_image", "encode_png", "save_png",
    "Explanation", "Error", "InvalidArgument", "SizeLimitError", "IoError", "ClassifierError", "StageError",
    "Cancelled",
    "slic_options", "quickshift_options", "felzenszwalb_options", "grid_options", "segment_mean_fill",
    "constant_fill", "blur_fill", "image_fill", "exponential_kernel", "shapley_kernel", "distance_metric",
    "weighted_ridge",
    "model_input", "layout", "limits", "render_options",
]


def __getattr__(name):
    # pixlime.lime_image, pixlime.dask and pixlime.client load on first use: dask (and
    # scikit-learn, for some of lime_image's modes) are needed only by those who use them.
    if name in ("lime_image", "dask", "client"):
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'pixlime' has no attribute '{name}'")


def _fields(obj):
    return [name for name in dir(obj) if not name.startswith("_")]


def _accept_keywords(cls):
    """Lets an options class be built with keyword arguments, e.g. slic_options(num_segments=50),
    refusing names it does not have; repr shows every field."""
    native_init = cls.__init__

    def __init__(self, **options):
        native_init(self)
        for name, value in options.items():
            if name not in _fields(self):
                raise TypeError(f"{cls.__name__} has no option {name!r} (its options: {', '.join(_fields(self))})")
            setattr(self, name, value)

    def __repr__(self):
        return f"{cls.__name__}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in _fields(self)) + ")"

    __init__.__doc__ = f"{cls.__name__}(**options): the C++ struct pixlime::{cls.__name__}, with its defaults."
    cls.__init__ = __init__
    cls.__repr__ = __repr__
    return cls


for _cls in (slic_options, quickshift_options, felzenszwalb_options, grid_options, segment_mean_fill, constant_fill,
             blur_fill, exponential_kernel, shapley_kernel, weighted_ridge, model_input, limits, render_options):
    _accept_keywords(_cls)


def load_image(path, channels=0):
    """Reads a PNG, JPEG, BMP or GIF (first frame) file (`path`: str or os.PathLike; the format
    from its bytes, not its name) as an (H, W, C) uint8 array, C as stored or `channels` (1..4)
    when not 0.
    Raises pixlime.IoError (an OSError) naming the file and the reason."""
    return _core.load_image(_os.fspath(path), channels)


def save_png(path, image):
    """Writes an (H, W) or (H, W, C) uint8 array (C in 1..4) as PNG to `path` (str or os.PathLike),
    through a temporary file renamed into place, so a failed write leaves no partial file. Other
    dtypes raise pixlime.InvalidArgument naming theirs (PNG's 8 bits: scale and convert first)."""
    return _core.save_png(_os.fspath(path), image)


def slic(image, *, num_segments=100, compactness=10.0, max_iterations=10, sigma=0.0, convert_to_lab=True,
         enforce_connectivity=True, min_size_factor=0.5, num_threads=1):
    """SLIC superpixels with scikit-image's semantics and defaults, but for convert_to_lab on gray
    (and RGBA) images: pixlime's True clusters them in CIELAB's L, scikit-image's default converts
    only RGB, so convert_to_lab=False gives scikit-image's default segments there (measured with
    scikit-image 0.19.3: coins 81 segments by default, 99 with False, 99 by scikit-image; camera
    76, 100, 100). `image`: (H, W) or (H, W, C), stretched to [0, 1] first. Returns (H, W) int32
    labels 0..K-1.
    [image dtypes]
    """
    o = slic_options(num_segments=num_segments, compactness=compactness, max_iterations=max_iterations, sigma=sigma,
                     convert_to_lab=convert_to_lab, enforce_connectivity=enforce_connectivity,
                     min_size_factor=min_size_factor, num_threads=num_threads)
    return _core.slic(image, o)


def quickshift(image, *, ratio=0.2, kernel_size=4.0, max_dist=200.0, sigma=0.0, convert_to_lab=True, num_threads=1):
    """Quick shift superpixels with scikit-image's semantics and lime_image's defaults (kernel_size 4,
    max_dist 200, ratio 0.2). `image`: (H, W) or (H, W, C). Returns (H, W) int32 labels 0..K-1.
    [image dtypes]
    """
    o = quickshift_options(ratio=ratio, kernel_size=kernel_size, max_dist=max_dist, sigma=sigma,
                           convert_to_lab=convert_to_lab, num_threads=num_threads)
    return _core.quickshift(image, o)


def felzenszwalb(image, *, scale=1.0, sigma=0.8, min_size=20):
    """Felzenszwalb-Huttenlocher segmentation with scikit-image's semantics and defaults. `image`:
    (H, W) or (H, W, C). Returns (H, W) int32 labels 0..K-1.
    [image dtypes]
    """
    return _core.felzenszwalb(image, felzenszwalb_options(scale=scale, sigma=sigma, min_size=min_size))


def grid(image, *, cells_x=8, cells_y=8):
    """A regular grid of cells_x x cells_y rectangles the size of `image` (an array, or (height,
    width)). Returns (H, W) int32 labels, row-major."""
    height, width = (image[0], image[1]) if isinstance(image, tuple) else image.shape[:2]
    return _core.grid(int(width), int(height), grid_options(cells_x=cells_x, cells_y=cells_y))


def _progress_callback(progress, unit="sample", desc="pixlime.explain"):
    """progress=True: a tqdm bar when tqdm is installed, else a line on stderr every tenth; a
    callable is returned as it is. Shared by pixlime.lime_image and pixlime.dask."""
    if progress is None or progress is False:
        return None
    if callable(progress):
        return progress
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    state = {"bar": None, "shown": 0}

    def report(done, total):
        if tqdm is not None:
            if state["bar"] is None:
                state["bar"] = tqdm(total=total, unit=unit, desc=desc)
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()
        elif done * 10 // total > state["shown"] or done == total:
            state["shown"] = done * 10 // total
            print(f"{desc}: {done}/{total} {unit}s", file=_sys.stderr, flush=True)
        return True

    return report


def _invalid(parameter, value, expected):
    """A pixlime.InvalidArgument raised by the package itself, with the parts as pixlime's own."""
    error = InvalidArgument(f"pixlime: {parameter} = {value}: expected {expected}")
    error.parameter, error.value, error.expected = parameter, str(value), expected
    return error


def _renamed_keywords(**renamed):
    """Accepts a function's keywords under their 0.2 names (old=new) for one more release, with a
    DeprecationWarning naming the new one; both names at once is an error (which one would win is
    a guess). The signature shown (inspect.signature, help) is the function's own, without the old
    names, so that pixlime.dask and the defaults test see only the new ones."""
    def decorate(function):
        @_functools.wraps(function)
        def wrapper(*args, **kwargs):
            for old, new in renamed.items():
                if old in kwargs:
                    if new in kwargs:
                        raise _invalid(old, "given with " + new, f"only {new}= ({old}= is its deprecated name)")
                    _warnings.warn(f"pixlime.{function.__name__}: {old}= is deprecated, use {new}= (the same values)",
                                   DeprecationWarning, stacklevel=2)
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)
        return wrapper
    return decorate


def _model_input(value):
    if value is None or isinstance(value, model_input):
        return value
    if isinstance(value, dict):
        options = dict(value)
        if isinstance(options.get("layout"), str):
            options["layout"] = getattr(layout, options["layout"])
        return model_input(**options)
    raise InvalidArgument(f"pixlime: model_input = {type(value).__name__}: expected a pixlime.model_input or a dict of its fields")


@_renamed_keywords(hide="fill")
def explain(image, classifier, *, segments=None, segmenter="slic", num_samples=1000, batch_size=10, seed=0,
            top_labels=5, labels=None, task="classification", sampler="orthogonal", fill="segment_mean", kernel=None, surrogate=None,
            model_input=None, progress=False, num_threads=1, target_stability=0.0, stability_top_k=5, limits=None):
    """Explains `classifier`'s prediction on `image` (LIME, lime_image's semantics and defaults).

    image        (H, W) or (H, W, C) numpy array, any strides.
                 [image dtypes]
    classifier   a callable taking an (N, H, W, C) array of the image's dtype (uint8, else float32 by
                 the rule above; or the layout
                 model_input asks for, e.g. float32 (N, C, H, W)) and returning (N, classes), or
                 (N,) for a binary model's P(class 1) in [0, 1] (with task="regression": (N,) or
                 (N, 1) values of any size); lists and torch tensors are accepted. The array it receives is a read-only view of the
                 buffer pixlime writes every batch into (no copy): an array kept after the call
                 shows a later batch; copy it (np.array(batch)) to keep this one's images.
    segments     (H, W) integer ids of your own segmentation (any ids), or None to segment with
    segmenter    "slic" (default), "quickshift" (lime's), "felzenszwalb", "grid", an options object
                 (slic_options(...), ...) or a callable image -> (H, W) ids.
    num_samples  perturbed samples, sample 0 the unperturbed image (lime: 1000).
    batch_size   images per classifier call (lime: 10).
    seed         drives the masks: the same seed gives the same explanation.
    top_labels   explain the classes with the highest outputs (lime: 5), unless `labels` lists them.
    task         "classification" (default): one output per class, or a binary model's P(class 1).
                 "regression": the classifier returns one value per image, any finite number (a
                 price, an age, a count; no [0, 1] check), explained as the single label 0: its
                 weights are in the value's units, the positive pane shows the segments that
                 raised it, the negative pane those that lowered it (Explanation.task says which;
                 labels may only be [0]; another number of outputs raises pixlime.InvalidArgument
                 naming explain_options.task).
    sampler      "orthogonal" (default: antithetic pairs on a Hadamard design, the least error measured),
                 "lime_compatible" (lime's own masks), "balanced", "bernoulli", "paired",
                 "shapley" (KernelSHAP's draws, for shapley_kernel), or a callable (num_samples, num_segments, seed) -> (N, K) array of 0/1, row 0 all ones.
    fill         what hidden segments show: "segment_mean" (lime's hide_color=None, default),
                 "constant" (black, lime's hide_color=0; "black" is the same), "blur", constant_fill(color=[...]),
                 blur_fill(sigma=...), image_fill(array), or a callable (image, segments) -> image.
                 (Called hide= before 0.3: still accepted, with a DeprecationWarning.)
    kernel       exponential_kernel(width=0.25, distance=...) (lime's, default), shapley_kernel(alpha=0.0)
                 (KernelSHAP: the weights are the segments' Shapley values, summing to
                 f(image) - f(all hidden); use with sampler="shapley"), or a callable samples -> (N,) weights.
    surrogate    weighted_ridge(alpha=1.0) (lime's Ridge, default) or a callable
                 (samples, weights, targets) -> [(weights, intercept, score, local_prediction), ...].
    model_input  what the classifier receives: pixlime.model_input(...) or a dict of its fields,
                 e.g. {"to_float": True, "layout": "nchw", "scale": 1/255, "mean": [...], "stddev": [...]}.
    progress     True for a progress bar (tqdm when installed), or a callable (done, total) returning
                 False to stop (pixlime.Cancelled).
    num_threads  threads building perturbed images (the classifier is called from this thread).
    target_stability  adaptive sample count (0 = off): stop once stability(first label, stability_top_k)
                 reaches it, num_samples being the cap (Explanation.target_reached, .model_calls).
    stability_top_k  the k of that stop (5).
    limits       pixlime.limits(...) to raise or lower the sizes checked before allocating.

    Returns a pixlime.Explanation. Raises pixlime.Error subclasses (InvalidArgument is a ValueError,
    IoError an OSError, ClassifierError, StageError and Cancelled RuntimeErrors); the classifier's own
    exception propagates unchanged, its __cause__ a pixlime.ClassifierError saying where, and so does
    an exception of a callable sampler, kernel or surrogate, its __cause__ a pixlime.StageError naming
    the stage (e.g. parameter "explain_options.sampler"). Ctrl-C stops the
    explanation (KeyboardInterrupt) within one batch.
    """
    return _core.explain(image, classifier, segments=segments, segmenter=segmenter, num_samples=num_samples,
                         batch_size=batch_size, seed=seed, top_labels=top_labels, labels=labels, task=task, sampler=sampler,
                         fill=fill, kernel=kernel, surrogate=surrogate, model_input=_model_input(model_input),
                         progress=_progress_callback(progress), num_threads=num_threads,
                         target_stability=target_stability, stability_top_k=stability_top_k, limits=limits)


# The explain keywords a target explanation sets itself (pixlime::target_options: label k = target k).
_TARGET_SET = ("top_labels", "labels", "task")


def _explain_keywords(function, image, model, keywords):
    """Every pixlime.explain keyword for a target explanation (explain_detections,
    explain_segmentation): those given, the others at explain's defaults. top_labels, labels and
    task are refused (the targets decide them); unknown names raise TypeError as explain would."""
    import inspect

    for name in _TARGET_SET:
        if name in keywords:
            raise _invalid(name, keywords[name], f"not given: pixlime.{function} explains one output per target "
                                                 "(label k = target k; task and labels follow from the targets)")
    try:
        bound = inspect.signature(explain).bind(image, model, **keywords)
    except TypeError as error:
        raise TypeError(f"pixlime.{function}: {error} (it takes pixlime.explain's keywords)") from None
    bound.apply_defaults()
    arguments = dict(bound.arguments)
    del arguments["image"], arguments["classifier"]
    arguments["model_input"] = _model_input(arguments["model_input"])
    arguments["progress"] = _progress_callback(arguments["progress"], desc=f"pixlime.{function}")
    return arguments


def explain_detections(image, detector, *, targets=None, layout="torchvision", min_score=0.5, **explain_keywords):
    """Explains an object detector's detections (D-RISE, Petsiuk et al. 2021, through the C++
    pixlime::detection_target): which segments made the detector find each target detection.
    Every target is explained from the same perturbed images: one set of detector calls for all.

    image        (H, W) or (H, W, C) numpy array, any strides.
                 [image dtypes]
    detector     a callable taking the batch pixlime.explain gives a classifier ((N, H, W, C) of
                 the image's dtype, or model_input's form, e.g. float32 (N, C, H, W)) and
                 returning, per image, its detections in `layout` (numpy arrays, lists or torch
                 tensors; tensors are read with .detach().cpu().numpy()).
    targets      the detections to explain: a list of dicts {"box": (x, y, w, h), "label": class
                 id} or {"box": (x, y, w, h), "class_scores": [one score per class]} (both keys
                 may be given), optionally "score" (or "objectness"); box: top-left corner,
                 width and height in the image's pixels (torchvision's x1, y1, x2, y2 is x1, y1,
                 x2 - x1, y2 - y1). None (default): every detection the detector finds on the
                 image itself (one extra call, on the image alone) whose confidence is >=
                 min_score, one per object: of overlapping ones (IoU > 0.5) of the same class the
                 most confident (non-maximum suppression, as the command picks them; YOLO's
                 pre-NMS rows give one target per object, not one per row).
    layout       "torchvision" (default): the detector returns a list of N dicts with "boxes"
                 (K, 4: x1, y1, x2, y2 in pixels), "labels" (K,) class ids and "scores" (K,).
                 "yolo": an (N, R, 5 + classes) array (or a list of N (R, 5 + classes) arrays) of
                 pre-NMS rows x_center, y_center, w, h, objectness, class scores.
    min_score    with targets=None, the least confidence of a detection explained (0.5):
                 torchvision's score, or YOLO's objectness x its largest class score.
                 Detections of the perturbed images are all used.
    **explain_keywords  pixlime.explain's keywords (segmenter, num_samples, batch_size, seed,
                 sampler, fill, kernel, surrogate, model_input, progress, ...), with its defaults;
                 not top_labels, labels or task, which the targets set.

    Each perturbed image scores, for each target, as its best match among that image's
    detections: IoU(boxes) x objectness (torchvision: score) x class similarity (cosine of the
    class_scores, or 1 for the same label and 0 otherwise); no overlapping detection scores 0.

    Returns a pixlime.Explanation: label k is target k (ex.weights(k); with one target its task is
    "regression", label 0). ex.targets lists the targets as dicts {"box": (x, y, w, h), "score":
    objectness, "label" and/or "class_scores"}, the form targets= takes.
    Raises pixlime.InvalidArgument naming the parameter (targets[i] box, layout, min_score: the
    image's best score when none reaches it, targets=None when the detector finds nothing, top_labels
    ...), a pixlime.ClassifierError when the detector returns another form than `layout` (the reason
    nested, e.g. "detector result shape"); errors and the detector's own exceptions as pixlime.explain.
    """
    keywords = _explain_keywords("explain_detections", image, detector, explain_keywords)
    return _core.explain_detections(image, detector, targets, layout, min_score, keywords)


def explain_segmentation(image, model, *, target_class, target_mask=None, layout="nchw", **explain_keywords):
    """Explains a semantic segmentation model's output over a region (through the C++
    pixlime::segmentation_target): which segments made the model see class `target_class` there.
    A target's score on an image is the class's mean score over its region; several targets are
    explained from the same perturbed images (one set of model calls).

    image        (H, W) or (H, W, C) numpy array, any strides.
                 [image dtypes]
    model        a callable taking the batch pixlime.explain gives a classifier ((N, H, W, C) of
                 the image's dtype, or model_input's form) and returning per-pixel class scores
                 (N, C, h, w) (layout "nchw", default) or (N, h, w, C) ("nhwc"): numpy, a list or
                 a torch tensor; h x w may differ from the image's (an output stride). It is also
                 called once on the image alone, for the score maps' size and predicted regions.
    target_class the class explained (an int, 0 to C - 1), or a list of classes: one target each,
                 label k = target k.
    target_mask  the region: an (h, w) array of the score map's size (or (H, W), the image's,
                 brought to the score map's by nearest neighbour), nonzero = in the region. None
                 (default): the pixels where target_class has the largest score on the image.
                 With a list of classes: None or a list of as many masks (each may be None).
    layout       "nchw" or "nhwc": how the model's scores are laid out.
    **explain_keywords  pixlime.explain's keywords, with its defaults; not top_labels, labels or task.

    Returns a pixlime.Explanation: label k is target k (one target: task "regression", label 0).
    ex.targets lists {"class_index": c, "region": (h, w) uint8 array, 255 in the region}.
    Raises pixlime.InvalidArgument naming the parameter (target_class out of 0..C-1 or predicted
    nowhere, target_mask shape or an empty one, layout, top_labels ...), pixlime.ClassifierError when
    the model's result is not (N, C, h, w) as on the image (the reason nested); the model's own
    exceptions as pixlime.explain.
    """
    keywords = _explain_keywords("explain_segmentation", image, model, explain_keywords)
    return _core.explain_segmentation(image, model, target_class, target_mask, layout, keywords)


def detections_from_yolo(rows, *, min_objectness=0.0):
    """YOLO pre-NMS rows (R, 5 + classes: x_center, y_center, w, h, objectness, class scores) as
    detection dicts {"box": (x, y, w, h), "score": objectness, "class_scores": array}, rows below
    min_objectness left out (the C++ pixlime::detections_from_yolo): targets for explain_detections."""
    return _core.detections_from_yolo(rows, min_objectness)


def detections_from_torchvision(boxes, labels, scores, *, min_score=0.0):
    """torchvision's detections of one image (boxes (K, 4: x1, y1, x2, y2), labels (K,), scores
    (K,); arrays or tensors) as detection dicts {"box": (x, y, w, h), "score", "label"}, those
    below min_score left out (the C++ pixlime::detections_from_torchvision)."""
    return _core.detections_from_torchvision(boxes, labels, scores, min_score)


def iou(a, b):
    """Intersection over union of two boxes (x, y, w, h) (0 when they do not overlap)."""
    return _core.iou(a, b)


def drise_scores(targets, detections):
    """D-RISE's score of each target (a list of detection dicts, as explain_detections' targets)
    against one image's detections (the same form): its best IoU x score x class similarity.
    Returns a (len(targets),) float64 array; the scoring explain_detections uses."""
    return _core.drise_scores(targets, detections)


_CURVE_DOC = """{summary}

    image        the explained image: (H, W) or (H, W, C) numpy array.
                 [image dtypes]
    classifier   as pixlime.explain's: (N, H, W, C) batches (or model_input's form) -> (N, classes)
                 or (N,) for a binary model's P(class 1), or values with task="regression".
    explanation  a pixlime.Explanation of `image`: its segments, ranked by its weights for `label`,
                 highest first (ranking_by_weight; ties: lower segment first). Or, instead:
    segments     (H, W) integer ids (any ids, relabelled 0..K-1 in order of first appearance, as
                 explain's segments=) and
    ranking      K segment indices 0..K-1, each once, most important first.
    label        the class whose output is followed (keyword, required): a column of the
                 classifier's output, 0 or 1 for a single-column model, 0 (the value) with
                 task="regression"; with an explanation, an explained label.
    batch_size   images per classifier call (10).
    deletion_fill  what a removed segment shows in the deletion curve: "constant" (black, default),
                 or any of explain's fill values ("segment_mean", "blur", constant_fill(color=[...]),
                 blur_fill(sigma=...), image_fill(array), a callable (image, segments) -> image).
                 explain's fill measures the explanation on its own terms.
    insertion_fill  where the insertion curve starts (segments not yet restored): None for
                 blur_fill(sigma=3.0) (RISE's blur at 224 pixels; default), or a value as deletion_fill.
                 (deletion_fill and insertion_fill were called removed= and substrate= before 0.3:
                 still accepted, with a DeprecationWarning.)
    random_rankings  random rankings of the baseline (20); 0: none (random_score empty, random_auc NaN).
    seed         seeds the random rankings.
    task         as explain's: "classification" (default) or "regression" (the classifier's single
                 output is a value, followed as label 0). With an explanation its task is used
                 (Explanation.task), whatever this says.
    model_input  as explain's: pixlime.model_input(...) or a dict of its fields.
    progress     True for a progress bar, or a callable (done, total) returning False to stop
                 (pixlime.Cancelled).
    limits       pixlime.limits(...).

    Returns a pixlime.FaithfulnessCurve: fraction (K + 1 floats, the share of the image's pixels
    {verb} after step j, 0 to 1), score (K + 1 outputs for `label`; {steps}), auc (trapezoid of
    (fraction, score); {better}), ranking (the K segments in order), random_score (the random
    rankings' mean curve at `fraction`, empty without them), random_auc (their mean AUC, NaN
    without them), random_auc_stddev (NaN with fewer than 2). The classifier is called
    K + 1 + random_rankings x (K - 1) times per image.
    Raises pixlime.InvalidArgument naming the parameter (label, explanation, segments, ranking,
    ...); errors, the classifier's exceptions and Ctrl-C as pixlime.explain.
    """


@_renamed_keywords(removed="deletion_fill", substrate="insertion_fill")
def deletion_curve(image, classifier, explanation=None, *, label, segments=None, ranking=None, batch_size=10,
                   deletion_fill="constant", insertion_fill=None, random_rankings=20, seed=0, task="classification",
                   model_input=None, progress=False, limits=None):
    return _core.deletion_curve(image, classifier, explanation, label=label, segments=segments, ranking=ranking,
                                batch_size=batch_size, deletion_fill=deletion_fill, insertion_fill=insertion_fill,
                                random_rankings=random_rankings, seed=seed, task=task, model_input=_model_input(model_input),
                                progress=_progress_callback(progress, "image", "pixlime.deletion_curve"), limits=limits)


@_renamed_keywords(removed="deletion_fill", substrate="insertion_fill")
def insertion_curve(image, classifier, explanation=None, *, label, segments=None, ranking=None, batch_size=10,
                    deletion_fill="constant", insertion_fill=None, random_rankings=20, seed=0, task="classification",
                    model_input=None, progress=False, limits=None):
    return _core.insertion_curve(image, classifier, explanation, label=label, segments=segments, ranking=ranking,
                                 batch_size=batch_size, deletion_fill=deletion_fill, insertion_fill=insertion_fill,
                                 random_rankings=random_rankings, seed=seed, task=task, model_input=_model_input(model_input),
                                 progress=_progress_callback(progress, "image", "pixlime.insertion_curve"), limits=limits)


deletion_curve.__doc__ = _CURVE_DOC.format(
    summary="RISE's deletion curve (Petsiuk et al. 2018) over segments: the classifier's output for `label` as\n"
            "    the segments are removed (shown as `deletion_fill`) in ranked order, most important first. A low AUC\n"
            "    (below random_auc) says the ranking finds what the classifier uses. `insertion_fill` is not used.",
    verb="removed", steps="step 0 the image, step K every segment removed", better="lower is better")
insertion_curve.__doc__ = _CURVE_DOC.format(
    summary="RISE's insertion curve (Petsiuk et al. 2018) over segments: the classifier's output for `label` as\n"
            "    the segments are restored in ranked order onto `insertion_fill` (a blurred copy). A high AUC (above\n"
            "    random_auc) says the ranking finds what the classifier uses. `deletion_fill` is not used.",
    verb="restored", steps="step 0 the image as insertion_fill makes it, step K the image", better="higher is better")


def ranking_by_weight(weights):
    """The segment indices by weight, highest first (ties: lower index first; a stable sort of
    -weights): the order deletion_curve and insertion_curve rank an Explanation by. Unlike
    Explanation.ranked (by |weight|), a strongly negative segment comes last."""
    return _core.ranking_by_weight(weights)


def area_under_curve(x, y):
    """Trapezoid rule over the points (x[i], y[i]): x non-decreasing, both finite, at least 2 points."""
    return _core.area_under_curve(x, y)


# Every image-taking function states the dtype rule in the same words.
for _function in (explain, explain_detections, explain_segmentation, deletion_curve, insertion_curve, slic, quickshift,
                  felzenszwalb):
    _function.__doc__ = _with_image_dtypes(_function.__doc__)
