#pragma once
/// \file pixlime/shapley.hpp
/// KernelSHAP (Lundberg and Lee 2017, "A unified approach to interpreting model predictions"),
/// all of it: set explain_options::kernel = pixlime::shapley_kernel{} (and, for its own draws,
/// explain_options::sampler = pixlime::sampling::shapley) and the weights explain returns are
/// Shapley values of the segments. Here, in pipeline order:
/// 1. sampling::shapley's masks (detail::shapley_masks, which sample_masks calls);
/// 2. the all-hidden mask explain adds, f(none) being the intercept (detail::with_all_hidden);
/// 3. the Shapley kernel (shapley_kernel, detail::shapley_weights), and the equal weights of
///    masks drawn in proportion to it (detail::shapley_draw_weights);
/// 4. the constrained fit in place of lime's ridge: the weights sum to f(all) - f(none)
///    (detail::shapley_setup, detail::shapley_fit);
/// 5. its sampling spread, for the standard errors and stability (detail::shapley_spread).

#include <pixlime/detail/random.hpp>
#include <pixlime/error.hpp>
#include <pixlime/linear_model.hpp>
#include <pixlime/statistics.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace pixlime {

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

/// log pi(s) of the Shapley kernel for `s` kept of `k` segments, 0 < s < k.
inline double log_shapley_weight(int s, int k) {
    return std::log(double(k - 1)) - (std::lgamma(double(k) + 1) - std::lgamma(double(s) + 1) - std::lgamma(double(k - s) + 1)) -
           std::log(double(s)) - std::log(double(k - s));
}

/// shapley_kernel's weights (its alpha plays no part): #samples values for `samples`
/// (#samples by #segments, 0/1), the largest 1, rows keeping all or none of the segments 0.
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

namespace detail {

/// sampling::shapley's draws (see its comment in sampler.hpp) into rows 1..N-1 of `m` (N by K,
/// N >= 1, K >= 1; row 0 is left for the caller), from `seed`: each row keeps s of the K
/// segments with P(s) proportional to 1 / (s (K - s)), 0 < s < K, the kept ones uniform given
/// s; with `pairs`, every second row is the complement of the one before (antithetic pairs).
/// With one segment, fair coin flips.
inline void shapley_masks(mask_matrix& m, std::uint64_t seed, bool pairs) {
    const int num_samples = int(m.rows()), k = int(m.cols());
    splitmix64 gen{seed ^ 0x5A9E1E75EEDull};
    if (k == 1) {
        for (int i = 1; i < num_samples; ++i) m(i, 0) = static_cast<std::uint8_t>(gen() >> 63);
        return;
    }
    std::vector<double> cumulative(static_cast<std::size_t>(k) - 1);  // P(size <= s), s = 1..K-1
    double total = 0;
    for (int size = 1; size < k; ++size) cumulative[std::size_t(size) - 1] = total += 1.0 / (double(size) * double(k - size));
    std::vector<int> order(static_cast<std::size_t>(k));
    for (int i = 1; i < num_samples; ++i) {
        if (pairs && i % 2 == 0) {
            for (int j = 0; j < k; ++j) m(i, j) = std::uint8_t(1 - m(i - 1, j));
            continue;
        }
        const double u = double(gen() >> 11) * (1.0 / 9007199254740992.0) * total;
        const int size = 1 + int(std::upper_bound(cumulative.begin(), cumulative.end() - 1, u) - cumulative.begin());
        for (int j = 0; j < k; ++j) order[std::size_t(j)] = j;
        for (int j = 0; j < size; ++j)  // the first `size` of a partial Fisher-Yates shuffle are kept
            std::swap(order[std::size_t(j)], order[std::size_t(j) + std::size_t(gen.below(std::uint64_t(k - j)))]);
        m.row(i).setZero();
        for (int j = 0; j < size; ++j) m(i, order[std::size_t(j)]) = 1;
    }
}

/// `masks` (#samples by #segments, row 0 all ones) with an all-hidden row 1 inserted when
/// `needed` (shapley_kernel: f(none) is its intercept, so every round of the adaptive stop
/// needs it) and row 1 does not already hide every segment; an all-hidden row drawn later
/// repeats it and is classified once. Returns #samples or #samples + 1 rows.
inline mask_matrix with_all_hidden(mask_matrix masks, bool needed) {
    if (!needed || (masks.rows() > 1 && (masks.row(1).array() == 0).all())) return masks;
    mask_matrix out(masks.rows() + 1, masks.cols());
    out.row(0) = masks.row(0);
    out.row(1).setZero();
    out.bottomRows(masks.rows() - 1) = masks.bottomRows(masks.rows() - 1);
    return out;
}

/// The sample weights of masks drawn by sampling::shapley, from their Shapley kernel weights
/// `kernel_weights` (#samples values): the draws are already as frequent as the kernel weighs
/// them, so each counts once (importance weights of 1; 0 where the kernel gives 0, the all-ones
/// and all-hidden rows). Returns #samples values of 0 or 1.
inline Eigen::VectorXd shapley_draw_weights(const Eigen::VectorXd& kernel_weights) {
    return (kernel_weights.array() > 0).cast<double>();
}

/// KernelSHAP's constrained least squares (Lundberg and Lee 2017), the fit explain makes with
/// pixlime::shapley_kernel: the intercept is fixed at f(none), the target at the all-hidden
/// row, and the weights φ sum to Δ = f(all) - f(none), f(all) the target at row 0. With the
/// last weight eliminated, φ_K = Δ - Σ_{j<K} φ_j, the other K - 1 solve the weighted least
/// squares (+ α|φ_{<K}|²) of y_i - f(none) - z_iK Δ over the columns z_ij - z_iK. The rows of
/// `samples` keeping all or none of the segments carry weight 0 (the constraint holds them).
/// Its parts, shared by the fit and its spread.
struct shapley_system {
    Eigen::MatrixXd x;          ///< #samples by K - 1: z_ij - z_iK
    Eigen::LDLT<Eigen::MatrixXd> a;  ///< of XᵀWX + αI
    Eigen::Index empty_row = -1;     ///< a row keeping no segment
};

/// The system of the constrained fit with penalty `alpha` (finite, >= 0) on `samples` (#samples
/// by K, 0/1) weighted by `sample_weights` (#samples values >= 0). Throws
/// pixlime::invalid_argument unless `samples` has row 0 all ones and an all-hidden row, and
/// (α = 0) the rows with weight > 0 determine the K - 1 free weights.
inline shapley_system shapley_setup(double alpha, const mask_matrix& samples, const Eigen::VectorXd& sample_weights) {
    const Eigen::Index n = samples.rows(), k = samples.cols();
    shapley_system sys;
    for (Eigen::Index i = 0; i < n && sys.empty_row < 0; ++i)
        if ((samples.row(i).array() == 0).all()) sys.empty_row = i;
    if (sys.empty_row < 0 || (samples.row(0).array() != 1).any())
        throw invalid_argument("shapley_kernel samples", "no all-ones row 0 or no all-hidden row",
                               "both (explain adds the all-hidden mask; f(none) is the intercept)");
    sys.x.resize(n, k - 1);
    for (Eigen::Index i = 0; i < n; ++i)
        for (Eigen::Index j = 0; j + 1 < k; ++j) sys.x(i, j) = double(samples(i, j)) - double(samples(i, k - 1));
    Eigen::MatrixXd gram = sys.x.transpose() * sample_weights.asDiagonal() * sys.x;
    gram.diagonal().array() += alpha;
    sys.a.compute(gram);
    const double scale = std::max(1e-300, gram.diagonal().cwiseAbs().maxCoeff());
    if (k > 1 && (sys.a.info() != Eigen::Success || !(sys.a.rcond() > 1e-12) || !((sys.a.vectorD().array() > 1e-12 * scale).all())))
        throw invalid_argument("shapley_kernel.alpha", alpha,
                               "a value > 0, or more samples: the masks drawn do not determine every segment's Shapley "
                               "weight (" + std::to_string(n) + " samples for " + std::to_string(k) + " segments)");
    return sys;
}

/// KernelSHAP's fits on `sys` (from shapley_setup with the same `samples`, #samples by K, and
/// `sample_weights`, #samples values): one per column of `targets` (#samples by #targets, the
/// classifier's outputs, row 0 f(all), the all-hidden row f(none)).
inline std::vector<linear_fit> shapley_fit(const shapley_system& sys, const mask_matrix& samples,
                                           const Eigen::VectorXd& sample_weights, const Eigen::MatrixXd& targets) {
    const Eigen::Index n = samples.rows(), k = samples.cols();
    const Eigen::MatrixXd z = samples.cast<double>();
    std::vector<linear_fit> fits(std::size_t(targets.cols()));
    for (Eigen::Index t = 0; t < targets.cols(); ++t) {
        const Eigen::VectorXd y = targets.col(t);
        const double none = y[sys.empty_row], delta = y[0] - none;
        linear_fit& f = fits[std::size_t(t)];
        f.weights.resize(k);
        if (k > 1) {
            const Eigen::VectorXd reduced = (y.array() - none - z.col(k - 1).array() * delta).matrix();
            const Eigen::VectorXd beta = sys.a.solve(sys.x.transpose() * (sample_weights.asDiagonal() * reduced));
            f.weights.head(k - 1) = beta;
            f.weights[k - 1] = delta - beta.sum();
        } else {
            f.weights[0] = delta;
        }
        f.intercept = none;
        f.local_prediction = y[0];
        const Eigen::VectorXd pred = (z * f.weights).array() + none;
        const double total = sample_weights.sum();
        const double mean = total > 0 ? sample_weights.dot(y) / total : 0.0;
        double ss_res = 0, ss_tot = 0;
        for (Eigen::Index i = 0; i < n; ++i) {
            ss_res += sample_weights[i] * (y[i] - pred[i]) * (y[i] - pred[i]);
            ss_tot += sample_weights[i] * (y[i] - mean) * (y[i] - mean);
        }
        f.score = ss_tot != 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
    }
    return fits;
}

/// The sampling spread of KernelSHAP's weights for one target, as ridge_spread's: the
/// clustered sandwich of the K - 1 free weights, A⁻¹ [s_1 .. s_G] with A = XᵀWX + αI and
/// s_g = Σ_{i in g} w_i r_i x_i (HC1 factor G / (G - (K - 1))), and the last weight's row
/// minus their sum (φ_K = Δ - Σ φ_j, Δ exact: f(all) and f(none) are not sampled). `sys`,
/// `samples` (#samples by K) and `sample_weights` (#samples) as shapley_fit's; `target`: the
/// #samples outputs `fit` was fitted to. Returns K by #groups (detail::sample_groups).
inline Eigen::MatrixXd shapley_spread(const shapley_system& sys, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                      const Eigen::VectorXd& target, const linear_fit& fit) {
    const Eigen::Index k = samples.cols();
    const std::vector<Eigen::Index> groups = sample_groups(samples);
    const Eigen::Index g = Eigen::Index(groups.size()) - 1;
    Eigen::MatrixXd spread = Eigen::MatrixXd::Zero(k, g);
    if (k == 1) return spread;
    const Eigen::VectorXd residual = target - ((samples.cast<double>() * fit.weights).array() + fit.intercept).matrix();
    const double hc1 = hc1_factor(g, double(k) - 1);  // the K - 1 free weights
    Eigen::MatrixXd head = sys.a.solve(group_scores(sys.x, groups, (sample_weights.array() * residual.array() * hc1).matrix()));
    centre_groups(head);  // the penalty's pull on the scores is not noise (statistics.hpp)
    spread.topRows(k - 1) = head;
    spread.row(k - 1) = -head.colwise().sum();
    return spread;
}

}  // namespace detail

}  // namespace pixlime
