#pragma once
/// \file pixlime/kernel.hpp
/// The kernel stage: how much each perturbed sample counts in the surrogate's fit, from its
/// distance to the unperturbed image (the all-ones mask row). lime_image: cosine distance
/// (sklearn pairwise_distances, metric='cosine') and the kernel sqrt(exp(-d^2 / width^2)) with
/// width 0.25.
///
/// explain_options::kernel takes a pixlime::exponential_kernel (lime's, the default), a
/// pixlime::shapley_kernel (KernelSHAP: the weights become Shapley values) or any callable
/// `Eigen::VectorXd(const mask_matrix& samples)` returning #samples weights:
///
///     opt.kernel = pixlime::exponential_kernel{0.5};                          // wider
///     opt.kernel = pixlime::shapley_kernel{};                                 // KernelSHAP
///     opt.kernel = [](const pixlime::mask_matrix& m) { return my_weights(m); };

#include <pixlime/error.hpp>
#include <pixlime/sampler.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>

namespace pixlime {

/// Distance of a 0/1 mask row to the all-ones row (lime_image's distance_metric).
enum class distance_metric {
    /// 1 - cos(angle): for m of K segments kept, 1 - sqrt(m / K); a row with none kept has
    /// distance 1 (scikit-learn's convention for zero vectors). lime_image's default.
    cosine,
    /// Euclidean: sqrt(K - m).
    euclidean,
    /// Fraction of segments hidden: (K - m) / K (scipy's hamming).
    hamming,
};

/// The distance of every row of `samples` (#samples by #segments, 0/1) to the all-ones row.
/// Returns #samples values.
inline Eigen::VectorXd distances_to_ones(const mask_matrix& samples, distance_metric metric = distance_metric::cosine) {
    const double k = double(samples.cols());
    Eigen::VectorXd d(samples.rows());
    for (Eigen::Index i = 0; i < samples.rows(); ++i) {
        const double m = samples.row(i).cast<double>().sum();
        switch (metric) {
            case distance_metric::euclidean: d[i] = std::sqrt(k - m); break;
            case distance_metric::hamming: d[i] = (k - m) / k; break;
            case distance_metric::cosine:
            default: d[i] = m == 0 ? 1.0 : std::min(2.0, std::max(0.0, 1.0 - m / (std::sqrt(m) * std::sqrt(k))));
        }
    }
    return d;
}

/// lime_image's kernel: weight sqrt(exp(-d^2 / width^2)) of the distance d of each sample.
struct exponential_kernel {
    /// Kernel width (lime_image: kernel_width=0.25). Must be finite and > 0.
    double width = 0.25;
    /// The distance (lime_image: distance_metric='cosine').
    distance_metric distance = distance_metric::cosine;

    /// Throws pixlime::invalid_argument naming the first field out of range.
    void validate() const {
        if (!(width > 0) || !std::isfinite(width)) throw invalid_argument("exponential_kernel.width", width, "a finite value > 0");
        if (distance != distance_metric::cosine && distance != distance_metric::euclidean && distance != distance_metric::hamming)
            throw invalid_argument("exponential_kernel.distance", int(distance), "a pixlime::distance_metric value");
    }
    /// #samples weights of `samples` (#samples by #segments, 0/1). Throws
    /// pixlime::invalid_argument when the width is invalid, or so small that every sample
    /// but row 0 gets weight 0 (the fit would see only the unperturbed image).
    Eigen::VectorXd operator()(const mask_matrix& samples) const;
};

namespace detail {
/// exponential_kernel's weights, its options already validated.
inline Eigen::VectorXd kernel_weights(const exponential_kernel& k, const mask_matrix& samples) {
    const Eigen::VectorXd d = distances_to_ones(samples, k.distance);
    Eigen::VectorXd w(d.size());
    bool some_positive = false;
    for (Eigen::Index i = 0; i < d.size(); ++i) {
        const double t = d[i] / k.width;  // (d / width)^2, not d^2 / width^2: width^2 may underflow
        w[i] = std::sqrt(std::exp(-t * t));
        some_positive = some_positive || (i > 0 && w[i] > 0);
    }
    if (d.size() > 1 && !some_positive)
        throw invalid_argument("exponential_kernel.width", k.width,
                               "a width that gives some perturbed sample a weight > 0 (with this one every sample but the "
                               "unperturbed image weighs 0; lime's default is 0.25)");
    return w;
}
}  // namespace detail

inline Eigen::VectorXd exponential_kernel::operator()(const mask_matrix& samples) const {
    validate();
    return detail::kernel_weights(*this, samples);
}

/// The Shapley kernel (Lundberg and Lee 2017, "A unified approach to interpreting model
/// predictions", Theorem 2): a mask keeping s of K segments weighs
/// pi(s) = (K - 1) / (C(K, s) s (K - s)). With it explain fits KernelSHAP instead of lime's
/// ridge: the intercept is the model's output with every segment hidden, f(none), and the
/// weights are constrained to sum to f(image) - f(none) (the efficiency property), so that
/// they are Shapley values of the segments: exactly so when explain enumerates all 2^K masks
/// (2^K <= num_samples), else the estimate drawn masks converge to. The all-ones and all-hidden
/// masks (pi infinite) enter through the constraint and get weight 0 here; explain adds the
/// all-hidden mask when the sampler did not draw it (one more model call).
///
/// The weights pi are the importance weights of masks drawn uniformly over all subsets, as
/// every built-in sampler draws them; a custom sampler with another distribution q needs a
/// custom kernel pi / q and then gets lime's ridge, not the constrained fit.
struct shapley_kernel {
    /// Ridge penalty on the constrained fit (pixlime: 0, KernelSHAP's unpenalised least
    /// squares; > 0 shrinks the weights and they are no longer Shapley values). Finite, >= 0.
    double alpha = 0;

    /// Throws pixlime::invalid_argument naming the field when alpha is out of range.
    void validate() const {
        if (!(alpha >= 0) || !std::isfinite(alpha)) throw invalid_argument("shapley_kernel.alpha", alpha, "a finite value >= 0");
    }
    /// #samples weights pi(s) of `samples` (#samples by #segments, 0/1), scaled so that the
    /// largest is 1 (the constrained fit does not depend on their scale; C(K, s) overflows a
    /// double beyond about K = 1000). Rows keeping all or none of the segments weigh 0.
    Eigen::VectorXd operator()(const mask_matrix& samples) const;
};

namespace detail {
/// log pi(s) of the Shapley kernel for s kept of k segments, 0 < s < k.
inline double log_shapley_weight(int s, int k) {
    return std::log(double(k - 1)) - (std::lgamma(double(k) + 1) - std::lgamma(double(s) + 1) - std::lgamma(double(k - s) + 1)) -
           std::log(double(s)) - std::log(double(k - s));
}
inline Eigen::VectorXd shapley_weights(const mask_matrix& samples) {
    const int k = int(samples.cols());
    Eigen::VectorXd w = Eigen::VectorXd::Zero(samples.rows());
    double top = -std::numeric_limits<double>::infinity();
    for (Eigen::Index i = 0; i < samples.rows(); ++i) {
        const int s = int(samples.row(i).cast<int>().sum());
        if (s > 0 && s < k) top = std::max(top, w[i] = log_shapley_weight(s, k));
    }
    for (Eigen::Index i = 0; i < samples.rows(); ++i) {
        const int s = int(samples.row(i).cast<int>().sum());
        w[i] = s > 0 && s < k ? std::exp(w[i] - top) : 0.0;
    }
    return w;
}
}  // namespace detail

inline Eigen::VectorXd shapley_kernel::operator()(const mask_matrix& samples) const {
    validate();
    return detail::shapley_weights(samples);
}

/// The kernel stage of pixlime::explain: the built-in exponential_kernel (default: lime's,
/// width 0.25, cosine distance) or any callable `Eigen::VectorXd(const mask_matrix& samples)`
/// returning #samples finite weights >= 0, not all 0 (explain checks the result).
class kernel {
public:
    using function = std::function<Eigen::VectorXd(const mask_matrix&)>;

    kernel(const exponential_kernel& k = {}) : builtin_(k), name_("exponential_kernel") {}  // NOLINT(google-explicit-constructor)
    /// KernelSHAP: the Shapley kernel and explain's constrained fit.
    kernel(const shapley_kernel& k) : shapley_(k), is_shapley_(true), name_("shapley_kernel") {}  // NOLINT(google-explicit-constructor)
    /// Any callable with the kernel signature.
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, kernel> &&
                                                !std::is_same_v<std::decay_t<F>, exponential_kernel> &&
                                                !std::is_same_v<std::decay_t<F>, shapley_kernel> &&
                                                std::is_invocable_r_v<Eigen::VectorXd, F&, const mask_matrix&>>>
    kernel(F f, std::string name = "custom")  // NOLINT(google-explicit-constructor)
        : custom_(std::move(f)), name_(std::move(name)) {}

    /// Checks the built-in kernel's options (a callable has none to check).
    void validate() const {
        if (is_shapley_) shapley_.validate();
        else if (!custom_) builtin_.validate();
    }
    /// The sample weights, as explain calls them: the options are not checked again (explain
    /// calls validate() first; the built-in kernels check them when called directly).
    Eigen::VectorXd operator()(const mask_matrix& samples) const {
        if (custom_) return custom_(samples);
        return is_shapley_ ? detail::shapley_weights(samples) : detail::kernel_weights(builtin_, samples);
    }
    /// "exponential_kernel", "shapley_kernel" or the name given with a callable.
    const std::string& name() const { return name_; }
    /// The exponential kernel's options, or nullptr for another kernel.
    const exponential_kernel* builtin() const { return custom_ || is_shapley_ ? nullptr : &builtin_; }
    /// The Shapley kernel's options, or nullptr for another kernel.
    const shapley_kernel* shapley() const { return is_shapley_ ? &shapley_ : nullptr; }

private:
    exponential_kernel builtin_;
    shapley_kernel shapley_;
    bool is_shapley_ = false;
    function custom_;
    std::string name_;
};

}  // namespace pixlime
