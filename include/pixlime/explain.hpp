#pragma once
/// \file pixlime/explain.hpp
/// pixlime::explain: LIME for images (Ribeiro, Singh, Guestrin 2016, "Why Should I Trust You?":
/// Explaining the Predictions of Any Classifier", KDD), with lime_image's semantics and defaults.
///
/// 1. The image is split into K segments (a segmentation you give, or explain_options::segmenter).
/// 2. N masks are drawn (#samples by #segments, 0/1, row 0 all ones) from one seed
///    (explain_options::sampler).
/// 3. Each mask gives a perturbed image, its hidden segments replaced by the fill
///    (explain_options::fill), in the form the classifier takes (explain_options::model_input);
///    perturbed images are streamed to the classifier in batches of explain_options::batch_size
///    through one reused buffer, so memory never grows with num_samples x image size.
/// 4. Each sample is weighted by a kernel of its distance to the unperturbed image
///    (explain_options::kernel).
/// 5. For each explained label, a linear surrogate (explain_options::surrogate; lime's weighted
///    ridge) approximates the classifier's output over the masks; its coefficients are the
///    segments' weights.
/// Every stage is a value in explain_options: a built-in options struct or any callable.
///
/// The classifier is any callable `M classify(pixlime::batch_view<const V> batch)` where V is
/// the image's pixel type (or float with model_input::to_float) and M an Eigen matrix (or
/// expression) of float or double with batch.size() rows and one column per class. A single
/// column is a binary model's P(class 1), in [0, 1], explained as the two classes
/// {0: 1 - p, 1: p}.
///
/// The batches are written into one buffer of batch_size images, reused, freed when explain
/// returns. A classifier may provide that memory instead, with a member
/// `template <class V> V* batch_memory(std::size_t values)`: explain calls it once, before the
/// first batch, for batch_size x (width x height x channels) values, writes every batch there
/// (each batch_view points into it) and never frees it. Use it to render straight into a
/// model's input tensor, or into memory that must outlive the call (the Python module hands
/// each batch to Python as a view of a numpy array it allocates this way).

#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/kernel.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/perturb.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/segmenter.hpp>
#include <pixlime/surrogate.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <functional>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pixlime {

/// Options of pixlime::explain. Defaults follow lime_image (LimeImageExplainer.explain_instance,
/// marcotcr/lime v0.2.0.1) unless marked "pixlime".
struct explain_options {
    /// Perturbed samples N, including the unperturbed row 0 (lime: num_samples=1000). At least
    /// 2, at most limits.max_samples.
    int num_samples = 1000;
    /// Images per classifier call (lime: batch_size=10). >= 1. Peak memory is about
    /// batch_size x image size; results do not depend on it.
    int batch_size = 10;
    /// Seeds the sampler; the same seed gives a bitwise-identical explanation whatever the batch
    /// size or thread count. (pixlime: lime's default random_state=None is unseeded, and its seed
    /// reaches only its segmenter, lime issue #477.)
    std::uint64_t seed = 0;
    /// Explain the `top_labels` classes with the highest output on the unperturbed image, highest
    /// first (lime: top_labels=5; clamped to the number of classes). Used when `labels` is empty.
    int top_labels = 5;
    /// Explain exactly these classes, in this order, instead of the top ones (lime: labels=(1,)
    /// when top_labels=None). Each must be in 0..#classes-1, none twice.
    std::vector<int> labels;
    /// Segments the image when explain is called without a segmentation (pixlime: SLIC with
    /// slic_options defaults; lime's default is quickshift_options{}: kernel_size=4,
    /// max_dist=200, ratio=0.2). See segmenter.hpp.
    pixlime::segmenter segmenter;
    /// Draws the masks (pixlime: sampling::orthogonal; lime's own draws:
    /// sampling::lime_compatible). See sampler.hpp.
    pixlime::sampler sampler;
    /// What hidden segments show (lime: hide_color=None, segment_mean_fill; hide_color=0 is
    /// constant_fill{{0}}). See perturb.hpp.
    pixlime::fill fill;
    /// Deprecated (0.2's name of `fill`): assigning it still works, with a deprecation warning,
    /// and when set it is used instead of `fill`. Removed in the release after 0.3.
    detail::renamed_hide hide;
    /// Weighs each sample by its distance to the unperturbed image (lime: kernel_width=0.25,
    /// cosine distance: exponential_kernel{}). shapley_kernel{} makes the fit KernelSHAP's
    /// (the weights are Shapley values of the segments; Lundberg and Lee 2017). See kernel.hpp.
    pixlime::kernel kernel;
    /// Fits the local linear model (lime: Ridge(alpha=1): weighted_ridge{}). See surrogate.hpp.
    /// With shapley_kernel the constrained fit replaces it and it must stay the default
    /// (shapley_kernel::alpha is that fit's penalty).
    pixlime::surrogate surrogate;
    /// The form of the batches the classifier receives (pixlime: the image's pixels as stored;
    /// e.g. float NCHW normalised for a CNN). See model_input.hpp.
    pixlime::model_input model_input;
    /// Called after each batch with the images classified so far and the most there will be
    /// (the distinct masks; the adaptive stop may end sooner) (pixlime: none). Returning false
    /// stops the explanation with pixlime::cancelled.
    std::function<bool(int samples_done, int samples_total)> progress;
    /// Threads that build perturbed images, at most the machine's hardware threads
    /// (pixlime: 1). The classifier is always called from the calling thread. Results do not
    /// depend on it. >= 1.
    int num_threads = 1;
    /// Adaptive sample count (pixlime; 0 = off, the default): draw the samples in rounds and
    /// stop as soon as explanation::stability(first explained label, stability_top_k) reaches
    /// this value, num_samples being the cap. In (0, 1]. The explanation says whether the
    /// target was reached (explanation::target_reached) and with how many model calls.
    double target_stability = 0;
    /// The k of the adaptive stop's top-k stability (pixlime: 5, the panes' num_features). >= 1.
    int stability_top_k = 5;
    /// Sizes refused before allocating (see pixlime::limits).
    pixlime::limits limits;
};

/// How an explanation's samples were drawn and evaluated (what its standard errors, stability
/// and the adaptive stop rest on).
struct sampling_summary {
    /// Images the classifier saw: the distinct masks (a repeated mask reuses its output).
    int model_calls = 0;
    /// Every one of the 2^K masks once (explain does this when 2^K <= num_samples, with a
    /// built-in sampler other than lime_compatible): the weights are the fit over all masks,
    /// with no sampling error.
    bool enumerated = false;
    /// The built-in fit's penalty, which the standard errors need (weighted_ridge's alpha, or
    /// shapley_kernel's); empty with a custom surrogate.
    std::optional<double> ridge_alpha = 1.0;
    /// The fit was KernelSHAP's constrained one (explain_options::kernel = shapley_kernel).
    bool shapley = false;
    /// Seeds the stability simulation (explain passes explain_options::seed).
    std::uint64_t seed = 0;
    /// explain_options::target_stability (0: off) and whether it was reached.
    double target_stability = 0;
    bool target_reached = false;
};

namespace detail {
/// The sampling spread of one target's weights under the fit `summary` describes (see
/// explanation::weight_spread).
inline Eigen::MatrixXd fit_spread(const sampling_summary& summary, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                  const Eigen::VectorXd& target, const linear_fit& fit) {
    if (summary.shapley)
        return shapley_spread(shapley_setup(*summary.ridge_alpha, samples, sample_weights), samples, sample_weights, target, fit);
    return ridge_spread(*summary.ridge_alpha, samples, sample_weights, target, fit);
}
}  // namespace detail

/// Wall-clock time spent in each stage of one explain call, in milliseconds.
struct explain_timings {
    double segmentation_ms = 0;
    double perturbation_ms = 0;  ///< drawing masks, the fill, building perturbed images
    double classifier_ms = 0;    ///< inside the user's classifier
    double surrogate_ms = 0;     ///< kernel and surrogate fits
    double total_ms = 0;
};

/// The result of pixlime::explain: per explained label a linear model over the segments,
/// plus the data it was fitted on.
class explanation {
public:
    /// The explained labels, in order: the top labels (highest output first) or explain_options::labels.
    const std::vector<int>& labels() const { return labels_; }
    /// The classes ranked by the classifier's output on the unperturbed image, highest first,
    /// at most explain_options::top_labels of them (lime's top_labels).
    const std::vector<int>& top_labels() const { return top_labels_; }
    /// Number of classes of the model (2 for a single-output binary model).
    int num_classes() const { return int(predictions_.cols()); }
    /// Number of segments K.
    int num_segments() const { return segments_.count(); }

    /// Segment weights of `label`: #segments values, weight k is the effect of keeping segment k.
    const Eigen::VectorXd& weights(int label) const { return fit(label).weights; }
    double intercept(int label) const { return fit(label).intercept; }
    /// Weighted R² of the surrogate on the samples (lime: score).
    double score(int label) const { return fit(label).score; }
    /// The surrogate's prediction for the unperturbed image (lime: local_pred).
    double local_prediction(int label) const { return fit(label).local_prediction; }
    /// The classifier's output for `label` on the unperturbed image (any class, explained or not).
    double model_prediction(int label) const {
        check_class(label);
        return predictions_(0, label);
    }
    /// (segment, weight) pairs by |weight| descending, ties by segment (lime: local_exp[label]).
    std::vector<std::pair<int, double>> ranked(int label) const { return pixlime::ranked(weights(label)); }
    /// Whether `label` was explained.
    bool has_label(int label) const { return std::find(labels_.begin(), labels_.end(), label) != labels_.end(); }

    /// #samples by #segments 0/1 masks (row 0: all ones).
    const mask_matrix& samples() const { return samples_; }
    /// #samples by #classes classifier outputs (a binary model's single column expanded to 1-p, p).
    const Eigen::MatrixXd& predictions() const { return predictions_; }
    /// #samples kernel weights.
    const Eigen::VectorXd& sample_weights() const { return sample_weights_; }
    /// The segmentation the features refer to (its size is the explained image's).
    const segmentation& segments() const { return segments_; }
    /// The explained image's channel count, or 0 when unknown (an explanation assembled
    /// without it). The render functions and the faithfulness curves of an explanation refuse
    /// an image of another size or channel count.
    int image_channels() const { return image_channels_; }
    /// The fit of an explained label.
    const linear_fit& fit(int label) const {
        for (std::size_t i = 0; i < labels_.size(); ++i)
            if (labels_[i] == label) return fits_[i];
        std::ostringstream s;
        for (std::size_t i = 0; i < labels_.size(); ++i) s << (i ? ", " : "") << labels_[i];
        throw invalid_argument("label", label, "one of the explained labels {" + s.str() + "}");
    }
    const explain_timings& timings() const { return timings_; }

    /// Images the classifier actually saw (distinct masks; at most samples().rows()).
    int model_calls() const { return summary_.model_calls; }
    /// Whether the adaptive stop (explain_options::target_stability) reached its target; false
    /// when it was off or stopped at num_samples.
    bool target_reached() const { return summary_.target_reached; }
    /// How the samples were drawn and evaluated.
    const sampling_summary& summary() const { return summary_; }

    /// The sampling spread of `label`'s weights: a #segments by #groups matrix B with B Bᵀ the
    /// estimated covariance of the weights over reruns with other seeds (the clustered sandwich
    /// of the weighted ridge fit, detail::ridge_spread, or of KernelSHAP's, detail::shapley_spread).
    /// No columns when the masks were
    /// enumerated. Throws pixlime::invalid_argument for a custom surrogate (its spread is
    /// unknown) or a label not explained.
    Eigen::MatrixXd weight_spread(int label) const {
        const linear_fit& f = fit(label);
        if (summary_.enumerated) return Eigen::MatrixXd::Zero(f.weights.size(), 0);
        if (!summary_.ridge_alpha)
            throw invalid_argument("explanation standard errors", "a custom surrogate",
                                   "the built-in weighted_ridge (the standard errors are its sandwich)");
        return detail::fit_spread(summary_, samples_, sample_weights_, predictions_.col(label), f);
    }
    /// Standard error of each of `label`'s weights (#segments values): the spread of the weight
    /// over reruns with other seeds, estimated from this run's samples alone (the square root
    /// of the sandwich covariance's diagonal; 0 when the masks were enumerated).
    Eigen::VectorXd standard_errors(int label) const { return weight_spread(label).rowwise().norm(); }
    /// Normal intervals weight ± z·standard error at `level` (in (0, 1); z = Φ⁻¹((1 + level) / 2),
    /// 1.96 at 0.95): #segments by 2, columns low and high.
    Eigen::MatrixXd weight_intervals(int label, double level = 0.95) const {
        if (!(level > 0 && level < 1)) throw invalid_argument("weight_intervals level", level, "a value in (0, 1), e.g. 0.95");
        const Eigen::VectorXd se = standard_errors(label);
        const double z = detail::normal_quantile(0.5 + 0.5 * level);
        Eigen::MatrixXd out(se.size(), 2);
        out.col(0) = weights(label) - z * se;
        out.col(1) = weights(label) + z * se;
        return out;
    }
    /// The expected top-k Jaccard |A ∩ B| / |A ∪ B| between this explanation's k most
    /// important segments (by |weight|) and those of an independent rerun with the same
    /// options and another seed, estimated without calling the model: the mean over `draws`
    /// pairs of simulated reruns, weights + B ξ with B = weight_spread(label). 1 when the masks
    /// were enumerated. k >= 1 (clamped to #segments), draws >= 1.
    double stability(int label, int k = 5, int draws = 200) const {
        if (k < 1) throw invalid_argument("stability k", k, "at least 1");
        if (draws < 1) throw invalid_argument("stability draws", draws, "at least 1");
        return detail::simulated_stability(weights(label), weight_spread(label), std::min(k, num_segments()), draws,
                                           detail::stability_seed(summary_.seed, label));
    }

    /// Assembles an explanation (used by explain; public so that custom pipelines can build one).
    /// Throws pixlime::invalid_argument unless the parts fit together: `samples` #samples by
    /// #segments of the segmentation, `predictions` #samples by #classes (>= 1 column),
    /// `sample_weights` #samples, `labels` distinct classes with one fit each whose weights
    /// have #segments finite values, `top_labels` classes.
    /// `summary` describes the samples (model_calls 0: taken as #samples; ridge_alpha: the
    /// penalty the fits used, or empty for another surrogate). `image_channels`: the explained
    /// image's channel count (1 to pixlime::max_channels), or 0 when unknown.
    explanation(segmentation segments, mask_matrix samples, Eigen::MatrixXd predictions, Eigen::VectorXd sample_weights,
                std::vector<int> labels, std::vector<int> top_labels, std::vector<linear_fit> fits, explain_timings timings = {},
                sampling_summary summary = {}, int image_channels = 0)
        : explanation(detail::trusted_t{}, std::move(segments), std::move(samples), std::move(predictions),
                      std::move(sample_weights), std::move(labels), std::move(top_labels), std::move(fits), timings, summary,
                      image_channels) {
        if (summary_.model_calls == 0) summary_.model_calls = int(samples_.rows());
        check();
    }
    /// The constructor above without its checks (explain has checked every part as it made it).
    explanation(detail::trusted_t, segmentation segments, mask_matrix samples, Eigen::MatrixXd predictions,
                Eigen::VectorXd sample_weights, std::vector<int> labels, std::vector<int> top_labels,
                std::vector<linear_fit> fits, explain_timings timings, sampling_summary summary, int image_channels = 0)
        : segments_(std::move(segments)), samples_(std::move(samples)), predictions_(std::move(predictions)),
          sample_weights_(std::move(sample_weights)), labels_(std::move(labels)), top_labels_(std::move(top_labels)),
          fits_(std::move(fits)), timings_(timings), summary_(summary), image_channels_(image_channels) {}

private:
    void check() const {
        const auto k = Eigen::Index(segments_.count());
        if (segments_.empty()) throw invalid_argument("explanation segments", "empty", "a segmentation");
        if (samples_.cols() != k || samples_.rows() < 1)
            throw invalid_argument("explanation samples size", std::to_string(samples_.rows()) + "x" + std::to_string(samples_.cols()),
                                   "#samples x #segments with #segments = " + std::to_string(k));
        if (predictions_.rows() != samples_.rows() || predictions_.cols() < 1)
            throw invalid_argument("explanation predictions size",
                                   std::to_string(predictions_.rows()) + "x" + std::to_string(predictions_.cols()),
                                   std::to_string(samples_.rows()) + " rows (one per sample) and at least 1 column");
        if (sample_weights_.size() != samples_.rows())
            throw invalid_argument("explanation sample_weights size", sample_weights_.size(), "one per sample");
        if (fits_.size() != labels_.size())
            throw invalid_argument("explanation fits", fits_.size(), "one per label: " + std::to_string(labels_.size()));
        for (std::size_t i = 0; i < labels_.size(); ++i) {
            check_class(labels_[i]);
            if (std::find(labels_.begin(), labels_.begin() + std::ptrdiff_t(i), labels_[i]) != labels_.begin() + std::ptrdiff_t(i))
                throw invalid_argument("explanation labels", labels_[i], "each label once");
            const linear_fit& f = fits_[i];
            const std::string name = "explanation fit of label " + std::to_string(labels_[i]);
            if (f.weights.size() != k) throw invalid_argument(name + " weights size", f.weights.size(), "#segments = " + std::to_string(k));
            if (!f.weights.allFinite() || !std::isfinite(f.intercept) || !std::isfinite(f.score) || !std::isfinite(f.local_prediction))
                throw invalid_argument(name, "NaN or Inf", "finite weights, intercept, score and local prediction");
        }
        for (int l : top_labels_) check_class(l);
        if (summary_.model_calls < 1 || summary_.model_calls > samples_.rows())
            throw invalid_argument("explanation summary.model_calls", summary_.model_calls,
                                   "1.." + std::to_string(samples_.rows()) + " (at most one call per sample)");
        if (summary_.ridge_alpha && !(*summary_.ridge_alpha >= 0 && std::isfinite(*summary_.ridge_alpha)))
            throw invalid_argument("explanation summary.ridge_alpha", *summary_.ridge_alpha, "a finite value >= 0, or empty");
        if (image_channels_ < 0 || image_channels_ > max_channels)
            throw invalid_argument("explanation image_channels", image_channels_,
                                   "the explained image's channel count, 1 to " + std::to_string(max_channels) + ", or 0 (unknown)");
    }

    void check_class(int label) const {
        if (label < 0 || label >= num_classes())
            throw invalid_argument("label", label, "a class 0.." + std::to_string(num_classes() - 1));
    }

    segmentation segments_;
    mask_matrix samples_;
    Eigen::MatrixXd predictions_;
    Eigen::VectorXd sample_weights_;
    std::vector<int> labels_, top_labels_;
    std::vector<linear_fit> fits_;
    explain_timings timings_;
    sampling_summary summary_;
    int image_channels_ = 0;
};

namespace detail {

template <class M>
constexpr bool is_eigen_v = std::is_base_of_v<Eigen::EigenBase<M>, M>;

/// Whether `Classifier` takes batch_view<const V> and returns an Eigen matrix of float or
/// double (checked with worded static_asserts in wrap_classifier).
template <class Classifier, class V>
constexpr bool takes_batch_v = std::is_invocable_v<Classifier&, batch_view<const V>>;

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

inline std::string describe_current_exception() {
    try {
        throw;
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}

/// Returns f(), a call of the stage `stage` (e.g. "explain_options.segmenter"). When the stage
/// is the user's callable (`custom`, named `name`), an exception from it that is not a
/// pixlime::error comes back as a pixlime::stage_error naming the stage, the original nested;
/// pixlime's own errors (cancelled too), and anything a built-in stage throws, pass unchanged.
template <class F>
auto call_stage(const char* stage, bool custom, const std::string& name, const char* expected, F&& f) -> decltype(f()) {
    if (!custom) return f();
    try {
        return f();
    } catch (const error&) {
        throw;
    } catch (...) {
        std::throw_with_nested(stage_error(stage, name + " threw: " + describe_current_exception(),
                                           std::string(expected) + " (the exception is nested)"));
    }
}

/// The fill of `img` over `seg` by `f`, the stage `stage` (explain_options.fill, a
/// curve_options fill): a custom fill's exceptions as call_stage says.
template <class T>
image<T> call_fill(const char* stage, const fill& f, image_view<const T> img, const segmentation& seg) {
    return call_stage(stage, !f.is_builtin(), f.name(), "an image of the image's size and channels", [&] { return f(img, seg); });
}

/// Throws pixlime::invalid_argument unless an image of `channels` channels can be the one `ex`
/// explained (explanation::image_channels, when known).
inline void check_explained_channels(const explanation& ex, int channels) {
    const int explained = ex.image_channels();
    if (explained != 0 && channels != explained)
        throw invalid_argument("image channels", channels,
                               "the explained image's " + std::to_string(explained) + (explained == 1 ? " channel" : " channels") +
                                   " (an explanation is drawn on the image it explained)");
}

/// Throws pixlime::invalid_argument unless an image of width x height x channels is the one
/// `ex` explained (its segmentation's size, and its channel count when known).
inline void check_explained_image(const explanation& ex, int width, int height, int channels) {
    const segmentation& seg = ex.segments();
    if (width != seg.width() || height != seg.height())
        throw invalid_argument("image size", std::to_string(width) + "x" + std::to_string(height),
                               "the explained image's " + std::to_string(seg.width()) + "x" + std::to_string(seg.height()) +
                                   " (an explanation is drawn on the image it explained)");
    check_explained_channels(ex, channels);
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
    std::function<Eigen::MatrixXd(batch_view<const V>)> call;
    std::function<V*(std::size_t)> batch_memory;  // empty: explain's own buffer
    explicit operator bool() const { return bool(call); }
    Eigen::MatrixXd operator()(batch_view<const V> batch) const { return call(batch); }
};

/// The classifier as it takes the image's own pixels (`own`) and/or float (`as_float`);
/// either may be empty.
template <class T>
struct classifier_functions {
    classifier_function<T> own;
    classifier_function<float> as_float;
};

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
    std::vector<V> own;
    V* data = nullptr;
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

/// Largest magnitude accepted from a classifier: larger values overflow the surrogate's
/// squared sums (a probability or a logit is far below it).
constexpr double max_classifier_output = 1e150;

/// Calls the classifier on one batch and returns its outputs, checking shape and values.
template <class V>
Eigen::MatrixXd call_classifier(const classifier_function<V>& classify, batch_view<const V> batch, Eigen::Index expected_cols,
                                int first_sample, const limits& lim, int last_sample = -1) {
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
    if (out.cols() > lim.max_classes)
        throw size_limit_error("classifier output columns" + where, out.cols(),
                               "at most limits.max_classes = " + std::to_string(lim.max_classes));
    if (expected_cols > 0 && out.cols() != expected_cols)
        throw classifier_error("classifier output columns" + where, out.cols(),
                               "the " + std::to_string(expected_cols) + " columns of the first call");
    const bool binary = out.cols() == 1;
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
                                   "(return two or more columns to explain other scores)");
        }
    return out;
}

using clock = std::chrono::steady_clock;
inline double ms_since(clock::time_point t0) { return std::chrono::duration<double, std::milli>(clock::now() - t0).count(); }

inline void check_explain_options(const explain_options& opt) {
    const limits& lim = opt.limits;
    if (lim.max_pixels < 1 || lim.max_image_bytes < 1 || lim.max_samples < 2 || lim.max_segments < 2 || lim.max_classes < 1 ||
        lim.max_surrogate_size < 1 || lim.max_explanation_bytes < 1)
        throw invalid_argument("explain_options.limits", "a value below its minimum",
                               "max_pixels, max_image_bytes, max_classes, max_surrogate_size, max_explanation_bytes >= 1; "
                               "max_samples, max_segments >= 2");
    if (opt.num_samples < 2) throw invalid_argument("explain_options.num_samples", opt.num_samples, "at least 2");
    if (opt.num_samples > lim.max_samples)
        throw size_limit_error("explain_options.num_samples", opt.num_samples,
                               "at most limits.max_samples = " + std::to_string(lim.max_samples));
    if (opt.batch_size < 1) throw invalid_argument("explain_options.batch_size", opt.batch_size, "at least 1");
    if (opt.num_threads < 1) throw invalid_argument("explain_options.num_threads", opt.num_threads, "at least 1");
    if (opt.labels.empty() && opt.top_labels < 1)
        throw invalid_argument("explain_options.top_labels", opt.top_labels, "at least 1 (or give explain_options.labels)");
    for (std::size_t i = 0; i < opt.labels.size(); ++i) {
        if (opt.labels[i] < 0)
            throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", opt.labels[i], "a class index >= 0");
        for (std::size_t j = 0; j < i; ++j)
            if (opt.labels[j] == opt.labels[i])
                throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", opt.labels[i],
                                       "each label once (it is also labels[" + std::to_string(j) + "])");
    }
    if (!(opt.target_stability >= 0 && opt.target_stability <= 1))
        throw invalid_argument("explain_options.target_stability", opt.target_stability, "a value in [0, 1] (0 = off)");
    if (opt.target_stability > 0 && !opt.surrogate.builtin())
        throw invalid_argument("explain_options.target_stability", opt.target_stability,
                               "0 with a custom surrogate (the adaptive stop needs the built-in weighted_ridge's standard errors)");
    if (opt.stability_top_k < 1) throw invalid_argument("explain_options.stability_top_k", opt.stability_top_k, "at least 1");
    opt.kernel.validate();
    opt.surrogate.validate();
    if (opt.kernel.shapley() && !(opt.surrogate.builtin() && opt.surrogate.builtin()->alpha == weighted_ridge{}.alpha))
        throw invalid_argument("explain_options.surrogate", opt.surrogate.builtin() ? "weighted_ridge with another alpha" : "a custom surrogate",
                               "the default weighted_ridge{} with shapley_kernel (its constrained fit replaces the surrogate; "
                               "set shapley_kernel::alpha for a penalty)");
}

template <class T>
void check_image(image_view<const T> img, const explain_options& opt) {
    if (img.empty()) throw invalid_argument("image", "empty", "a non-empty image");
    detail::check_dimensions("image", img.width(), img.height(), img.channels(), sizeof(T), opt.limits);
    if constexpr (std::is_same_v<T, float>)
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                for (int c = 0; c < img.channels(); ++c)
                    if (!std::isfinite(img.at(x, y, c)))
                        throw invalid_argument("image pixel (" + std::to_string(x) + ", " + std::to_string(y) + ") channel " +
                                                   std::to_string(c),
                                               img.at(x, y, c), "finite values");
}

/// Checks the sizes of the explanation's arrays against opt.limits before they are allocated
/// (`classes`: 1 when not yet known). `value_size`: bytes of one value of the batches.
inline void check_explanation_size(const explain_options& opt, int segments, std::size_t image_values, std::size_t value_size,
                                   Eigen::Index classes) {
    const limits& lim = opt.limits;
    const auto n = std::int64_t(opt.num_samples), k = std::int64_t(segments);
    const std::int64_t batch = std::min<std::int64_t>(opt.batch_size, n);
    // KernelSHAP's fit solves in the segments whatever the samples, on a dense #samples x K design.
    const bool shapley = opt.kernel.shapley() != nullptr;
    const std::int64_t system = shapley ? k : std::min(n, k);
    if (opt.surrogate.builtin() && system > lim.max_surrogate_size)
        throw size_limit_error("surrogate system size min(num_samples, segments)",
                               std::to_string(system) + " (" + std::to_string(n) + " samples, " + std::to_string(k) + " segments)",
                               "at most limits.max_surrogate_size = " + std::to_string(lim.max_surrogate_size) +
                                   " (fewer samples or segments; the solve costs size^3 / 3)");
    // masks (bytes) + outputs (doubles) + the surrogate's system (doubles) + the batch buffer;
    // each term is far below 2^63 (n, k, classes <= 2^31; image_values <= 2^32).
    const double bytes = double(n) * double(k) + 8.0 * double(n) * double(classes) + 8.0 * double(system) * double(system) +
                         (shapley ? 8.0 * double(n + 1) * double(k) : 0.0) +
                         // the adaptive stop's spread: the K x #groups scores and their solve
                         (opt.target_stability > 0 ? 16.0 * double(n + 1) * double(k) : 0.0) +
                         double(batch) * double(image_values) * double(value_size);
    if (bytes > double(lim.max_explanation_bytes))
        throw size_limit_error("explanation memory",
                               detail::to_text(bytes) + " bytes (" + std::to_string(n) + " samples x " + std::to_string(k) +
                                   " segments, " + std::to_string(classes) + " classes, batch " + std::to_string(batch) + ")",
                               "at most limits.max_explanation_bytes = " + std::to_string(lim.max_explanation_bytes));
}

/// The masks explain evaluates: all 2^K of them once when that is no more than num_samples
/// and the sampler is a built-in other than lime_compatible (whose draws must stay lime's),
/// else the sampler's, checked. Enumerated masks are weighted num_samples / 2^K times the
/// kernel's weights: the fit is then the one drawn masks converge to, the expected objective.
inline mask_matrix draw_masks(const explain_options& opt, int k, bool& enumerated) {
    const int n = opt.num_samples;
    enumerated = opt.sampler.is_builtin() && opt.sampler.name() != to_string(sampling::lime_compatible) && k < 31 &&
                 (std::int64_t(1) << k) <= n;
    if (enumerated) {
        const std::int64_t all = std::int64_t(1) << k;
        mask_matrix m(all, k);
        for (std::int64_t i = 0; i < all; ++i)  // row i: the bits of 2^K - 1 - i, so row 0 is all ones
            for (int j = 0; j < k; ++j) m(i, j) = std::uint8_t(((all - 1 - i) >> j) & 1);
        return m;
    }
    mask_matrix masks = call_stage("explain_options.sampler", !opt.sampler.is_builtin(), opt.sampler.name(),
                                   "a num_samples x num_segments mask matrix", [&] { return opt.sampler(n, k, opt.seed, opt.limits); });
    if (masks.rows() != n || masks.cols() != k)
        throw invalid_argument("sampler (" + opt.sampler.name() + ") result size",
                               std::to_string(masks.rows()) + "x" + std::to_string(masks.cols()),
                               "num_samples x num_segments = " + std::to_string(n) + "x" + std::to_string(k));
    if ((masks.row(0).array() != 1).any())
        throw invalid_argument("sampler (" + opt.sampler.name() + ") result row 0", "not all ones",
                               "all ones (sample 0 is the unperturbed image)");
    if ((masks.array() > 1).any()) throw invalid_argument("sampler (" + opt.sampler.name() + ") result", "a value other than 0 or 1", "only 0 and 1");
    return masks;
}

/// `masks` with an all-hidden row 1 inserted when `needed` (shapley_kernel: f(none) is its
/// intercept, so every round of the adaptive stop needs it) and row 1 does not hide every
/// segment; an all-hidden row drawn later repeats it and is classified once.
inline mask_matrix with_all_hidden(mask_matrix masks, bool needed) {
    if (!needed || (masks.rows() > 1 && (masks.row(1).array() == 0).all())) return masks;
    mask_matrix out(masks.rows() + 1, masks.cols());
    out.row(0) = masks.row(0);
    out.row(1).setZero();
    out.bottomRows(masks.rows() - 1) = masks.bottomRows(masks.rows() - 1);
    return out;
}

/// For each mask row, the first row with the same mask (itself when it is the first): a
/// repeated mask is classified once.
inline std::vector<int> first_occurrences(const mask_matrix& masks) {
    std::vector<int> first(std::size_t(masks.rows()));
    std::unordered_map<std::string_view, int> seen;
    seen.reserve(std::size_t(masks.rows()));
    const auto k = std::size_t(masks.cols());
    for (Eigen::Index i = 0; i < masks.rows(); ++i) {
        const std::string_view row(reinterpret_cast<const char*>(masks.row(i).data()), k);
        first[std::size_t(i)] = seen.emplace(row, int(i)).first->second;
    }
    return first;
}

/// The sample counts of the adaptive stop's rounds, ending at `cap`: the first round has
/// max(100, 2K + 1) samples (enough antithetic pairs for K weights), each next one a quarter
/// more (at least 50); counts are odd so that sampling::paired's pairs are complete.
inline std::vector<int> round_ends(int cap, int k, bool adaptive) {
    std::vector<int> ends;
    if (adaptive) {
        std::int64_t n = std::max<std::int64_t>(101, 2 * std::int64_t(k) + 1);
        while (n < cap) {
            ends.push_back(int(n));
            n += std::max<std::int64_t>(50, n / 4);
            n += 1 - n % 2;
        }
    }
    ends.push_back(cap);
    return ends;
}

/// Steps 2 to 5, with the batches handed over as V (T, or float with model_input::to_float).
template <class V, class T>
explanation explain_batches(image_view<const T> img, segmentation seg, const classifier_function<V>& classify,
                            const explain_options& opt, explain_timings timings, clock::time_point t_start) {
    const int k = seg.count();
    const int out_channels = opt.model_input.output_channels(img.channels());
    const std::size_t image_values = std::size_t(img.pixel_count()) * std::size_t(out_channels);
    check_explanation_size(opt, k, image_values, sizeof(V), 1);

    auto t0 = clock::now();
    sampling_summary summary;
    summary.seed = opt.seed;
    summary.target_stability = opt.target_stability;
    const shapley_kernel* shapley = opt.kernel.shapley();
    summary.shapley = shapley != nullptr;
    if (shapley) summary.ridge_alpha = shapley->alpha;
    else if (const weighted_ridge* r = opt.surrogate.builtin()) summary.ridge_alpha = r->alpha;
    else summary.ridge_alpha.reset();
    mask_matrix masks = draw_masks(opt, k, summary.enumerated);
    masks = with_all_hidden(std::move(masks), shapley != nullptr && !summary.enumerated);  // enumerated: it is there
    const int n = int(masks.rows());
    const std::vector<int> first = first_occurrences(masks);
    int distinct = 0;  // the model calls of a run to the end
    for (int i = 0; i < n; ++i) distinct += first[std::size_t(i)] == i;
    // The deprecated `hide`, when old code set it, is what the user asked for.
    const image<T> fill = opt.hide.value ? call_fill("explain_options.hide", *opt.hide.value, img, seg)
                                         : call_fill("explain_options.fill", opt.fill, img, seg);
    const perturber<V> perturb(trusted_t{}, img, fill.view(), seg, opt.model_input);
    timings.perturbation_ms += ms_since(t0);

    // Stream the distinct masks through one reused batch buffer; the pool's workers live
    // through every batch.
    const int batch = std::min(opt.batch_size, n);
    detail::thread_pool pool(std::min(opt.num_threads, batch));
    const std::size_t batch_values = std::size_t(batch) * perturb.image_size();
    batch_buffer<V> memory(classify, batch_values);
    V* const buffer = memory.data;
    Eigen::MatrixXd raw;
    std::vector<int> pending;  // distinct masks of the current round, in row order
    // Classifies rows [from, to) (repeated masks copy the output of their first occurrence).
    const auto evaluate = [&](int from, int to) {
        pending.clear();
        for (int i = from; i < to; ++i)
            if (first[std::size_t(i)] == i) pending.push_back(i);
        for (std::size_t done = 0; done < pending.size();) {
            const int count = int(std::min<std::size_t>(std::size_t(batch), pending.size() - done));
            auto t1 = clock::now();
            V* out = buffer;
            pool.bands(count, [&](int b, int e) {
                for (int i = b; i < e; ++i)
                    perturb.render(masks.row(pending[done + std::size_t(i)]).data(), out + std::size_t(i) * perturb.image_size());
            });
            timings.perturbation_ms += ms_since(t1);
            t1 = clock::now();
            const batch_view<const V> view(buffer, count, img.width(), img.height(), out_channels, opt.model_input.layout);
            Eigen::MatrixXd result =
                call_classifier<V>(classify, view, raw.cols(), pending[done], opt.limits, pending[done + std::size_t(count) - 1]);
            if (raw.size() == 0) {
                check_explanation_size(opt, k, image_values, sizeof(V), result.cols() == 1 ? 2 : result.cols());
                raw.resize(n, result.cols());
            }
            for (int i = 0; i < count; ++i) raw.row(pending[done + std::size_t(i)]) = result.row(i);
            timings.classifier_ms += ms_since(t1);
            done += std::size_t(count);
            summary.model_calls += count;
            if (opt.progress && !opt.progress(summary.model_calls, distinct))
                throw cancelled("explain_options.progress",
                                "false after " + std::to_string(summary.model_calls) + " of " + std::to_string(distinct) + " model calls",
                                "true to go on (the explanation was cancelled)");
        }
        for (int i = from; i < to; ++i)
            if (first[std::size_t(i)] != i) raw.row(i) = raw.row(first[std::size_t(i)]);
    };

    std::vector<int> labels, top;
    Eigen::MatrixXd predictions;
    Eigen::VectorXd weights;
    std::vector<linear_fit> fits;
    mask_matrix used;
    const bool adaptive = opt.target_stability > 0 && !summary.enumerated;
    int done = 0;
    for (const int end : round_ends(n, k, adaptive)) {
        evaluate(done, end);
        done = end;
        t0 = clock::now();
        if (labels.empty()) {
            // lime: np.argsort(labels[0])[-top_labels:] reversed, i.e. highest first, ties by higher index.
            const int classes = raw.cols() == 1 ? 2 : int(raw.cols());
            const auto out0 = [&](int c) { return raw.cols() == 1 ? (c == 1 ? raw(0, 0) : 1.0 - raw(0, 0)) : raw(0, c); };
            std::vector<int> order(static_cast<std::size_t>(classes));
            std::iota(order.begin(), order.end(), 0);
            std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return out0(a) > out0(b) || (out0(a) == out0(b) && a > b); });
            top.assign(order.begin(), order.begin() + std::min(std::max(opt.top_labels, 1), classes));
            labels = opt.labels.empty() ? top : opt.labels;
            for (std::size_t i = 0; i < labels.size(); ++i)
                if (labels[i] >= classes)
                    throw invalid_argument("explain_options.labels[" + std::to_string(i) + "]", labels[i],
                                           "a class index 0.." + std::to_string(classes - 1) + " of the classifier's output");
        }
        if (raw.cols() == 1) {  // a binary model's P(class 1)
            predictions.resize(end, 2);
            predictions.col(0) = 1.0 - raw.col(0).head(end).array();
            predictions.col(1) = raw.col(0).head(end);
        } else {
            predictions = raw.topRows(end);
        }
        used = end == n ? masks : mask_matrix(masks.topRows(end));
        weights = call_stage("explain_options.kernel", !opt.kernel.builtin() && !opt.kernel.shapley(), opt.kernel.name(),
                             "#samples weights", [&] { return opt.kernel(used); });
        // (the Shapley kernel gives the all-ones and all-hidden rows 0; with one segment, every row)
        if (weights.size() != end || !weights.allFinite() || (weights.array() < 0).any() || !(shapley || weights.tail(end - 1).sum() > 0))
            throw invalid_argument("kernel (" + opt.kernel.name() + ") result",
                                   std::to_string(weights.size()) + " weights" + (weights.allFinite() ? "" : " with NaN or Inf"),
                                   std::to_string(end) + " finite weights >= 0, some perturbed sample's > 0");
        // Enumerated, each mask stands for the num_samples / 2^K draws it would get on average,
        // so that the penalty weighs as much against the data as with drawn masks.
        if (summary.enumerated) weights *= double(opt.num_samples) / double(n);
        // sampling::shapley draws masks as often as the Shapley kernel weighs them: each counts once.
        else if (shapley && opt.sampler.is_builtin() && opt.sampler.name() == to_string(sampling::shapley))
            weights = (weights.array() > 0).cast<double>();
        Eigen::MatrixXd targets(end, Eigen::Index(labels.size()));
        for (std::size_t j = 0; j < labels.size(); ++j) targets.col(Eigen::Index(j)) = predictions.col(labels[j]);
        fits = shapley ? shapley_fit(shapley_setup(shapley->alpha, used, weights), used, weights, targets)
                       : call_stage("explain_options.surrogate", !opt.surrogate.builtin(), opt.surrogate.name(),
                                    "one linear_fit per label", [&] { return opt.surrogate(used, weights, targets); });
        const std::string surrogate_name = "surrogate (" + opt.surrogate.name() + ") result";
        if (fits.size() != labels.size())
            throw invalid_argument(surrogate_name, std::to_string(fits.size()) + " fits", "one per label: " + std::to_string(labels.size()));
        for (std::size_t j = 0; j < fits.size(); ++j) {
            const linear_fit& f = fits[j];
            const std::string which = surrogate_name + " for label " + std::to_string(labels[j]);
            if (f.weights.size() != k) throw invalid_argument(which + " weights size", f.weights.size(), "#segments = " + std::to_string(k));
            if (!f.weights.allFinite() || !std::isfinite(f.intercept) || !std::isfinite(f.score) || !std::isfinite(f.local_prediction))
                throw invalid_argument(which, "NaN or Inf", "finite weights, intercept, score and local prediction");
        }
        if (adaptive && summary.ridge_alpha) {
            const Eigen::MatrixXd spread = fit_spread(summary, used, weights, targets.col(0), fits[0]);
            const double reached = simulated_stability(fits[0].weights, spread, std::min(opt.stability_top_k, k), 200,
                                                       stability_seed(opt.seed, labels[0]));
            summary.target_reached = reached >= opt.target_stability;
        }
        timings.surrogate_ms += ms_since(t0);
        if (summary.target_reached) break;
    }
    timings.total_ms = timings.segmentation_ms + ms_since(t_start);
    return explanation(trusted_t{}, std::move(seg), std::move(used), std::move(predictions), std::move(weights), std::move(labels),
                       std::move(top), std::move(fits), timings, summary, img.channels());
}

/// The whole pipeline: options and image checked, the image segmented unless `given` is set,
/// then explain_batches with the classifier form model_input asks for.
template <class T>
explanation explain_core(image_view<const T> img, const segmentation* given, const classifier_functions<T>& classify,
                         const explain_options& opt) {
    const auto t_start = clock::now();
    check_explain_options(opt);
    check_image(img, opt);
    opt.model_input.validate(img.channels());
    const bool as_float = opt.model_input.to_float || std::is_same_v<T, float>;
    if (as_float ? !classify.as_float : !classify.own)
        throw invalid_argument("classifier", std::string("a callable without a batch_view<const ") + (as_float ? "float" : "std::uint8_t") + "> overload",
                               as_float ? "a classifier taking pixlime::batch_view<const float> (the batches are float: "
                                          "explain_options::model_input.to_float is set)"
                                        : "a classifier taking pixlime::batch_view<const std::uint8_t>, the image's pixels "
                                          "(or set explain_options::model_input.to_float for float batches)");
    explain_timings timings;
    segmentation seg;
    if (given) {
        seg = *given;
    } else {
        const auto t0 = clock::now();
        seg = call_stage("explain_options.segmenter", !opt.segmenter.is_builtin(), opt.segmenter.name(), "a segmentation of the image",
                         [&] { return opt.segmenter(img); });
        timings.segmentation_ms = ms_since(t0);
    }
    if (seg.width() != img.width() || seg.height() != img.height())
        throw invalid_argument("segmentation size", std::to_string(seg.width()) + "x" + std::to_string(seg.height()),
                               "the image's size " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
    if (seg.count() < 2)
        throw invalid_argument("segmentation count", seg.count(),
                               "at least 2 segments (with one segment there is nothing to compare; use more segments or a larger image)");
    if (seg.count() > opt.limits.max_segments)
        throw size_limit_error("segmentation count", seg.count(),
                               "at most limits.max_segments = " + std::to_string(opt.limits.max_segments));
    if constexpr (std::is_same_v<T, float>) {
        return explain_batches<float>(img, std::move(seg), classify.as_float, opt, timings, t_start);
    } else {
        if (as_float) return explain_batches<float>(img, std::move(seg), classify.as_float, opt, timings, t_start);
        return explain_batches<T>(img, std::move(seg), classify.own, opt, timings, t_start);
    }
}

}  // namespace detail

/// Explains `classify`'s prediction on `img` over the segments `seg`.
/// \param img       width x height x channels, T = std::uint8_t or float (float: finite values).
/// \param seg       a segmentation of the image's size with at least 2 segments.
/// \param classify  see the file comment.
/// \param opt       every stage and size; see explain_options.
/// Throws pixlime::invalid_argument on bad input or options (before any classifier call),
/// pixlime::size_limit_error over opt.limits (before allocating), pixlime::classifier_error
/// when the classifier throws (nested) or returns a wrong shape or values, pixlime::stage_error
/// when a custom stage callable (segmenter, sampler, fill, kernel, surrogate) throws anything
/// but a pixlime::error (nested; a pixlime::error passes with its class), pixlime::cancelled
/// when opt.progress returns false.
template <class T, class Classifier>
explanation explain(image_view<const T> img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return detail::explain_core<T>(img, &seg, detail::wrap_classifier<T>(classify), opt);
}
template <class T, class Classifier>
explanation explain(const image<T>& img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return explain(img.view(), seg, std::forward<Classifier>(classify), opt);
}

/// Explains `classify`'s prediction on `img`, segmenting it with explain_options::segmenter
/// (SLIC by default). See the overload with a segmentation for the rest.
template <class T, class Classifier>
explanation explain(image_view<const T> img, Classifier&& classify, const explain_options& opt = {}) {
    return detail::explain_core<T>(img, nullptr, detail::wrap_classifier<T>(classify), opt);
}
template <class T, class Classifier>
explanation explain(const image<T>& img, Classifier&& classify, const explain_options& opt = {}) {
    return explain(img.view(), std::forward<Classifier>(classify), opt);
}

/// Views of mutable pixels are explained as views of const pixels.
template <class T, class Classifier, class = std::enable_if_t<!std::is_const_v<T>>>
explanation explain(image_view<T> img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return explain(image_view<const T>(img), seg, std::forward<Classifier>(classify), opt);
}
template <class T, class Classifier, class = std::enable_if_t<!std::is_const_v<T>>>
explanation explain(image_view<T> img, Classifier&& classify, const explain_options& opt = {}) {
    return explain(image_view<const T>(img), std::forward<Classifier>(classify), opt);
}

}  // namespace pixlime
