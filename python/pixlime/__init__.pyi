"""Type stubs for pixlime (the package and its native module pixlime._pixlime)."""
from enum import Enum
from os import PathLike
from typing import Any, Callable, Dict, List, Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import client as client, dask as dask, lime_image as lime_image  # loaded on first use (module __getattr__)

__version__: str

ImageArray = npt.NDArray[Any]          # (H, W) or (H, W, C), any strides; uint8 and float32 as they are, other
                                       # real dtypes as float32 (pixlime._IMAGE_DTYPES says how)
Labels = npt.NDArray[np.int32]         # (H, W) segment ids
Classifier = Callable[[npt.NDArray[Any]], Any]   # (N, H, W, C) -> (N, classes) or (N,); task="regression": (N,) values
Task = Literal["classification", "regression"]
Progress = Callable[[int, int], Optional[bool]]   # (done, total) -> False to stop

class Error(Exception):
    parameter: str
    value: str
    expected: str
class InvalidArgument(Error, ValueError): ...
class SizeLimitError(InvalidArgument): ...
class IoError(Error, OSError): ...
class ClassifierError(Error, RuntimeError): ...
class StageError(Error, RuntimeError): ...
class Cancelled(Error, RuntimeError): ...

class slic_options:
    num_segments: int
    compactness: float
    max_iterations: int
    sigma: float
    convert_to_lab: bool
    enforce_connectivity: bool
    min_size_factor: float
    num_threads: int
    def __init__(self, *, num_segments: int = 100, compactness: float = 10.0, max_iterations: int = 10,
                 sigma: float = 0.0, convert_to_lab: bool = True, enforce_connectivity: bool = True,
                 min_size_factor: float = 0.5, num_threads: int = 1) -> None: ...

class quickshift_options:
    ratio: float
    kernel_size: float
    max_dist: float
    sigma: float
    convert_to_lab: bool
    num_threads: int
    def __init__(self, *, ratio: float = 0.2, kernel_size: float = 4.0, max_dist: float = 200.0,
                 sigma: float = 0.0, convert_to_lab: bool = True, num_threads: int = 1) -> None: ...

class felzenszwalb_options:
    scale: float
    sigma: float
    min_size: int
    def __init__(self, *, scale: float = 1.0, sigma: float = 0.8, min_size: int = 20) -> None: ...

class grid_options:
    cells_x: int
    cells_y: int
    def __init__(self, *, cells_x: int = 8, cells_y: int = 8) -> None: ...

class segment_mean_fill:
    def __init__(self) -> None: ...
class constant_fill:
    color: List[float]
    def __init__(self, *, color: Sequence[float] = ()) -> None: ...
class blur_fill:
    sigma: float
    def __init__(self, *, sigma: float = 0.0) -> None: ...
class image_fill:
    def __init__(self, replacement: ImageArray) -> None: ...

class distance_metric(Enum):
    cosine: int
    euclidean: int
    hamming: int

class exponential_kernel:
    width: float
    distance: distance_metric
    def __init__(self, *, width: float = 0.25, distance: distance_metric = distance_metric.cosine) -> None: ...

class shapley_kernel:
    alpha: float
    def __init__(self, *, alpha: float = 0.0) -> None: ...

class weighted_ridge:
    alpha: float
    def __init__(self, *, alpha: float = 1.0) -> None: ...

class layout(Enum):
    nhwc: int
    nchw: int

class model_input:
    to_float: bool
    layout: layout
    channels: List[int]
    scale: float
    mean: List[float]
    stddev: List[float]
    def __init__(self, *, to_float: bool = False, layout: layout = layout.nhwc, channels: Sequence[int] = (),
                 scale: float = 1.0, mean: Sequence[float] = (), stddev: Sequence[float] = ()) -> None: ...

class limits:
    max_pixels: int
    max_image_bytes: int
    max_samples: int
    max_segments: int
    max_classes: int
    max_surrogate_size: int
    max_explanation_bytes: int
    def __init__(self, *, max_pixels: int = 2**28, max_image_bytes: int = 2**32, max_samples: int = 2**20,
                 max_segments: int = 2**16, max_classes: int = 2**16, max_surrogate_size: int = 8192,
                 max_explanation_bytes: int = 2**33) -> None: ...

class render_options:
    num_features: int
    min_weight: float
    min_relative_weight: float
    scale: int
    hide_rest: bool
    dim_rest: float
    rest_color: List[int]
    boundaries: bool
    boundary_color: List[int]
    positive_color: List[int]
    negative_color: List[int]
    heatmap_opacity: float
    uncertain: List[bool]  # one flag per segment (hatched), or empty: none
    hatch_color: List[int]
    hatch_spacing: int
    def __init__(self, *, num_features: int = 5, min_weight: float = 0.0, min_relative_weight: float = 0.0,
                 scale: int = 1, hide_rest: bool = False, dim_rest: float = 0.6,
                 rest_color: Sequence[int] = (0, 0, 0), boundaries: bool = True,
                 boundary_color: Sequence[int] = (255, 255, 0), positive_color: Sequence[int] = (0, 255, 0),
                 negative_color: Sequence[int] = (255, 0, 0), heatmap_opacity: float = 0.7,
                 uncertain: Sequence[bool] = (), hatch_color: Sequence[int] = (30, 144, 255),
                 hatch_spacing: int = 6) -> None: ...

class Explanation:
    """The result of pixlime.explain: per explained label a linear model over the segments."""
    @property
    def labels(self) -> List[int]: ...
    @property
    def top_labels(self) -> List[int]: ...
    @property
    def num_classes(self) -> int: ...                          # 1 with task "regression"
    @property
    def task(self) -> Task: ...                                # "regression": label 0 is the value
    @property
    def num_segments(self) -> int: ...
    @property
    def segments(self) -> Labels: ...
    @property
    def samples(self) -> npt.NDArray[np.uint8]: ...            # (N, K)
    @property
    def predictions(self) -> npt.NDArray[np.float64]: ...      # (N, classes)
    @property
    def sample_weights(self) -> npt.NDArray[np.float64]: ...   # (N,)
    @property
    def timings(self) -> Dict[str, float]: ...
    def weights(self, label: int) -> npt.NDArray[np.float64]: ...  # (K,)
    @property
    def targets(self) -> Optional[List[Dict[str, Any]]]: ...  # explain_detections: Detection dicts; explain_segmentation:
                                                             # RegionTarget dicts; label k = target k. None for explain
    @property
    def model_calls(self) -> int: ...
    @property
    def target_reached(self) -> bool: ...
    def standard_errors(self, label: int) -> npt.NDArray[np.float64]: ...  # (K,)
    def weight_intervals(self, label: int, level: float = 0.95) -> npt.NDArray[np.float64]: ...  # (K, 2)
    def stability(self, label: int, k: int = 5) -> float: ...
    def uncertain_segments(self, label: int, level: float = 0.95) -> npt.NDArray[np.bool_]: ...  # (K,)
    def intercept(self, label: int) -> float: ...
    def score(self, label: int) -> float: ...
    def local_prediction(self, label: int) -> float: ...
    def model_prediction(self, label: int) -> float: ...
    def ranked(self, label: int) -> List[Tuple[int, float]]: ...
    def positive_pane(self, label: int, num_features: Optional[int] = None,
                      options: Optional[render_options] = None) -> npt.NDArray[np.uint8]: ...
    def negative_pane(self, label: int, num_features: Optional[int] = None,
                      options: Optional[render_options] = None) -> npt.NDArray[np.uint8]: ...
    def overlay(self, label: int, num_features: Optional[int] = None,
                options: Optional[render_options] = None) -> npt.NDArray[np.uint8]: ...
    def heatmap(self, label: int, num_features: Optional[int] = None,
                options: Optional[render_options] = None) -> npt.NDArray[np.uint8]: ...

Segmenter = Union[str, slic_options, quickshift_options, felzenszwalb_options, grid_options,
                  Callable[[ImageArray], Any]]
Fill = Union[str, segment_mean_fill, constant_fill, blur_fill, image_fill, Callable[[ImageArray, Labels], Any]]

def explain(image: ImageArray, classifier: Classifier, *, segments: Optional[npt.ArrayLike] = None,
            segmenter: Segmenter = "slic", num_samples: int = 1000, batch_size: int = 10, seed: int = 0,
            top_labels: int = 5, labels: Optional[Sequence[int]] = None, task: Task = "classification",
            sampler: Union[str, Callable[[int, int, int], Any]] = "orthogonal", fill: Fill = "segment_mean",
            kernel: Union[None, exponential_kernel, shapley_kernel, Callable[[npt.NDArray[np.uint8]], Any]] = None,
            surrogate: Union[None, weighted_ridge, Callable[..., Any]] = None,
            model_input: Union[None, model_input, Dict[str, Any]] = None,
            progress: Union[bool, None, Progress] = False, num_threads: int = 1,
            target_stability: float = 0.0, stability_top_k: int = 5,
            limits: Optional[limits] = None) -> Explanation: ...

# A detection, as explain_detections' targets take it and Explanation.targets gives it back:
# {"box": (x, y, w, h) top-left corner, width, height in pixels, "label": class id and/or
#  "class_scores": (classes,) scores, optionally "score" (or "objectness")}.
Detection = Dict[str, Any]
# Per image of the batch: torchvision's {"boxes": (K, 4) x1, y1, x2, y2, "labels": (K,), "scores": (K,)}
# (layout "torchvision") or an (N, R, 5 + classes) array of pre-NMS rows (layout "yolo"); numpy or torch.
Detector = Callable[[npt.NDArray[Any]], Any]
# (N, H, W, C) batch -> (N, C, h, w) per-pixel class scores (layout "nchw") or (N, h, w, C) ("nhwc").
SegmentationModel = Callable[[npt.NDArray[Any]], Any]
# explain_segmentation's Explanation.targets: {"class_index": int, "region": (h, w) uint8, 255 in the region}.
RegionTarget = Dict[str, Any]

def explain_detections(image: ImageArray, detector: Detector, *, targets: Optional[Sequence[Detection]] = None,
                       layout: Literal["torchvision", "yolo"] = "torchvision", min_score: float = 0.5,
                       **explain_keywords: Any) -> Explanation: ...
def explain_segmentation(image: ImageArray, model: SegmentationModel, *, target_class: Union[int, Sequence[int]],
                         target_mask: Union[None, npt.ArrayLike, Sequence[Optional[npt.ArrayLike]]] = None,
                         layout: Literal["nchw", "nhwc"] = "nchw", **explain_keywords: Any) -> Explanation: ...
def detections_from_yolo(rows: npt.ArrayLike, *, min_objectness: float = 0.0) -> List[Detection]: ...
def detections_from_torchvision(boxes: npt.ArrayLike, labels: npt.ArrayLike, scores: npt.ArrayLike, *,
                                min_score: float = 0.0) -> List[Detection]: ...
def iou(a: Sequence[float], b: Sequence[float]) -> float: ...
def drise_scores(targets: Sequence[Detection], detections: Sequence[Detection]) -> npt.NDArray[np.float64]: ...

class FaithfulnessCurve:
    """The result of deletion_curve / insertion_curve (pixlime::faithfulness_curve). K = #segments."""
    @property
    def fraction(self) -> npt.NDArray[np.float64]: ...      # (K + 1,) 0 .. 1
    @property
    def score(self) -> npt.NDArray[np.float64]: ...         # (K + 1,)
    @property
    def auc(self) -> float: ...
    @property
    def ranking(self) -> npt.NDArray[np.int64]: ...         # (K,)
    @property
    def random_score(self) -> npt.NDArray[np.float64]: ...  # (K + 1,), (0,) without random rankings
    @property
    def random_auc(self) -> float: ...                       # NaN without random rankings
    @property
    def random_auc_stddev(self) -> float: ...                # NaN with fewer than 2

def deletion_curve(image: ImageArray, classifier: Classifier, explanation: Optional[Explanation] = None, *,
                   label: int, segments: Optional[npt.ArrayLike] = None, ranking: Optional[npt.ArrayLike] = None,
                   batch_size: int = 10, deletion_fill: Fill = "constant", insertion_fill: Optional[Fill] = None,
                   random_rankings: int = 20, seed: int = 0, task: Task = "classification",
                   model_input: Union[None, model_input, Dict[str, Any]] = None,
                   progress: Union[bool, None, Progress] = False, limits: Optional[limits] = None) -> FaithfulnessCurve: ...
def insertion_curve(image: ImageArray, classifier: Classifier, explanation: Optional[Explanation] = None, *,
                    label: int, segments: Optional[npt.ArrayLike] = None, ranking: Optional[npt.ArrayLike] = None,
                    batch_size: int = 10, deletion_fill: Fill = "constant", insertion_fill: Optional[Fill] = None,
                    random_rankings: int = 20, seed: int = 0, task: Task = "classification",
                    model_input: Union[None, model_input, Dict[str, Any]] = None,
                    progress: Union[bool, None, Progress] = False, limits: Optional[limits] = None) -> FaithfulnessCurve: ...
def ranking_by_weight(weights: npt.ArrayLike) -> npt.NDArray[np.int64]: ...
def area_under_curve(x: Sequence[float], y: Sequence[float]) -> float: ...

def slic(image: ImageArray, *, num_segments: int = 100, compactness: float = 10.0, max_iterations: int = 10,
         sigma: float = 0.0, convert_to_lab: bool = True, enforce_connectivity: bool = True,
         min_size_factor: float = 0.5, num_threads: int = 1) -> Labels: ...
def quickshift(image: ImageArray, *, ratio: float = 0.2, kernel_size: float = 4.0, max_dist: float = 200.0,
               sigma: float = 0.0, convert_to_lab: bool = True, num_threads: int = 1) -> Labels: ...
def felzenszwalb(image: ImageArray, *, scale: float = 1.0, sigma: float = 0.8, min_size: int = 20) -> Labels: ...
def grid(image: Union[ImageArray, Tuple[int, int]], *, cells_x: int = 8, cells_y: int = 8) -> Labels: ...

def load_image(path: Union[str, PathLike[str]], channels: int = 0) -> npt.NDArray[np.uint8]: ...
def decode_image(data: bytes, channels: int = 0) -> npt.NDArray[np.uint8]: ...
def encode_png(image: npt.NDArray[np.uint8]) -> bytes: ...
def save_png(path: Union[str, PathLike[str]], image: ImageArray) -> None: ...
