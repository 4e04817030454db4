#pragma once
/// \file pixlime/statistics.hpp
/// How sure is an explanation? The statistics behind explanation::standard_errors,
/// explanation::weight_intervals, explanation::stability and explain's adaptive stop, estimated
/// from one run's samples without calling the model again:
/// - the sampling spread of a fit's weights (detail::ridge_spread for weighted_ridge; KernelSHAP's
///   is detail::shapley_spread in shapley.hpp): the clustered sandwich covariance, over groups of
///   samples (detail::sample_groups: an antithetic pair is one draw), with HC1's small-sample
///   factor (detail::hc1_factor), centred (detail::centre_groups) and, on sampling::orthogonal's
///   design, without the part of the noise the design cancels (detail::orthogonal_share);
/// - the expected top-k stability between reruns (detail::simulated_stability: a parametric
///   bootstrap with SIMEX bias removal) and its seed (detail::stability_seed);
/// - the normal quantile of the intervals (detail::normal_quantile).
/// Everything here is in pixlime::detail: the public entry points are explanation's members.

#include <pixlime/detail/random.hpp>
#include <pixlime/linear_model.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace pixlime::detail {

/// Groups of the random samples for the spread of the weights: row 0 (the unperturbed image,
/// the same in every run) is left out; a row followed by its complement (sampling::paired's
/// antithetic pairs, or any design's) forms one group with it, every other row a group of its
/// own. `samples`: #samples by #segments, 0/1. Returns the first row of each group and, last,
/// the row count (#groups + 1 values).
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

/// Each group's score: column g is Σ_{i in group g} u_i x.row(i), for `x` #samples by p, `u`
/// #samples values and `groups` as sample_groups returns them (their first rows, then the row
/// count). Returns p by #groups.
inline Eigen::MatrixXd group_scores(const Eigen::MatrixXd& x, const std::vector<Eigen::Index>& groups, const Eigen::VectorXd& u) {
    Eigen::MatrixXd out = Eigen::MatrixXd::Zero(x.cols(), Eigen::Index(groups.size()) - 1);
    for (Eigen::Index c = 0; c + 1 < Eigen::Index(groups.size()); ++c)
        for (Eigen::Index i = groups[std::size_t(c)]; i < groups[std::size_t(c) + 1]; ++i) out.col(c) += u[i] * x.row(i).transpose();
    return out;
}

/// HC1's small-sample factor on the spread (MacKinnon and White 1985): sqrt(G / (G - p)) for
/// `groups` G >= 0 groups and `fitted` p >= 0 fitted values, the variance's G / (G - p) (the
/// residuals of a fit are smaller than the errors by about that much). Without enough groups
/// for it (G <= p + 1) the residuals say almost nothing about the spread: sqrt(max(G, 4)), the
/// formula's value at G - p = 1, so that the factor never falls as groups are added (it was 2,
/// below the formula's values just above: the adaptive stop's first round, K pairs for K + 1
/// fitted values, looked far steadier than the next; benchmarks/RESULTS.md, "Calibration on
/// configurations nobody tuned for").
inline double hc1_factor(Eigen::Index groups, double fitted) {
    return double(groups) > fitted + 1 ? std::sqrt(double(groups) / (double(groups) - fitted))
                                       : std::sqrt(std::max(double(groups), 4.0));
}

/// Centres a spread's columns (`spread`: #segments by #groups, one column per group's term
/// A⁻¹ s_g) on their mean, scaled by sqrt(G / (G - 1)): the sandwich's meat is then the groups'
/// sample covariance, the scores' spread around their mean. A penalised fit's scores do not sum
/// to zero: weighted_ridge's normal equations give Σ_i w_i r_i x_c,i = α w, so each s_g carries
/// the penalty's pull α w / G, the same in every run, which uncentred would count as noise
/// (measured: it moved the mean stability estimate by at most 0.003 on 40 configurations;
/// benchmarks/RESULTS.md, "Calibration on configurations nobody tuned for").
inline void centre_groups(Eigen::MatrixXd& spread) {
    const Eigen::Index g = spread.cols();
    if (g < 2) return;
    const Eigen::VectorXd mean = spread.rowwise().mean();
    spread.colwise() -= mean;
    spread *= std::sqrt(double(g) / double(g - 1));
}

/// The score terms u (#samples: u_i = w_i r_i, times HC1) with the part that
/// sampling::orthogonal's design cancels scaled down to what remains of it. Over all m rows of
/// a Hadamard array (and their complements) the sum of x_c,i x_c,iᵀ b is fixed for any b: the
/// columns are orthogonal, so the part of u linear in the masks (a + x_i b, the projection of
/// u on [1, x] over the groups' rows) moves no weight between reruns, while clustered draws that
/// count each pair as an independent draw charge it fully. That part is mostly the penalty's:
/// a weighted ridge fit's residuals hold -x_c A⁻¹ α w (its shrinkage), linear in the masks, the
/// whole residual of a model additive in the segments. With G of the m pairs drawn (a random
/// subset of the rows, without replacement), the share 1 - G / m of its variance remains (the
/// finite-population correction), per array when the pairs come from consecutive arrays of
/// order m (the adaptive stop's); u's other part is charged as before. `groups`, `group_of`: as
/// ridge_spread computes them; `order`: the arrays' order m (sampling_summary::orthogonal_order).
inline Eigen::VectorXd orthogonal_share(const mask_matrix& samples, const std::vector<Eigen::Index>& groups,
                                        const std::vector<Eigen::Index>& group_of, const Eigen::VectorXd& u, std::int64_t order) {
    const Eigen::Index n = samples.rows(), k = samples.cols();
    // Pair p (rows 1 + 2p, 2 + 2p) is in array p / order: one array for explain's fixed sample
    // counts, consecutive complete ones for the adaptive stop (orthogonal_block_masks).
    std::vector<std::int64_t> drawn;  // pairs drawn per array
    for (std::size_t c = 0; c + 1 < groups.size(); ++c)
        if (groups[c + 1] - groups[c] == 2) {
            const auto block = std::size_t((groups[c] - 1) / 2 / order);
            if (drawn.size() <= block) drawn.resize(block + 1, 0);
            ++drawn[block];
        }
    const auto keep_of = [&](Eigen::Index row) {
        const auto block = std::size_t((row - 1) / 2 / order);
        const std::int64_t pairs = block < drawn.size() ? drawn[block] : 0;
        return std::sqrt(std::max(0.0, 1.0 - double(pairs) / double(order)));
    };
    // Unweighted least squares of u on [1, x] over the grouped rows (row 0 is in no group).
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(k + 1, k + 1);
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(k + 1);
    Eigen::VectorXd row(k + 1);
    for (Eigen::Index i = 0; i < n; ++i) {
        if (group_of[std::size_t(i)] < 0) continue;
        row[0] = 1;
        row.tail(k) = samples.row(i).transpose().cast<double>();
        gram.selfadjointView<Eigen::Lower>().rankUpdate(row);
        rhs += u[i] * row;
    }
    gram.diagonal().array() += 1e-12 * (gram.diagonal().maxCoeff() + 1);
    const Eigen::VectorXd coef = gram.selfadjointView<Eigen::Lower>().llt().solve(rhs);
    Eigen::VectorXd out = u;
    for (Eigen::Index i = 0; i < n; ++i) {
        if (group_of[std::size_t(i)] < 0) continue;
        const double linear = coef[0] + samples.row(i).cast<double>().dot(coef.tail(k).transpose());
        out[i] = u[i] - (1 - keep_of(i)) * linear;
    }
    return out;
}

/// The sampling spread of weighted_ridge's weights for one target: a #segments by #groups
/// matrix B whose B Bᵀ estimates the covariance of the weights over reruns with fresh masks.
/// This is the sandwich (Huber 1967; White 1980, HC0) of the weighted ridge estimator,
/// A⁻¹ (Σ_g s_g s_gᵀ) A⁻¹ with A = X_cᵀWX_c + αI and s_g = Σ_{i in group g} w_i r_i x_c,i (r: the
/// fit's residuals), with the groups of sample_groups (clustered: an antithetic pair is one
/// draw), computed as B = A⁻¹ [s_1 .. s_G] without forming the covariance. With more
/// segments than samples, A⁻¹X_cᵀW^½ is taken in its dual form X_cᵀW^½(W^½X_cX_cᵀW^½ + αI)⁻¹.
/// `alpha`: the fit's penalty (>= 0; > 0 with more segments than samples); `samples`: #samples
/// by #segments, 0/1; `sample_weights`: #samples values >= 0, not all 0; `target`: the
/// #samples outputs `fit` (weighted_ridge's with that alpha) was fitted to; `orthogonal_order`:
/// the Hadamard order of sampling::orthogonal's masks (0 for any other design; see
/// orthogonal_share).
inline Eigen::MatrixXd ridge_spread(double alpha, const mask_matrix& samples, const Eigen::VectorXd& sample_weights,
                                    const Eigen::VectorXd& target, const linear_fit& fit, std::int64_t orthogonal_order = 0) {
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
    const double hc1 = hc1_factor(g, double(k) + 1);  // K weights and the intercept
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
    if (orthogonal_order > 0 && k < n) u = orthogonal_share(samples, groups, group_of, u, orthogonal_order);
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
        Eigen::MatrixXd out = a.llt().solve(scores);
        centre_groups(out);
        return out;
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
    centre_groups(out);
    return out;
}
/// A standard normal deviate from two outputs of `gen` (Box and Muller 1958): the same on
/// every platform, unlike std::normal_distribution.
inline double standard_normal(splitmix64& gen) {
    const double u1 = (double(gen() >> 11) + 0.5) * (1.0 / 9007199254740992.0);  // (0, 1)
    const double u2 = double(gen() >> 11) * (1.0 / 9007199254740992.0);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

/// The `k` largest |weights| (`weights`: #segments values, k >= 0) as a sorted index set of
/// min(k, #segments) segments (ties by segment, as pixlime::ranked).
inline std::vector<int> top_set(const Eigen::VectorXd& weights, int k) {
    std::vector<std::pair<int, double>> r = ranked(weights);
    std::vector<int> top;
    for (int i = 0; i < k && i < int(r.size()); ++i) top.push_back(r[std::size_t(i)].first);
    std::sort(top.begin(), top.end());
    return top;
}

/// |a ∩ b| / |a ∪ b| of two sorted index sets `a` and `b` (1 when both are empty).
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
/// returned (clamped to [0, 1]). Both levels use the same ξ₁, ξ₂ (common random numbers), so
/// that the simulation's own noise largely cancels in the difference; with more groups than
/// segments the noise is drawn as L ξ with L L^T = B B^T (K x K instead of K x #groups per
/// draw). `weights`: #segments values; `spread`: #segments by #groups (no columns: 1 is
/// returned); `k`: 1..#segments; `draws` >= 1 simulated pairs at each level, drawn from `seed`.
/// `rerun_scale` (> 0, default 1) scales the two reruns' noise only, B ξ₁ and B ξ₂, not the
/// centre's B ξ₀: the stability of reruns with that much less spread (a run of 1 / scale² times
/// the samples), corrected for the noise w carries now (the adaptive stop's projection to its cap).
inline double simulated_stability(const Eigen::VectorXd& weights, const Eigen::MatrixXd& spread, int k, int draws,
                                  std::uint64_t seed, double rerun_scale = 1.0, std::pair<double, double>* levels = nullptr) {
    if (spread.cols() == 0) {
        if (levels) *levels = {1.0, 1.0};
        return 1.0;
    }
    // The same covariance from fewer columns: the Cholesky factor of B B^T (a relative jitter of
    // 1e-12 on the diagonal keeps a singular one factorable).
    Eigen::MatrixXd factor;
    const Eigen::MatrixXd* b = &spread;
    if (spread.cols() > spread.rows()) {
        Eigen::MatrixXd cov = spread * spread.transpose();
        cov.diagonal().array() += 1e-12 * (cov.diagonal().maxCoeff() + 1e-300);
        const Eigen::LLT<Eigen::MatrixXd> llt(cov);
        if (llt.info() == Eigen::Success) {
            factor = llt.matrixL();
            b = &factor;
        }
    }
    splitmix64 gen{seed};
    Eigen::VectorXd xi(b->cols());
    const auto noise = [&] {
        for (Eigen::Index c = 0; c < xi.size(); ++c) xi[c] = standard_normal(gen);
        return Eigen::VectorXd(*b * xi);
    };
    double once = 0, twice = 0;
    for (int d = 0; d < draws; ++d) {
        const Eigen::VectorXd n1 = rerun_scale * noise(), n2 = rerun_scale * noise(), n0 = noise();
        once += jaccard(top_set(weights + n1, k), top_set(weights + n2, k));
        twice += jaccard(top_set(weights + n0 + n1, k), top_set(weights + n0 + n2, k));
    }
    if (levels) *levels = {once / draws, twice / draws};
    return std::clamp((2 * once - twice) / draws, 0.0, 1.0);
}

/// The seed of `label`'s stability simulation from explain's `seed`: the same for explain's
/// adaptive stop and explanation::stability, so both see the same draws.
inline std::uint64_t stability_seed(std::uint64_t seed, int label) {
    return seed ^ (std::uint64_t{0x57AB1E5EED} + static_cast<std::uint64_t>(static_cast<std::uint32_t>(label)));
}

/// The standard normal quantile Φ⁻¹(`p`), 0 < p < 1, by bisection on std::erfc (to the last bit;
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

}  // namespace pixlime::detail
