// pixlime._pixlime: the C++ library for Python (pybind11). numpy in, numpy out; the GIL is
// released while pixlime works and taken only around the user's callables (the classifier, a
// custom sampler, kernel or surrogate, the progress callback). The public package (python/pixlime)
// re-exports these names and adds the keyword conveniences.
//
// stb is compiled into this module unless the build links a system stb library (CMake defines
// PIXLIME_STB_LINKED then).
#define PIXLIME_STB_IMPLEMENTATION
#include <pixlime/pixlime.hpp>
#include <pixlime/segmentation_target.hpp>
#include <pixlime_app/record.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace py = pybind11;

namespace {

// ---------------------------------------------------------------------------------------------
// Exceptions: pixlime.Error and subclasses that are also the fitting Python built-ins.

struct exception_types {
    PyObject* error = nullptr;
    PyObject* invalid_argument = nullptr;
    PyObject* size_limit = nullptr;
    PyObject* io = nullptr;
    PyObject* classifier = nullptr;
    PyObject* stage = nullptr;
    PyObject* cancelled = nullptr;
};
exception_types exceptions;

PyObject* new_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
    const std::string qualified = std::string("pixlime.") + name;
    PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
    if (!type) throw py::error_already_set();
    m.attr(name) = py::handle(type);
    return type;
}

/// The Python exception object for a pixlime::error, with its parts as attributes.
py::object python_error(const pixlime::error& e) {
    PyObject* type = exceptions.error;
    if (dynamic_cast<const pixlime::size_limit_error*>(&e)) type = exceptions.size_limit;
    else if (dynamic_cast<const pixlime::invalid_argument*>(&e)) type = exceptions.invalid_argument;
    else if (dynamic_cast<const pixlime::io_error*>(&e)) type = exceptions.io;
    else if (dynamic_cast<const pixlime::classifier_error*>(&e)) type = exceptions.classifier;
    else if (dynamic_cast<const pixlime::stage_error*>(&e)) type = exceptions.stage;
    else if (dynamic_cast<const pixlime::cancelled*>(&e)) type = exceptions.cancelled;
    py::object instance = py::reinterpret_borrow<py::object>(type)(e.what());
    instance.attr("parameter") = e.parameter();
    instance.attr("value") = e.value();
    instance.attr("expected") = e.expected();
    return instance;
}

/// A Python exception raised by a user's callable, carried through pixlime's C++ code (which
/// nests it in a pixlime::classifier_error, or a pixlime::stage_error for a custom sampler,
/// kernel or surrogate) and restored unchanged when it reaches Python again.
/// what() is "TypeName: message", without the traceback.
struct python_exception : std::exception {
    py::error_already_set original;
    std::string message;
    bool chain = true;  // false for pixlime's own Ctrl-C check: a KeyboardInterrupt with no cause
    explicit python_exception(py::error_already_set e, bool chain_to_pixlime = true)
        : original(std::move(e)), chain(chain_to_pixlime) {
        message = py::str(original.type().attr("__name__")).cast<std::string>();
        const std::string text = py::str(original.value()).cast<std::string>();
        if (!text.empty()) message += ": " + text;
    }
    const char* what() const noexcept override { return message.c_str(); }
};

/// Runs f (with the GIL held), turning a Python exception into a python_exception.
template <class F>
auto call_python(const F& f) -> decltype(f()) {
    try {
        return f();
    } catch (py::error_already_set& e) {
        throw python_exception(std::move(e));
    }
}

void translate(std::exception_ptr p) {
    try {
        if (p) std::rethrow_exception(p);
    } catch (const pixlime::error& e) {
        // The classifier's or a stage's own Python exception comes back unchanged, chained to
        // pixlime's (classifier_error or stage_error, whichever nested it).
        try {
            std::rethrow_if_nested(e);
        } catch (python_exception& p) {
            if (p.chain) p.original.value().attr("__cause__") = python_error(e);
            p.original.restore();
            return;
        } catch (...) {
        }
        const py::object err = python_error(e);
        PyErr_SetObject(err.get_type().ptr(), err.ptr());
    } catch (python_exception& p) {  // from a callback pixlime does not wrap (progress, Ctrl-C)
        p.original.restore();
    }
}

// ---------------------------------------------------------------------------------------------
// Images

/// The accepted dtypes, as the error for any other says.
constexpr const char* accepted_dtypes =
    "a real dtype: uint8 or float32 (used as they are), another float (float64, float16, ...) or an integer or bool "
    "dtype (converted to float32 as scikit-image's img_as_float32 does)";

/// True when numpy holds the two dtypes equal (`is` fails for dtypes with metadata).
bool same_dtype(const py::dtype& a, const py::dtype& b) { return PyObject_RichCompareBool(a.ptr(), b.ptr(), Py_EQ) == 1; }

/// A numpy image, (H, W) or (H, W, C), as pixlime reads it: uint8 or float32, C-contiguous,
/// held for as long as pixlime reads it. Every numpy image enters pixlime here, so this is the
/// one place of the dtype rule that python/pixlime/__init__.py's _IMAGE_DTYPES states:
/// - uint8 and float32 are used as they are (a copy only when not contiguous): pixlime's
///   native types, whose results must not change;
/// - other floats become float32 with their values kept (numpy's astype, as scikit-image's
///   img_as_float32); a finite value beyond float32's range is refused rather than made inf;
///   NaN and inf stay, for pixlime to refuse or take as it does for float32;
/// - integers are scaled by their type's maximum exactly as img_as_float32 does
///   (skimage/util/dtype.py, _convert): v * (1 / max) computed in float32 for types of up to
///   4 bytes and in float64 for 8-byte ones, signed results then clipped at -1 (so the most
///   negative value maps to -1); bool becomes 0 / 1. scikit-image's own segmenters see these
///   values, so option values keep their meaning.
/// Anything else (complex, object, strings, datetimes, ...) is refused naming its dtype.
struct input_image {
    py::array array;  // C-contiguous, uint8 or float32
    int width = 0, height = 0, channels = 0;
    bool is_float = false;
    std::string dtype;  // the dtype the caller passed, for messages

    explicit input_image(const py::handle& object, const char* name = "image") {
        py::array a = py::array::ensure(object);
        if (!a) throw pixlime::invalid_argument(name, py::str(py::type::of(object)).cast<std::string>(), "a numpy array");
        if (a.ndim() != 2 && a.ndim() != 3)
            throw pixlime::invalid_argument(std::string(name) + " shape", std::to_string(a.ndim()) + " dimensions",
                                            "(H, W) or (H, W, C)");
        // Shape checks first: a conversion allocates.
        height = int(a.shape(0));
        width = int(a.shape(1));
        channels = a.ndim() == 3 ? int(a.shape(2)) : 1;
        if (a.ndim() == 3 && a.shape(2) > pixlime::max_channels)
            throw pixlime::invalid_argument(std::string(name) + " channels", a.shape(2), "1 to " + std::to_string(pixlime::max_channels));
        if (a.shape(0) > (1 << 30) || a.shape(1) > (1 << 30))
            throw pixlime::size_limit_error(std::string(name) + " size", std::to_string(a.shape(1)) + "x" + std::to_string(a.shape(0)),
                                            "at most 2^30 pixels a side");
        dtype = py::str(a.dtype()).cast<std::string>();
        const char kind = a.dtype().kind();
        const auto bytes = a.dtype().itemsize();
        if (same_dtype(a.dtype(), py::dtype::of<std::uint8_t>())) {
            array = py::array::ensure(a, py::array::c_style);
        } else if (same_dtype(a.dtype(), py::dtype::of<float>())) {
            is_float = true;
            array = py::array::ensure(a, py::array::c_style);
        } else if (kind == 'f') {
            is_float = true;
            array = to_float32(a, name);
        } else if (kind == 'b') {
            is_float = true;
            array = py::array_t<float, py::array::c_style | py::array::forcecast>(a);
        } else if ((kind == 'u' || kind == 'i') && bytes <= 4) {
            is_float = true;
            array = scaled_integers<float>(a, kind == 'i', bytes);
        } else if ((kind == 'u' || kind == 'i') && bytes == 8) {
            is_float = true;
            array = scaled_integers<double>(a, kind == 'i', bytes);
        } else {
            throw pixlime::invalid_argument(std::string(name) + " dtype", dtype, accepted_dtypes);
        }
    }
    template <class T>
    pixlime::image_view<const T> view() const {
        return pixlime::image_view<const T>(static_cast<const T*>(array.data()), width, height, channels);
    }

private:
    /// A float array other than float32 as float32 (numpy's cast, round to nearest), refusing a
    /// finite value the cast turns into inf: the image would not keep its values.
    py::array to_float32(const py::array& a, const char* name) const {
        const py::array_t<float, py::array::c_style | py::array::forcecast> out(a);  // throws if numpy cannot
        const float* v = out.data();
        for (py::ssize_t i = 0; i < out.size(); ++i) {
            if (!std::isinf(v[i])) continue;
            const py::object original = a.attr("ravel")()[py::int_(i)];
            if (!py::module_::import("numpy").attr("isfinite")(original).cast<bool>()) continue;  // inf in the input
            const py::ssize_t c = i % channels, x = (i / channels) % width, y = i / channels / width;
            throw pixlime::invalid_argument(std::string(name) + " pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") channel " +
                                                std::to_string(c),
                                            py::repr(original).cast<std::string>(),
                                            "a value float32 holds (magnitude at most 3.4028235e38): pixlime works on " + dtype +
                                                " images as float32");
        }
        return out;
    }

    /// img_as_float32 of an integer array: v * (1 / max) in Compute (float32 up to 4-byte
    /// types, float64 for 8-byte ones, as scikit-image picks), signed results clipped at -1.
    template <class Compute>
    py::array scaled_integers(const py::array& a, bool is_signed, py::ssize_t bytes) const {
        double max = 0;
        if (is_signed) max = double((std::uint64_t(1) << (8 * bytes - 1)) - 1);
        else max = bytes == 8 ? double(std::numeric_limits<std::uint64_t>::max()) : double((std::uint64_t(1) << (8 * bytes)) - 1);
        py::array_t<Compute, py::array::c_style | py::array::forcecast> work(a);  // a new array: a's dtype differs
        const Compute scale = Compute(1.0 / max);
        Compute* v = work.mutable_data();
        for (py::ssize_t i = 0; i < work.size(); ++i) {
            v[i] *= scale;
            if (is_signed && v[i] < Compute(-1)) v[i] = Compute(-1);
        }
        if constexpr (std::is_same_v<Compute, float>) return work;
        else return py::array_t<float, py::array::c_style | py::array::forcecast>(work);
    }
};

template <class T>
py::array to_numpy(const pixlime::image<T>& img) {
    py::array_t<T> out({py::ssize_t(img.height()), py::ssize_t(img.width()), py::ssize_t(img.channels())});
    std::copy(img.data(), img.data() + img.size(), out.mutable_data());
    return std::move(out);
}

py::array labels_to_numpy(const pixlime::segmentation& seg) {
    py::array_t<std::int32_t> out({py::ssize_t(seg.height()), py::ssize_t(seg.width())});
    std::copy(seg.labels().begin(), seg.labels().end(), out.mutable_data());
    return std::move(out);
}

/// An (H, W) array of integer ids as a segmentation of a width x height image (any ids).
pixlime::segmentation to_segmentation(const py::handle& object, int width, int height, const char* name = "segments") {
    py::array a = py::array::ensure(object);
    if (!a || a.ndim() != 2)
        throw pixlime::invalid_argument(std::string(name) + " shape", a ? std::to_string(a.ndim()) + " dimensions" : "not an array",
                                        "(H, W) integer ids");
    if (a.shape(0) != height || a.shape(1) != width)
        throw pixlime::invalid_argument(std::string(name) + " size", std::to_string(a.shape(1)) + "x" + std::to_string(a.shape(0)),
                                        "the image's " + std::to_string(width) + "x" + std::to_string(height));
    const auto kind = a.dtype().kind();
    if (kind != 'i' && kind != 'u')
        throw pixlime::invalid_argument(std::string(name) + " dtype", py::str(a.dtype()).cast<std::string>(), "integer ids");
    py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> ids(a);
    return pixlime::segmentation::from_labels(width, height, ids.data(), std::size_t(ids.size()));
}

// ---------------------------------------------------------------------------------------------
// Options from Python values

/// A stage's name parsed by the library's own parser (pixlime::parse_sampling, ...), so that the
/// names Python accepts are the library's; a bad name's error also lists what else Python takes.
template <class Parse>
auto parse_name(const Parse& parse, const std::string& name, const std::string& parameter, const std::string& also) {
    try {
        return parse(name, parameter);
    } catch (const pixlime::invalid_argument& e) {
        throw pixlime::invalid_argument(e.parameter(), e.value(), e.expected() + ", " + also);
    }
}

/// What a segmenter= value may be besides a name, for error messages.
const char* const segmenter_also = "an options object or a callable";
/// What a fill= value may be besides a name.
const char* const fill_also = "a fill object or a callable";

pixlime::segmenter make_segmenter(const py::object& s) {
    if (s.is_none()) return pixlime::segmenter{};
    if (py::isinstance<py::str>(s)) return parse_name(pixlime::parse_segmenter_kind, s.cast<std::string>(), "segmenter", segmenter_also);
    if (py::isinstance<pixlime::slic_options>(s)) return s.cast<pixlime::slic_options>();
    if (py::isinstance<pixlime::quickshift_options>(s)) return s.cast<pixlime::quickshift_options>();
    if (py::isinstance<pixlime::felzenszwalb_options>(s)) return s.cast<pixlime::felzenszwalb_options>();
    if (py::isinstance<pixlime::grid_options>(s)) return s.cast<pixlime::grid_options>();
    throw pixlime::invalid_argument("segmenter", py::str(py::type::of(s)).cast<std::string>(),
                                    "one of " + pixlime::detail::quoted_names(pixlime::segmenter_kinds) + ", " + segmenter_also);
}

/// The fill: a name, a fill object, or (handled by explain) a callable; None is explain's default.
pixlime::fill make_fill(const py::object& h, const char* parameter = "fill") {
    if (h.is_none()) return pixlime::fill{};
    if (py::isinstance<py::str>(h)) return parse_name(pixlime::parse_fill_kind, h.cast<std::string>(), parameter, fill_also);
    if (py::isinstance<pixlime::segment_mean_fill>(h)) return h.cast<pixlime::segment_mean_fill>();
    if (py::isinstance<pixlime::constant_fill>(h)) return h.cast<pixlime::constant_fill>();
    if (py::isinstance<pixlime::blur_fill>(h)) return h.cast<pixlime::blur_fill>();
    if (py::isinstance<pixlime::image_fill>(h)) return h.cast<pixlime::image_fill>();
    throw pixlime::invalid_argument(parameter, py::str(py::type::of(h)).cast<std::string>(),
                                    "one of " + pixlime::detail::quoted_names(pixlime::fill_kinds) + ", " + fill_also);
}

/// A callable fill's result (image, segments) -> image as an image_fill; `parameter` names it.
pixlime::fill callable_fill(const py::object& f, const input_image& in, const pixlime::segmentation& seg, const std::string& parameter) {
    const std::string result = parameter + " result";
    const input_image fill(f(in.array, labels_to_numpy(seg)), result.c_str());
    if (fill.width != in.width || fill.height != in.height || fill.channels != in.channels)
        throw pixlime::invalid_argument(result + " size",
                                        std::to_string(fill.width) + "x" + std::to_string(fill.height) + "x" + std::to_string(fill.channels),
                                        "the image's size and channels");
    pixlime::image<float> replacement(in.width, in.height, in.channels);
    if (fill.is_float) {
        const auto v = fill.view<float>();
        std::copy(v.data(), v.data() + replacement.size(), replacement.data());
    } else {
        const auto v = fill.view<std::uint8_t>();
        std::copy(v.data(), v.data() + replacement.size(), replacement.data());
    }
    return pixlime::image_fill{std::move(replacement)};
}

bool is_callable_fill(const py::object& h) { return !h.is_none() && !py::isinstance<py::str>(h) && PyCallable_Check(h.ptr()); }

/// A Python array as a #samples by #segments mask matrix (a custom sampler's result).
pixlime::mask_matrix to_masks(const py::handle& object) {
    py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast> a(py::array::ensure(object));
    if (!a || a.ndim() != 2) throw std::invalid_argument("a sampler must return a (num_samples, num_segments) array of 0 and 1");
    pixlime::mask_matrix m(a.shape(0), a.shape(1));
    std::copy(a.data(), a.data() + a.size(), m.data());
    return m;
}

py::array masks_to_numpy(const pixlime::mask_matrix& m) {
    py::array_t<std::uint8_t> out({py::ssize_t(m.rows()), py::ssize_t(m.cols())});
    std::copy(m.data(), m.data() + m.size(), out.mutable_data());
    return std::move(out);
}

py::array matrix_to_numpy(const Eigen::MatrixXd& m) {
    py::array_t<double> out({py::ssize_t(m.rows()), py::ssize_t(m.cols())});
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c) out.mutable_at(r, c) = m(r, c);
    return std::move(out);
}

py::array vector_to_numpy(const Eigen::VectorXd& v) {
    py::array_t<double> out(py::ssize_t(v.size()));
    std::copy(v.data(), v.data() + v.size(), out.mutable_data());
    return std::move(out);
}

Eigen::VectorXd to_vector(const py::handle& object, const char* what) {
    py::array_t<double, py::array::c_style | py::array::forcecast> a(py::array::ensure(object));
    if (!a || a.ndim() != 1) throw std::invalid_argument(std::string(what) + " must be a 1-D array");
    return Eigen::Map<const Eigen::VectorXd>(a.data(), a.size());
}

/// Whatever a Python classifier returned, as an N x C matrix of doubles: numpy arrays, lists,
/// torch tensors (.detach().cpu().numpy()), (N,) for a binary model.
Eigen::MatrixXd to_outputs(py::object result) {
    if (!py::isinstance<py::array>(result)) {
        if (py::hasattr(result, "detach") && py::hasattr(result, "numpy")) result = result.attr("detach")().attr("cpu")().attr("numpy")();
        else if (py::hasattr(result, "numpy")) result = result.attr("numpy")();
    }
    py::array_t<double, py::array::c_style | py::array::forcecast> a(py::array::ensure(result));
    if (!a) throw std::invalid_argument("the classifier returned " + py::str(py::type::of(result)).cast<std::string>() +
                                        ": expected an (N, classes) or (N,) array");
    if (a.ndim() == 1) return Eigen::Map<const Eigen::MatrixXd>(a.data(), a.shape(0), 1);
    if (a.ndim() != 2)
        throw std::invalid_argument("the classifier returned an array of " + std::to_string(a.ndim()) +
                                    " dimensions: expected (N, classes) or (N,)");
    using row_major = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    return Eigen::MatrixXd(Eigen::Map<const row_major>(a.data(), a.shape(0), a.shape(1)));
}

/// Throws the pending KeyboardInterrupt (or a signal handler's exception) when Ctrl-C was
/// pressed: it reaches Python unchained, as if Python code had been interrupted.
void check_signals() {
    if (PyErr_CheckSignals() != 0) throw python_exception(py::error_already_set(), false);
}

// ---------------------------------------------------------------------------------------------
// The explanation, with the image it explains (for the panes).

class explanation {
public:
    explanation(pixlime::explanation ex, std::variant<pixlime::image<std::uint8_t>, pixlime::image<float>> img)
        : ex_(std::move(ex)), image_(std::move(img)) {}

    const pixlime::explanation& get() const { return ex_; }

    py::array pane(int which, int label, const py::object& num_features, const py::object& options) const {
        pixlime::render_options ro = options.is_none() ? pixlime::render_options{} : options.cast<pixlime::render_options>();
        if (!num_features.is_none()) ro.num_features = num_features.cast<int>();
        const Eigen::VectorXd& w = ex_.weights(label);  // throws for a label not explained
        pixlime::image<std::uint8_t> out;
        {
            py::gil_scoped_release release;
            std::visit(
                [&](const auto& img) {
                    switch (which) {
                        case 0: out = pixlime::render_positive(img, ex_.segments(), w, ro); break;
                        case 1: out = pixlime::render_negative(img, ex_.segments(), w, ro); break;
                        case 2: out = pixlime::render_overlay(img, ex_.segments(), w, ro); break;
                        default: out = pixlime::render_heatmap(img, ex_.segments(), w, ro);
                    }
                },
                image_);
            // A target's box or region on its panes, at the panes' scale (as the command draws them).
            const pixlime::rgb cyan{0, 210, 255};
            const std::size_t k = std::size_t(label);
            if (k < target_boxes.size()) pixlime::draw_box(out, target_boxes[k], cyan, ro.scale);
            if (k < target_regions.size()) pixlime::draw_outline(out, target_regions[k].view(), cyan, ro.scale);
        }
        return to_numpy(out);
    }

    /// The app layer's record of this explanation (pixlime::app::explanation_record) as JSON
    /// text and, when `panes`, the panes it renders (pixlime::app::render_record_panes) by file
    /// name: pixlime.dask's records are the C++ writer's. `head`: JSON text of the record head
    /// (fields, model, settings, segmenter, classes, load_ms, elapsed_ms).
    py::tuple record(const std::string& head_json, bool panes) const {
        const nlohmann::json h = nlohmann::json::parse(head_json);
        pixlime::app::record_head head;
        head.fields = h.at("fields");
        head.model = h.at("model").get<std::string>();
        head.settings = h.at("settings");
        head.segmenter = h.at("segmenter").get<std::string>();
        head.classes = h.at("classes").get<std::vector<std::string>>();
        head.load_ms = h.at("load_ms").get<double>();
        head.start -= std::chrono::microseconds(std::int64_t(h.at("elapsed_ms").get<double>() * 1000));
        std::optional<pixlime::app::record_panes> p;
        std::string text;
        {
            py::gil_scoped_release release;
            if (panes) p = std::visit([&](const auto& img) { return pixlime::app::render_record_panes(img.view(), ex_, head); }, image_);
            text = pixlime::app::explanation_record(ex_, head, p ? &*p : nullptr).dump(2) + "\n";
        }
        py::dict files;
        if (p) {
            files["input.png"] = to_numpy(p->input);
            files["positive.png"] = to_numpy(p->positive);
            files["negative.png"] = to_numpy(p->negative);
            files["heatmap.png"] = to_numpy(p->heatmap);
        }
        return py::make_tuple(text, files);
    }

    /// What a target model's outputs were (explain_detections' detections, explain_segmentation's
    /// regions, label k = target k, as Python values); None for pixlime.explain.
    py::object targets = py::none();
    /// Drawn on the panes of label k: target k's box (explain_detections), or its region at the
    /// image's size (explain_segmentation).
    std::vector<pixlime::box> target_boxes;
    std::vector<pixlime::image<std::uint8_t>> target_regions;
    /// The explained image's width and height.
    std::pair<int, int> image_size() const {
        return std::visit([](const auto& img) { return std::make_pair(img.width(), img.height()); }, image_);
    }

private:
    pixlime::explanation ex_;
    std::variant<pixlime::image<std::uint8_t>, pixlime::image<float>> image_;
};

struct callables {
    py::object classifier = py::none(), sampler = py::none(), kernel = py::none(), surrogate = py::none(),
               progress = py::none();
};

/// The user's Python classifier as pixlime calls it. pixlime writes the batches into a numpy
/// array this allocates (batch_memory), and each batch reaches Python as a read-only view of
/// it: no copy, and an array the classifier keeps stays valid (its contents are those of a
/// later batch), whenever it is read.
struct python_classifier {
    py::object classifier;
    py::object memory = py::none();  // the numpy array pixlime writes the batches into
    py::object array = py::none();   // the view of the last batch handed over
    int batch_size = -1;
    const void* batch_data = nullptr;

    template <class V>
    V* batch_memory(std::size_t values) {
        py::gil_scoped_acquire gil;
        py::array_t<V> a(static_cast<py::ssize_t>(values));
        memory = a;
        return a.mutable_data();
    }

    template <class V>
    Eigen::MatrixXd operator()(pixlime::batch_view<const V> batch) {
        py::gil_scoped_acquire gil;
        check_signals();
        const py::object& arr = batch_array(batch);
        return call_python([&] { return to_outputs(classifier(arr)); });
    }

    /// The read-only numpy view of `batch` (in `memory`) handed to Python; call with the GIL.
    template <class V>
    const py::object& batch_array(pixlime::batch_view<const V> batch) {
        // Every batch is in `memory`, so one array per batch size serves every call.
        if (batch.size() != batch_size || batch.data() != batch_data) {
            std::vector<py::ssize_t> shape, strides;
            const py::ssize_t n = batch.size(), h = batch.height(), w = batch.width(), c = batch.channels(), s = sizeof(V);
            if (batch.layout() == pixlime::layout::nchw) {
                shape = {n, c, h, w};
                strides = {c * h * w * s, h * w * s, w * s, s};
            } else {
                shape = {n, h, w, c};
                strides = {h * w * c * s, w * c * s, c * s, s};
            }
            array = py::array(py::dtype::of<V>(), shape, strides, batch.data(), memory);
            py::detail::array_proxy(array.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
            batch_size = batch.size();
            batch_data = batch.data();
        }
        return array;
    }
};

/// explain of `model` (python_classifier, or a target model around a Python model), the GIL
/// released for everything but the Python callables.
template <class T, class Model>
explanation explain_typed(const input_image& in, const pixlime::segmentation* seg, pixlime::explain_options opt,
                          const callables& py_calls, Model& classify) {
    const auto view = in.view<T>();
    if (!py_calls.sampler.is_none())
        opt.sampler = pixlime::sampler(
            [f = py_calls.sampler](int n, int k, std::uint64_t s) {
                py::gil_scoped_acquire gil;
                return to_masks(call_python([&] { return f(n, k, s); }));
            },
            "python");
    if (!py_calls.kernel.is_none())
        opt.kernel = pixlime::kernel(
            [f = py_calls.kernel](const pixlime::mask_matrix& m) {
                py::gil_scoped_acquire gil;
                return to_vector(call_python([&] { return f(masks_to_numpy(m)); }), "a kernel's result");
            },
            "python");
    if (!py_calls.surrogate.is_none())
        opt.surrogate = pixlime::surrogate(
            [f = py_calls.surrogate](const pixlime::mask_matrix& m, const Eigen::VectorXd& w, const Eigen::MatrixXd& y) {
                py::gil_scoped_acquire gil;
                std::vector<pixlime::linear_fit> fits;
                const py::object result = call_python([&] { return f(masks_to_numpy(m), vector_to_numpy(w), matrix_to_numpy(y)); });
                for (const py::handle& fit : result) {
                    const py::tuple t = py::reinterpret_borrow<py::object>(fit).cast<py::tuple>();
                    if (t.size() != 4) throw std::invalid_argument("a surrogate must return (weights, intercept, score, local_prediction) per target");
                    fits.push_back({to_vector(t[0], "a fit's weights"), t[1].cast<double>(), t[2].cast<double>(), t[3].cast<double>()});
                }
                return fits;
            },
            "python");
    if (!py_calls.progress.is_none())
        opt.progress = [f = py_calls.progress](int done, int total) {
            py::gil_scoped_acquire gil;
            check_signals();
            const py::object r = f(done, total);
            return r.is_none() ? true : r.cast<bool>();
        };
    pixlime::explanation ex = [&] {
        py::gil_scoped_release release;
        return seg ? pixlime::explain(view, *seg, classify, opt) : pixlime::explain(view, classify, opt);
    }();
    return explanation(std::move(ex), pixlime::image<T>(view));
}

/// What pixlime.explain's keywords make: the image as pixlime reads it, the options, the
/// segmentation when segments=, a callable segmenter or a callable fill made it, and the Python
/// stages. explain runs it with the classifier; explain_detections and explain_segmentation with
/// their target models.
struct explain_setup {
    input_image in;
    pixlime::explain_options opt;
    std::unique_ptr<pixlime::segmentation> seg;
    callables calls;

    /// explain of `model` on the image, by its pixel type.
    template <class Model>
    explanation run(Model& model) const {
        return in.is_float ? explain_typed<float>(in, seg.get(), opt, calls, model)
                           : explain_typed<std::uint8_t>(in, seg.get(), opt, calls, model);
    }
};

explain_setup prepare_explain(const py::object& image, const py::object& classifier, const py::object& segments,
                              const py::object& segmenter, int num_samples, int batch_size, std::uint64_t seed, int top_labels,
                              const py::object& labels, const std::string& task, const py::object& sampler, const py::object& fill,
                              const py::object& kernel, const py::object& surrogate, const py::object& model_input,
                              const py::object& progress, int num_threads, double target_stability, int stability_top_k,
                              const py::object& limits, const char* model_name = "classifier") {
    explain_setup setup{input_image(image), {}, {}, {}};
    const input_image& in = setup.in;
    pixlime::explain_options& opt = setup.opt;
    opt.num_samples = num_samples;
    opt.batch_size = batch_size;
    opt.seed = seed;
    opt.top_labels = top_labels;
    if (!labels.is_none()) opt.labels = labels.cast<std::vector<int>>();
    opt.task = pixlime::parse_task(task, "task");
    opt.num_threads = num_threads;
    opt.target_stability = target_stability;
    opt.stability_top_k = stability_top_k;
    if (!limits.is_none()) opt.limits = limits.cast<pixlime::limits>();
    if (!model_input.is_none()) opt.model_input = model_input.cast<pixlime::model_input>();
    callables& calls = setup.calls;
    calls.classifier = classifier;
    if (!py::isinstance<py::function>(classifier) && !py::hasattr(classifier, "__call__"))
        throw pixlime::invalid_argument(model_name, py::str(py::type::of(classifier)).cast<std::string>(), "a callable");
    // Python callables for the segmenter and the fill run here, before the GIL is released.
    std::unique_ptr<pixlime::segmentation>& seg = setup.seg;
    if (!segments.is_none()) {
        seg = std::make_unique<pixlime::segmentation>(to_segmentation(segments, in.width, in.height));
    } else if (!segmenter.is_none() && !py::isinstance<py::str>(segmenter) && PyCallable_Check(segmenter.ptr()) &&
               !py::isinstance<pixlime::slic_options>(segmenter)) {
        seg = std::make_unique<pixlime::segmentation>(to_segmentation(segmenter(in.array), in.width, in.height, "segmenter result"));
    } else {
        opt.segmenter = make_segmenter(segmenter);
    }
    if (is_callable_fill(fill)) {
        if (!seg) {
            py::gil_scoped_release release;
            seg = std::make_unique<pixlime::segmentation>(in.is_float ? opt.segmenter(in.view<float>()) : opt.segmenter(in.view<std::uint8_t>()));
        }
        opt.fill = callable_fill(fill, in, *seg, "fill");
    } else {
        opt.fill = make_fill(fill);
    }
    if (!sampler.is_none() && py::isinstance<py::str>(sampler)) {
        opt.sampler = parse_name(pixlime::parse_sampling, sampler.cast<std::string>(), "sampler", "a callable");
    } else if (!sampler.is_none()) {
        calls.sampler = sampler;
    }
    if (!kernel.is_none() && py::isinstance<pixlime::exponential_kernel>(kernel)) opt.kernel = kernel.cast<pixlime::exponential_kernel>();
    else if (!kernel.is_none() && py::isinstance<pixlime::shapley_kernel>(kernel)) opt.kernel = kernel.cast<pixlime::shapley_kernel>();
    else if (!kernel.is_none()) calls.kernel = kernel;
    if (!surrogate.is_none() && py::isinstance<pixlime::weighted_ridge>(surrogate)) opt.surrogate = surrogate.cast<pixlime::weighted_ridge>();
    else if (!surrogate.is_none()) calls.surrogate = surrogate;
    calls.progress = progress;
    return setup;
}

explanation explain(const py::object& image, const py::object& classifier, const py::object& segments,
                    const py::object& segmenter, int num_samples, int batch_size, std::uint64_t seed, int top_labels,
                    const py::object& labels, const std::string& task, const py::object& sampler, const py::object& fill,
                    const py::object& kernel, const py::object& surrogate, const py::object& model_input, const py::object& progress, int num_threads,
                    double target_stability, int stability_top_k, const py::object& limits) {
    const explain_setup setup = prepare_explain(image, classifier, segments, segmenter, num_samples, batch_size, seed, top_labels, labels,
                                                task, sampler, fill, kernel, surrogate, model_input, progress, num_threads,
                                                target_stability, stability_top_k, limits);
    python_classifier classify{classifier};
    return setup.run(classify);
}

// ---------------------------------------------------------------------------------------------
// Target models: explain_detections (D-RISE through pixlime::detection_target) and
// explain_segmentation (pixlime::segmentation_target). The Python model's outputs are read here;
// the scoring is the C++ targets' own.

using row_major_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A torch tensor (.detach().cpu().numpy()) or anything else with .numpy() as a numpy array;
/// other values as they are.
py::object as_numpy(py::object value) {
    if (!py::isinstance<py::array>(value)) {
        if (py::hasattr(value, "detach") && py::hasattr(value, "numpy")) value = value.attr("detach")().attr("cpu")().attr("numpy")();
        else if (py::hasattr(value, "numpy")) value = value.attr("numpy")();
    }
    return value;
}

std::string type_name(const py::handle& value) { return py::str(py::type::of(value)).cast<std::string>(); }

/// "(2, 3, 4)": an array's shape as Python writes it.
std::string shape_text(const py::array& a) {
    std::string s = "(";
    for (py::ssize_t d = 0; d < a.ndim(); ++d) s += (d ? ", " : "") + std::to_string(a.shape(d));
    return s + (a.ndim() == 1 ? ",)" : ")");
}

/// `value` (an array, a torch tensor, a list) as a C-contiguous float64 array, or
/// pixlime::invalid_argument naming `what` and `expected`.
py::array_t<double, py::array::c_style | py::array::forcecast> doubles(const py::handle& value, const std::string& what,
                                                                       const std::string& expected) {
    const py::object v = as_numpy(py::reinterpret_borrow<py::object>(value));
    auto a = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(v);
    if (!a) {
        PyErr_Clear();
        throw pixlime::invalid_argument(what, type_name(v), expected);
    }
    return a;
}

/// A Python integer (or numpy integer, 0-d tensor) as an int, or pixlime::invalid_argument.
int to_index(const py::handle& value, const std::string& what, const std::string& expected) {
    const py::object v = as_numpy(py::reinterpret_borrow<py::object>(value));
    PyObject* i = PyNumber_Index(v.ptr());
    if (!i) {
        PyErr_Clear();
        throw pixlime::invalid_argument(what, py::repr(v).cast<std::string>(), expected);
    }
    const py::object index = py::reinterpret_steal<py::object>(i);
    int overflow = 0;
    const long long n = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
    if (overflow != 0 || n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max())
        throw pixlime::invalid_argument(what, py::repr(v).cast<std::string>(), expected);
    return int(n);
}

/// What a detection target is, for error messages.
constexpr const char* target_form =
    "a dict with 'box': (x, y, w, h) in pixels and the class as 'label' (a class id) and/or 'class_scores' (one score per "
    "class); optionally 'score' (or 'objectness')";

/// One target detection from its dict (see target_form); `name` is e.g. "targets[1]".
pixlime::detection to_detection(const py::handle& item, const std::string& name) {
    if (!py::isinstance<py::dict>(item)) throw pixlime::invalid_argument(name, type_name(item), target_form);
    const py::dict d = py::reinterpret_borrow<py::dict>(item);
    for (const auto& kv : d) {
        const std::string key = py::str(kv.first).cast<std::string>();
        if (key != "box" && key != "label" && key != "class_scores" && key != "score" && key != "objectness")
            throw pixlime::invalid_argument(name + " key", py::repr(kv.first).cast<std::string>(),
                                            "'box', 'label', 'class_scores', 'score' or 'objectness'");
    }
    pixlime::detection out;
    const std::string box_form = "(x, y, w, h): 4 finite numbers, the top-left corner, width and height in pixels, w and h >= 0 "
                                 "(a torchvision box x1, y1, x2, y2 is x1, y1, x2 - x1, y2 - y1)";
    if (!d.contains("box")) throw pixlime::invalid_argument(name + " box", "missing", box_form);
    const py::object box = d["box"];
    const auto b = doubles(box, name + " box", box_form);
    if (b.size() != 4) throw pixlime::invalid_argument(name + " box", py::repr(box).cast<std::string>(), box_form);
    const double* v = b.data();
    if (!std::isfinite(v[0]) || !std::isfinite(v[1]) || !std::isfinite(v[2]) || !std::isfinite(v[3]) || v[2] < 0 || v[3] < 0)
        throw pixlime::invalid_argument(name + " box", py::repr(box).cast<std::string>(), box_form);
    out.box = {v[0], v[1], v[2], v[3]};
    const bool has_label = d.contains("label") && !d["label"].is_none();
    const bool has_scores = d.contains("class_scores") && !d["class_scores"].is_none();
    if (!has_label && !has_scores)
        throw pixlime::invalid_argument(name, "no 'label' and no 'class_scores'",
                                        "the target's class: 'label' (a class id >= 0) and/or 'class_scores' (one score per class)");
    if (has_label) {
        out.class_id = to_index(d["label"], name + " label", "a class id >= 0");
        if (out.class_id < 0) throw pixlime::invalid_argument(name + " label", out.class_id, "a class id >= 0");
    }
    if (has_scores) {
        const auto s = doubles(d["class_scores"], name + " class_scores", "a 1-D sequence of class scores");
        if (s.ndim() != 1 || s.size() == 0)
            throw pixlime::invalid_argument(name + " class_scores", shape_text(s), "a 1-D sequence of at least one class score");
        out.class_scores = Eigen::Map<const Eigen::VectorXd>(s.data(), s.size());
        if (!out.class_scores.allFinite()) throw pixlime::invalid_argument(name + " class_scores", "NaN or Inf", "finite class scores");
    }
    if (d.contains("score") && d.contains("objectness"))
        throw pixlime::invalid_argument(name + " objectness", "given with 'score'", "one of 'score' and 'objectness' (the same value)");
    for (const char* key : {"score", "objectness"})
        if (d.contains(key) && !d[key].is_none()) {
            const py::object s = d[key];
            double value = std::numeric_limits<double>::quiet_NaN();
            try {
                value = as_numpy(s).cast<double>();
            } catch (const py::cast_error&) {
            }
            if (!std::isfinite(value)) throw pixlime::invalid_argument(name + " " + key, py::repr(s).cast<std::string>(), "a finite number");
            out.objectness = value;
        }
    return out;
}

std::vector<pixlime::detection> to_detections(const py::handle& list, const std::string& name) {
    if (!py::isinstance<py::list>(list) && !py::isinstance<py::tuple>(list))
        throw pixlime::invalid_argument(name, type_name(list), std::string("a list of detections, each ") + target_form);
    std::vector<pixlime::detection> out;
    std::size_t i = 0;
    for (const py::handle item : list) out.push_back(to_detection(item, name + "[" + std::to_string(i++) + "]"));
    return out;
}

/// A detection as the dict targets= takes: box (x, y, w, h), score (the objectness), label (when
/// it has a class id), class_scores (when it has them, a float64 array).
py::dict to_python(const pixlime::detection& d) {
    py::dict out;
    out["box"] = py::make_tuple(d.box.x, d.box.y, d.box.w, d.box.h);
    out["score"] = d.objectness;
    if (d.class_id >= 0) out["label"] = d.class_id;
    if (d.class_scores.size() > 0) out["class_scores"] = vector_to_numpy(d.class_scores);
    return out;
}

py::list to_python(const std::vector<pixlime::detection>& detections) {
    py::list out;
    for (const pixlime::detection& d : detections) out.append(to_python(d));
    return out;
}

enum class detection_layout { torchvision, yolo };

detection_layout parse_detection_layout(const std::string& name) {
    if (name == "torchvision") return detection_layout::torchvision;
    if (name == "yolo") return detection_layout::yolo;
    throw pixlime::invalid_argument("layout", name,
                                    "'torchvision' (per image a dict of boxes x1, y1, x2, y2, labels and scores) or 'yolo' (an (N, "
                                    "rows, 5 + classes) array of pre-NMS rows x_center, y_center, w, h, objectness, class scores)");
}

/// One image's torchvision output (a dict of boxes, labels, scores) as detections scoring at
/// least `min_score` (explain's batches: every one). `name`: e.g. "detector result[3]".
std::vector<pixlime::detection> torchvision_detections(const py::handle& item, const std::string& name, double min_score = 0) {
    const char* form = "a dict with 'boxes' (K, 4: x1, y1, x2, y2), 'labels' (K class ids) and 'scores' (K)";
    if (!PyMapping_Check(item.ptr()) || py::isinstance<py::array>(item)) throw pixlime::invalid_argument(name, type_name(item), form);
    for (const char* key : {"boxes", "labels", "scores"})
        if (!PyMapping_HasKeyString(item.ptr(), key)) throw pixlime::invalid_argument(name, std::string("no '") + key + "'", form);
    const py::object boxes_object = item["boxes"], labels_object = item["labels"], scores_object = item["scores"];
    const auto boxes = doubles(boxes_object, name + " boxes", "a (K, 4) array of x1, y1, x2, y2");
    const auto scores = doubles(scores_object, name + " scores", "a (K,) array of scores");
    const auto labels = doubles(labels_object, name + " labels", "a (K,) array of class ids");
    Eigen::MatrixXd b(0, 4);
    if (boxes.size() > 0) {
        if (boxes.ndim() != 2 || boxes.shape(1) != 4)
            throw pixlime::invalid_argument(name + " boxes shape", shape_text(boxes), "(K, 4): x1, y1, x2, y2 per detection");
        b = Eigen::Map<const row_major_matrix>(boxes.data(), boxes.shape(0), 4);
    }
    if (scores.ndim() > 1) throw pixlime::invalid_argument(name + " scores shape", shape_text(scores), "(K,): one score per box");
    if (labels.ndim() > 1) throw pixlime::invalid_argument(name + " labels shape", shape_text(labels), "(K,): one class id per box");
    std::vector<int> ids(std::size_t(labels.size()));
    for (py::ssize_t i = 0; i < labels.size(); ++i) {
        const double l = labels.data()[i];
        if (!(l >= 0) || l != std::floor(l) || l > std::numeric_limits<int>::max())
            throw pixlime::invalid_argument(name + " labels[" + std::to_string(i) + "]", l, "a class id: an integer >= 0");
        ids[std::size_t(i)] = int(l);
    }
    return pixlime::detections_from_torchvision(b, ids, Eigen::Map<const Eigen::VectorXd>(scores.data(), scores.size()), min_score);
}

/// One image's YOLO rows (R, 5 + classes) as detections (every row).
std::vector<pixlime::detection> yolo_detections(const double* data, py::ssize_t rows, py::ssize_t cols) {
    return pixlime::detections_from_yolo(Eigen::Map<const row_major_matrix>(data, rows, cols), 0);
}

/// A detector's result for a batch of `n` images as one list of detections per image.
std::vector<std::vector<pixlime::detection>> read_detections(const py::object& result, detection_layout layout, int n) {
    std::vector<std::vector<pixlime::detection>> out;
    const std::string count_form = "one entry per image of the batch: " + std::to_string(n);
    if (layout == detection_layout::torchvision) {
        if (!py::isinstance<py::list>(result) && !py::isinstance<py::tuple>(result))
            throw pixlime::invalid_argument("detector result", type_name(result),
                                            "for layout 'torchvision' a list with, per image, a dict of 'boxes', 'labels' and 'scores'");
        if (py::len(result) != std::size_t(n)) throw pixlime::invalid_argument("detector result length", py::len(result), count_form);
        int i = 0;
        for (const py::handle item : result) out.push_back(torchvision_detections(item, "detector result[" + std::to_string(i++) + "]"));
        return out;
    }
    const std::string form = "for layout 'yolo' an (N, rows, 5 + classes) array (or a list of N (rows, 5 + classes) arrays) of "
                             "x_center, y_center, w, h, objectness, class scores";
    const py::object r = as_numpy(result);
    if (py::isinstance<py::list>(r) || py::isinstance<py::tuple>(r)) {
        if (py::len(r) != std::size_t(n)) throw pixlime::invalid_argument("detector result length", py::len(r), count_form);
        int i = 0;
        for (const py::handle item : r) {
            const std::string name = "detector result[" + std::to_string(i++) + "]";
            const auto a = doubles(item, name, form);
            if (a.size() == 0) {
                out.emplace_back();
                continue;
            }
            if (a.ndim() != 2) throw pixlime::invalid_argument(name + " shape", shape_text(a), "(rows, 5 + classes)");
            out.push_back(yolo_detections(a.data(), a.shape(0), a.shape(1)));
        }
        return out;
    }
    const auto a = doubles(r, "detector result", form);
    if (a.ndim() != 3) throw pixlime::invalid_argument("detector result shape", shape_text(a), form);
    if (a.shape(0) != n) throw pixlime::invalid_argument("detector result shape", shape_text(a), "(N, rows, 5 + classes) with N = " + std::to_string(n) + ", the batch's images");
    const py::ssize_t per_image = a.shape(1) * a.shape(2);
    for (int i = 0; i < n; ++i) out.push_back(yolo_detections(a.data() + i * per_image, a.shape(1), a.shape(2)));
    return out;
}

/// The user's Python detector as pixlime::detection_target calls it: each batch handed over as
/// python_classifier hands a classifier its batches (`batches`' numpy memory), the result read
/// as detections with the GIL held; the scoring then runs without it.
struct python_detector {
    py::object detector;
    detection_layout layout = detection_layout::torchvision;
    python_classifier* batches = nullptr;

    template <class V>
    std::vector<std::vector<pixlime::detection>> operator()(pixlime::batch_view<const V> batch) const {
        py::gil_scoped_acquire gil;
        check_signals();
        const py::object& arr = batches->batch_array(batch);
        return call_python([&] { return read_detections(detector(arr), layout, batch.size()); });
    }
};

/// A Python segmentation model's result for a batch of `n` images, (N, C, H, W) (nchw) or (N, H,
/// W, C) (nhwc), as one score row per image in that layout; `shape` is the score map's, set by
/// the first call (classes 0) and held to it after.
row_major_matrix read_score_maps(const py::object& result, pixlime::layout layout, int n, pixlime::pixel_scores& shape) {
    const bool nchw = layout == pixlime::layout::nchw;
    const std::string form = nchw ? "an (N, C, H, W) array of per-pixel class scores (layout 'nchw')"
                                  : "an (N, H, W, C) array of per-pixel class scores (layout 'nhwc')";
    const auto a = doubles(result, "segmentation model result", form);
    if (a.ndim() != 4) throw pixlime::invalid_argument("segmentation model result shape", shape_text(a), form);
    if (a.shape(0) != n)
        throw pixlime::invalid_argument("segmentation model result shape", shape_text(a),
                                        form + " with N = " + std::to_string(n) + ", the batch's images");
    const py::ssize_t c = nchw ? a.shape(1) : a.shape(3), h = nchw ? a.shape(2) : a.shape(1), w = nchw ? a.shape(3) : a.shape(2);
    if (shape.classes == 0) {
        if (c < 1 || h < 1 || w < 1 || c > std::numeric_limits<int>::max() || h > std::numeric_limits<int>::max() ||
            w > std::numeric_limits<int>::max())
            throw pixlime::invalid_argument("segmentation model result shape", shape_text(a), form + " with C, H and W >= 1");
        shape = {int(w), int(h), int(c), layout};
    } else if (c != shape.classes || h != shape.height || w != shape.width) {
        throw pixlime::invalid_argument("segmentation model result shape", shape_text(a),
                                        "the score maps of the image's call: C = " + std::to_string(shape.classes) + ", H = " +
                                            std::to_string(shape.height) + ", W = " + std::to_string(shape.width));
    }
    return Eigen::Map<const row_major_matrix>(a.data(), n, c * h * w);
}

/// The user's Python segmentation model as pixlime::segmentation_target calls it (see
/// python_detector).
struct python_segmentation_model {
    py::object model;
    pixlime::layout layout = pixlime::layout::nchw;
    python_classifier* batches = nullptr;
    pixlime::pixel_scores shape;  // classes 0 until the first call

    template <class V>
    row_major_matrix operator()(pixlime::batch_view<const V> batch) {
        py::gil_scoped_acquire gil;
        check_signals();
        const py::object& arr = batches->batch_array(batch);
        return call_python([&] { return read_score_maps(model(arr), layout, batch.size(), shape); });
    }
};

/// A C++ target model (detection_target, segmentation_target) whose batches pixlime writes into
/// `batches`' numpy memory, so that the Python model gets views without a copy, as a classifier.
template <class Target>
struct python_target {
    Target target;
    python_classifier* batches;

    template <class V>
    V* batch_memory(std::size_t values) {
        return batches->batch_memory<V>(values);
    }
    template <class V, std::enable_if_t<std::is_invocable_v<Target&, pixlime::batch_view<const V>>, int> = 0>
    Eigen::MatrixXd operator()(pixlime::batch_view<const V> batch) {
        return target(batch);
    }
};

/// `call` on the explained image alone (a batch of one), in the form explain hands the model its
/// batches (model_input), the memory from `batches`.
template <class U, class T, class Call>
auto call_on_image_as(const input_image& in, const pixlime::model_input& input, python_classifier& batches, Call& call) {
    const std::vector<U> values = pixlime::detail::to_model_input<U, T>(in.view<T>(), input);
    U* memory = batches.batch_memory<U>(values.size());
    std::copy(values.begin(), values.end(), memory);
    return call(pixlime::batch_view<const U>(memory, 1, in.width, in.height, input.output_channels(in.channels), input.layout));
}

template <class Call>
auto call_on_image(const explain_setup& setup, python_classifier& batches, Call& call) {
    const pixlime::model_input& input = setup.opt.model_input;
    input.validate(setup.in.channels);
    if (setup.in.is_float) return call_on_image_as<float, float>(setup.in, input, batches, call);
    if (input.to_float) return call_on_image_as<float, std::uint8_t>(setup.in, input, batches, call);
    return call_on_image_as<std::uint8_t, std::uint8_t>(setup.in, input, batches, call);
}

/// prepare_explain from a dict of every explain keyword (the package fills in the defaults).
explain_setup prepare_explain(const py::object& image, const py::object& model, const py::dict& kw, const char* model_name) {
    return prepare_explain(image, model, kw["segments"], kw["segmenter"], kw["num_samples"].cast<int>(), kw["batch_size"].cast<int>(),
                           kw["seed"].cast<std::uint64_t>(), kw["top_labels"].cast<int>(), kw["labels"],
                           kw["task"].cast<std::string>(), kw["sampler"], kw["fill"], kw["kernel"], kw["surrogate"], kw["model_input"],
                           kw["progress"], kw["num_threads"].cast<int>(), kw["target_stability"].cast<double>(),
                           kw["stability_top_k"].cast<int>(), kw["limits"], model_name);
}

explanation explain_detections(const py::object& image, const py::object& detector, const py::object& targets, const std::string& layout,
                               double min_score, const py::dict& keywords) {
    explain_setup setup = prepare_explain(image, detector, keywords, "detector");
    const detection_layout read_as = parse_detection_layout(layout);
    if (!std::isfinite(min_score)) throw pixlime::invalid_argument("min_score", min_score, "a finite number");
    std::vector<pixlime::detection> chosen;
    if (targets.is_none()) {
        // Every detection of the image scoring at least min_score: the detector once, on the image alone.
        python_classifier first{py::none()};
        const python_detector once{detector, read_as, &first};
        const std::vector<pixlime::detection> found = call_on_image(setup, first, once).at(0);
        if (found.empty())
            throw pixlime::invalid_argument("targets", "None",
                                            "the detections to explain: the detector finds nothing on the image, so targets=None has none");
        double best = -std::numeric_limits<double>::infinity();
        for (const pixlime::detection& d : found) best = std::max(best, pixlime::detection_confidence(d));
        chosen = pixlime::detections_to_explain(found, min_score);  // one target per object, as the command picks them
        if (chosen.empty())
            throw pixlime::invalid_argument("min_score", min_score,
                                            "at most the best score of the image's " + std::to_string(found.size()) + " detections, " +
                                                pixlime::detail::to_text(best) + " (targets=None explains those scoring >= min_score), or targets=");
    } else {
        chosen = to_detections(targets, "targets");
        if (chosen.empty()) throw pixlime::invalid_argument("targets", "[]", "at least one target detection, or None for the image's own");
    }
    setup.opt = pixlime::target_options(setup.opt, int(chosen.size()));
    python_classifier batches{py::none()};
    python_target<pixlime::detection_target<python_detector>> model{
        pixlime::detection_target<python_detector>(python_detector{detector, read_as, &batches}, chosen), &batches};
    explanation ex = setup.run(model);
    ex.targets = to_python(model.target.targets());
    for (const pixlime::detection& t : model.target.targets()) ex.target_boxes.push_back(t.box);
    return ex;
}

pixlime::layout parse_score_layout(const py::object& value) {
    if (py::isinstance<pixlime::layout>(value)) return value.cast<pixlime::layout>();
    const std::string name = py::isinstance<py::str>(value) ? value.cast<std::string>() : py::repr(value).cast<std::string>();
    if (name == "nchw") return pixlime::layout::nchw;
    if (name == "nhwc") return pixlime::layout::nhwc;
    throw pixlime::invalid_argument("layout", name, "'nchw' (scores (N, C, H, W)) or 'nhwc' ((N, H, W, C))");
}

/// A target mask (H, W) (nonzero = in the region) at the score map's size, or at the image's
/// (brought to the score map's by resize_region).
pixlime::image<std::uint8_t> to_region(const py::handle& mask, const pixlime::pixel_scores& shape, const input_image& in,
                                       const std::string& name) {
    const std::string form = "an (H, W) array, nonzero in the region, the score map's " + std::to_string(shape.height) + " x " +
                             std::to_string(shape.width) + " or the image's " + std::to_string(in.height) + " x " + std::to_string(in.width);
    const auto a = doubles(mask, name, form);
    if (a.ndim() != 2) throw pixlime::invalid_argument(name + " shape", shape_text(a), form);
    const int h = int(a.shape(0)), w = int(a.shape(1));
    const bool at_map = w == shape.width && h == shape.height;
    if (!at_map && !(w == in.width && h == in.height)) throw pixlime::invalid_argument(name + " shape", shape_text(a), form);
    pixlime::image<std::uint8_t> region(w, h, 1);
    for (py::ssize_t i = 0; i < a.size(); ++i) region.data()[i] = std::uint8_t(a.data()[i] != 0 ? 255 : 0);
    if (!at_map) region = pixlime::resize_region(region.view(), shape.width, shape.height);
    if (std::none_of(region.data(), region.data() + region.size(), [](std::uint8_t v) { return v != 0; }))
        throw pixlime::invalid_argument(name, at_map ? "no nonzero pixel" : "no nonzero pixel at the score map's size",
                                        "a region of at least one pixel");
    return region;
}

py::array region_to_numpy(const pixlime::image<std::uint8_t>& region) {
    py::array_t<std::uint8_t> out({py::ssize_t(region.height()), py::ssize_t(region.width())});
    std::copy(region.data(), region.data() + region.size(), out.mutable_data());
    return std::move(out);
}

explanation explain_segmentation(const py::object& image, const py::object& model, const py::object& target_class,
                                 const py::object& target_mask, const py::object& layout, const py::dict& keywords) {
    explain_setup setup = prepare_explain(image, model, keywords, "model");
    const pixlime::layout read_as = parse_score_layout(layout);
    // target_class: one class, or a list of them (one target each); target_mask alike.
    const bool many = py::isinstance<py::list>(target_class) || py::isinstance<py::tuple>(target_class);
    const char* class_form = "a class index (an int) or a non-empty list of them";
    std::vector<int> classes;
    std::vector<py::object> masks;
    if (many) {
        std::size_t i = 0;
        for (const py::handle c : target_class) classes.push_back(to_index(c, "target_class[" + std::to_string(i++) + "]", "a class index"));
        if (classes.empty()) throw pixlime::invalid_argument("target_class", "[]", class_form);
    } else {
        classes.push_back(to_index(target_class, "target_class", class_form));
    }
    masks.assign(classes.size(), py::none());
    if (!target_mask.is_none()) {
        if (!many) {
            masks[0] = target_mask;
        } else {
            const std::string form = "None or a list of " + std::to_string(classes.size()) + " masks (or None), one per target_class";
            if (!py::isinstance<py::list>(target_mask) && !py::isinstance<py::tuple>(target_mask))
                throw pixlime::invalid_argument("target_mask", type_name(target_mask), form);
            if (py::len(target_mask) != classes.size())
                throw pixlime::invalid_argument("target_mask length", py::len(target_mask), form);
            std::size_t i = 0;
            for (const py::handle m : target_mask) masks[i++] = py::reinterpret_borrow<py::object>(m);
        }
    }
    // The model once on the image alone: the score maps' size and classes, and the predicted regions.
    python_classifier first{py::none()};
    python_segmentation_model once{model, read_as, &first, {}};
    const row_major_matrix scores = call_on_image(setup, first, once);
    const pixlime::pixel_scores shape = once.shape;
    std::vector<pixlime::region_target> targets;
    for (std::size_t t = 0; t < classes.size(); ++t) {
        const std::string cname = many ? "target_class[" + std::to_string(t) + "]" : "target_class";
        const std::string mname = many ? "target_mask[" + std::to_string(t) + "]" : "target_mask";
        const int c = classes[t];
        if (c < 0 || c >= shape.classes)
            throw pixlime::invalid_argument(cname, c, "a class of the model's " + std::to_string(shape.classes) + " score maps: 0 to " +
                                                          std::to_string(shape.classes - 1));
        pixlime::region_target target{c, {}};
        if (masks[t].is_none()) {
            target.region = pixlime::predicted_region(scores.row(0), shape, c);
            if (std::none_of(target.region.data(), target.region.data() + target.region.size(), [](std::uint8_t v) { return v != 0; }))
                throw pixlime::invalid_argument(cname, c,
                                                "a class the model assigns some pixel to on the image (no pixel has this class's "
                                                "largest score), or a " + mname + " for it");
        } else {
            target.region = to_region(masks[t], shape, setup.in, mname);
        }
        targets.push_back(std::move(target));
    }
    setup.opt = pixlime::target_options(setup.opt, int(targets.size()));
    python_classifier batches{py::none()};
    python_target<pixlime::segmentation_target<python_segmentation_model>> target_model{
        pixlime::segmentation_target<python_segmentation_model>(python_segmentation_model{model, read_as, &batches, shape}, shape,
                                                                std::move(targets)),
        &batches};
    explanation ex = setup.run(target_model);
    py::list described;
    for (const pixlime::region_target& t : target_model.target.targets()) {
        py::dict d;
        d["class_index"] = t.class_index;
        d["region"] = region_to_numpy(t.region);
        described.append(d);
        const auto [w, h] = ex.image_size();
        ex.target_regions.push_back(pixlime::resize_region(t.region.view(), w, h));
    }
    ex.targets = described;
    return ex;
}

// ---------------------------------------------------------------------------------------------
// Faithfulness curves (deletion_curve, insertion_curve)

/// `ranking` from Python: a 1-D sequence of integer segment indices (pixlime checks the values).
std::vector<int> to_ranking(const py::object& object) {
    py::array a = py::array::ensure(object);
    if (!a || a.ndim() != 1)
        throw pixlime::invalid_argument("ranking", a ? std::to_string(a.ndim()) + " dimensions" : py::str(py::type::of(object)).cast<std::string>(),
                                        "a 1-D sequence of segment indices 0..K-1, most important first");
    const auto kind = a.dtype().kind();
    if (a.size() > 0 && kind != 'i' && kind != 'u')
        throw pixlime::invalid_argument("ranking dtype", py::str(a.dtype()).cast<std::string>(), "integer segment indices");
    py::array_t<std::int64_t, py::array::c_style | py::array::forcecast> ids(a);
    std::vector<int> r(std::size_t(ids.size()));
    for (py::ssize_t i = 0; i < ids.size(); ++i) {
        const std::int64_t v = ids.data()[i];
        if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
            throw pixlime::invalid_argument("ranking[" + std::to_string(i) + "]", v, "a segment index 0..K-1");
        r[std::size_t(i)] = int(v);  // pixlime checks the range and that each segment is there once
    }
    return r;
}

py::array ranking_to_numpy(const std::vector<int>& r) {
    py::array_t<std::int64_t> out(py::ssize_t(r.size()));
    std::copy(r.begin(), r.end(), out.mutable_data());
    return std::move(out);
}

py::array doubles_to_numpy(const std::vector<double>& v) {
    py::array_t<double> out(py::ssize_t(v.size()));
    std::copy(v.begin(), v.end(), out.mutable_data());
    return std::move(out);
}

pixlime::faithfulness_curve curve(bool insertion, const py::object& image, const py::object& classifier, const py::object& explanation_object,
                                  int label, const py::object& segments, const py::object& ranking, int batch_size,
                                  const py::object& deletion_fill, const py::object& insertion_fill, int random_rankings, std::uint64_t seed,
                                  const std::string& task, const py::object& model_input, const py::object& progress,
                                  const py::object& limits) {
    const input_image in(image);
    if (!py::isinstance<py::function>(classifier) && !py::hasattr(classifier, "__call__"))
        throw pixlime::invalid_argument("classifier", py::str(py::type::of(classifier)).cast<std::string>(), "a callable");
    pixlime::curve_options opt;
    opt.batch_size = batch_size;
    opt.random_rankings = random_rankings;
    opt.seed = seed;
    opt.task = pixlime::parse_task(task, "task");
    if (!limits.is_none()) opt.limits = limits.cast<pixlime::limits>();
    if (!model_input.is_none()) opt.model_input = model_input.cast<pixlime::model_input>();

    // What is ranked: an Explanation (by its weights for `label`) or segments + ranking.
    const bool has_explanation = !explanation_object.is_none();
    if (has_explanation && (!segments.is_none() || !ranking.is_none()))
        throw pixlime::invalid_argument(segments.is_none() ? "ranking" : "segments", "given with an explanation",
                                        "either an explanation (ranked by its weights for label) or segments and ranking, not both");
    if (!has_explanation && (segments.is_none() || ranking.is_none()))
        throw pixlime::invalid_argument(segments.is_none() ? (ranking.is_none() ? "explanation" : "segments") : "ranking", "None",
                                        "an explanation, or segments and ranking (both)");
    pixlime::segmentation seg;
    std::vector<int> order;
    if (has_explanation) {
        if (!py::isinstance<explanation>(explanation_object))
            throw pixlime::invalid_argument("explanation", py::str(py::type::of(explanation_object)).cast<std::string>(),
                                            "a pixlime.Explanation (or segments= and ranking=)");
        const pixlime::explanation& ex = explanation_object.cast<const explanation&>().get();
        seg = ex.segments();
        order = pixlime::ranking_by_weight(ex.weights(label));  // label: an explained label
        opt.task = ex.task();  // as the C++ curves of an explanation: its task, not task=
    } else {
        seg = to_segmentation(segments, in.width, in.height);
        order = to_ranking(ranking);
    }

    // The fills, as explain's fill (a callable runs here, with the GIL); None keeps the C++ default.
    if (!deletion_fill.is_none())
        opt.deletion_fill = is_callable_fill(deletion_fill) ? callable_fill(deletion_fill, in, seg, "deletion_fill")
                                                            : make_fill(deletion_fill, "deletion_fill");
    if (!insertion_fill.is_none())
        opt.insertion_fill = is_callable_fill(insertion_fill) ? callable_fill(insertion_fill, in, seg, "insertion_fill")
                                                              : make_fill(insertion_fill, "insertion_fill");

    python_classifier classify{classifier};
    if (!progress.is_none())
        opt.progress = [f = progress](int done, int total) {
            py::gil_scoped_acquire gil;
            check_signals();
            const py::object r = f(done, total);
            return r.is_none() ? true : r.cast<bool>();
        };
    py::gil_scoped_release release;
    if (in.is_float) {
        const auto v = in.view<float>();
        return insertion ? pixlime::insertion_curve(v, seg, order, classify, label, opt) : pixlime::deletion_curve(v, seg, order, classify, label, opt);
    }
    const auto v = in.view<std::uint8_t>();
    return insertion ? pixlime::insertion_curve(v, seg, order, classify, label, opt) : pixlime::deletion_curve(v, seg, order, classify, label, opt);
}

// ---------------------------------------------------------------------------------------------
// Defaults and names, from the library (for python/tests/test_defaults.py and anyone who shows them)

/// A fill as its default is described: its name, and a built-in's parameters.
py::dict describe_fill(const pixlime::fill& f) {
    py::dict d;
    d["name"] = f.name();
    if (const auto* c = f.builtin<pixlime::constant_fill>()) d["color"] = c->color;
    if (const auto* b = f.builtin<pixlime::blur_fill>()) d["sigma"] = b->sigma;
    return d;
}

/// The default-constructed explain_options and curve_options, field by field: stages by name
/// (fills with their parameters). model_input, limits and progress are left out: their
/// Python default None is the C++ default by construction (and the option classes are the
/// C++ structs, default-constructed).
py::dict defaults() {
    const pixlime::explain_options e;
    py::dict explain_options;
    explain_options["num_samples"] = e.num_samples;
    explain_options["batch_size"] = e.batch_size;
    explain_options["seed"] = e.seed;
    explain_options["top_labels"] = e.top_labels;
    explain_options["labels"] = e.labels;
    explain_options["task"] = pixlime::to_string(e.task);
    explain_options["segmenter"] = e.segmenter.name();
    explain_options["sampler"] = e.sampler.name();
    explain_options["fill"] = describe_fill(e.fill);
    explain_options["kernel"] = e.kernel.name();
    explain_options["surrogate"] = e.surrogate.name();
    explain_options["num_threads"] = e.num_threads;
    explain_options["target_stability"] = e.target_stability;
    explain_options["stability_top_k"] = e.stability_top_k;
    const pixlime::curve_options c;
    py::dict curve_options;
    curve_options["batch_size"] = c.batch_size;
    curve_options["deletion_fill"] = describe_fill(c.deletion_fill);
    curve_options["insertion_fill"] = describe_fill(c.insertion_fill);
    curve_options["random_rankings"] = c.random_rankings;
    curve_options["seed"] = c.seed;
    curve_options["task"] = pixlime::to_string(c.task);
    py::dict d;
    d["explain_options"] = explain_options;
    d["curve_options"] = curve_options;
    return d;
}

/// Every name each stage's parser accepts (to_string of every value; fills also take "black").
py::dict names() {
    const auto all = [](const auto& values) {
        std::vector<std::string> n;
        for (const auto v : values) n.push_back(pixlime::to_string(v));
        return n;
    };
    py::dict d;
    d["sampler"] = all(pixlime::sampling_modes);
    d["segmenter"] = all(pixlime::segmenter_kinds);
    d["fill"] = all(pixlime::fill_kinds);
    d["task"] = all(pixlime::tasks);
    return d;
}

// ---------------------------------------------------------------------------------------------
// Segmenters

template <class Options, class Run>
py::array segment(const py::object& image, const Options& o, const Run& run) {
    const input_image in(image);
    pixlime::segmentation s;
    {
        py::gil_scoped_release release;
        s = in.is_float ? run(in.view<float>(), o) : run(in.view<std::uint8_t>(), o);
    }
    return labels_to_numpy(s);
}

}  // namespace

PYBIND11_MODULE(_pixlime, m) {
    m.doc() = "pixlime's C++ core (use the pixlime package)";
    m.attr("__version__") = pixlime::version;

    exceptions.error = new_exception(m, "Error", py::make_tuple(py::handle(PyExc_Exception)),
                                     "Base of pixlime's errors; .parameter, .value and .expected hold the parts of the message.");
    exceptions.invalid_argument = new_exception(m, "InvalidArgument", py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_ValueError)),
                                                "A parameter, option or input outside what is accepted.");
    exceptions.size_limit = new_exception(m, "SizeLimitError", py::make_tuple(py::handle(exceptions.invalid_argument)),
                                          "An input over a pixlime.limits value (checked before allocating).");
    exceptions.io = new_exception(m, "IoError", py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_OSError)),
                                  "A file that cannot be opened, decoded or written.");
    exceptions.classifier = new_exception(m, "ClassifierError", py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_RuntimeError)),
                                          "The classifier returned a bad output (its own exceptions propagate unchanged, chained to this).");
    exceptions.stage = new_exception(m, "StageError", py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_RuntimeError)),
                                     "A custom sampler, kernel or surrogate misbehaved (its own exceptions propagate unchanged, chained to this).");
    exceptions.cancelled = new_exception(m, "Cancelled", py::make_tuple(py::handle(exceptions.error), py::handle(PyExc_RuntimeError)),
                                         "The progress callback returned False.");
    py::register_exception_translator(&translate);

    // Options (the C++ structs, same fields and defaults).
    py::class_<pixlime::slic_options>(m, "slic_options")
        .def(py::init<>())
        .def_readwrite("num_segments", &pixlime::slic_options::num_segments)
        .def_readwrite("compactness", &pixlime::slic_options::compactness)
        .def_readwrite("max_iterations", &pixlime::slic_options::max_iterations)
        .def_readwrite("sigma", &pixlime::slic_options::sigma)
        .def_readwrite("convert_to_lab", &pixlime::slic_options::convert_to_lab)
        .def_readwrite("enforce_connectivity", &pixlime::slic_options::enforce_connectivity)
        .def_readwrite("min_size_factor", &pixlime::slic_options::min_size_factor)
        .def_readwrite("num_threads", &pixlime::slic_options::num_threads);
    py::class_<pixlime::quickshift_options>(m, "quickshift_options")
        .def(py::init<>())
        .def_readwrite("ratio", &pixlime::quickshift_options::ratio)
        .def_readwrite("kernel_size", &pixlime::quickshift_options::kernel_size)
        .def_readwrite("max_dist", &pixlime::quickshift_options::max_dist)
        .def_readwrite("sigma", &pixlime::quickshift_options::sigma)
        .def_readwrite("convert_to_lab", &pixlime::quickshift_options::convert_to_lab)
        .def_readwrite("num_threads", &pixlime::quickshift_options::num_threads);
    py::class_<pixlime::felzenszwalb_options>(m, "felzenszwalb_options")
        .def(py::init<>())
        .def_readwrite("scale", &pixlime::felzenszwalb_options::scale)
        .def_readwrite("sigma", &pixlime::felzenszwalb_options::sigma)
        .def_readwrite("min_size", &pixlime::felzenszwalb_options::min_size);
    py::class_<pixlime::grid_options>(m, "grid_options")
        .def(py::init<>())
        .def_readwrite("cells_x", &pixlime::grid_options::cells_x)
        .def_readwrite("cells_y", &pixlime::grid_options::cells_y);
    py::class_<pixlime::segment_mean_fill>(m, "segment_mean_fill").def(py::init<>());
    py::class_<pixlime::constant_fill>(m, "constant_fill").def(py::init<>()).def_readwrite("color", &pixlime::constant_fill::color);
    py::class_<pixlime::blur_fill>(m, "blur_fill").def(py::init<>()).def_readwrite("sigma", &pixlime::blur_fill::sigma);
    py::class_<pixlime::image_fill>(m, "image_fill")
        .def(py::init([](const py::object& replacement) {
                 const input_image in(replacement, "image_fill.replacement");
                 pixlime::image<float> r(in.width, in.height, in.channels);
                 if (in.is_float) std::copy(in.view<float>().data(), in.view<float>().data() + r.size(), r.data());
                 else std::copy(in.view<std::uint8_t>().data(), in.view<std::uint8_t>().data() + r.size(), r.data());
                 return pixlime::image_fill{std::move(r)};
             }),
             py::arg("replacement"));
    py::enum_<pixlime::distance_metric>(m, "distance_metric")
        .value("cosine", pixlime::distance_metric::cosine)
        .value("euclidean", pixlime::distance_metric::euclidean)
        .value("hamming", pixlime::distance_metric::hamming);
    py::class_<pixlime::exponential_kernel>(m, "exponential_kernel")
        .def(py::init<>())
        .def_readwrite("width", &pixlime::exponential_kernel::width)
        .def_readwrite("distance", &pixlime::exponential_kernel::distance);
    py::class_<pixlime::shapley_kernel>(m, "shapley_kernel")
        .def(py::init<>())
        .def_readwrite("alpha", &pixlime::shapley_kernel::alpha);
    py::class_<pixlime::weighted_ridge>(m, "weighted_ridge").def(py::init<>()).def_readwrite("alpha", &pixlime::weighted_ridge::alpha);
    py::enum_<pixlime::layout>(m, "layout").value("nhwc", pixlime::layout::nhwc).value("nchw", pixlime::layout::nchw);
    py::class_<pixlime::model_input>(m, "model_input")
        .def(py::init<>())
        .def_readwrite("to_float", &pixlime::model_input::to_float)
        .def_readwrite("layout", &pixlime::model_input::layout)
        .def_readwrite("channels", &pixlime::model_input::channels)
        .def_readwrite("scale", &pixlime::model_input::scale)
        .def_readwrite("mean", &pixlime::model_input::mean)
        .def_readwrite("stddev", &pixlime::model_input::stddev);
    py::class_<pixlime::limits>(m, "limits")
        .def(py::init<>())
        .def_readwrite("max_pixels", &pixlime::limits::max_pixels)
        .def_readwrite("max_image_bytes", &pixlime::limits::max_image_bytes)
        .def_readwrite("max_samples", &pixlime::limits::max_samples)
        .def_readwrite("max_segments", &pixlime::limits::max_segments)
        .def_readwrite("max_classes", &pixlime::limits::max_classes)
        .def_readwrite("max_surrogate_size", &pixlime::limits::max_surrogate_size)
        .def_readwrite("max_explanation_bytes", &pixlime::limits::max_explanation_bytes);
    py::class_<pixlime::render_options>(m, "render_options")
        .def(py::init<>())
        .def_readwrite("num_features", &pixlime::render_options::num_features)
        .def_readwrite("min_weight", &pixlime::render_options::min_weight)
        .def_readwrite("min_relative_weight", &pixlime::render_options::min_relative_weight)
        .def_readwrite("scale", &pixlime::render_options::scale)
        .def_readwrite("hide_rest", &pixlime::render_options::hide_rest)
        .def_readwrite("dim_rest", &pixlime::render_options::dim_rest)
        .def_readwrite("rest_color", &pixlime::render_options::rest_color)
        .def_readwrite("boundaries", &pixlime::render_options::boundaries)
        .def_readwrite("boundary_color", &pixlime::render_options::boundary_color)
        .def_readwrite("positive_color", &pixlime::render_options::positive_color)
        .def_readwrite("negative_color", &pixlime::render_options::negative_color)
        .def_readwrite("heatmap_opacity", &pixlime::render_options::heatmap_opacity)
        // uncertain is std::vector<char> in C++; in Python a list of bools (pybind11 would take
        // a vector<char> for a list of 1-character strings).
        .def_property(
            "uncertain",
            [](const pixlime::render_options& ro) { return std::vector<bool>(ro.uncertain.begin(), ro.uncertain.end()); },
            [](pixlime::render_options& ro, const std::vector<bool>& flags) { ro.uncertain.assign(flags.begin(), flags.end()); })
        .def_readwrite("hatch_color", &pixlime::render_options::hatch_color)
        .def_readwrite("hatch_spacing", &pixlime::render_options::hatch_spacing);

    py::class_<explanation>(m, "Explanation", "The result of pixlime.explain: per explained label a linear model over the segments.")
        .def_property_readonly("labels", [](const explanation& e) { return e.get().labels(); })
        .def_property_readonly("top_labels", [](const explanation& e) { return e.get().top_labels(); })
        .def_property_readonly("num_classes", [](const explanation& e) { return e.get().num_classes(); })
        .def_property_readonly("task", [](const explanation& e) { return pixlime::to_string(e.get().task()); })
        .def_property_readonly("num_segments", [](const explanation& e) { return e.get().num_segments(); })
        .def_property_readonly("segments", [](const explanation& e) { return labels_to_numpy(e.get().segments()); })
        .def_property_readonly("samples", [](const explanation& e) { return masks_to_numpy(e.get().samples()); })
        .def_property_readonly("predictions", [](const explanation& e) { return matrix_to_numpy(e.get().predictions()); })
        .def_property_readonly("sample_weights", [](const explanation& e) { return vector_to_numpy(e.get().sample_weights()); })
        .def("weights", [](const explanation& e, int label) { return vector_to_numpy(e.get().weights(label)); }, py::arg("label"))
        .def("intercept", [](const explanation& e, int label) { return e.get().intercept(label); }, py::arg("label"))
        .def_property_readonly("targets", [](const explanation& e) { return e.targets; },
                               "explain_detections: the explained detections (dicts of box, score, label and/or class_scores), "
                               "explain_segmentation: the regions (dicts of class_index and region); label k = target k. None for explain.")
        .def_property_readonly("model_calls", [](const explanation& e) { return e.get().model_calls(); })
        .def_property_readonly("target_reached", [](const explanation& e) { return e.get().target_reached(); })
        .def("standard_errors", [](const explanation& e, int label) { return vector_to_numpy(e.get().standard_errors(label)); },
             py::arg("label"))
        .def("weight_intervals", [](const explanation& e, int label, double level) { return matrix_to_numpy(e.get().weight_intervals(label, level)); },
             py::arg("label"), py::arg("level") = 0.95)
        .def("stability", [](const explanation& e, int label, int k) { return e.get().stability(label, k); }, py::arg("label"),
             py::arg("k") = 5)
        .def("uncertain_segments",
             [](const explanation& e, int label, double level) {
                 const std::vector<char> flags = pixlime::uncertain_segments(e.get(), label, level);
                 py::array_t<bool> out(py::ssize_t(flags.size()));
                 std::copy(flags.begin(), flags.end(), out.mutable_data());
                 return out;
             },
             py::arg("label"), py::arg("level") = 0.95)
        .def("score", [](const explanation& e, int label) { return e.get().score(label); }, py::arg("label"))
        .def("local_prediction", [](const explanation& e, int label) { return e.get().local_prediction(label); }, py::arg("label"))
        .def("model_prediction", [](const explanation& e, int label) { return e.get().model_prediction(label); }, py::arg("label"))
        .def("ranked", [](const explanation& e, int label) { return e.get().ranked(label); }, py::arg("label"))
        .def_property_readonly("timings", [](const explanation& e) {
            const auto& t = e.get().timings();
            py::dict d;
            d["segmentation_ms"] = t.segmentation_ms;
            d["perturbation_ms"] = t.perturbation_ms;
            d["classifier_ms"] = t.classifier_ms;
            d["surrogate_ms"] = t.surrogate_ms;
            d["total_ms"] = t.total_ms;
            return d;
        })
        .def("_record", &explanation::record, py::arg("head"), py::arg("panes"))
        .def("positive_pane", [](const explanation& e, int label, const py::object& n, const py::object& o) { return e.pane(0, label, n, o); },
             py::arg("label"), py::arg("num_features") = py::none(), py::arg("options") = py::none())
        .def("negative_pane", [](const explanation& e, int label, const py::object& n, const py::object& o) { return e.pane(1, label, n, o); },
             py::arg("label"), py::arg("num_features") = py::none(), py::arg("options") = py::none())
        .def("overlay", [](const explanation& e, int label, const py::object& n, const py::object& o) { return e.pane(2, label, n, o); },
             py::arg("label"), py::arg("num_features") = py::none(), py::arg("options") = py::none())
        .def("heatmap", [](const explanation& e, int label, const py::object& n, const py::object& o) { return e.pane(3, label, n, o); },
             py::arg("label"), py::arg("num_features") = py::none(), py::arg("options") = py::none());

    // The keywords' defaults are the C++ structs' (the package's wrappers repeat them for
    // introspection; python/tests/test_defaults.py holds every copy to these).
    const pixlime::explain_options explain_defaults;
    m.def("explain", &explain, py::arg("image"), py::arg("classifier"), py::kw_only(), py::arg("segments") = py::none(),
          py::arg("segmenter") = explain_defaults.segmenter.name(), py::arg("num_samples") = explain_defaults.num_samples,
          py::arg("batch_size") = explain_defaults.batch_size, py::arg("seed") = explain_defaults.seed,
          py::arg("top_labels") = explain_defaults.top_labels, py::arg("labels") = py::none(),
          py::arg("task") = pixlime::to_string(explain_defaults.task),
          py::arg("sampler") = explain_defaults.sampler.name(), py::arg("fill") = explain_defaults.fill.name(),
          py::arg("kernel") = py::none(), py::arg("surrogate") = py::none(), py::arg("model_input") = py::none(),
          py::arg("progress") = py::none(), py::arg("num_threads") = explain_defaults.num_threads,
          py::arg("target_stability") = explain_defaults.target_stability,
          py::arg("stability_top_k") = explain_defaults.stability_top_k, py::arg("limits") = py::none());

    // Target models (the package's explain_detections and explain_segmentation fill in every
    // explain keyword, with explain's defaults, into `keywords`).
    m.def("explain_detections", &explain_detections, py::arg("image"), py::arg("detector"), py::arg("targets"), py::arg("layout"),
          py::arg("min_score"), py::arg("keywords"));
    m.def("explain_segmentation", &explain_segmentation, py::arg("image"), py::arg("model"), py::arg("target_class"),
          py::arg("target_mask"), py::arg("layout"), py::arg("keywords"));
    m.def("iou", [](const py::object& a, const py::object& b) {
        const pixlime::detection da = to_detection(py::dict(py::arg("box") = a, py::arg("label") = 0), "a");
        const pixlime::detection db = to_detection(py::dict(py::arg("box") = b, py::arg("label") = 0), "b");
        return pixlime::iou(da.box, db.box);
    }, py::arg("a"), py::arg("b"));
    m.def("drise_scores", [](const py::object& targets, const py::object& detections) {
        const std::vector<pixlime::detection> t = to_detections(targets, "targets"), d = to_detections(detections, "detections");
        return vector_to_numpy(pixlime::drise_scores(t, d).transpose());
    }, py::arg("targets"), py::arg("detections"));
    m.def("detections_from_yolo", [](const py::object& rows, double min_objectness) {
        const std::string form = "a (rows, 5 + classes) array of x_center, y_center, w, h, objectness, class scores";
        const auto a = doubles(rows, "rows", form);
        if (a.size() == 0) return py::list();
        if (a.ndim() != 2) throw pixlime::invalid_argument("rows shape", shape_text(a), form);
        return to_python(pixlime::detections_from_yolo(Eigen::Map<const row_major_matrix>(a.data(), a.shape(0), a.shape(1)), min_objectness));
    }, py::arg("rows"), py::arg("min_objectness"));
    m.def("detections_from_torchvision", [](const py::object& boxes, const py::object& labels, const py::object& scores, double min_score) {
        const py::dict one(py::arg("boxes") = boxes, py::arg("labels") = labels, py::arg("scores") = scores);
        return to_python(torchvision_detections(one, "detections", min_score));
    }, py::arg("boxes"), py::arg("labels"), py::arg("scores"), py::arg("min_score"));

    py::class_<pixlime::faithfulness_curve>(m, "FaithfulnessCurve",
                                            "The result of pixlime.deletion_curve / insertion_curve (pixlime::faithfulness_curve).")
        .def_property_readonly("fraction", [](const pixlime::faithfulness_curve& c) { return doubles_to_numpy(c.fraction); })
        .def_property_readonly("score", [](const pixlime::faithfulness_curve& c) { return doubles_to_numpy(c.score); })
        .def_property_readonly("auc", [](const pixlime::faithfulness_curve& c) { return c.auc; })
        .def_property_readonly("ranking", [](const pixlime::faithfulness_curve& c) { return ranking_to_numpy(c.ranking); })
        .def_property_readonly("random_score", [](const pixlime::faithfulness_curve& c) { return doubles_to_numpy(c.random_score); })
        .def_property_readonly("random_auc", [](const pixlime::faithfulness_curve& c) { return c.random_auc; })
        .def_property_readonly("random_auc_stddev", [](const pixlime::faithfulness_curve& c) { return c.random_auc_stddev; })
        .def("__repr__", [](const pixlime::faithfulness_curve& c) {
            return "FaithfulnessCurve(auc=" + py::repr(py::float_(c.auc)).cast<std::string>() +
                   ", random_auc=" + py::repr(py::float_(c.random_auc)).cast<std::string>() +
                   ", random_auc_stddev=" + py::repr(py::float_(c.random_auc_stddev)).cast<std::string>() +
                   ", steps=" + std::to_string(c.score.size()) + ")";
        });
    const pixlime::curve_options curve_defaults;
    for (const bool insertion : {false, true})
        m.def(insertion ? "insertion_curve" : "deletion_curve",
              [insertion](const py::object& image, const py::object& classifier, const py::object& ex, int label, const py::object& segments,
                          const py::object& ranking, int batch_size, const py::object& deletion_fill,
                          const py::object& insertion_fill, int random_rankings, std::uint64_t seed, const std::string& task,
                          const py::object& model_input, const py::object& progress, const py::object& limits) {
                  return curve(insertion, image, classifier, ex, label, segments, ranking, batch_size, deletion_fill, insertion_fill,
                               random_rankings, seed, task, model_input, progress, limits);
              },
              py::arg("image"), py::arg("classifier"), py::arg("explanation") = py::none(), py::kw_only(), py::arg("label"),
              py::arg("segments") = py::none(), py::arg("ranking") = py::none(), py::arg("batch_size") = curve_defaults.batch_size,
              // None keeps the C++ default fill (a name would lose a default's parameters).
              py::arg("deletion_fill") = py::none(), py::arg("insertion_fill") = py::none(),
              py::arg("random_rankings") = curve_defaults.random_rankings, py::arg("seed") = curve_defaults.seed,
              py::arg("task") = pixlime::to_string(curve_defaults.task), py::arg("model_input") = py::none(),
              py::arg("progress") = py::none(), py::arg("limits") = py::none());
    m.def("_defaults", &defaults, "The default-constructed C++ explain_options and curve_options, field by field (for tests).");
    m.def("_names", &names, "Every name of a built-in sampler, segmenter and fill, and every task, from the library's to_string.");
    m.def("ranking_by_weight", [](const py::object& w) { return ranking_to_numpy(pixlime::ranking_by_weight(to_vector(w, "weights"))); },
          py::arg("weights"));
    m.def("area_under_curve", [](const std::vector<double>& x, const std::vector<double>& y) { return pixlime::area_under_curve(x, y); },
          py::arg("x"), py::arg("y"));

    m.def("slic", [](const py::object& img, const pixlime::slic_options& o) {
        return segment(img, o, [](auto v, const pixlime::slic_options& so) { return pixlime::slic(v, so); });
    }, py::arg("image"), py::arg("options"));
    m.def("quickshift", [](const py::object& img, const pixlime::quickshift_options& o) {
        return segment(img, o, [](auto v, const pixlime::quickshift_options& so) { return pixlime::quickshift(v, so); });
    }, py::arg("image"), py::arg("options"));
    m.def("felzenszwalb", [](const py::object& img, const pixlime::felzenszwalb_options& o) {
        return segment(img, o, [](auto v, const pixlime::felzenszwalb_options& so) { return pixlime::felzenszwalb(v, so); });
    }, py::arg("image"), py::arg("options"));
    m.def("grid", [](int width, int height, const pixlime::grid_options& o) {
        return labels_to_numpy(pixlime::grid(width, height, o));
    }, py::arg("width"), py::arg("height"), py::arg("options"));

    m.def("load_image", [](const std::string& path, int channels) {
        pixlime::image<std::uint8_t> img;
        {
            py::gil_scoped_release release;
            img = pixlime::load_image(path, channels);
        }
        return to_numpy(img);
    }, py::arg("path"), py::arg("channels") = 0);
    m.def("decode_image", [](const py::bytes& data, int channels) {
        const std::string bytes = data;
        pixlime::load_options o;
        o.channels = channels;
        pixlime::image<std::uint8_t> img;
        {
            py::gil_scoped_release release;
            img = pixlime::decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), o);
        }
        return to_numpy(img);
    }, py::arg("data"), py::arg("channels") = 0);
    m.def("encode_png", [](const py::object& image) {
        const input_image in(image);
        if (in.is_float) throw pixlime::invalid_argument("encode_png image dtype", in.dtype, "uint8 (scale and convert first)");
        std::vector<std::uint8_t> png;
        {
            py::gil_scoped_release release;
            png = pixlime::encode_png(in.view<std::uint8_t>());
        }
        return py::bytes(reinterpret_cast<const char*>(png.data()), png.size());
    }, py::arg("image"),
          "An (H, W) or (H, W, C) uint8 array (C 1..4: gray, gray+alpha, RGB, RGBA) as the bytes of a PNG file, in memory "
          "(what save_png writes). Other dtypes raise pixlime.InvalidArgument naming theirs.");
    m.def("save_png", [](const std::string& path, const py::object& image) {
        const input_image in(image);
        if (in.is_float) throw pixlime::invalid_argument("save_png image dtype", in.dtype, "uint8 (scale and convert first)");
        py::gil_scoped_release release;
        pixlime::save_png(path, in.view<std::uint8_t>());
    }, py::arg("path"), py::arg("image"));
    // The image as pixlime works on it, by input_image's dtype rule: pixlime.dask shows an input
    // of another dtype as explain saw it, without a second copy of the rule.
    m.def("_as_image", [](const py::object& image) { return input_image(image).array; }, py::arg("image"));

    // The app layer's records (app/include/pixlime_app/record.hpp), for pixlime.dask: one record
    // name, one writer, one reader, the same as the C++ apps'.
    m.attr("record_schema_version") = pixlime::app::record_schema_version;
    m.def("record_name", &pixlime::app::record_name, py::arg("id"),
          "The folder name of a record with this id (as text): its last 48 characters made safe, '-', and 16 hex digits of "
          "its FNV-1a hash; the same function as the C++ apps'.");
    m.def("_error_record", [](const std::string& fields, const std::string& model, const std::string& error, const std::string& type) {
        return pixlime::app::error_record(nlohmann::ordered_json::parse(fields), model, error, type).dump(2) + "\n";
    });
    m.def("_write_record", [](const std::string& dir, const std::string& text, const py::dict& files) {
        const nlohmann::ordered_json record = nlohmann::ordered_json::parse(text);
        std::optional<pixlime::app::record_panes> p;
        if (files.size()) {
            p.emplace();
            const auto take = [&](const char* name, pixlime::image<std::uint8_t>& out) {
                const input_image in(files[name], name);
                const auto v = in.view<std::uint8_t>();
                out = pixlime::image<std::uint8_t>(v.width(), v.height(), v.channels());
                std::copy(v.data(), v.data() + out.size(), out.data());
            };
            take("input.png", p->input);
            take("positive.png", p->positive);
            take("negative.png", p->negative);
            take("heatmap.png", p->heatmap);
        }
        py::gil_scoped_release release;
        pixlime::app::write_record(dir, record, p ? &*p : nullptr);
    });
    m.def("_record_done", [](const std::string& dir, const std::string& id, const std::string& input, const std::string& model,
                             const std::string& settings) -> py::object {
        if (!pixlime::app::record_done(dir, nlohmann::json::parse(id), nlohmann::json::parse(input), model, nlohmann::json::parse(settings)))
            return py::none();
        return py::str(pixlime::app::read_record(std::filesystem::path(dir) / "explanation.json").dump());
    });
}
