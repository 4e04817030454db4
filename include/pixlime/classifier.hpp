#pragma once
/// \file pixlime/classifier.hpp
/// The user's classifier as pixlime calls it, for pixlime::explain and the faithfulness curves
/// alike: any callable `M classify(pixlime::batch_view<const V> batch)` (V the image's pixel
/// type, or float with model_input::to_float; M an Eigen matrix or expression of float or
/// double with batch.size() rows and one column per class; a single column is a binary model's
/// P(class 1) in [0, 1]; with task::regression, exactly one column of any finite value: task.hpp).
///
/// The batches are written into one buffer of batch_size images, reused, freed when the call
/// (explain, a curve) returns. A classifier may provide that memory instead, with a member
/// `template <class V> V* batch_memory(std::size_t values)`: it is called once, before the
/// first batch, for batch_size x (width x height x channels) values; every batch is written
/// there (each batch_view points into it) and it is never freed. Use it to render straight
/// into a model's input tensor, or into memory that must outlive the call (the Python module
/// hands each batch to Python as a view of a numpy array it allocates this way).
///
/// Here, all in pixlime::detail: the adapter (wrap_classifier: the classifier as one function
/// type per pixel type, so that the pipelines are compiled once per pixel type), the checks of
/// its output (call_classifier: shape, NaN, magnitude, a binary column in [0, 1], the task's
/// column count; its exceptions nested in a pixlime::classifier_error), what the columns mean
/// per task (class_outputs, label_scores), and the batching loop both pipelines run
/// (batch_stream: images rendered into one reused buffer, classified batch by batch, progress
/// reported after each batch).

#include <pixlime/detail/stage.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/task.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime::detail {

/// Whether M is an Eigen matrix or expression.
template <class M>
constexpr bool is_eigen_v = std::is_base_of_v<Eigen::EigenBase<M>, M>;

/// Whether `Classifier` takes batch_view<const V> and returns an Eigen matrix of float or
/// double (checked with worded static_asserts in wrap_classifier).
template <class Classifier, class V>
constexpr bool takes_batch_v = std::is_invocable_v<Classifier&, batch_view<const V>>;

/// Stops compilation with a worded message unless `Classifier` called with a batch_view<const V>
/// returns an Eigen matrix of float or double.
template <class V, class Classifier>
constexpr void check_classifier_result() {
    using result = std::decay_t<std::invoke_result_t<Classifier&, batch_view<const V>>>;
    static_assert(is_eigen_v<result>,
                  "pixlime::explain: the classifier must return an Eigen matrix (e.g. Eigen::MatrixXf or "
                  "Eigen::MatrixXd) with batch.size() rows and one column per class");
    if constexpr (is_eigen_v<result>)
        static_assert(std::is_same_v<typename result::Scalar, float> || std::is_same_v<typename result::Scalar, double>,
                      "pixlime::explain: the classifier's Eigen matrix must hold float or double");
}

/// Whether `Classifier` provides the memory of its batches: `V* batch_memory<V>(std::size_t)`.
template <class Classifier, class V, class = void>
struct has_batch_memory : std::false_type {};
template <class Classifier, class V>
struct has_batch_memory<Classifier, V, std::void_t<decltype(std::declval<Classifier&>().template batch_memory<V>(std::size_t{}))>>
    : std::is_same<decltype(std::declval<Classifier&>().template batch_memory<V>(std::size_t{})), V*> {};

/// The pipeline below is compiled once per pixel type, not once per classifier type: the
/// public templates wrap the classifier in these function types.
template <class V>
struct classifier_function {
    /// The classifier on a batch of V: batch.size() by #classes outputs, as doubles.
    std::function<Eigen::MatrixXd(batch_view<const V>)> call;
    /// The classifier's batch_memory<V>(values), or empty: the stream's own buffer.
    std::function<V*(std::size_t)> batch_memory;
    /// Whether the classifier takes batches of V at all.
    explicit operator bool() const { return bool(call); }
    /// call(batch).
    Eigen::MatrixXd operator()(batch_view<const V> batch) const { return call(batch); }
};

/// The classifier as it takes the image's own pixels (`own`) and/or float (`as_float`);
/// either may be empty.
template <class T>
struct classifier_functions {
    classifier_function<T> own;
    classifier_function<float> as_float;
};

/// The adapter: `classify` (see the file comment; kept by reference, it must outlive the
/// result) as the function types the pipelines take, for batches of T (the image's pixel type)
/// and of float, each empty when `classify` does not take them. A classifier taking neither,
/// or returning something else than an Eigen matrix of float or double, does not compile.
template <class T, class Classifier>
classifier_functions<T> wrap_classifier(Classifier& classify) {
    static_assert(takes_batch_v<Classifier, T> || takes_batch_v<Classifier, float>,
                  "pixlime::explain: the classifier must be callable as classify(pixlime::batch_view<const T> batch), "
                  "where T is the image's pixel type (std::uint8_t or float), or as classify(pixlime::batch_view<const "
                  "float>) with explain_options::model_input.to_float, and return an Eigen matrix with batch.size() rows "
                  "and one column per class");
    classifier_functions<T> f;
    if constexpr (takes_batch_v<Classifier, T>) {
        check_classifier_result<T, Classifier>();
        f.own.call = [&classify](batch_view<const T> b) -> Eigen::MatrixXd { return classify(b).template cast<double>(); };
        if constexpr (has_batch_memory<Classifier, T>::value)
            f.own.batch_memory = [&classify](std::size_t values) { return classify.template batch_memory<T>(values); };
    }
    if constexpr (takes_batch_v<Classifier, float>) {
        check_classifier_result<float, Classifier>();
        f.as_float.call = [&classify](batch_view<const float> b) -> Eigen::MatrixXd { return classify(b).template cast<double>(); };
        if constexpr (has_batch_memory<Classifier, float>::value)
            f.as_float.batch_memory = [&classify](std::size_t values) { return classify.template batch_memory<float>(values); };
    }
    return f;
}

/// The memory the batches are rendered into: the classifier's own (its batch_memory member,
/// asked once for `values` values) or a buffer owned here.
template <class V>
struct batch_buffer {
    std::vector<V> own;  ///< the memory when the classifier provides none
    V* data = nullptr;   ///< `values` values: the classifier's memory or own.data()
    /// Asks `classify` for `values` values once, or allocates them. Throws
    /// pixlime::classifier_error when batch_memory returns a null pointer.
    batch_buffer(const classifier_function<V>& classify, std::size_t values) {
        if (classify.batch_memory) {
            data = classify.batch_memory(values);
            if (!data)
                throw classifier_error("classifier.batch_memory(" + std::to_string(values) + ")", "a null pointer",
                                       "memory for " + std::to_string(values) + " values (batch_size x image values)");
        } else {
            own.resize(values);
            data = own.data();
        }
    }
};

/// The task a classifier's output is read for, and the option that set it, named in the
/// messages (e.g. "explain_options.task", "curve_options.task").
struct task_setting {
    pixlime::task task = pixlime::task::classification;  ///< what the columns are
    std::string option = "explain_options.task";         ///< the option's name
};

/// Largest magnitude accepted from a classifier: larger values overflow the surrogate's
/// squared sums (a probability or a logit is far below it).
constexpr double max_classifier_output = 1e150;

/// Calls `classify` on `batch` and returns its outputs (batch.size() by #columns), checked:
/// `expected_cols` columns when > 0 (the first call's), at most lim.max_classes, finite, of
/// magnitude at most max_classifier_output; for task::classification a single column in [0, 1],
/// for task::regression exactly one column. The messages name the samples
/// first_sample..last_sample (last_sample < 0: first_sample + batch.size() - 1) and a bad
/// value's [sample, column]. Throws pixlime::classifier_error (the classifier's own exception
/// nested), pixlime::size_limit_error over max_classes, pixlime::invalid_argument naming
/// `task.option` when a regression model returns another number of columns than one.
template <class V>
Eigen::MatrixXd call_classifier(const classifier_function<V>& classify, batch_view<const V> batch, Eigen::Index expected_cols,
                                int first_sample, const limits& lim, int last_sample = -1, const task_setting& task = {}) {
    Eigen::MatrixXd out;
    if (last_sample < 0) last_sample = first_sample + batch.size() - 1;
    const std::string where = " (samples " + std::to_string(first_sample) + ".." + std::to_string(last_sample) + ")";
    try {
        out = classify(batch);
    } catch (...) {
        std::throw_with_nested(classifier_error("classifier" + where, "threw: " + describe_current_exception(),
                                                "an output matrix (the exception is nested)"));
    }
    if (out.rows() != batch.size())
        throw classifier_error("classifier output rows" + where, out.rows(), "batch.size() = " + std::to_string(batch.size()));
    if (out.cols() < 1) throw classifier_error("classifier output columns" + where, 0, "at least 1");
    const bool regression = task.task == pixlime::task::regression;
    if (regression && out.cols() != 1)
        throw invalid_argument(task.option, to_string(task.task),
                               "a model with exactly one output column, the value (the classifier returned " +
                                   std::to_string(out.cols()) + " columns for samples " + std::to_string(first_sample) + ".." +
                                   std::to_string(last_sample) + "; task classification explains one column per class)");
    if (out.cols() > lim.max_classes)
        throw size_limit_error("classifier output columns" + where, out.cols(),
                               "at most limits.max_classes = " + std::to_string(lim.max_classes));
    if (expected_cols > 0 && out.cols() != expected_cols)
        throw classifier_error("classifier output columns" + where, out.cols(),
                               "the " + std::to_string(expected_cols) + " columns of the first call");
    const bool binary = out.cols() == 1 && !regression;
    for (Eigen::Index c = 0; c < out.cols(); ++c)
        for (Eigen::Index r = 0; r < out.rows(); ++r) {
            const double v = out(r, c);
            const bool in_range = std::abs(v) <= max_classifier_output && (!binary || (v >= 0 && v <= 1));
            if (in_range) continue;
            const std::string cell = "classifier output[" + std::to_string(first_sample + r) + ", " + std::to_string(c) + "]";
            if (!(std::abs(v) <= max_classifier_output))
                throw classifier_error(cell, v,
                                       std::isfinite(v) ? "a value of magnitude at most 1e150 (larger ones overflow the surrogate)"
                                                        : "a finite number (no NaN or Inf)");
            throw classifier_error(cell, v,
                                   "a value in [0, 1]: a single output column is read as a binary model's P(class 1) "
                                   "(return two or more columns to explain other scores, or set " +
                                       task.option + " = regression to explain a value)");
        }
    return out;
}


// What the output's columns mean: one per class, a binary model's P(class 1), or a value.

/// The first `rows` rows of `raw` (#samples by #columns) per explained output: as they are
/// (several classes, or task::regression's value), or a binary model's single column p as the
/// two classes (1 - p, p). Returns rows by #classes (1 for regression).
inline Eigen::MatrixXd class_outputs(const Eigen::MatrixXd& raw, int rows, task t = task::classification) {
    if (raw.cols() != 1 || t == task::regression) return raw.topRows(rows);
    Eigen::MatrixXd out(rows, 2);
    out.col(0) = 1.0 - raw.col(0).head(rows).array();
    out.col(1) = raw.col(0).head(rows);
    return out;
}

/// The classifier's output for `label` in each row of `out` (#rows by #columns, a single
/// column being P(class 1), or with task::regression the value, label 0): #rows values. Throws
/// pixlime::invalid_argument naming "label" when it is not a class of the output (0 or 1 for a
/// single column; 0 for regression).
inline Eigen::VectorXd label_scores(const Eigen::MatrixXd& out, int label, task t = task::classification) {
    if (t == task::regression) {
        if (label != 0) throw invalid_argument("label", label, "0: with task regression the model's single output, the value, is label 0");
        return out.col(0);
    }
    if (out.cols() == 1) {
        if (label > 1)
            throw invalid_argument("label", label, "0 or 1: the classifier has a single output column, a binary model's P(class 1)");
        return label == 1 ? Eigen::VectorXd(out.col(0)) : Eigen::VectorXd(1.0 - out.col(0).array());
    }
    if (label >= out.cols())
        throw invalid_argument("label", label, "a class 0.." + std::to_string(out.cols() - 1) + " of the classifier's output");
    return out.col(label);
}

/// Throws pixlime::invalid_argument unless `img` (width x height x channels, T = std::uint8_t
/// or float) is non-empty, within `lim` (pixlime::size_limit_error otherwise) and, for float,
/// finite everywhere.
template <class T>
void check_input_image(image_view<const T> img, const limits& lim) {
    if (img.empty()) throw invalid_argument("image", "empty", "a non-empty image");
    check_dimensions("image", img.width(), img.height(), img.channels(), sizeof(T), lim);
    if constexpr (std::is_same_v<T, float>)
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                for (int c = 0; c < img.channels(); ++c)
                    if (!std::isfinite(img.at(x, y, c)))
                        throw invalid_argument("image pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") channel " +
                                                   std::to_string(c),
                                               img.at(x, y, c), "finite values");
}

/// Throws pixlime::invalid_argument unless `classify` takes the batches' type: float when
/// `as_float` (model_input::to_float set, or a float image), else T. `options`: the options'
/// name for the message ("explain_options", "curve_options").
template <class T>
void check_classifier_form(const classifier_functions<T>& classify, bool as_float, const std::string& options) {
    if (as_float ? bool(classify.as_float) : bool(classify.own)) return;
    throw invalid_argument("classifier", std::string("a callable without a batch_view<const ") + (as_float ? "float" : "std::uint8_t") + "> overload",
                           as_float ? "a classifier taking pixlime::batch_view<const float> (the batches are float: " + options +
                                          "::model_input.to_float is set)"
                                    : "a classifier taking pixlime::batch_view<const std::uint8_t>, the image's pixels "
                                      "(or set " + options + "::model_input.to_float for float batches)");
}

/// Returns f(the classifier function of the batches' type): classify.as_float when `as_float`
/// or T = float, else classify.own (a classifier_function<V>, V the batches' value type), so
/// that a pipeline is written once, generic in V.
template <class T, class F>
auto with_batch_type(const classifier_functions<T>& classify, bool as_float, F&& f) {
    if constexpr (std::is_same_v<T, float>) {
        return f(classify.as_float);
    } else {
        if (as_float) return f(classify.as_float);
        return f(classify.own);
    }
}

/// The clock of the pipelines' timings.
using clock = std::chrono::steady_clock;
/// Milliseconds since `t0`.
inline double ms_since(clock::time_point t0) { return std::chrono::duration<double, std::milli>(clock::now() - t0).count(); }

/// What a batch_stream tells the caller's progress callback, and says when it stops the run.
struct progress_report {
    /// The options' progress callback (null or empty: none), not copied: called after each
    /// batch with the images classified so far and `total`; false stops with pixlime::cancelled.
    const std::function<bool(int, int)>* callback = nullptr;
    int total = 0;              ///< the most images there will be
    std::string option;         ///< its option's name, e.g. "explain_options.progress"
    std::string unit;           ///< what is counted, e.g. "model calls"
    std::string stopped;        ///< what was stopped, e.g. "the explanation"
};

/// The batching loop of explain and the faithfulness curves: images rendered by the caller into
/// one reused buffer of at most batch_size images, classified batch by batch (call_classifier:
/// the output's shape and values checked, the column count fixed by the first batch), each
/// batch's outputs handed to the caller, progress reported after each batch. The buffer is the
/// classifier's own (batch_memory) or owned here; it lives as long as the stream.
template <class V>
class batch_stream {
public:
    /// `classify`: the classifier; `batch_size` >= 1: images per call; `width` x `height` x
    /// `channels` in `order`: one image as the classifier takes it; `lim`: the limits of its
    /// output (max_classes); `progress`: see progress_report; `task`: what the output's columns
    /// are (call_classifier's checks). Throws pixlime::classifier_error when batch_memory
    /// returns a null pointer.
    batch_stream(const classifier_function<V>& classify, int batch_size, int width, int height, int channels, layout order,
                 const limits& lim, progress_report progress, task_setting task = {})
        : classify_(classify), batch_(batch_size), width_(width), height_(height), channels_(channels), order_(order),
          image_values_(std::size_t(width) * std::size_t(height) * std::size_t(channels)), lim_(lim), progress_(std::move(progress)),
          task_(std::move(task)), memory_(classify, std::size_t(batch_size) * image_values_) {}

    /// Classifies `count` images in batches. For each batch of images first..first+n-1 (n <=
    /// batch_size): `render(first, n, buffer)` writes image first + j at buffer + j x
    /// image_values() (the layout's order), then the classifier's n x #classes outputs go to
    /// `store(first, outputs)`. `sample(i)` is image i's sample number in the caller's terms,
    /// for the messages. Throws what call_classifier throws, pixlime::cancelled when the
    /// progress callback returns false, and whatever render and store throw.
    template <class Render, class Sample, class Store>
    void run(int count, Render&& render, Sample&& sample, Store&& store) {
        for (int first = 0; first < count; first += batch_) {
            const int n = std::min(batch_, count - first);
            auto t0 = clock::now();
            render(first, n, memory_.data);
            render_ms_ += ms_since(t0);
            t0 = clock::now();
            const batch_view<const V> view(memory_.data, n, width_, height_, channels_, order_);
            const Eigen::MatrixXd out = call_classifier<V>(classify_, view, columns_, sample(first), lim_, sample(first + n - 1), task_);
            columns_ = out.cols();
            store(first, out);
            classifier_ms_ += ms_since(t0);
            done_ += n;
            if (progress_.callback && *progress_.callback && !(*progress_.callback)(done_, progress_.total))
                throw cancelled(progress_.option,
                                "false after " + std::to_string(done_) + " of " + std::to_string(progress_.total) + " " + progress_.unit,
                                "true to go on (" + progress_.stopped + " was cancelled)");
        }
    }

    /// Values of one image (width x height x channels).
    std::size_t image_values() const { return image_values_; }
    /// Images classified so far, over every run.
    int images_done() const { return done_; }
    /// Milliseconds spent rendering, and in the classifier (with store), over every run.
    double render_ms() const { return render_ms_; }
    double classifier_ms() const { return classifier_ms_; }

private:
    const classifier_function<V>& classify_;
    int batch_, width_, height_, channels_;
    layout order_;
    std::size_t image_values_;
    limits lim_;
    progress_report progress_;
    task_setting task_;
    batch_buffer<V> memory_;
    Eigen::Index columns_ = 0;
    int done_ = 0;
    double render_ms_ = 0, classifier_ms_ = 0;
};

}  // namespace pixlime::detail
