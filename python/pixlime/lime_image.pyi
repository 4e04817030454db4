"""Type stubs for pixlime.lime_image (a drop-in for lime 0.2.0.1's lime.lime_image)."""
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

__all__ = ["LimeImageExplainer", "ImageExplanation"]

class ImageExplanation(object):
    image: npt.NDArray[Any]
    segments: npt.NDArray[Any]
    top_labels: List[Any]          # set only when explain_instance had top_labels
    intercept: Dict[Any, Any]
    local_exp: Dict[Any, List[Tuple[Any, Any]]]
    local_pred: Dict[Any, Any]
    score: Dict[Any, Any]
    def __init__(self, image: npt.NDArray[Any], segments: npt.NDArray[Any]) -> None: ...
    def get_image_and_mask(self, label: Any, positive_only: bool = True, negative_only: bool = False,
                           hide_rest: bool = False, num_features: int = 5,
                           min_weight: float = 0.0) -> Tuple[npt.NDArray[Any], npt.NDArray[Any]]: ...

class LimeImageExplainer(object):
    kernel_width: float
    kernel_fn: Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]
    verbose: bool
    random_state: np.random.RandomState
    feature_selection: str
    def __init__(self, kernel_width: float = 0.25,
                 kernel: Optional[Callable[[npt.NDArray[np.float64], float], Any]] = None,
                 verbose: bool = False, feature_selection: str = "auto",
                 random_state: Union[None, int, np.random.RandomState] = None) -> None: ...
    def explain_instance(self, image: npt.NDArray[Any], classifier_fn: Callable[[npt.NDArray[Any]], Any],
                         labels: Iterable[int] = (1,), hide_color: Any = None, top_labels: Optional[int] = 5,
                         num_features: int = 100000, num_samples: int = 1000, batch_size: int = 10,
                         segmentation_fn: Optional[Callable[[npt.NDArray[Any]], Any]] = None,
                         distance_metric: str = "cosine", model_regressor: Any = None,
                         random_seed: Optional[int] = None, progress_bar: bool = True) -> ImageExplanation: ...
    def data_labels(self, image: npt.NDArray[Any], fudged_image: npt.NDArray[Any], segments: npt.NDArray[Any],
                    classifier_fn: Callable[[npt.NDArray[Any]], Any], num_samples: int, batch_size: int = 10,
                    progress_bar: bool = True) -> Tuple[npt.NDArray[Any], npt.NDArray[Any]]: ...
