#pragma once
/// \file pixlime/linear_model.hpp
/// The two values pixlime's stages hand each other: the perturbed samples as 0/1 masks over the
/// segments (mask_matrix, the design X of the local linear model: the sampler makes it, the
/// kernel weighs its rows, the surrogate fits on it) and the fitted model of one label
/// (linear_fit), with its segments ranked by importance (ranked).

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace pixlime {

/// #samples by #segments, 1 = segment kept, 0 = segment hidden. Row-major: row i is sample i.
using mask_matrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// A linear model of one label's output over the segment indicators.
struct linear_fit {
    Eigen::VectorXd weights;        ///< #segments coefficients: effect of keeping each segment
    double intercept = 0;           ///< the model's value with every segment hidden
    double score = 0;               ///< weighted R² on the samples (scikit-learn's Ridge.score)
    double local_prediction = 0;    ///< the model at the all-ones row (the unperturbed image)
};

/// (segment, weight) pairs by |weight| descending, equal |weight| in segment order (lime's
/// local_exp order). `weights`: #segments values. Returns #segments pairs.
inline std::vector<std::pair<int, double>> ranked(const Eigen::VectorXd& weights) {
    std::vector<std::pair<int, double>> r;
    r.reserve(std::size_t(weights.size()));
    for (Eigen::Index k = 0; k < weights.size(); ++k) r.emplace_back(int(k), weights[k]);
    std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return std::abs(a.second) > std::abs(b.second); });
    return r;
}

namespace detail {

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

}  // namespace detail

}  // namespace pixlime
