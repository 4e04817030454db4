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
///
/// shapley_kernel is defined in shapley.hpp, with the rest of KernelSHAP.

#include <pixlime/detail/stage.hpp>
#include <pixlime/error.hpp>
#include <pixlime/linear_model.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/shapley.hpp>

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

/// The kernel stage of pixlime::explain: the built-in exponential_kernel (default: lime's,
/// width 0.25, cosine distance), the built-in shapley_kernel (KernelSHAP: explain then makes
/// the constrained fit), or any callable `Eigen::VectorXd(const mask_matrix& samples)`
/// returning #samples finite weights >= 0, not all 0 (explain checks the result). A
/// detail::stage (see detail/stage.hpp): is_builtin(), builtin<exponential_kernel>(),
/// builtin<shapley_kernel>(), name().
class kernel : public detail::stage<std::function<Eigen::VectorXd(const mask_matrix&)>, exponential_kernel, shapley_kernel> {
public:
    /// The type a custom callable is stored as.
    using function = std::function<Eigen::VectorXd(const mask_matrix&)>;

    /// lime's kernel with the options `k` (default: lime's), named "exponential_kernel".
    kernel(const exponential_kernel& k = {}) : stage(k, "exponential_kernel") {}  // NOLINT(google-explicit-constructor)
    /// KernelSHAP: the Shapley kernel and explain's constrained fit, named "shapley_kernel".
    kernel(const shapley_kernel& k) : stage(k, "shapley_kernel") {}  // NOLINT(google-explicit-constructor)
    /// Any callable with the kernel signature, named `name`.
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, kernel> &&
                                                !std::is_same_v<std::decay_t<F>, exponential_kernel> &&
                                                !std::is_same_v<std::decay_t<F>, shapley_kernel> &&
                                                std::is_invocable_r_v<Eigen::VectorXd, F&, const mask_matrix&>>>
    kernel(F f, std::string name = "custom")  // NOLINT(google-explicit-constructor)
        : stage(function(std::move(f)), std::move(name)) {}

    /// Checks the built-in kernel's options (a callable has none to check). Throws
    /// pixlime::invalid_argument naming the field out of range.
    void validate() const {
        if (const auto* e = builtin<exponential_kernel>()) e->validate();
        if (const auto* s = builtin<shapley_kernel>()) s->validate();
    }
    /// The #samples weights of `samples` (#samples by #segments, 0/1), as explain calls them:
    /// the options are not checked again (explain calls validate() first; the built-in kernels
    /// check them when called directly).
    Eigen::VectorXd operator()(const mask_matrix& samples) const {
        if (const auto* e = builtin<exponential_kernel>()) return detail::kernel_weights(*e, samples);
        if (builtin<shapley_kernel>()) return detail::shapley_weights(samples);
        return custom()(samples);
    }

    using stage::builtin;
    /// Deprecated: builtin<exponential_kernel>(). Removed in the release after 0.3.
    [[deprecated("use kernel::builtin<pixlime::exponential_kernel>()")]] const exponential_kernel* builtin() const {
        return builtin<exponential_kernel>();
    }
    /// Deprecated: builtin<shapley_kernel>(). Removed in the release after 0.3.
    [[deprecated("use kernel::builtin<pixlime::shapley_kernel>()")]] const shapley_kernel* shapley() const {
        return builtin<shapley_kernel>();
    }
};

}  // namespace pixlime
