#pragma once
/// \file pixlime/detail/random.hpp
/// splitmix64 (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number generators",
/// OOPSLA 2014): a small, well-mixed 64-bit generator whose output is the same on every
/// platform, unlike the std:: distributions. Implementation detail of pixlime: may change
/// without notice.

#include <cstdint>
#include <limits>

namespace pixlime {
namespace detail {

struct splitmix64 {
    std::uint64_t state;

    std::uint64_t operator()() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, bound) without modulo bias (rejection of the biased tail); bound >= 1.
    std::uint64_t below(std::uint64_t bound) {
        const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                    std::numeric_limits<std::uint64_t>::max() % bound;
        std::uint64_t r;
        do r = (*this)(); while (r >= limit);
        return r % bound;
    }
    /// Uniform in [-1, 1), 53 random bits.
    double symmetric_unit() { return double((*this)() >> 11) * (2.0 / 9007199254740992.0) - 1.0; }
};

}  // namespace detail
}  // namespace pixlime
