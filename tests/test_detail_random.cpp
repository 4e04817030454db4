// Tests of pixlime/detail/random.hpp, splitmix64: the published reference outputs, below()'s
// range and rejection of the biased tail, symmetric_unit()'s range and resolution. Exact draws
// are forced by inverting the generator's output mix (it is a bijection of 64-bit words).
#include "support.hpp"

#include <pixlime/detail/random.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_random_test {

namespace d = pixlime::detail;

namespace {

constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;
constexpr std::uint64_t all_ones = std::numeric_limits<std::uint64_t>::max();

/// x such that x ^ (x >> s) == y.
std::uint64_t unshift(std::uint64_t y, int s) {
    std::uint64_t x = y;
    for (int i = 0; i < 64 / s + 1; ++i) x = y ^ (x >> s);
    return x;
}

/// The inverse of an odd c modulo 2^64 (Newton's iteration; each step doubles the good bits).
std::uint64_t inverse(std::uint64_t c) {
    std::uint64_t x = c;  // right to 3 bits: c * c = 1 mod 8 for odd c
    for (int i = 0; i < 6; ++i) x *= 2 - c * x;
    return x;
}

/// A generator whose next output is `out`: undoes splitmix64's mix (the steps of the paper's
/// mix64 in reverse), then steps the state back by the increment.
d::splitmix64 next_gives(std::uint64_t out) {
    std::uint64_t z = unshift(out, 31);
    z *= inverse(0x94D049BB133111EBull);
    z = unshift(z, 27);
    z *= inverse(0xBF58476D1CE4E5B9ull);
    z = unshift(z, 30);
    return d::splitmix64{z - golden_gamma};
}

}  // namespace

TEST_CASE("splitmix64: the reference outputs") {
    // Seed 1234567: Rosetta Code's "Pseudo-random numbers/Splitmix64" (from splitmix64.c).
    d::splitmix64 g{1234567};
    const std::uint64_t want[] = {6457827717110365317ull, 3203168211198807973ull, 9817491932198370423ull,
                                  4593380528125082431ull, 16408922859458223821ull};
    for (std::uint64_t w : want) CHECK(g() == w);
    // Seed 0: the first outputs of S. Vigna's splitmix64.c.
    d::splitmix64 zero{0};
    CHECK(zero() == 0xE220A8397B1DCDAFull);
    CHECK(zero() == 0x6E789E6AA1B965F4ull);
    CHECK(zero() == 0x06C45D188009454Full);
    // The state moves by the golden-ratio increment; a copy continues the same sequence.
    d::splitmix64 a{42};
    a();
    CHECK(a.state == 42 + golden_gamma);
    d::splitmix64 b = a;
    for (int i = 0; i < 100; ++i) CHECK(a() == b());
    // The helper used below really sets the next output.
    for (std::uint64_t out : {std::uint64_t(0), std::uint64_t(1), all_ones, std::uint64_t(1) << 63, std::uint64_t(6457827717110365317ull)}) {
        d::splitmix64 forced = next_gives(out);
        CHECK(forced() == out);
    }
}

TEST_CASE("splitmix64: below(bound) stays in [0, bound), reaches every value, and rejects the biased tail") {
    d::splitmix64 g{7};
    for (std::uint64_t bound : {std::uint64_t(1), std::uint64_t(2), std::uint64_t(3), std::uint64_t(7), std::uint64_t(1000),
                                (std::uint64_t(1) << 32) + 1, std::uint64_t(1) << 63, all_ones - 1, all_ones}) {
        CAPTURE(bound);
        bool inside = true;
        for (int i = 0; i < 2000; ++i) inside = inside && g.below(bound) < bound;
        CHECK(inside);
    }
    std::vector<int> seen(7, 0);
    for (int i = 0; i < 700; ++i) ++seen[std::size_t(g.below(7))];
    for (int s : seen) CHECK(s > 50);  // 100 expected each
    // bound = 3 * 2^62: a plain modulo would give [0, 2^62) half the time (those values come
    // from two words each); unbiased, it is a third.
    const std::uint64_t big = 3 * (std::uint64_t(1) << 62);
    int low = 0;
    const int draws = 3000;
    for (int i = 0; i < draws; ++i) low += g.below(big) < (std::uint64_t(1) << 62);
    CHECK(std::abs(double(low) / draws - 1.0 / 3.0) < 0.05);
    // A word in the biased tail is skipped: the next word is used. (For 3 * 2^62 the tail is
    // [3 * 2^62, 2^64); for 2^64 - 1 it is the single word 2^64 - 1.)
    for (std::uint64_t bound : {big, all_ones, std::uint64_t(10)}) {
        CAPTURE(bound);
        const std::uint64_t limit = all_ones - all_ones % bound;  // the tail: [limit, 2^64)
        // The first word is in the tail (the top one, or a little below it if then the second
        // word, which the state fixes, is in the tail too).
        bool tested = false;
        for (std::uint64_t k = 0; k < 64 && !tested && all_ones - k >= limit; ++k) {
            d::splitmix64 forced = next_gives(all_ones - k);
            d::splitmix64 copy = forced;
            copy();
            const std::uint64_t second = copy();
            if (second >= limit) continue;
            CHECK(forced.below(bound) == second % bound);
            tested = true;
        }
        CHECK(tested);
    }
    // A word just below the tail is kept.
    d::splitmix64 kept = next_gives(big - 1);
    CHECK(kept.below(big) == big - 1);
}

TEST_CASE("splitmix64: symmetric_unit is in [-1, 1) on a grid of 2^-52, from the top 53 bits") {
    CHECK(next_gives(0).symmetric_unit() == -1.0);
    CHECK(next_gives(all_ones).symmetric_unit() == 1.0 - std::ldexp(1.0, -52));
    CHECK(next_gives(std::uint64_t(1) << 63).symmetric_unit() == 0.0);
    CHECK(next_gives(2047).symmetric_unit() == -1.0);  // the low 11 bits are dropped
    CHECK(next_gives(2048).symmetric_unit() == -1.0 + std::ldexp(1.0, -52));
    d::splitmix64 g{123};
    double sum = 0, lo = 1, hi = -1;
    bool on_grid = true;
    const int n = 100000;
    for (int i = 0; i < n; ++i) {
        const double v = g.symmetric_unit();
        const double k = (v + 1.0) * std::ldexp(1.0, 52);
        on_grid = on_grid && v >= -1.0 && v < 1.0 && k == std::floor(k);
        sum += v;
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    CHECK(on_grid);
    CHECK(std::abs(sum / n) < 0.01);  // the standard error is 0.0018
    CHECK(lo < -0.999);
    CHECK(hi > 0.999);
}

}  // namespace pixlime_detail_random_test
