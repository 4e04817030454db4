"""Every default Python shows is the C++ library's: the keyword defaults of pixlime.explain, the
curves and the segmenter functions, and the defaults written in the type stubs (__init__.pyi), are
compared field by field with the default-constructed C++ structs (explain_options and
curve_options through pixlime._pixlime._defaults(); the option classes are the C++ structs
themselves, so a default instance holds the C++ defaults). Changing a default in a C++ header
without changing it here in Python fails these tests; so does a keyword nobody compared."""
import ast
import inspect
from pathlib import Path

import pixlime
import pytest

CPP = pixlime._core._defaults()
STUBS = Path(pixlime.__file__).with_name("__init__.pyi")

# The fill classes a fill name stands for (pixlime::fill_kind -> its struct, default-constructed).
FILL_CLASSES = {"segment_mean": pixlime.segment_mean_fill, "constant": pixlime.constant_fill, "blur": pixlime.blur_fill}
SEGMENTER_OPTIONS = {"slic": pixlime.slic_options, "quickshift": pixlime.quickshift_options,
                     "felzenszwalb": pixlime.felzenszwalb_options, "grid": pixlime.grid_options}


def fields(obj):
    return {name: getattr(obj, name) for name in dir(obj) if not name.startswith("_")}


def plain(value):
    """Sequences as lists (a stub writes (0, 0, 0) for the C++ std::array a field shows as a list)."""
    return [plain(v) for v in value] if isinstance(value, (list, tuple)) else value


def describe_fill(name):
    """What a fill name means in Python, described as _defaults() describes a C++ fill."""
    return {"name": name, **fields(FILL_CLASSES[name]())}


def keyword_defaults(function):
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def stub_functions():
    """{name or Class.name: {keyword: default}} from the stubs, each default evaluated in the
    package's namespace (2**28, distance_metric.cosine, ...)."""
    tree = ast.parse(STUBS.read_text())
    namespace = vars(pixlime)

    def defaults_of(node):
        args = node.args
        out = {}
        positional = args.posonlyargs + args.args
        for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
            out[arg.arg] = default
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            if default is not None:
                out[arg.arg] = default
        return {name: eval(compile(ast.Expression(d), str(STUBS), "eval"), namespace) for name, d in out.items()}

    found = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            found[node.name] = defaults_of(node)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    found[node.name + ".__init__"] = defaults_of(item)
    return found


STUB = stub_functions()


def test_the_cpp_defaults_are_exposed():
    # What the comparisons below rest on: the structs, field by field, and every stage name.
    assert set(CPP) == {"explain_options", "curve_options"}
    assert CPP["explain_options"]["num_samples"] >= 2 and CPP["curve_options"]["batch_size"] >= 1
    names = pixlime._core._names()
    assert set(names["fill"]) == set(FILL_CLASSES) and set(names["segmenter"]) == set(SEGMENTER_OPTIONS)
    assert CPP["explain_options"]["sampler"] in names["sampler"]
    assert CPP["explain_options"]["task"] in names["task"] and CPP["curve_options"]["task"] in names["task"]


def test_explain_keywords_default_to_explain_options():
    cpp = CPP["explain_options"]
    py = keyword_defaults(pixlime.explain)
    same = ["num_samples", "batch_size", "seed", "top_labels", "task", "segmenter", "sampler", "num_threads",
            "target_stability", "stability_top_k"]
    for name in same:
        assert py[name] == cpp[name], name
        assert type(py[name]) is type(cpp[name]), name  # 0 is not 0.0 in a signature someone reads
    assert describe_fill(py["fill"]) == cpp["fill"]
    assert py["labels"] is None and cpp["labels"] == []  # no labels: top_labels decides
    # None passes nothing, so the C++ default stays: these cannot drift.
    none_is_cpp_default = ["kernel", "surrogate", "model_input", "limits", "segments"]
    for name in none_is_cpp_default:
        assert py[name] is None, name
    assert py["progress"] is False  # no progress callback, as C++'s empty std::function
    # Every keyword is compared above, and every C++ field Python has (kernel and surrogate by
    # name: None keeps them).
    assert set(py) == set(same) | {"fill", "labels", "progress"} | set(none_is_cpp_default)
    assert set(cpp) <= set(py)
    assert cpp["kernel"] == "exponential_kernel" and cpp["surrogate"] == "weighted_ridge"  # what None means in the doc


@pytest.mark.parametrize("curve", [pixlime.deletion_curve, pixlime.insertion_curve])
def test_curve_keywords_default_to_curve_options(curve):
    cpp = CPP["curve_options"]
    py = keyword_defaults(curve)
    same = ["batch_size", "random_rankings", "seed", "task"]
    for name in same:
        assert py[name] == cpp[name], name
    assert describe_fill(py["deletion_fill"]) == cpp["deletion_fill"]
    # insertion_fill=None keeps the C++ default; the documentation says what that is.
    assert py["insertion_fill"] is None
    insertion = cpp["insertion_fill"]
    shown = ", ".join(f"{k}={v!r}" for k, v in insertion.items() if k != "name")
    assert f"{insertion['name']}_fill({shown})" in curve.__doc__, (insertion, curve.__doc__)
    none_is_cpp_default = ["explanation", "segments", "ranking", "model_input", "limits"]
    for name in none_is_cpp_default:
        assert py[name] is None, name
    assert py["progress"] is False
    assert set(py) == set(same) | {"deletion_fill", "insertion_fill", "progress"} | set(none_is_cpp_default)
    assert set(cpp) <= set(py)


@pytest.mark.parametrize("name", sorted(SEGMENTER_OPTIONS))
def test_segmenter_function_keywords_default_to_their_options(name):
    function = getattr(pixlime, name)
    options = fields(SEGMENTER_OPTIONS[name]())
    py = keyword_defaults(function)
    assert py == options, name


def test_option_class_stubs_show_the_cpp_defaults():
    classes = [name for name in pixlime.__all__ if isinstance(getattr(pixlime, name), type)
               and name + ".__init__" in STUB and name != "image_fill"]  # image_fill: a required image
    assert {"slic_options", "constant_fill", "exponential_kernel", "model_input", "limits", "render_options"} <= set(classes)
    for name in classes:
        instance = getattr(pixlime, name)()
        stub = STUB[name + ".__init__"]
        assert set(stub) == set(fields(instance)), name  # every field, with a default
        for field, default in stub.items():
            assert plain(default) == plain(getattr(instance, field)), (name, field, default)


@pytest.mark.parametrize("name", ["explain", "deletion_curve", "insertion_curve", "slic", "quickshift", "felzenszwalb",
                                  "grid", "load_image"])
def test_function_stubs_show_the_runtime_defaults(name):
    # The runtime defaults are held to the C++ ones above; the stubs are held to the runtime.
    assert STUB[name] == keyword_defaults(getattr(pixlime, name)), name


def test_a_renamed_keyword_still_works_with_a_deprecation_warning():
    import numpy as np
    image = np.zeros((8, 8, 3), np.uint8)
    segments = np.repeat(np.arange(4), 16).reshape(8, 8)

    def classify(batch):
        return batch.reshape(len(batch), -1).mean(axis=1, keepdims=True) / 255

    new = pixlime.explain(image, classify, segments=segments, num_samples=20, fill="blur")
    with pytest.warns(DeprecationWarning, match=r"hide= is deprecated, use fill="):
        old = pixlime.explain(image, classify, segments=segments, num_samples=20, hide="blur")
    np.testing.assert_array_equal(old.predictions, new.predictions)
    with pytest.raises(pixlime.InvalidArgument) as e:
        pixlime.explain(image, classify, segments=segments, num_samples=20, hide="blur", fill="blur")
    assert e.value.parameter == "hide" and "fill" in e.value.expected
    for curve in (pixlime.deletion_curve, pixlime.insertion_curve):
        kw = dict(label=1, segments=segments, ranking=[0, 1, 2, 3], random_rankings=0)
        new = curve(image + 100, classify, deletion_fill="constant", insertion_fill="constant", **kw)
        for old_name, new_name in (("removed", "deletion_fill"), ("substrate", "insertion_fill")):
            with pytest.warns(DeprecationWarning, match=f"{old_name}= is deprecated, use {new_name}="):
                old = curve(image + 100, classify, **{old_name: "constant"},
                            **{n: "constant" for n in ("deletion_fill", "insertion_fill") if n != new_name}, **kw)
            np.testing.assert_array_equal(old.score, new.score)
            with pytest.raises(pixlime.InvalidArgument) as e:
                curve(image, classify, **{old_name: "constant", new_name: "constant"}, **kw)
            assert e.value.parameter == old_name


def test_every_library_name_is_accepted_and_a_bad_one_lists_them():
    import numpy as np
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)  # every segmenter finds segments

    def classify(batch):
        return batch.reshape(len(batch), -1).mean(axis=1, keepdims=True) / 255

    names = pixlime._core._names()
    for keyword, values in (("sampler", names["sampler"]), ("segmenter", names["segmenter"]), ("fill", names["fill"]),
                            ("task", names["task"])):
        for value in values:
            pixlime.explain(image, classify, num_samples=12, **{keyword: value})  # accepted
        with pytest.raises(pixlime.InvalidArgument) as e:
            pixlime.explain(image, classify, num_samples=12, **{keyword: "no such name"})
        assert e.value.parameter == keyword and e.value.value == "no such name"
        assert all(f"'{value}'" in e.value.expected for value in values), e.value.expected
