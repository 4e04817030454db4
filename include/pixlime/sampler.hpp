#pragma once
/// \file pixlime/sampler.hpp
/// Perturbation samplers: which segments each perturbed sample keeps (1) or hides (0).
///
/// A sampler is any callable `mask_matrix(int num_samples, int num_segments, std::uint64_t seed)`
/// returning a #samples by #segments matrix of 0/1 whose row 0 is all ones (the unperturbed
/// image, as in lime_image). pixlime::sample_masks implements the built-in ones.

#include <pixlime/error.hpp>

#include <Eigen/Core>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>

namespace pixlime {

/// #samples by #segments, 1 = segment kept, 0 = segment hidden. Row-major: row i is sample i.
using mask_matrix = Eigen::Matrix<std::uint8_t, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// How perturbation masks are drawn. Every mode keeps each segment with probability 1/2 and
/// sets row 0 to all ones, as lime_image does.
enum class sampling {
    /// pixlime's default. Each segment is hidden in exactly half of samples 1..N-1 (one more or
    /// one less when N-1 is odd), the rows where it is hidden chosen by a seeded shuffle, per
    /// segment independently. Every segment is thus seen hidden and kept equally often, which
    /// lime's independent coin flips only give on average; the fitted weights and their ranking
    /// vary less from seed to seed. Reproducible on every platform (pixlime's own generator code).
    balanced,
    /// Bitwise the masks of lime_image with `random_state=seed`: numpy's legacy
    /// `RandomState(seed).randint(0, 2, (N, K))` is the low bit of successive std::mt19937(seed)
    /// outputs taken row by row; then row 0 is set to ones. seed must fit in 32 bits.
    lime_compatible,
    /// Independent fair coin flips per sample and segment (lime's distribution, pixlime's generator).
    bernoulli,
};

namespace detail {
/// splitmix64 (Steele, Lea, Flood 2014): a small, well-mixed 64-bit generator whose output is the
/// same on every platform, unlike std::uniform_int_distribution.
struct splitmix64 {
    std::uint64_t state;
    std::uint64_t operator()() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, bound) without modulo bias (rejection of the biased tail).
    std::uint64_t below(std::uint64_t bound) {
        const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                    std::numeric_limits<std::uint64_t>::max() % bound;
        std::uint64_t r;
        do r = (*this)(); while (r >= limit);
        return r % bound;
    }
};
}  // namespace detail

/// Draws the #samples by #segments mask matrix for `mode` from `seed`. Row 0 is all ones.
/// Throws pixlime::invalid_argument when num_samples < 1, num_segments < 1, or, in
/// lime_compatible mode, seed does not fit in 32 bits (numpy's RandomState limit).
inline mask_matrix sample_masks(sampling mode, int num_samples, int num_segments, std::uint64_t seed) {
    if (num_samples < 1) throw invalid_argument::make("sample_masks num_samples", num_samples, "at least 1");
    if (num_segments < 1) throw invalid_argument::make("sample_masks num_segments", num_segments, "at least 1");
    mask_matrix m(num_samples, num_segments);
    switch (mode) {
        case sampling::lime_compatible: {
            if (seed > std::numeric_limits<std::uint32_t>::max())
                throw invalid_argument::make("explain_options.seed", seed,
                                             "at most 2^32-1 with sampling::lime_compatible (numpy RandomState seeds are 32-bit)");
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
        case sampling::balanced: {
            detail::splitmix64 gen{seed ^ 0x5EEDBA1A9CEDull};
            const int n = num_samples - 1;  // rows 1..N-1 are perturbed
            Eigen::Matrix<std::uint8_t, Eigen::Dynamic, 1> column(n);
            for (int k = 0; k < num_segments; ++k) {
                // Half kept, half hidden; with an odd count, alternate which side gets the extra one.
                const int ones = n / 2 + ((n % 2) ? (k % 2) : 0);
                for (int i = 0; i < n; ++i) column[i] = i < ones ? 1 : 0;
                for (int i = n - 1; i > 0; --i) std::swap(column[i], column[Eigen::Index(gen.below(std::uint64_t(i) + 1))]);
                for (int i = 0; i < n; ++i) m(i + 1, k) = column[i];
            }
            break;
        }
        default:
            throw invalid_argument::make("explain_options.sampling", static_cast<int>(mode), "a pixlime::sampling value");
    }
    m.row(0).setOnes();
    return m;
}

/// The built-in samplers as a callable, for use where a sampler is a template parameter.
struct builtin_sampler {
    sampling mode = sampling::balanced;
    mask_matrix operator()(int num_samples, int num_segments, std::uint64_t seed) const {
        return sample_masks(mode, num_samples, num_segments, seed);
    }
};

}  // namespace pixlime
