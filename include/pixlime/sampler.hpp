#pragma once
/// \file pixlime/sampler.hpp
/// The sampler stage: which segments each perturbed sample keeps (1) or hides (0).
///
/// A sampler draws a #samples by #segments matrix of 0/1 whose row 0 is all ones (the
/// unperturbed image, as in lime_image). explain_options::sampler takes a built-in
/// pixlime::sampling mode or any callable
/// `mask_matrix(int num_samples, int num_segments, std::uint64_t seed)`:
///
///     opt.sampler = pixlime::sampling::lime_compatible;             // lime_image's own masks
///     opt.sampler = [](int n, int k, std::uint64_t seed) { ... };   // any design
///
/// sampling::shapley's draws are KernelSHAP's, in shapley.hpp with the rest of it.

#include <pixlime/detail/names.hpp>
#include <pixlime/detail/random.hpp>
#include <pixlime/detail/stage.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/linear_model.hpp>
#include <pixlime/shapley.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <array>
#include <bitset>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// The built-in ways of drawing masks. Row 0 is all ones, as in lime_image; every mode but
/// sampling::shapley keeps each segment with probability 1/2, as lime_image does.
enum class sampling {
    /// Each segment is hidden in exactly half of samples 1..N-1 (one more or one less when N-1
    /// is odd), the rows where it is hidden chosen by a seeded shuffle, per segment
    /// independently: every segment is seen hidden and kept equally often, which lime's
    /// independent coin flips give only on average. This does not make the weights vary less
    /// from seed to seed: measured over 18 configurations x 30 seeds, it did not (weight error
    /// 0.044 against lime's 0.045 at 1000 samples; benchmarks/RESULTS.md, "Trust"); it was pixlime's
    /// default until sampling::orthogonal, and is what paired and orthogonal draw below
    /// paired_min_samples(K). Reproducible on every platform (pixlime's own generator code).
    balanced,
    /// Bitwise the masks of lime_image with `random_seed=seed`: numpy's legacy
    /// `RandomState(seed).randint(0, 2, (N, K))` is the low bit of successive std::mt19937(seed)
    /// outputs taken row by row; then row 0 is set to ones. seed must fit in 32 bits.
    lime_compatible,
    /// Independent fair coin flips per sample and segment (lime's distribution, pixlime's
    /// generator).
    bernoulli,
    /// Antithetic pairs: rows 1, 2 are a fair coin-flip mask z and its complement 1 - z, rows
    /// 3, 4 the next pair, and so on (an odd last row is a fresh draw). Every row is still
    /// distributed as lime's, so the explanation estimates the same weights; but within a pair
    /// every even-order interaction of the segments cancels out of the fit (Kahn and Marshall
    /// 1953, antithetic variates; the foldover of a two-level design, Box and Wilson 1951).
    /// With fewer than paired_min_samples(K) = 2K + 1 samples (K segments) the pairs leave too
    /// few independent directions for the K weights and the draws are sampling::balanced's
    /// instead. Measured (benchmarks/RESULTS.md, "Trust", 18 configurations x 30 seeds, 1000
    /// samples): weight error 0.022 against balanced's 0.044 and lime's 0.045; 95% coverage 0.91
    /// (the standard errors count a pair as one draw: tests/test_trust.cpp). Not the default:
    /// sampling::orthogonal measured better.
    paired,
    /// KernelSHAP's draws (Lundberg and Lee 2017), for pixlime::shapley_kernel: each row keeps
    /// s of the K segments with P(s) proportional to 1 / (s (K - s)), 0 < s < K, the kept ones
    /// uniform given s, so that a mask's probability is proportional to its Shapley kernel
    /// weight and explain weighs these rows equally (importance weights of 1: far less spread
    /// than the kernel's weights on lime's draws, where a single kept segment is rare and
    /// weighs hundreds of times more). In antithetic pairs, z and 1 - z (P(s) = P(K - s);
    /// Covert and Lee 2021, "Improving KernelSHAP") from paired_min_samples(K) samples on;
    /// below that, unpaired draws. With one segment, fair coin flips.
    shapley,
    /// pixlime's default. Antithetic pairs on an orthogonal design: the pairs' first rows are distinct rows of a
    /// Sylvester Hadamard matrix (H[r][c] = parity of r AND c; Sylvester 1867) of order m, the
    /// smallest power of two >= max(#pairs, K + 1), in random order, over K random columns other
    /// than the constant one, each with a random sign; each row is followed by its complement
    /// (the foldover, Box and Wilson 1951). With all m rows (2m + 1 samples) every segment is
    /// kept in exactly half the rows and any two segments' columns are orthogonal (a two-level
    /// orthogonal array, Plackett and Burman 1946), so no segment's effect is confounded with
    /// another's or, through the pairs, with any two-segment interaction; a random subset of the
    /// rows (any other count, or a prefix) is nearly so. Every row is still a fair coin flip per
    /// segment (a random sign makes each column's bit uniform). Below paired_min_samples(K), and
    /// for an odd last row, as sampling::paired. Measured (benchmarks/RESULTS.md, "Trust", 18
    /// configurations x 30 seeds, 1000 samples): weight error 0.018 against paired's 0.022 and
    /// lime's 0.045, calibrated intervals (coverage 0.925), pooled top-5 Jaccard between seeds
    /// 0.969 against lime's 0.915, lime's 1000-sample accuracy from 500 samples, and the
    /// adaptive stop at 0.95 after a median 263 model calls against 591 with sampling::balanced
    /// (re-measured after issue 24's changes, "Calibration on configurations nobody tuned for"):
    /// the least error and the fewest model calls of the designs measured, hence the default.
    /// The standard errors know the design: the part of the residuals linear in the masks, which
    /// a complete array cancels, is charged only for the share of the array not drawn
    /// (detail::orthogonal_share). With the adaptive stop on, explain draws consecutive complete
    /// arrays of the smallest order that holds K + 1 columns (detail::orthogonal_block_masks)
    /// rather than one of the cap's order, so that its rounds see complete arrays. Bitwise
    /// lime's masks are sampling::lime_compatible.
    orthogonal,
};

/// Fewest samples (with row 0) at which sampling::paired draws pairs: 2 x #segments + 1.
/// Below it the pairs span too few independent directions for K weights (each pair, centred,
/// is one direction, x and -x).
inline constexpr std::int64_t paired_min_samples(std::int64_t num_segments) { return 2 * num_segments + 1; }

namespace detail {
/// The smallest power of two >= `x`.
inline constexpr std::int64_t power_of_two_at_least(std::int64_t x) {
    std::int64_t p = 1;
    while (p < x) p *= 2;
    return p;
}
}  // namespace detail

/// The order m of sampling::orthogonal's Hadamard matrix for `num_samples` samples of
/// `num_segments` segments: the smallest power of two >= max(#pairs, K + 1), #pairs =
/// (num_samples - 1) / 2; 0 below paired_min_samples(K), where the draws are balanced ones.
inline constexpr std::int64_t orthogonal_order(std::int64_t num_samples, std::int64_t num_segments) {
    if (num_samples < paired_min_samples(num_segments)) return 0;
    return detail::power_of_two_at_least(std::max<std::int64_t>((num_samples - 1) / 2, num_segments + 1));
}

namespace detail {

/// Pairs first_pair .. first_pair + pairs - 1 of sampling::orthogonal's design (rows 1 + 2p and
/// 2 + 2p of `m`, #samples by K) from one random Hadamard array of `order` (>= pairs, >= K + 1,
/// a power of two): K random columns other than the constant one, each with a random sign, and
/// `pairs` of its rows in random order, each row followed by its complement; drawn from `gen`.
inline void orthogonal_pairs(mask_matrix& m, std::int64_t first_pair, std::int64_t pairs, std::int64_t order, splitmix64& gen) {
    const std::int64_t k = m.cols();
    std::vector<std::uint64_t> cols(static_cast<std::size_t>(order) - 1);  // every column but the constant 0
    for (std::size_t i = 0; i < cols.size(); ++i) cols[i] = i + 1;
    for (std::size_t c = 0; c < std::size_t(k); ++c)  // partial Fisher-Yates: the first K are a random K-subset
        std::swap(cols[c], cols[c + std::size_t(gen.below(std::uint64_t(cols.size() - c)))]);
    std::vector<std::uint8_t> sign(static_cast<std::size_t>(k));
    for (auto& b : sign) b = static_cast<std::uint8_t>(gen() >> 63);
    std::vector<std::uint64_t> rows(static_cast<std::size_t>(order));
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
    for (std::size_t r = 0; r < std::size_t(pairs); ++r)
        std::swap(rows[r], rows[r + std::size_t(gen.below(std::uint64_t(rows.size() - r)))]);
    for (std::int64_t p = 0; p < pairs; ++p)
        for (std::int64_t c = 0; c < k; ++c) {
            const std::uint64_t both = rows[std::size_t(p)] & cols[std::size_t(c)];
            const auto bit = static_cast<std::uint8_t>((std::bitset<64>(both).count() & 1u) ^ sign[std::size_t(c)]);
            m(Eigen::Index(1 + 2 * (first_pair + p)), Eigen::Index(c)) = bit;
            m(Eigen::Index(2 + 2 * (first_pair + p)), Eigen::Index(c)) = static_cast<std::uint8_t>(1 - bit);
        }
}

/// The smallest Hadamard order that holds K + 1 columns for `num_segments` K: the order of each
/// block of orthogonal_block_masks.
inline constexpr std::int64_t orthogonal_block_order(std::int64_t num_segments) { return power_of_two_at_least(num_segments + 1); }

/// sampling::orthogonal's draws as explain's adaptive stop takes them (`num_samples` >=
/// paired_min_samples(K), the cap): consecutive blocks of orthogonal_block_order(K) pairs, each a
/// complete Hadamard array of its own (its own columns, signs and row order), the last one
/// possibly partial, and a fresh coin-flip row when num_samples - 1 is odd. A round that ends on
/// a block's end has drawn only complete arrays, whose columns are exactly orthogonal; one big
/// array of the cap's order would be a small random share of itself after the first rounds.
/// Row 0 is all ones.
inline mask_matrix orthogonal_block_masks(int num_samples, int num_segments, std::uint64_t seed) {
    mask_matrix m(num_samples, num_segments);
    m.row(0).setOnes();
    splitmix64 gen{seed ^ 0x0A7A0F01D0ull};
    const std::int64_t pairs = (std::int64_t(num_samples) - 1) / 2, order = orthogonal_block_order(num_segments);
    for (std::int64_t first = 0; first < pairs; first += order) orthogonal_pairs(m, first, std::min(order, pairs - first), order, gen);
    if ((num_samples - 1) % 2)
        for (int c = 0; c < num_segments; ++c) m(num_samples - 1, c) = static_cast<std::uint8_t>(gen() >> 63);
    return m;
}

}  // namespace detail

/// "balanced", "lime_compatible", "bernoulli", "paired", "shapley" or "orthogonal".
inline std::string to_string(sampling mode) {
    switch (mode) {
        case sampling::balanced: return "balanced";
        case sampling::lime_compatible: return "lime_compatible";
        case sampling::bernoulli: return "bernoulli";
        case sampling::paired: return "paired";
        case sampling::shapley: return "shapley";
        case sampling::orthogonal: return "orthogonal";
    }
    return "sampling(" + std::to_string(int(mode)) + ")";
}

/// Every sampling mode, in declaration order: what parse_sampling accepts (by to_string name).
inline constexpr std::array<sampling, 6> sampling_modes = {sampling::balanced, sampling::lime_compatible, sampling::bernoulli,
                                                           sampling::paired,   sampling::shapley,         sampling::orthogonal};

/// The mode whose to_string is `name` ("orthogonal" -> sampling::orthogonal): the one parser
/// of sampler names, for Python's sampler= and the command lines. Throws
/// pixlime::invalid_argument naming `parameter` (the caller's name for it, e.g. "sampler"),
/// `name` and every accepted name.
inline sampling parse_sampling(std::string_view name, const std::string& parameter = "parse_sampling name") {
    return detail::parse_name(name, sampling_modes, parameter);
}

/// Draws the #samples by #segments mask matrix of `mode` from `seed`; row 0 is all ones.
/// Throws pixlime::invalid_argument when num_samples < 1, num_segments < 1, `mode` is not a
/// sampling value, or, with lime_compatible, seed does not fit in 32 bits (numpy's RandomState
/// limit); pixlime::size_limit_error over `lim` (max_samples, max_segments, and the matrix's
/// bytes against max_explanation_bytes), before allocating.
inline mask_matrix sample_masks(sampling mode, int num_samples, int num_segments, std::uint64_t seed,
                                const limits& lim = {}) {
    if (num_samples < 1) throw invalid_argument("sample_masks num_samples", num_samples, "at least 1");
    if (num_segments < 1) throw invalid_argument("sample_masks num_segments", num_segments, "at least 1");
    if (num_samples > lim.max_samples)
        throw size_limit_error("sample_masks num_samples", num_samples, "at most limits.max_samples = " + std::to_string(lim.max_samples));
    if (num_segments > lim.max_segments)
        throw size_limit_error("sample_masks num_segments", num_segments,
                               "at most limits.max_segments = " + std::to_string(lim.max_segments));
    if (std::int64_t(num_samples) * num_segments > lim.max_explanation_bytes)
        throw size_limit_error("sample_masks num_samples x num_segments",
                               std::to_string(num_samples) + " x " + std::to_string(num_segments),
                               "at most limits.max_explanation_bytes = " + std::to_string(lim.max_explanation_bytes) + " bytes");
    if (mode != sampling::balanced && mode != sampling::lime_compatible && mode != sampling::bernoulli && mode != sampling::paired &&
        mode != sampling::shapley && mode != sampling::orthogonal)
        throw invalid_argument("sample_masks mode", int(mode), "a pixlime::sampling value");
    if (mode == sampling::lime_compatible && seed > std::numeric_limits<std::uint32_t>::max())
        throw invalid_argument("sample_masks seed", seed,
                               "at most 2^32-1 with sampling::lime_compatible (numpy RandomState seeds are 32-bit)");
    mask_matrix m(num_samples, num_segments);
    if ((mode == sampling::paired || mode == sampling::orthogonal) && num_samples < paired_min_samples(num_segments))
        mode = sampling::balanced;
    switch (mode) {
        case sampling::lime_compatible: {
            std::mt19937 gen(static_cast<std::uint32_t>(seed));
            for (int i = 0; i < num_samples; ++i)
                for (int k = 0; k < num_segments; ++k) m(i, k) = static_cast<std::uint8_t>(gen() & 1u);
            break;
        }
        case sampling::bernoulli: {
            detail::splitmix64 gen{seed};
            for (int i = 0; i < num_samples; ++i)
                for (int k = 0; k < num_segments; ++k) m(i, k) = static_cast<std::uint8_t>(gen() >> 63);
            break;
        }
        case sampling::paired: {
            detail::splitmix64 gen{seed ^ 0xA17E5EEDull};
            for (int i = 1; i < num_samples; ++i) {
                const bool second = i % 2 == 0;
                for (int k = 0; k < num_segments; ++k)
                    m(i, k) = second ? std::uint8_t(1 - m(i - 1, k)) : static_cast<std::uint8_t>(gen() >> 63);
            }
            break;
        }
        case sampling::shapley:  // shapley.hpp
            detail::shapley_masks(m, seed, num_samples >= paired_min_samples(num_segments));
            break;
        case sampling::orthogonal: {
            detail::splitmix64 gen{seed ^ 0x0A7A0F01D0ull};
            const std::int64_t pairs = (std::int64_t(num_samples) - 1) / 2;
            detail::orthogonal_pairs(m, 0, pairs, orthogonal_order(num_samples, num_segments), gen);
            if ((num_samples - 1) % 2)
                for (int c = 0; c < num_segments; ++c) m(num_samples - 1, c) = static_cast<std::uint8_t>(gen() >> 63);
            break;
        }
        case sampling::balanced: {
            detail::splitmix64 gen{seed ^ 0x5EEDBA1A9CEDull};
            const int n = num_samples - 1;  // rows 1..N-1 are perturbed
            Eigen::Matrix<std::uint8_t, Eigen::Dynamic, 1> column(n);
            for (int k = 0; k < num_segments; ++k) {
                // Half kept, half hidden; with an odd count, alternate which side gets the extra one.
                const int ones = n / 2 + ((n % 2) ? (k % 2) : 0);
                for (int i = 0; i < n; ++i) column[i] = i < ones ? 1 : 0;
                for (int i = n - 1; i > 0; --i)
                    std::swap(column[i], column[Eigen::Index(gen.below(std::uint64_t(i) + 1))]);
                for (int i = 0; i < n; ++i) m(i + 1, k) = column[i];
            }
            break;
        }
    }
    m.row(0).setOnes();
    return m;
}

/// The sampler stage of pixlime::explain: a built-in sampling mode (default
/// sampling::orthogonal) or any callable `mask_matrix(int num_samples, int num_segments,
/// std::uint64_t seed)` returning #samples by #segments values of 0 or 1 with row 0 all ones
/// (explain checks the result). A detail::stage (see detail/stage.hpp): is_builtin(),
/// builtin<sampling>(), name(); and mode(), is(), the typed query of the mode.
class sampler : public detail::stage<std::function<mask_matrix(int, int, std::uint64_t)>, sampling> {
public:
    /// The type a custom callable is stored as.
    using function = std::function<mask_matrix(int, int, std::uint64_t)>;

    /// A built-in mode (pixlime's default: sampling::orthogonal), named to_string(mode).
    sampler(sampling mode = sampling::orthogonal) : stage(mode, to_string(mode)) {}  // NOLINT(google-explicit-constructor)
    /// Any callable with the sampler signature, named `name`.
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, sampler> &&
                                                !std::is_same_v<std::decay_t<F>, sampling> &&
                                                std::is_invocable_r_v<mask_matrix, F&, int, int, std::uint64_t>>>
    sampler(F f, std::string name = "custom")  // NOLINT(google-explicit-constructor)
        : stage(function(std::move(f)), std::move(name)) {}

    /// Draws the #samples by #segments masks (built-in modes: sample_masks with `lim`, whose
    /// errors it throws; a callable: its result, unchecked).
    mask_matrix operator()(int num_samples, int num_segments, std::uint64_t seed, const limits& lim = {}) const {
        if (const sampling* m = builtin<sampling>()) return sample_masks(*m, num_samples, num_segments, seed, lim);
        return custom()(num_samples, num_segments, seed);
    }
    /// The built-in mode, or nothing for a callable.
    std::optional<sampling> mode() const {
        if (const sampling* m = builtin<sampling>()) return *m;
        return std::nullopt;
    }
    /// True when the sampler is the built-in mode `m` (a callable is no mode, whatever its name).
    bool is(sampling m) const { return mode() == m; }
};

}  // namespace pixlime
