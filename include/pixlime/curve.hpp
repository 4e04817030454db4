#pragma once
/// \file pixlime/curve.hpp
/// faithfulness_curve, the result of deletion_curve and insertion_curve (faithfulness.hpp), and
/// the arithmetic of such curves: their area (area_under_curve), the ranking RISE's protocol
/// follows (ranking_by_weight), and, in pixlime::detail, how one is assembled from the
/// classifier's scores along each ranking with its random baseline (curve_of).

#include <pixlime/error.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

namespace pixlime {

/// A deletion or insertion curve of one ranking, with its random baseline. K = #segments.
struct faithfulness_curve {
    /// K + 1 values, x of the curve: the fraction of the image's pixels removed (deletion) or
    /// restored (insertion) after step j = 0..K, i.e. the area of the first j ranked segments
    /// over the image's: 0 first, exactly 1 last, increasing.
    std::vector<double> fraction;
    /// K + 1 values: the classifier's output for the label at each step. Deletion: step 0 is
    /// the image itself, step K every segment removed. Insertion: step 0 is the image filled
    /// by insertion_fill, step K the image itself.
    std::vector<double> score;
    /// Area under (fraction, score) over [0, 1], trapezoid rule. Deletion: lower is better;
    /// insertion: higher is better. A constant output c gives c.
    double auc = 0;
    /// The segments in the order they were removed (restored): the ranking given, or the
    /// explanation's (ranking_by_weight).
    std::vector<int> ranking;
    /// K + 1 values (empty without random rankings): the mean over the random rankings of
    /// their curves, each linearly interpolated at `fraction` (a random ranking removes other
    /// areas at each step), to draw beside `score`.
    std::vector<double> random_score;
    /// The mean over the random rankings of each one's own AUC (over its own fractions): what a
    /// ranking that knows nothing scores on average. (The trapezoid of random_score over
    /// `fraction` is close to it, not equal: interpolation smooths.) NaN without random rankings.
    double random_auc = std::numeric_limits<double>::quiet_NaN();
    /// Standard deviation (n - 1) of the random rankings' AUCs; NaN with fewer than 2.
    double random_auc_stddev = std::numeric_limits<double>::quiet_NaN();
};

/// Area under the curve through (x[i], y[i]) by the trapezoid rule: sum over i of
/// (x[i+1] - x[i]) (y[i] + y[i+1]) / 2. `x` and `y`: the same size, at least 2, finite, x
/// non-decreasing. Throws pixlime::invalid_argument otherwise.
inline double area_under_curve(const std::vector<double>& x, const std::vector<double>& y) {
    if (x.size() != y.size()) throw invalid_argument("area_under_curve y size", y.size(), "the size of x, " + std::to_string(x.size()));
    if (x.size() < 2) throw invalid_argument("area_under_curve x size", x.size(), "at least 2 points");
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!std::isfinite(x[i])) throw invalid_argument("area_under_curve x[" + std::to_string(i) + "]", x[i], "a finite value");
        if (!std::isfinite(y[i])) throw invalid_argument("area_under_curve y[" + std::to_string(i) + "]", y[i], "a finite value");
        if (i > 0 && x[i] < x[i - 1])
            throw invalid_argument("area_under_curve x[" + std::to_string(i) + "]", x[i],
                                   "x non-decreasing (x[" + std::to_string(i - 1) + "] = " + detail::to_text(x[i - 1]) + ")");
    }
    double a = 0;
    for (std::size_t i = 0; i + 1 < x.size(); ++i) a += (x[i + 1] - x[i]) * (y[i] + y[i + 1]) / 2;
    return a;
}

/// The segments by weight, highest first (ties: lower segment first): the order in which
/// RISE's protocol removes them, most positive (most important for the label) first.
/// `weights`: #segments finite values, e.g. explanation::weights(label). Unlike
/// explanation::ranked (by |weight|), a strongly negative segment comes last.
inline std::vector<int> ranking_by_weight(const Eigen::VectorXd& weights) {
    if (!weights.allFinite()) throw invalid_argument("ranking_by_weight weights", "NaN or Inf", "finite values");
    std::vector<int> order(static_cast<std::size_t>(weights.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return weights[a] > weights[b]; });
    return order;
}

namespace detail {

/// Adds to `sum` (at.size() values) the piecewise linear curve through (x[i], y[i]) (x and y:
/// the same size, at least 2) at each of `at` (x and at increasing from 0 to 1).
inline void add_interpolated(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& at,
                             std::vector<double>& sum) {
    std::size_t j = 0;
    for (std::size_t i = 0; i < at.size(); ++i) {
        while (j + 2 < x.size() && x[j + 1] < at[i]) ++j;
        const double span = x[j + 1] - x[j];
        const double t = span > 0 ? std::clamp((at[i] - x[j]) / span, 0.0, 1.0) : 1.0;
        sum[i] += y[j] + t * (y[j + 1] - y[j]);
    }
}

/// Fractions of the image's pixels covered by the first j segments of `order` (K segments),
/// j = 0..K, from the segments' pixel counts `sizes` (K values): K + 1 values, 0 first, 1 last.
inline std::vector<double> area_fractions(const std::vector<std::int64_t>& sizes, const std::vector<int>& order) {
    std::vector<double> f(order.size() + 1, 0.0);
    std::int64_t total = 0, done = 0;
    for (std::int64_t n : sizes) total += n;
    for (std::size_t j = 0; j < order.size(); ++j) {
        done += sizes[std::size_t(order[j])];
        f[j + 1] = double(done) / double(total);
    }
    f.back() = 1.0;
    return f;
}

/// The curve of `orders[0]` (K values) with the random baseline of orders[1..R]: `scores[r]`
/// holds the classifier's K + 1 outputs along ranking r (for r >= 1 only steps 1..K-1 are read:
/// a random ranking's first and last images are the given one's); `sizes`: the K segments'
/// pixel counts.
inline faithfulness_curve curve_of(std::vector<std::vector<int>> orders, std::vector<std::vector<double>> scores,
                                   const std::vector<std::int64_t>& sizes) {
    const int r_count = int(orders.size()) - 1;
    faithfulness_curve c;
    c.fraction = area_fractions(sizes, orders[0]);
    c.score = std::move(scores[0]);
    c.auc = area_under_curve(c.fraction, c.score);
    if (r_count > 0) {
        c.random_score.assign(c.fraction.size(), 0.0);
        std::vector<double> aucs;
        for (int r = 1; r <= r_count; ++r) {
            std::vector<double>& y = scores[std::size_t(r)];
            y.front() = c.score.front();
            y.back() = c.score.back();
            const std::vector<double> x = area_fractions(sizes, orders[std::size_t(r)]);
            aucs.push_back(area_under_curve(x, y));
            add_interpolated(x, y, c.fraction, c.random_score);
        }
        for (double& v : c.random_score) v /= r_count;
        c.random_auc = std::accumulate(aucs.begin(), aucs.end(), 0.0) / r_count;
        if (r_count > 1) {
            double ss = 0;
            for (double a : aucs) ss += (a - c.random_auc) * (a - c.random_auc);
            c.random_auc_stddev = std::sqrt(ss / (r_count - 1));
        }
    }
    c.ranking = std::move(orders[0]);
    return c;
}

}  // namespace detail

}  // namespace pixlime
