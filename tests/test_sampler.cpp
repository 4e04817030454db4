// Tests of sampler.hpp: the built-in mask designs and the sampler stage.
#include "support.hpp"

#include <limits>

TEST_CASE("balanced sampling hides every segment in exactly half of the perturbed samples") {
    for (int n : {2, 3, 100, 101}) {
        const auto m = pixlime::sample_masks(pixlime::sampling::balanced, n, 13, 42);
        CHECK(m.row(0).cast<int>().sum() == 13);
        for (int k = 0; k < 13; ++k) {
            const int ones = m.col(k).tail(n - 1).cast<int>().sum();
            CHECK(std::abs(2 * ones - (n - 1)) <= 1);
        }
    }
    // Columns are shuffled independently, not copies of each other.
    const auto m = pixlime::sample_masks(pixlime::sampling::balanced, 200, 4, 42);
    CHECK(m.col(0) != m.col(2));
}

TEST_CASE("lime-compatible masks are the low bits of std::mt19937, row 0 all ones") {
    const auto m = pixlime::sample_masks(pixlime::sampling::lime_compatible, 50, 64, 3);
    std::mt19937 gen(3);
    for (int i = 0; i < 50; ++i)
        for (int k = 0; k < 64; ++k) {
            const auto bit = std::uint8_t(gen() & 1u);
            CHECK(m(i, k) == (i == 0 ? 1 : bit));
        }
}

TEST_CASE("bernoulli masks are fair coin flips, and every mode depends on the seed only") {
    const auto m = pixlime::sample_masks(pixlime::sampling::bernoulli, 2001, 10, 9);
    const double share = m.bottomRows(2000).cast<double>().mean();
    CHECK(share > 0.47);  // 20000 flips: the standard deviation of the share is 0.0035
    CHECK(share < 0.53);
    for (auto mode : {pixlime::sampling::balanced, pixlime::sampling::lime_compatible, pixlime::sampling::bernoulli}) {
        CHECK(pixlime::sample_masks(mode, 30, 7, 5) == pixlime::sample_masks(mode, 30, 7, 5));
        CHECK(pixlime::sample_masks(mode, 30, 7, 5) != pixlime::sample_masks(mode, 30, 7, 6));
        CHECK(pixlime::sampler(mode).name() == pixlime::to_string(mode));
        CHECK(pixlime::sampler(mode)(30, 7, 5) == pixlime::sample_masks(mode, 30, 7, 5));
    }
}

TEST_CASE("sample_masks refuses bad sizes, seeds and modes before allocating") {
    using pixlime::sampling;
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::sample_masks(sampling::balanced, 0, 3, 1); }).parameter() ==
          "sample_masks num_samples");
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::sample_masks(sampling::balanced, 3, 0, 1); }).parameter() ==
          "sample_masks num_segments");
    auto e = test::error_of<pixlime::invalid_argument>([] { pixlime::sample_masks(sampling::lime_compatible, 3, 3, 1ull << 40); });
    CHECK(e.parameter() == "sample_masks seed");
    CHECK(e.value() == "1099511627776");
    CHECK(pixlime::sample_masks(sampling::bernoulli, 3, 3, 1ull << 40).rows() == 3);  // other modes take 64-bit seeds
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::sample_masks(sampling(7), 3, 3, 1); }).parameter() ==
          "sample_masks mode");
    // INT_MAX samples of 16 segments would be a 32 GiB matrix.
    CHECK(test::error_of<pixlime::size_limit_error>([] {
              pixlime::sample_masks(sampling::bernoulli, std::numeric_limits<int>::max(), 16, 1);
          }).parameter() == "sample_masks num_samples");
    pixlime::limits lim;
    lim.max_explanation_bytes = 99;
    CHECK(test::error_of<pixlime::size_limit_error>([&] { pixlime::sample_masks(sampling::bernoulli, 10, 10, 1, lim); })
              .parameter() == "sample_masks num_samples x num_segments");
}

TEST_CASE("a sampler stage holds a mode or any callable") {
    pixlime::sampler s = pixlime::sampling::lime_compatible;
    CHECK(s.is_builtin());
    CHECK(s.name() == "lime_compatible");
    int calls = 0;
    s = pixlime::sampler([&](int n, int k, std::uint64_t seed) {
        ++calls;
        return pixlime::mask_matrix::Constant(n, k, std::uint8_t(seed % 2)).eval();
    }, "constant");
    CHECK(!s.is_builtin());
    CHECK(s.name() == "constant");
    CHECK(s(4, 2, 3)(3, 1) == 1);
    CHECK(calls == 1);
}
