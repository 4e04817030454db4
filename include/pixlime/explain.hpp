#pragma once
/// \file pixlime/explain.hpp
/// pixlime::explain: LIME for images (Ribeiro, Singh, Guestrin 2016, "Why Should I Trust You?":
/// Explaining the Predictions of Any Classifier", KDD), with lime_image's semantics and defaults.
///
/// 1. The image is split into K segments (a segmentation you give, or explain_options::segmenter).
/// 2. N masks are drawn (#samples by #segments, 0/1, row 0 all ones) from one seed.
/// 3. Each mask gives a perturbed image (hidden segments replaced by the fill, see hide_mode);
///    perturbed images are streamed to the classifier in batches of explain_options::batch_size
///    through one reused buffer, so memory never grows with num_samples x image size.
/// 4. Each sample is weighted by a kernel of its cosine distance to the unperturbed image.
/// 5. For each explained label, a weighted ridge regression over the masks approximates the
///    classifier's output; its coefficients are the segments' weights.
///
/// The classifier is any callable `M classify(pixlime::batch_view<const T> batch)` where M is an
/// Eigen matrix (or expression) of float or double with batch.size() rows and one column per
/// class. A single column is a binary model's P(class 1), explained as the two classes
/// {0: 1 - p, 1: p}.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
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
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// Options of pixlime::explain. Defaults follow lime_image (LimeImageExplainer.explain_instance,
/// marcotcr/lime v0.2.0.1) unless marked "pixlime".
struct explain_options {
    /// Perturbed samples N, including the unperturbed row 0 (lime: num_samples=1000). >= 2.
    int num_samples = 1000;
    /// Images per classifier call (lime: batch_size=10). >= 1. Peak memory is about
    /// batch_size x image size; results do not depend on it.
    int batch_size = 10;
    /// Seeds the sampler; the same seed gives a bitwise-identical explanation whatever the batch
    /// size or thread count. (pixlime: lime's default random_state=None is unseeded, and its seed
    /// reaches only its segmenter, lime issue #477.)
    std::uint64_t seed = 0;
    /// How masks are drawn (pixlime: sampling::balanced; lime's own draws: sampling::lime_compatible).
    pixlime::sampling sampling = pixlime::sampling::balanced;
    /// Explain the `top_labels` classes with the highest output on the unperturbed image, highest
    /// first (lime: top_labels=5; clamped to the number of classes). Used when `labels` is empty.
    int top_labels = 5;
    /// Explain exactly these classes, in this order, instead of the top ones (lime: labels=(1,)
    /// when top_labels=None). Each must be in 0..#classes-1.
    std::vector<int> labels;
    /// What hidden segments show (lime: hide_color=None, the segment mean).
    hide_mode hide = hide_mode::segment_mean;
    /// hide_mode::constant: one value for every channel, or one value per channel, in the image's
    /// scale (0..255 for uint8, as stored for float). Empty means 0 (lime: hide_color=0 is black).
    std::vector<double> hide_color;
    /// hide_mode::blur: Gaussian sigma in pixels; 0 = max(width, height) / 50 (pixlime).
    double blur_sigma = 0;
    /// hide_mode::image: the replacement image, same width, height and channels as the image, in
    /// the image's scale; converted (rounded, clamped) to the image's pixel type.
    image<float> hide_image;
    /// Kernel width of sqrt(exp(-d²/width²)) over the cosine distance d (lime: kernel_width=0.25).
    double kernel_width = 0.25;
    /// Ridge penalty (lime: Ridge(alpha=1)). >= 0.
    double ridge_alpha = 1.0;
    /// Threads that build perturbed images (pixlime: 1). The classifier is always called from
    /// the calling thread. Results do not depend on it.
    int num_threads = 1;
    /// Segments the image when explain is called without a segmentation (pixlime: SLIC with
    /// slic_options defaults; lime's default is quickshift(kernel_size=4, max_dist=200, ratio=0.2)).
    pixlime::segmenter segmenter;
};

/// Wall-clock time spent in each stage of one explain call, in milliseconds.
struct explain_timings {
    double segmentation_ms = 0;
    double perturbation_ms = 0;  ///< building perturbed images (sampling included)
    double classifier_ms = 0;    ///< inside the user's classifier
    double surrogate_ms = 0;     ///< kernel and ridge fits
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
    std::vector<std::pair<int, double>> ranked(int label) const {
        const Eigen::VectorXd& w = weights(label);
        std::vector<std::pair<int, double>> r;
        r.reserve(std::size_t(w.size()));
        for (Eigen::Index k = 0; k < w.size(); ++k) r.emplace_back(int(k), w[k]);
        std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
        return r;
    }
    /// Whether `label` was explained.
    bool has_label(int label) const { return std::find(labels_.begin(), labels_.end(), label) != labels_.end(); }

    /// #samples by #segments 0/1 masks (row 0: all ones).
    const mask_matrix& samples() const { return samples_; }
    /// #samples by #classes classifier outputs (a binary model's single column expanded to 1-p, p).
    const Eigen::MatrixXd& predictions() const { return predictions_; }
    /// #samples kernel weights.
    const Eigen::VectorXd& sample_weights() const { return sample_weights_; }
    /// The segmentation the features refer to.
    const segmentation& segments() const { return segments_; }
    /// The fit of an explained label.
    const linear_fit& fit(int label) const {
        for (std::size_t i = 0; i < labels_.size(); ++i)
            if (labels_[i] == label) return fits_[i];
        std::ostringstream s;
        for (std::size_t i = 0; i < labels_.size(); ++i) s << (i ? ", " : "") << labels_[i];
        throw invalid_argument::make("label", label, "one of the explained labels {" + s.str() + "}");
    }
    const explain_timings& timings() const { return timings_; }

    /// Assembles an explanation (used by explain; public so that custom pipelines can build one).
    explanation(segmentation segments, mask_matrix samples, Eigen::MatrixXd predictions, Eigen::VectorXd sample_weights,
                std::vector<int> labels, std::vector<int> top_labels, std::vector<linear_fit> fits, explain_timings timings = {})
        : segments_(std::move(segments)), samples_(std::move(samples)), predictions_(std::move(predictions)),
          sample_weights_(std::move(sample_weights)), labels_(std::move(labels)), top_labels_(std::move(top_labels)),
          fits_(std::move(fits)), timings_(timings) {
        if (fits_.size() != labels_.size()) throw invalid_argument("explanation: one fit per label expected");
    }

private:
    void check_class(int label) const {
        if (label < 0 || label >= num_classes())
            throw invalid_argument::make("label", label, "0.." + std::to_string(num_classes() - 1));
    }

    segmentation segments_;
    mask_matrix samples_;
    Eigen::MatrixXd predictions_;
    Eigen::VectorXd sample_weights_;
    std::vector<int> labels_, top_labels_;
    std::vector<linear_fit> fits_;
    explain_timings timings_;
};

namespace detail {

template <class T>
struct is_eigen_result {
    static constexpr bool value = std::is_base_of_v<Eigen::EigenBase<T>, T>;
};

template <class T, class Classifier>
constexpr void check_classifier() {
    static_assert(std::is_invocable_v<Classifier&, batch_view<const T>>,
                  "pixlime::explain: the classifier must be callable as classify(pixlime::batch_view<const T> batch), "
                  "where T is the image's pixel type (std::uint8_t or float), and return an Eigen matrix with "
                  "batch.size() rows and one column per class");
    if constexpr (std::is_invocable_v<Classifier&, batch_view<const T>>) {
        using result = std::decay_t<std::invoke_result_t<Classifier&, batch_view<const T>>>;
        static_assert(is_eigen_result<result>::value,
                      "pixlime::explain: the classifier must return an Eigen matrix (e.g. Eigen::MatrixXf or "
                      "Eigen::MatrixXd) with batch.size() rows and one column per class");
        if constexpr (is_eigen_result<result>::value)
            static_assert(std::is_same_v<typename result::Scalar, float> || std::is_same_v<typename result::Scalar, double>,
                          "pixlime::explain: the classifier's Eigen matrix must hold float or double");
    }
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

/// The pipeline below is compiled once per pixel type, not once per classifier, sampler and
/// surrogate type: the public templates wrap those in these function types.
template <class T>
using classifier_function = std::function<Eigen::MatrixXd(batch_view<const T>)>;
using sampler_function = std::function<mask_matrix(int, int, std::uint64_t)>;
using surrogate_function =
    std::function<std::vector<linear_fit>(const mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&)>;

template <class T, class Classifier>
classifier_function<T> wrap_classifier(Classifier& classify) {
    check_classifier<T, Classifier>();
    return [&classify](batch_view<const T> batch) -> Eigen::MatrixXd { return classify(batch).template cast<double>(); };
}

/// Calls the classifier on one batch and returns its outputs as doubles, checking shape and values.
template <class T>
Eigen::MatrixXd call_classifier(const classifier_function<T>& classify, batch_view<const T> batch, Eigen::Index expected_cols,
                                int first_sample) {
    Eigen::MatrixXd out;
    const std::string where = "on samples " + std::to_string(first_sample) + ".." +
                              std::to_string(first_sample + batch.size() - 1);
    try {
        out = classify(batch);
    } catch (...) {
        std::throw_with_nested(classifier_error("the classifier threw " + where + ": " + describe_current_exception()));
    }
    if (out.rows() != batch.size())
        throw classifier_error("classifier output rows = " + std::to_string(out.rows()) + " " + where +
                               ": expected batch.size() = " + std::to_string(batch.size()));
    if (out.cols() < 1)
        throw classifier_error("classifier output columns = 0 " + where + ": expected at least 1");
    if (expected_cols > 0 && out.cols() != expected_cols)
        throw classifier_error("classifier output columns = " + std::to_string(out.cols()) + " " + where +
                               ": expected the " + std::to_string(expected_cols) + " columns of the first call");
    if (!out.allFinite()) {
        Eigen::Index r = 0, c = 0;
        for (r = 0; r < out.rows(); ++r) {
            for (c = 0; c < out.cols(); ++c)
                if (!std::isfinite(out(r, c))) break;
            if (c < out.cols()) break;
        }
        std::ostringstream s;
        s << "classifier output[" << (first_sample + r) << ", " << c << "] = " << out(r, c)
          << ": expected a finite number (no NaN or Inf)";
        throw classifier_error(s.str());
    }
    return out;
}

template <class T>
image<T> make_fill(image_view<const T> img, const segmentation& seg, const explain_options& opt) {
    const int c = img.channels();
    switch (opt.hide) {
        case hide_mode::segment_mean:
            return segment_mean_fill(img, seg);
        case hide_mode::constant: {
            const auto& hc = opt.hide_color;
            if (!hc.empty() && hc.size() != 1 && hc.size() != std::size_t(c))
                throw invalid_argument::make("explain_options.hide_color size", hc.size(),
                                             "0, 1 or the image's channel count " + std::to_string(c));
            image<T> fill(img.width(), img.height(), c);
            std::vector<T> px(std::size_t(c), T{});
            for (int ch = 0; ch < c; ++ch) {
                const double v = hc.empty() ? 0.0 : hc[hc.size() == 1 ? 0 : std::size_t(ch)];
                const bool ok = std::is_same_v<T, std::uint8_t> ? (v >= 0 && v <= 255) : std::isfinite(v);
                if (!ok)
                    throw invalid_argument::make("explain_options.hide_color[" + std::to_string(ch) + "]", v,
                                                 std::is_same_v<T, std::uint8_t> ? "0..255 for a uint8 image" : "a finite value");
                px[std::size_t(ch)] = to_pixel<T>(v);
            }
            T* d = fill.data();
            for (std::int64_t i = 0; i < fill.pixel_count(); ++i)
                for (int ch = 0; ch < c; ++ch) *d++ = px[std::size_t(ch)];
            return fill;
        }
        case hide_mode::blur: {
            if (!(opt.blur_sigma >= 0) || !std::isfinite(opt.blur_sigma))
                throw invalid_argument::make("explain_options.blur_sigma", opt.blur_sigma, "a finite value >= 0 (0 = automatic)");
            const double sigma = opt.blur_sigma > 0 ? opt.blur_sigma : std::max(1.0, std::max(img.width(), img.height()) / 50.0);
            return gaussian_blur(img, sigma);
        }
        case hide_mode::image: {
            const image<float>& h = opt.hide_image;
            if (h.width() != img.width() || h.height() != img.height() || h.channels() != c)
                throw invalid_argument::make("explain_options.hide_image size",
                                             std::to_string(h.width()) + "x" + std::to_string(h.height()) + "x" + std::to_string(h.channels()),
                                             "the image's " + std::to_string(img.width()) + "x" + std::to_string(img.height()) + "x" + std::to_string(c));
            image<T> fill(img.width(), img.height(), c);
            for (std::size_t i = 0; i < fill.size(); ++i) fill.data()[i] = to_pixel<T>(double(h.data()[i]));
            return fill;
        }
    }
    throw invalid_argument::make("explain_options.hide", static_cast<int>(opt.hide), "a pixlime::hide_mode value");
}

inline void check_options(const explain_options& opt) {
    if (opt.num_samples < 2) throw invalid_argument::make("explain_options.num_samples", opt.num_samples, "at least 2");
    if (opt.batch_size < 1) throw invalid_argument::make("explain_options.batch_size", opt.batch_size, "at least 1");
    if (opt.num_threads < 1) throw invalid_argument::make("explain_options.num_threads", opt.num_threads, "at least 1");
    if (opt.labels.empty() && opt.top_labels < 1)
        throw invalid_argument::make("explain_options.top_labels", opt.top_labels, "at least 1 (or give explain_options.labels)");
    if (!(opt.kernel_width > 0) || !std::isfinite(opt.kernel_width))
        throw invalid_argument::make("explain_options.kernel_width", opt.kernel_width, "a finite value > 0");
    if (!(opt.ridge_alpha >= 0) || !std::isfinite(opt.ridge_alpha))
        throw invalid_argument::make("explain_options.ridge_alpha", opt.ridge_alpha, "a finite value >= 0");
}

using clock = std::chrono::steady_clock;
inline double ms_since(clock::time_point t0) { return std::chrono::duration<double, std::milli>(clock::now() - t0).count(); }

/// Renders masks [first, first + count) into `buffer`, split over `threads` threads.
template <class T>
void render_batch(const perturber<T>& p, const mask_matrix& masks, int first, int count, T* buffer, int threads) {
    const std::size_t size = p.image_size();
    auto work = [&](int begin, int end) {
        for (int i = begin; i < end; ++i) p.render(masks.row(first + i).data(), buffer + std::size_t(i) * size);
    };
    threads = std::min(threads, count);
    if (threads <= 1) return work(0, count);
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work, count * t / threads, count * (t + 1) / threads);
    work(0, count / threads);
    for (auto& th : pool) th.join();
}


template <class T>
explanation explain_core(image_view<const T> img, const segmentation& seg, const classifier_function<T>& classify,
                         const explain_options& opt, const sampler_function& sampler, const surrogate_function& surrogate,
                         double segmentation_ms) {
    const auto t_start = detail::clock::now();
    detail::check_options(opt);
    if (img.empty()) throw invalid_argument::make("image", "empty", "a non-empty image");
    if (seg.width() != img.width() || seg.height() != img.height())
        throw invalid_argument::make("segmentation size", std::to_string(seg.width()) + "x" + std::to_string(seg.height()),
                                     "the image's size " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
    if (seg.count() < 2)
        throw invalid_argument::make("segmentation count", seg.count(),
                                     "at least 2 segments (with one segment there is nothing to compare; use more segments or a larger image)");

    explain_timings timings;
    timings.segmentation_ms = segmentation_ms;
    auto t0 = detail::clock::now();
    const mask_matrix masks = sampler(opt.num_samples, seg.count(), opt.seed);
    if (masks.rows() != opt.num_samples || masks.cols() != seg.count())
        throw invalid_argument::make("sampler result size", std::to_string(masks.rows()) + "x" + std::to_string(masks.cols()),
                                     "num_samples x num_segments = " + std::to_string(opt.num_samples) + "x" + std::to_string(seg.count()));
    if ((masks.row(0).array() != 1).any())
        throw invalid_argument("sampler result row 0: expected all ones (sample 0 is the unperturbed image)");
    if ((masks.array() > 1).any()) throw invalid_argument("sampler result: expected only 0 and 1");
    perturber<T> perturb(img, seg, detail::make_fill(img, seg, opt));
    timings.perturbation_ms += detail::ms_since(t0);

    // Stream the samples through one reused batch buffer.
    const int n = opt.num_samples;
    const int batch = std::min(opt.batch_size, n);
    std::vector<T> buffer(std::size_t(batch) * perturb.image_size());
    Eigen::MatrixXd raw;
    for (int first = 0; first < n; first += batch) {
        const int count = std::min(batch, n - first);
        t0 = detail::clock::now();
        detail::render_batch(perturb, masks, first, count, buffer.data(), opt.num_threads);
        timings.perturbation_ms += detail::ms_since(t0);
        t0 = detail::clock::now();
        const batch_view<const T> view(buffer.data(), count, img.width(), img.height(), img.channels());
        Eigen::MatrixXd out = detail::call_classifier<T>(classify, view, raw.cols(), first);
        if (raw.size() == 0) raw.resize(n, out.cols());
        raw.middleRows(first, count) = out;
        timings.classifier_ms += detail::ms_since(t0);
    }

    t0 = detail::clock::now();
    Eigen::MatrixXd predictions;
    if (raw.cols() == 1) {  // a binary model's P(class 1)
        predictions.resize(n, 2);
        predictions.col(0) = 1.0 - raw.col(0).array();
        predictions.col(1) = raw.col(0);
    } else {
        predictions = std::move(raw);
    }
    const int classes = int(predictions.cols());

    // lime: np.argsort(labels[0])[-top_labels:] reversed, i.e. highest first, ties by higher index.
    std::vector<int> order(static_cast<std::size_t>(classes));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return predictions(0, a) > predictions(0, b) || (predictions(0, a) == predictions(0, b) && a > b);
    });
    std::vector<int> top(order.begin(), order.begin() + std::min(std::max(opt.top_labels, 1), classes));
    std::vector<int> labels = opt.labels.empty() ? top : opt.labels;
    for (int l : labels)
        if (l < 0 || l >= classes)
            throw invalid_argument::make("explain_options.labels entry", l,
                                         "a class index 0.." + std::to_string(classes - 1) + " of the classifier's output");

    const Eigen::VectorXd weights = exponential_kernel(cosine_distances_to_ones(masks), opt.kernel_width);
    Eigen::MatrixXd targets(n, Eigen::Index(labels.size()));
    for (std::size_t j = 0; j < labels.size(); ++j) targets.col(Eigen::Index(j)) = predictions.col(labels[j]);
    std::vector<linear_fit> fits = surrogate(masks, weights, targets);
    if (fits.size() != labels.size()) throw invalid_argument("surrogate: expected one fit per target column");
    timings.surrogate_ms = detail::ms_since(t0);
    timings.total_ms = segmentation_ms + detail::ms_since(t_start);

    return explanation(seg, masks, std::move(predictions), weights, std::move(labels), std::move(top), std::move(fits), timings);
}
}  // namespace detail

/// Explains `classify`'s prediction on `img` over the segments `seg`, with a custom sampler and
/// surrogate (see sampler.hpp and surrogate.hpp for their signatures).
/// `img`: width x height x channels, T = std::uint8_t or float; `seg`: the image's size, >= 2 segments.
/// Throws pixlime::invalid_argument on bad input or options, pixlime::classifier_error when
/// the classifier throws (nested) or returns a wrong shape or non-finite values.
template <class T, class Classifier, class Sampler, class Surrogate>
explanation explain(image_view<const T> img, const segmentation& seg, Classifier&& classify, const explain_options& opt,
                    Sampler&& sampler, Surrogate&& surrogate) {
    return detail::explain_core<T>(img, seg, detail::wrap_classifier<T>(classify), opt, std::forward<Sampler>(sampler),
                                   std::forward<Surrogate>(surrogate), 0.0);
}

/// Explains `classify`'s prediction on `img` over the segments `seg` with the built-in sampler
/// (explain_options::sampling) and weighted ridge surrogate (explain_options::ridge_alpha).
template <class T, class Classifier>
explanation explain(image_view<const T> img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return explain(img, seg, std::forward<Classifier>(classify), opt, builtin_sampler{opt.sampling},
                   weighted_ridge{opt.ridge_alpha});
}
template <class T, class Classifier>
explanation explain(const image<T>& img, const segmentation& seg, Classifier&& classify, const explain_options& opt = {}) {
    return explain(img.view(), seg, std::forward<Classifier>(classify), opt);
}

/// Explains `classify`'s prediction on `img`, segmenting it with explain_options::segmenter
/// (SLIC by default).
template <class T, class Classifier>
explanation explain(image_view<const T> img, Classifier&& classify, const explain_options& opt = {}) {
    if (img.empty()) throw invalid_argument::make("image", "empty", "a non-empty image");
    const auto t0 = detail::clock::now();
    const segmentation seg = opt.segmenter(img);
    const double segmentation_ms = detail::ms_since(t0);
    return detail::explain_core<T>(img, seg, detail::wrap_classifier<T>(classify), opt, builtin_sampler{opt.sampling},
                                   weighted_ridge{opt.ridge_alpha}, segmentation_ms);
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
