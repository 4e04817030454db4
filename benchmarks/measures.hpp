#pragma once
// What bench_trust and bench_calibration measure alike: top-k sets and their Jaccard (pixlime's own,
// from statistics.hpp, so that the measured agreement is the quantity stability() estimates), the
// mean over pairs of reruns, medians, and comma-separated flag values.
#include <pixlime/statistics.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace bench {

/// The k largest |w| as a sorted index set.
inline std::vector<int> top_set(const Eigen::VectorXd& w, int k) { return pixlime::detail::top_set(w, k); }

/// The mean top-k Jaccard over every pair of `sets` (1 with fewer than two).
inline double mean_pairwise_jaccard(const std::vector<std::vector<int>>& sets) {
    double sum = 0;
    int pairs = 0;
    for (std::size_t i = 0; i < sets.size(); ++i)
        for (std::size_t j = i + 1; j < sets.size(); ++j) sum += pixlime::detail::jaccard(sets[i], sets[j]), ++pairs;
    return pairs ? sum / pairs : 1.0;
}

/// The median (NaN when empty).
inline double median(std::vector<double> v) {
    if (v.empty()) return std::nan("");
    std::sort(v.begin(), v.end());
    const std::size_t h = v.size() / 2;
    return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

/// "a,b,,c" -> {"a", "b", "c"}.
inline std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, ',');)
        if (!part.empty()) out.push_back(part);
    return out;
}

/// "100,300" -> {100, 300}.
inline std::vector<int> split_ints(const std::string& s) {
    std::vector<int> out;
    for (const auto& p : split(s)) out.push_back(std::atoi(p.c_str()));
    return out;
}

}  // namespace bench
