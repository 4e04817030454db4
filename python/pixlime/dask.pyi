"""Type stubs for pixlime.dask."""
from os import PathLike
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy.typing as npt

ImageId = Union[str, int]
Image = Union[str, PathLike[str], npt.NDArray[Any]]   # a path (read on the worker) or an (H, W[, C]) array
Images = Union[Sequence[Image], Mapping[ImageId, Image], npt.NDArray[Any]]
ClassifierFactory = Callable[[], Callable[[npt.NDArray[Any]], Any]]
Record = Dict[str, Any]   # the app layer's record (docs/records.md) with ok and status

def seed_for(image_id: ImageId, seed: int = 0) -> int: ...
def record_name(image_id: ImageId) -> str: ...

def explain_many(client: Any, images: Images, classifier_factory: ClassifierFactory, *,
                 ids: Optional[Sequence[ImageId]] = None, out_dir: Union[None, str, PathLike[str]] = None,
                 progress: Union[bool, None, Callable[[int, int], Any]] = False,
                 classes: Optional[Sequence[str]] = None,
                 **explain_options: Any) -> List[Record]: ...

def explain_serial(images: Images, classifier_factory: ClassifierFactory, *,
                   ids: Optional[Sequence[ImageId]] = None, out_dir: Union[None, str, PathLike[str]] = None,
                   progress: Union[bool, None, Callable[[int, int], Any]] = False,
                   classes: Optional[Sequence[str]] = None,
                   **explain_options: Any) -> List[Record]: ...
