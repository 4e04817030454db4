"""Stands in for pixlime._pixlime, the compiled module, when it is not built for this Python (a
source checkout on sys.path, say): the package imports, so that pixlime.client (pure Python: HTTP
to `pixlime serve`) works, and everything the compiled module would give raises an ImportError
saying how to build it, when used (called, instantiated, or an attribute read). The error classes
are real exception classes (an `except pixlime.Error:` still works)."""

MESSAGE = ("pixlime's compiled module, pixlime._pixlime, is not built for this Python: install the package "
           "(`python -m pip install .` from the repository) or build it with CMake and put <build>/python on "
           "PYTHONPATH. (pixlime.client, the `pixlime serve` client, works without it.)")

__version__ = "0+unbuilt"


def _unavailable(name):
    return ImportError(f"pixlime.{name}: {MESSAGE}", name="pixlime._pixlime")


class Error(Exception):
    parameter = ""
    value = ""
    expected = ""


class InvalidArgument(Error, ValueError):
    pass


class SizeLimitError(InvalidArgument):
    pass


class IoError(Error, OSError):
    pass


class ClassifierError(Error, RuntimeError):
    pass


class StageError(Error, RuntimeError):
    pass


class Cancelled(Error, RuntimeError):
    pass


class _Unbuilt(type):
    """The metaclass of the stand-in classes: reading an attribute (an enum's value) raises."""

    def __getattr__(cls, attribute):
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise _unavailable(f"{cls.__name__}.{attribute}")


def _stand_in(name):
    def __init__(self, *args, **kwargs):
        raise _unavailable(name)

    return _Unbuilt(name, (), {"__init__": __init__, "__doc__": f"Stands in for pixlime.{name}: {MESSAGE}"})


for _name in ("Explanation", "FaithfulnessCurve", "blur_fill", "constant_fill", "distance_metric", "exponential_kernel",
              "felzenszwalb_options", "grid_options", "image_fill", "layout", "limits", "model_input",
              "quickshift_options", "render_options", "segment_mean_fill", "shapley_kernel", "slic_options",
              "weighted_ridge"):
    globals()[_name] = _stand_in(_name)


def decode_image(data, channels=0):
    raise _unavailable("decode_image")


def encode_png(image):
    raise _unavailable("encode_png")


def __getattr__(name):
    # Every other function of the compiled module (explain, slic, load_image, ...), when used.
    if name.startswith("__"):
        raise AttributeError(name)
    raise _unavailable(name)
