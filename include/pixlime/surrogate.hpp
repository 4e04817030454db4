#pragma once
/// \file pixlime/surrogate.hpp
/// The surrogate stage: a linear model of each explained label's output over the segment
/// indicators, fitted to the classifier's outputs on the perturbed samples, weighted by the
/// kernel. lime_image: scikit-learn's Ridge(alpha=1) with sample_weight.
///
/// explain_options::surrogate takes a pixlime::weighted_ridge (the built-in) or any callable
/// `std::vector<linear_fit>(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
///                          const Eigen::MatrixXd& targets)`
/// where samples is #samples by #segments (0/1, row 0 all ones), sample_weights has #samples
/// entries and targets is #samples by #labels (column j: the classifier's output for the j-th
/// explained label); it returns one linear_fit per target column (explain checks the result).
///
/// linear_fit and ranked are in linear_model.hpp; the weights' standard errors in
/// statistics.hpp; KernelSHAP's constrained fit in shapley.hpp.

#include <pixlime/detail/stage.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/linear_model.hpp>
#include <pixlime/sampler.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <bitset>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// Weighted ridge regression with intercept, as scikit-learn's Ridge(alpha, fit_intercept=True)
/// fitted with sample_weight: X and y are centred by their weighted means, the penalty
/// alpha * |w|² leaves the intercept free, and score is the weighted R². One factorisation
/// serves every target column: of the #segments by #segments Gram matrix when there are at
/// least as many samples as segments, else of the #samples by #samples kernel matrix (the
/// dual form, the same solution: (XᵀWX + αI)⁻¹XᵀW = XᵀW^½(W^½XXᵀW^½ + αI)⁻¹W^½).
///
/// Written for 0/1 masks with plain loops: the Gram matrix is accumulated from each sample's
/// kept segments only (about N K²/8 additions for N samples, K segments, half kept), the dual
/// kernel matrix from bit-packed rows (N² K / 128 word operations); either is factorised in
/// place by Eigen's Cholesky (LLT).
struct weighted_ridge {
    /// The penalty (lime_image: Ridge(alpha=1)). Must be finite and >= 0; 0 needs at least as
    /// many samples as segments, and samples that determine every segment's weight. lime's 1
    /// shrinks the weights towards 0 by a few percent at a few hundred samples, a bias more
    /// samples remove: measured (benchmarks/RESULTS.md, "Trust"), with sampling::orthogonal and
    /// alpha 0 the weights at 300 samples are as close to the 50,000-sample reference (0.041) as
    /// lime's at 1000 (0.045); with alpha 1 that takes 500.
    double alpha = 1.0;

    /// Throws pixlime::invalid_argument naming the field when alpha is out of range.
    void validate() const {
        if (!(alpha >= 0) || !std::isfinite(alpha)) throw invalid_argument("weighted_ridge.alpha", alpha, "a finite value >= 0");
    }
    /// `samples`: #samples by #segments of 0/1; `sample_weights`: #samples finite values >= 0,
    /// not all 0; `targets`: #samples by #targets, finite. Returns one fit per target column.
    /// Throws pixlime::invalid_argument on mismatched sizes or values, an invalid alpha, or
    /// alpha = 0 (or tiny) with segments whose weights the samples do not determine;
    /// pixlime::size_limit_error when min(#samples, #segments) exceeds lim.max_surrogate_size.
    std::vector<linear_fit> operator()(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                       const Eigen::MatrixXd& targets, const limits& lim = {}) const;
};

namespace detail {

/// Throws unless the surrogate's inputs fit together and min(N, K) is within the limit.
inline void check_surrogate_inputs(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                   const Eigen::MatrixXd& targets, const limits& lim) {
    const std::string shape = std::to_string(samples.rows()) + " samples";
    if (samples.rows() < 1 || samples.cols() < 1)
        throw invalid_argument("surrogate samples size", std::to_string(samples.rows()) + "x" + std::to_string(samples.cols()),
                               "at least 1 sample and 1 segment");
    if (sample_weights.size() != samples.rows())
        throw invalid_argument("surrogate sample_weights size", sample_weights.size(), "one per sample: " + shape);
    if (targets.rows() != samples.rows())
        throw invalid_argument("surrogate targets rows", targets.rows(), "one per sample: " + shape);
    if ((samples.array() > 1).any()) throw invalid_argument("surrogate samples", "a value other than 0 or 1", "0/1 masks");
    if (!sample_weights.allFinite() || (sample_weights.array() < 0).any() || !(sample_weights.sum() > 0))
        throw invalid_argument("surrogate sample_weights", "negative, non-finite or all 0", "finite values >= 0, not all 0");
    if (!targets.allFinite()) throw invalid_argument("surrogate targets", "NaN or Inf", "finite values");
    const Eigen::Index size = std::min(samples.rows(), samples.cols());
    if (size > lim.max_surrogate_size)
        throw size_limit_error("surrogate system size min(samples, segments)", size,
                               "at most limits.max_surrogate_size = " + std::to_string(lim.max_surrogate_size) +
                                   " (fewer samples or segments; the solve costs size^3 / 3)");
}

/// An in-place Cholesky factorisation (Eigen's LLT): constructed from an n x n matrix g, whose
/// lower triangle only is read, it overwrites that triangle with L, g = L Lᵀ.
using in_place_cholesky = Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>>;

/// Whether `llt` (an in_place_cholesky of a matrix whose diagonal was `diagonal`, n values)
/// succeeded with every pivot clearly positive: L(j, j)² > 1e-12 x max(1, diagonal[j]). False
/// for a singular system (e.g. segments always kept or hidden together and no penalty).
inline bool clearly_positive(const in_place_cholesky& llt, const Eigen::VectorXd& diagonal) {
    if (llt.info() != Eigen::Success) return false;
    for (Eigen::Index j = 0; j < diagonal.size(); ++j) {
        const double pivot = llt.matrixLLT()(j, j);
        if (!(pivot * pivot > 1e-12 * std::max(1.0, diagonal[j]))) return false;
    }
    return true;
}

/// The weighted ridge fits, inputs and alpha already checked (see weighted_ridge).
inline std::vector<linear_fit> ridge_fit(double alpha, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                         const Eigen::MatrixXd& targets) {
    const std::size_t n = std::size_t(samples.rows()), k = std::size_t(samples.cols()), nt = std::size_t(targets.cols());
    const double total = sample_weights.sum();

    // Each sample's kept segments, ascending.
    std::vector<std::int32_t> kept;
    std::vector<std::size_t> first(n + 1, 0);
    for (std::size_t i = 0; i < n; ++i) {
        first[i] = kept.size();
        for (std::size_t j = 0; j < k; ++j)
            if (samples(Eigen::Index(i), Eigen::Index(j)) != 0) kept.push_back(std::int32_t(j));
    }
    first[n] = kept.size();

    // Weighted means of X and y.
    std::vector<double> x_mean(k, 0.0), y_mean(nt, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        const double w = sample_weights[Eigen::Index(i)];
        for (std::size_t a = first[i]; a < first[i + 1]; ++a) x_mean[std::size_t(kept[a])] += w;
        for (std::size_t t = 0; t < nt; ++t) y_mean[t] += w * targets(Eigen::Index(i), Eigen::Index(t));
    }
    for (double& v : x_mean) v /= total;
    for (double& v : y_mean) v /= total;

    const auto singular = [&] {
        return invalid_argument("weighted_ridge.alpha", alpha,
                                k > n ? "a value > 0 here: with more segments (" + std::to_string(k) + ") than samples (" +
                                            std::to_string(n) + ") and no penalty, the segments' weights are not determined"
                                      : "a larger value here: with this penalty the samples do not determine every "
                                        "segment's weight (segments always kept or hidden together, or too few samples)");
    };
    const auto K = Eigen::Index(k), N = Eigen::Index(n), T = Eigen::Index(nt);
    Eigen::MatrixXd betas = Eigen::MatrixXd::Zero(K, T);  // column t: target t's weights
    if (k <= n) {
        // Primal: lower triangle of the centred weighted Gram matrix + alpha I (k x k):
        // sum_i w_i (x_i - m)(x_i - m)^T = sum_i w_i x_i x_i^T - total m m^T.
        Eigen::MatrixXd g = Eigen::MatrixXd::Zero(K, K);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t b = first[i]; b < first[i + 1]; ++b) {
                double* column = g.data() + std::size_t(kept[b]) * k;  // rows kept[a] >= kept[b]
                for (std::size_t a = b; a < first[i + 1]; ++a) column[kept[a]] += w;
            }
        }
        for (Eigen::Index c = 0; c < K; ++c) {
            for (Eigen::Index r = c; r < K; ++r) g(r, c) -= total * x_mean[std::size_t(r)] * x_mean[std::size_t(c)];
            g(c, c) += alpha;
        }
        // Right-hand sides X_c^T W (y - y_mean) (k x nt); the centring of X drops out because
        // sum_i w_i (y_i - y_mean) = 0.
        Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(K, T);
        std::vector<double> yc(nt);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t t = 0; t < nt; ++t) yc[t] = w * (targets(Eigen::Index(i), Eigen::Index(t)) - y_mean[t]);
            for (std::size_t a = first[i]; a < first[i + 1]; ++a)
                for (std::size_t t = 0; t < nt; ++t) rhs(kept[a], Eigen::Index(t)) += yc[t];
        }
        const Eigen::VectorXd diagonal = g.diagonal();
        const in_place_cholesky llt(g);
        if (!clearly_positive(llt, diagonal)) throw singular();
        betas = llt.solve(rhs);
    } else {
        // Dual: M = S Xc Xcᵀ S + alpha I (n x n, S = diag(sqrt(w))), M z = S yc, beta = Xcᵀ S z.
        // (x_i - m).(x_j - m) = |kept_i ∩ kept_j| - m.x_i - m.x_j + m.m, the intersections
        // counted on bit-packed rows.
        if (!(alpha > 0)) throw singular();
        const std::size_t words = (k + 63) / 64;
        std::vector<std::bitset<64>> bits(n * words);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t a = first[i]; a < first[i + 1]; ++a) bits[i * words + std::size_t(kept[a]) / 64].set(std::size_t(kept[a]) % 64);
        std::vector<double> mx(n, 0.0), s(n);
        double mm = 0;
        for (double v : x_mean) mm += v * v;
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t a = first[i]; a < first[i + 1]; ++a) mx[i] += x_mean[std::size_t(kept[a])];
            s[i] = std::sqrt(sample_weights[Eigen::Index(i)]);
        }
        Eigen::MatrixXd g = Eigen::MatrixXd::Zero(N, N);  // lower triangle
        for (std::size_t j = 0; j < n; ++j)
            for (std::size_t i = j; i < n; ++i) {
                std::size_t common = 0;
                for (std::size_t q = 0; q < words; ++q) common += (bits[i * words + q] & bits[j * words + q]).count();
                g(Eigen::Index(i), Eigen::Index(j)) = s[i] * s[j] * (double(common) - mx[i] - mx[j] + mm) + (i == j ? alpha : 0.0);
            }
        const Eigen::VectorXd diagonal = g.diagonal();
        const in_place_cholesky llt(g);
        if (!clearly_positive(llt, diagonal)) throw singular();
        Eigen::MatrixXd z(N, T);
        for (std::size_t t = 0; t < nt; ++t)
            for (std::size_t i = 0; i < n; ++i) z(Eigen::Index(i), Eigen::Index(t)) = s[i] * (targets(Eigen::Index(i), Eigen::Index(t)) - y_mean[t]);
        z = llt.solve(z);
        for (std::size_t t = 0; t < nt; ++t) {
            double sz = 0;  // sum_i s_i z_i, for the centring
            for (std::size_t i = 0; i < n; ++i) {
                const double c = s[i] * z(Eigen::Index(i), Eigen::Index(t));
                sz += c;
                for (std::size_t a = first[i]; a < first[i + 1]; ++a) betas(kept[a], Eigen::Index(t)) += c;
            }
            for (std::size_t j = 0; j < k; ++j) betas(Eigen::Index(j), Eigen::Index(t)) -= x_mean[j] * sz;
        }
    }

    std::vector<linear_fit> fits(nt);
    for (std::size_t t = 0; t < nt; ++t) {
        linear_fit& f = fits[t];
        const Eigen::VectorXd beta = betas.col(Eigen::Index(t));
        double mean_term = 0;  // x_mean . beta
        for (std::size_t j = 0; j < k; ++j) mean_term += x_mean[j] * beta[Eigen::Index(j)];
        f.intercept = y_mean[t] - mean_term;
        f.local_prediction = f.intercept + beta.sum();
        double ss_res = 0, ss_tot = 0;
        for (std::size_t i = 0; i < n; ++i) {
            double pred = f.intercept;
            for (std::size_t a = first[i]; a < first[i + 1]; ++a) pred += beta[kept[a]];
            const double w = sample_weights[Eigen::Index(i)], y = targets(Eigen::Index(i), Eigen::Index(t));
            ss_res += w * (y - pred) * (y - pred);
            ss_tot += w * (y - y_mean[t]) * (y - y_mean[t]);
        }
        // scikit-learn's r2_score with force_finite: a constant target scores 1 when fitted exactly, else 0.
        f.score = ss_tot != 0 ? 1.0 - ss_res / ss_tot : (ss_res == 0 ? 1.0 : 0.0);
        f.weights = beta;
    }
    return fits;
}

}  // namespace detail

inline std::vector<linear_fit> weighted_ridge::operator()(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                                          const Eigen::MatrixXd& targets, const limits& lim) const {
    validate();
    detail::check_surrogate_inputs(samples, sample_weights, targets, lim);
    return detail::ridge_fit(alpha, samples, sample_weights, targets);
}

/// The surrogate stage of pixlime::explain: the built-in weighted_ridge (default: lime's,
/// alpha 1) or any callable with the surrogate signature (see the file comment). A
/// detail::stage (see detail/stage.hpp): is_builtin(), builtin<weighted_ridge>(), name().
class surrogate : public detail::stage<std::function<std::vector<linear_fit>(const mask_matrix&, const Eigen::VectorXd&,
                                                                             const Eigen::MatrixXd&)>,
                                       weighted_ridge> {
public:
    /// The type a custom callable is stored as.
    using function =
        std::function<std::vector<linear_fit>(const mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&)>;

    /// The weighted ridge with the options `r` (default: lime's), named "weighted_ridge".
    surrogate(const weighted_ridge& r = {}) : stage(r, "weighted_ridge") {}  // NOLINT(google-explicit-constructor)
    /// Any callable with the surrogate signature, named `name`.
    template <class F, class = std::enable_if_t<
                           !std::is_same_v<std::decay_t<F>, surrogate> && !std::is_same_v<std::decay_t<F>, weighted_ridge> &&
                           std::is_invocable_r_v<std::vector<linear_fit>, F&, const mask_matrix&, const Eigen::VectorXd&,
                                                 const Eigen::MatrixXd&>>>
    surrogate(F f, std::string name = "custom")  // NOLINT(google-explicit-constructor)
        : stage(function(std::move(f)), std::move(name)) {}

    /// Checks the built-in surrogate's options (a callable has none to check). Throws
    /// pixlime::invalid_argument naming the field out of range.
    void validate() const {
        if (const weighted_ridge* r = builtin<weighted_ridge>()) r->validate();
    }
    /// The fits of `targets` (#samples by #labels) over `samples` (#samples by #segments, 0/1)
    /// weighted by `sample_weights` (#samples), one per label, as explain calls them: nothing
    /// is checked again (explain calls validate() first and checks the inputs as it makes them;
    /// weighted_ridge itself checks everything when called directly).
    std::vector<linear_fit> operator()(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                       const Eigen::MatrixXd& targets) const {
        if (const weighted_ridge* r = builtin<weighted_ridge>()) return detail::ridge_fit(r->alpha, samples, sample_weights, targets);
        return custom()(samples, sample_weights, targets);
    }

    using stage::builtin;
    /// Deprecated: builtin<weighted_ridge>(). Removed in the release after 0.3.
    [[deprecated("use surrogate::builtin<pixlime::weighted_ridge>()")]] const weighted_ridge* builtin() const {
        return builtin<weighted_ridge>();
    }
};

}  // namespace pixlime
