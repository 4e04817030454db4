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

#include <pixlime/detail/random.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
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

/// A linear model of one label's output over the segment indicators.
struct linear_fit {
    Eigen::VectorXd weights;        ///< #segments coefficients: effect of keeping each segment
    double intercept = 0;           ///< the model's value with every segment hidden
    double score = 0;               ///< weighted R² on the samples (scikit-learn's Ridge.score)
    double local_prediction = 0;    ///< the model at the all-ones row (the unperturbed image)
};

/// (segment, weight) pairs by |weight| descending, equal |weight| in segment order (lime's
/// local_exp order). `weights`: #segments values.
inline std::vector<std::pair<int, double>> ranked(const Eigen::VectorXd& weights) {
    std::vector<std::pair<int, double>> r;
    r.reserve(std::size_t(weights.size()));
    for (Eigen::Index k = 0; k < weights.size(); ++k) r.emplace_back(int(k), weights[k]);
    std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
    return r;
}

/// Weighted ridge regression with intercept, as scikit-learn's Ridge(alpha, fit_intercept=True)
/// fitted with sample_weight: X and y are centred by their weighted means, the penalty
/// alpha * |w|² leaves the intercept free, and score is the weighted R². One factorisation
/// serves every target column: of the #segments by #segments Gram matrix when there are at
/// least as many samples as segments, else of the #samples by #samples kernel matrix (the
/// dual form, the same solution: (XᵀWX + αI)⁻¹XᵀW = XᵀW^½(W^½XXᵀW^½ + αI)⁻¹W^½).
///
/// Written for 0/1 masks with plain loops: the Gram matrix is accumulated from each sample's
/// kept segments only (about N K²/8 additions for N samples, K segments, half kept), the dual
/// kernel matrix from bit-packed rows (N² K / 128 word operations).
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

/// Cholesky factorisation in place of the lower triangle of the n x n row-major matrix g
/// (g = L Lᵀ). Returns false when a pivot is not clearly positive (a singular system).
inline bool cholesky_in_place(std::vector<double>& g, std::size_t n) {
    for (std::size_t j = 0; j < n; ++j) {
        double* rj = g.data() + j * n;
        const double original = rj[j];
        double d = original;
        for (std::size_t m = 0; m < j; ++m) d -= rj[m] * rj[m];
        if (!(d > 1e-12 * std::max(1.0, original))) return false;
        rj[j] = std::sqrt(d);
        for (std::size_t i = j + 1; i < n; ++i) {
            double* ri = g.data() + i * n;
            double s = ri[j];
            for (std::size_t m = 0; m < j; ++m) s -= ri[m] * rj[m];
            ri[j] = s / rj[j];
        }
    }
    return true;
}

/// Solves L Lᵀ x = b in place (b: n values) with the factor from cholesky_in_place.
inline void cholesky_solve(const std::vector<double>& l, std::size_t n, double* b) {
    for (std::size_t i = 0; i < n; ++i) {
        double s = b[i];
        for (std::size_t m = 0; m < i; ++m) s -= l[i * n + m] * b[m];
        b[i] = s / l[i * n + i];
    }
    for (std::size_t i = n; i-- > 0;) {
        double s = b[i];
        for (std::size_t m = i + 1; m < n; ++m) s -= l[m * n + i] * b[m];
        b[i] = s / l[i * n + i];
    }
}

/// The weighted ridge fits, inputs and alpha already checked.
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
    std::vector<Eigen::VectorXd> betas(nt, Eigen::VectorXd::Zero(Eigen::Index(k)));
    if (k <= n) {
        // Primal: lower triangle of the centred weighted Gram matrix + alpha I (row-major
        // k x k): sum_i w_i (x_i - m)(x_i - m)^T = sum_i w_i x_i x_i^T - total m m^T.
        std::vector<double> g(k * k, 0.0);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t a = first[i]; a < first[i + 1]; ++a) {
                double* row = g.data() + std::size_t(kept[a]) * k;
                for (std::size_t b = first[i]; b <= a; ++b) row[kept[b]] += w;
            }
        }
        for (std::size_t r = 0; r < k; ++r) {
            for (std::size_t c = 0; c <= r; ++c) g[r * k + c] -= total * x_mean[r] * x_mean[c];
            g[r * k + r] += alpha;
        }
        // Right-hand sides X_c^T W (y - y_mean) (k x nt); the centring of X drops out because
        // sum_i w_i (y_i - y_mean) = 0.
        std::vector<double> rhs(k * nt, 0.0), yc(nt);
        for (std::size_t i = 0; i < n; ++i) {
            const double w = sample_weights[Eigen::Index(i)];
            for (std::size_t t = 0; t < nt; ++t) yc[t] = w * (targets(Eigen::Index(i), Eigen::Index(t)) - y_mean[t]);
            for (std::size_t a = first[i]; a < first[i + 1]; ++a)
                for (std::size_t t = 0; t < nt; ++t) rhs[std::size_t(kept[a]) * nt + t] += yc[t];
        }
        if (!cholesky_in_place(g, k)) throw singular();
        std::vector<double> b(k);
        for (std::size_t t = 0; t < nt; ++t) {
            for (std::size_t i = 0; i < k; ++i) b[i] = rhs[i * nt + t];
            cholesky_solve(g, k, b.data());
            for (std::size_t i = 0; i < k; ++i) betas[t][Eigen::Index(i)] = b[i];
        }
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
        std::vector<double> g(n * n, 0.0);
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j <= i; ++j) {
                std::size_t common = 0;
                for (std::size_t q = 0; q < words; ++q) common += (bits[i * words + q] & bits[j * words + q]).count();
                g[i * n + j] = s[i] * s[j] * (double(common) - mx[i] - mx[j] + mm) + (i == j ? alpha : 0.0);
            }
        if (!cholesky_in_place(g, n)) throw singular();
        std::vector<double> z(n);
        for (std::size_t t = 0; t < nt; ++t) {
            for (std::size_t i = 0; i < n; ++i) z[i] = s[i] * (targets(Eigen::Index(i), Eigen::Index(t)) - y_mean[t]);
            cholesky_solve(g, n, z.data());
            double sz = 0;  // sum_i s_i z_i, for the centring
            Eigen::VectorXd& beta = betas[t];
            for (std::size_t i = 0; i < n; ++i) {
                const double c = s[i] * z[i];
                sz += c;
                for (std::size_t a = first[i]; a < first[i + 1]; ++a) beta[kept[a]] += c;
            }
            for (std::size_t j = 0; j < k; ++j) beta[Eigen::Index(j)] -= x_mean[j] * sz;
        }
    }

    std::vector<linear_fit> fits(nt);
    for (std::size_t t = 0; t < nt; ++t) {
        linear_fit& f = fits[t];
        const Eigen::VectorXd& beta = betas[t];
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
        f.weights = std::move(betas[t]);
    }
    return fits;
}

/// Groups of the random samples for the spread of the weights: row 0 (the unperturbed image,
/// the same in every run) is left out; a row followed by its complement (sampling::paired's
/// antithetic pairs, or any design's) forms one group with it, every other row a group of its
/// own. Returns the first row of each group and, last, the row count.
inline std::vector<Eigen::Index> sample_groups(const mask_matrix& samples) {
    std::vector<Eigen::Index> starts;
    const Eigen::Index n = samples.rows();
    for (Eigen::Index i = 1; i < n;) {
        starts.push_back(i);
        const bool paired = i + 1 < n && ((samples.row(i).array() + samples.row(i + 1).array()) == 1).all();
        i += paired ? 2 : 1;
    }
    starts.push_back(n);
    return starts;
}

/// Each group's score: column g is Σ_{i in group g} u_i x.row(i) (#columns of x by #groups), for
/// the groups of sample_groups (their first rows, then the row count).
inline Eigen::MatrixXd group_scores(const Eigen::MatrixXd& x, const std::vector<Eigen::Index>& groups, const Eigen::VectorXd& u) {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.cols(), Eigen::Index(groups.size()) - 1);
    for (Eigen::Index c = 0; c + 1 < Eigen::Index(groups.size()); ++c)
        for (Eigen::Index i = groups[std::size_t(c)]; i < groups[std::size_t(c) + 1]; ++i) out.col(c) += u[i] * x.row(i).transpose();
    return out;
}

/// The sampling spread of weighted_ridge's weights for one target: a #segments by #groups
/// matrix B whose B Bᵀ estimates the covariance of the weights over reruns with fresh masks.
/// This is the sandwich (Huber 1967; White 1980, HC0) of the weighted ridge estimator,
/// A⁻¹ (Σ_g s_g s_gᵀ) A⁻¹ with A = X_cᵀWX_c + αI and s_g = Σ_{i in group g} w_i r_i x_c,i (r: the
/// fit's residuals), with the groups of sample_groups (clustered: an antithetic pair is one
/// draw), computed as B = A⁻¹ [s_1 .. s_G] without forming the covariance. With more
/// segments than samples, A⁻¹X_cᵀW^½ is taken in its dual form X_cᵀW^½(W^½X_cX_cᵀW^½ + αI)⁻¹.
inline Eigen::MatrixXd ridge_spread(double alpha, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                    const Eigen::VectorXd& target, const linear_fit& fit) {
    const Eigen::Index n = samples.rows(), k = samples.cols();
    const std::vector<Eigen::Index> groups = sample_groups(samples);
    const Eigen::Index g = Eigen::Index(groups.size()) - 1;
    // The masks are taken as doubles a block of rows at a time: a dense copy of the design
    // (and of its centred form) would take 16 bytes per mask entry, twice the result's 8 per
    // segment and group.
    const Eigen::Index block = 256;
    const auto rows = [&](Eigen::Index first) { return Eigen::MatrixXd(samples.middleRows(first, std::min(block, n - first)).cast<double>()); };
    Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(k);
    for (Eigen::Index b = 0; b < n; b += block) {
        const Eigen::MatrixXd x = rows(b);
        mean += sample_weights.segment(b, x.rows()).transpose() * x;
    }
    mean /= sample_weights.sum();
    // HC1's small-sample factor G / (G - p), p = K + 1 fitted values, on the variance: the
    // residuals of a fit are smaller than the errors by about that much (MacKinnon and White
    // 1985). Without enough groups for it the spread is not known: every weight gets it doubled.
    const double p = double(k) + 1;
    const double hc1 = double(g) > p + 1 ? std::sqrt(double(g) / (double(g) - p)) : 2.0;
    // u_i = hc1 w_i r_i (r: the residuals), row i's part of its group's score s_g = Σ u_i x_c,i;
    // group_of[i]: the column of row i's group (row 0 is in none).
    Eigen::VectorXd u(n);
    std::vector<Eigen::Index> group_of(std::size_t(n), -1);
    for (Eigen::Index c = 0; c < g; ++c)
        for (Eigen::Index i = groups[std::size_t(c)]; i < groups[std::size_t(c) + 1]; ++i) group_of[std::size_t(i)] = c;
    for (Eigen::Index b = 0; b < n; b += block) {
        const Eigen::MatrixXd x = rows(b);
        const Eigen::Index m = x.rows();
        u.segment(b, m) = hc1 * sample_weights.segment(b, m).array() *
                          (target.segment(b, m).array() - (x * fit.weights).array() - fit.intercept);
    }
    if (k <= n) {
        Eigen::MatrixXd a = Eigen::MatrixXd::Zero(k, k);
        Eigen::MatrixXd scores = Eigen::MatrixXd::Zero(k, g);
        for (Eigen::Index b = 0; b < n; b += block) {
            const Eigen::MatrixXd xc = rows(b).rowwise() - mean;
            a.noalias() += xc.transpose() * sample_weights.segment(b, xc.rows()).asDiagonal() * xc;
            for (Eigen::Index i = 0; i < xc.rows(); ++i)
                if (const Eigen::Index c = group_of[std::size_t(b + i)]; c >= 0) scores.col(c) += u[b + i] * xc.row(i).transpose();
        }
        a.diagonal().array() += alpha;
        return a.llt().solve(scores);
    }
    // More segments than samples: A⁻¹X_cᵀW^½ in its dual form X_cᵀ S M⁻¹ with S = diag(sqrt(w)),
    // M = S X_c X_cᵀ S + αI (n x n, smaller than K x K here). The group scores are X_cᵀ d with
    // d(i, group of i) = u_i, so B = X_cᵀ S M⁻¹ S d' where W d' = d: S d' = d / s (w_i = 0 rows
    // carry nothing).
    const Eigen::VectorXd s = sample_weights.cwiseSqrt();
    // Only the lower triangle's blocks: the Cholesky factorisation reads nothing else.
    Eigen::MatrixXd m = Eigen::MatrixXd::Zero(n, n);
    for (Eigen::Index b = 0; b < n; b += block) {
        const Eigen::MatrixXd xb = rows(b).rowwise() - mean;
        for (Eigen::Index c = 0; c <= b; c += block) m.block(b, c, xb.rows(), std::min(block, n - c)) = xb * (rows(c).rowwise() - mean).transpose();
    }
    m = s.asDiagonal() * m * s.asDiagonal();
    m.diagonal().array() += alpha;
    Eigen::MatrixXd sd = Eigen::MatrixXd::Zero(n, g);
    for (Eigen::Index i = 0; i < n; ++i)
        if (const Eigen::Index c = group_of[std::size_t(i)]; c >= 0 && s[i] > 0) sd(i, c) = u[i] / s[i];
    const Eigen::MatrixXd t = s.asDiagonal() * m.llt().solve(sd);  // n x G
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(k, g);
    for (Eigen::Index b = 0; b < n; b += block) {
        const Eigen::MatrixXd xc = rows(b).rowwise() - mean;
        out.noalias() += xc.transpose() * t.middleRows(b, xc.rows());
    }
    return out;
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

/// Throws pixlime::invalid_argument unless `samples` has row 0 all ones and an all-hidden row,
/// and (α = 0) the rows with weight > 0 determine the K - 1 free weights.
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

/// KernelSHAP's fits, one per target column, on a system from shapley_setup.
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
/// minus their sum (φ_K = Δ - Σ φ_j, Δ exact: f(all) and f(none) are not sampled).
inline Eigen::MatrixXd shapley_spread(const shapley_system& sys, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                      const Eigen::VectorXd& target, const linear_fit& fit) {
    const Eigen::Index k = samples.cols();
    const std::vector<Eigen::Index> groups = sample_groups(samples);
    const Eigen::Index g = Eigen::Index(groups.size()) - 1;
    Eigen::MatrixXd spread = Eigen::MatrixXd::Zero(k, g);
    if (k == 1) return spread;
    const Eigen::VectorXd residual = target - ((samples.cast<double>() * fit.weights).array() + fit.intercept).matrix();
    const double p = double(k) - 1;
    const double hc1 = double(g) > p + 1 ? std::sqrt(double(g) / (double(g) - p)) : 2.0;
    const Eigen::MatrixXd head = sys.a.solve(group_scores(sys.x, groups, (sample_weights.array() * residual.array() * hc1).matrix()));
    spread.topRows(k - 1) = head;
    spread.row(k - 1) = -head.colwise().sum();
    return spread;
}

/// A standard normal deviate from two splitmix64 outputs (Box and Muller 1958): the same on
/// every platform, unlike std::normal_distribution.
inline double standard_normal(splitmix64& gen) {
    const double u1 = (double(gen() >> 11) + 0.5) * (1.0 / 9007199254740992.0);  // (0, 1)
    const double u2 = double(gen() >> 11) * (1.0 / 9007199254740992.0);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// The k largest |weights| as a sorted index set (ties by segment, as pixlime::ranked).
inline std::vector<int> top_set(const Eigen::VectorXd& weights, int k) {
    std::vector<std::pair<int, double>> r = ranked(weights);
    std::vector<int> top;
    for (int i = 0; i < k && i < int(r.size()); ++i) top.push_back(r[std::size_t(i)].first);
    std::sort(top.begin(), top.end());
    return top;
}

/// |a ∩ b| / |a ∪ b| of two sorted index sets (1 when both are empty).
inline double jaccard(const std::vector<int>& a, const std::vector<int>& b) {
    std::size_t common = 0;
    for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
        if (a[i] == b[j]) ++common, ++i, ++j;
        else if (a[i] < b[j]) ++i;
        else ++j;
    }
    const std::size_t all = a.size() + b.size() - common;
    return all ? double(common) / double(all) : 1.0;
}

/// The expected top-k Jaccard between two independent runs, from the weights w and their
/// spread B (#segments by #groups), without calling the model. Two reruns are simulated as
/// w + B ξ₁ and w + B ξ₂ (ξ standard normal: a parametric bootstrap, Efron and Tibshirani
/// 1993). Centred on w, which is itself one noisy run, such pairs look steadier than real
/// reruns (noise pulls near-ties apart), so the bias is removed by simulation-extrapolation
/// (SIMEX, Cook and Stefanski 1994): the same mean with centres w + B ξ₀, twice the noise,
/// is taken too, and the linear extrapolation to a noise-free centre, 2 S(w) - S(w + B ξ₀),
/// returned (clamped to [0, 1]). `draws` simulated pairs at each level.
inline double simulated_stability(const Eigen::VectorXd& weights, const Eigen::MatrixXd& spread, int k, int draws,
                                  std::uint64_t seed) {
    if (spread.cols() == 0) return 1.0;
    splitmix64 gen{seed};
    Eigen::VectorXd xi(spread.cols());
    const auto noise = [&] {
        for (Eigen::Index c = 0; c < xi.size(); ++c) xi[c] = standard_normal(gen);
        return Eigen::VectorXd(spread * xi);
    };
    double once = 0, twice = 0;
    for (int d = 0; d < draws; ++d) {
        once += jaccard(top_set(weights + noise(), k), top_set(weights + noise(), k));
        const Eigen::VectorXd centre = weights + noise();
        twice += jaccard(top_set(centre + noise(), k), top_set(centre + noise(), k));
    }
    return std::clamp((2 * once - twice) / draws, 0.0, 1.0);
}

/// The seed of a label's stability simulation: the same for explain's adaptive stop and
/// explanation::stability, so both see the same draws.
inline std::uint64_t stability_seed(std::uint64_t seed, int label) {
    return seed ^ (std::uint64_t{0x57AB1E5EED} + static_cast<std::uint64_t>(static_cast<std::uint32_t>(label)));
}

/// The standard normal quantile Φ⁻¹(p), 0 < p < 1, by bisection on std::erfc (to the last bit;
/// slow but called once per interval request).
inline double normal_quantile(double p) {
    double lo = -40, hi = 40;
    for (int it = 0; it < 200 && hi - lo > 0; ++it) {
        const double mid = 0.5 * (lo + hi);
        if (mid == lo || mid == hi) break;
        (0.5 * std::erfc(-mid / std::sqrt(2.0)) < p ? lo : hi) = mid;
    }
    return 0.5 * (lo + hi);
}

}  // namespace detail

inline std::vector<linear_fit> weighted_ridge::operator()(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                                          const Eigen::MatrixXd& targets, const limits& lim) const {
    validate();
    detail::check_surrogate_inputs(samples, sample_weights, targets, lim);
    return detail::ridge_fit(alpha, samples, sample_weights, targets);
}

/// The surrogate stage of pixlime::explain: the built-in weighted_ridge (default: lime's,
/// alpha 1) or any callable with the surrogate signature (see the file comment).
class surrogate {
public:
    using function =
        std::function<std::vector<linear_fit>(const mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&)>;

    surrogate(const weighted_ridge& r = {}) : builtin_(r), name_("weighted_ridge") {}  // NOLINT(google-explicit-constructor)
    /// Any callable with the surrogate signature.
    template <class F, class = std::enable_if_t<
                           !std::is_same_v<std::decay_t<F>, surrogate> && !std::is_same_v<std::decay_t<F>, weighted_ridge> &&
                           std::is_invocable_r_v<std::vector<linear_fit>, F&, const mask_matrix&, const Eigen::VectorXd&,
                                                 const Eigen::MatrixXd&>>>
    surrogate(F f, std::string name = "custom")  // NOLINT(google-explicit-constructor)
        : custom_(std::move(f)), name_(std::move(name)) {}

    /// Checks the built-in surrogate's options (a callable has none to check).
    void validate() const {
        if (!custom_) builtin_.validate();
    }
    /// The fits, as explain calls them: nothing is checked again (explain calls validate()
    /// first and checks the inputs as it makes them; weighted_ridge itself checks everything
    /// when called directly).
    std::vector<linear_fit> operator()(const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                       const Eigen::MatrixXd& targets) const {
        if (custom_) return custom_(samples, sample_weights, targets);
        return detail::ridge_fit(builtin_.alpha, samples, sample_weights, targets);
    }
    /// "weighted_ridge" or the name given with a callable.
    const std::string& name() const { return name_; }
    /// The built-in surrogate's options, or nullptr for a callable.
    const weighted_ridge* builtin() const { return custom_ ? nullptr : &builtin_; }

private:
    weighted_ridge builtin_;
    function custom_;
    std::string name_;
};

}  // namespace pixlime
