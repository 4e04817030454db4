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

TEST_CASE("orthogonal masks: complementary pairs on a Hadamard design, balanced and orthogonal columns") {
    using pixlime::sampling;
    // 2 x 16 + 1 samples, 11 segments: the pairs use all 16 rows of the order-16 design.
    const int k = 11, n = 33;
    const auto m = pixlime::sample_masks(sampling::orthogonal, n, k, 4);
    CHECK(m.row(0).isOnes());
    CHECK((m.array() <= 1).all());
    for (int i = 1; i + 1 < n; i += 2) CHECK(((m.row(i).array() + m.row(i + 1).array()) == 1).all());
    // The pairs' first rows as +-1: every column sums to 0, any two are orthogonal.
    const Eigen::MatrixXd h = 2.0 * m.bottomRows(n - 1).cast<double>()(Eigen::seq(0, n - 2, 2), Eigen::all).array() - 1.0;
    REQUIRE(h.rows() == 16);
    const Eigen::MatrixXd gram = h.transpose() * h;
    CHECK((gram - 16.0 * Eigen::MatrixXd::Identity(k, k)).cwiseAbs().maxCoeff() == 0);
    CHECK(h.colwise().sum().cwiseAbs().maxCoeff() == 0);
    // Random columns: lime's coin flips on average, different per seed.
    const auto big = pixlime::sample_masks(sampling::orthogonal, 4001, 30, 5);
    const double share = big.bottomRows(4000).cast<double>().mean();
    CHECK(share == 0.5);  // pairs
    const Eigen::MatrixXd first = 2.0 * big.bottomRows(4000).cast<double>()(Eigen::seq(0, 3999, 2), Eigen::all).array() - 1.0;
    const Eigen::MatrixXd g = first.transpose() * first / 2000.0;
    // 2000 of the 2048 rows of an orthogonal array: the 48 left out bound every off-diagonal
    // correlation by 48 / 2000 = 0.024 (independent coin flips: about 0.07 for the largest of 435).
    CHECK((g - Eigen::MatrixXd::Identity(30, 30)).cwiseAbs().maxCoeff() <= 48.0 / 2000.0);
    const auto flips = pixlime::sample_masks(sampling::bernoulli, 2001, 30, 5);
    const Eigen::MatrixXd f = 2.0 * flips.bottomRows(2000).cast<double>().array() - 1.0;
    CHECK((f.transpose() * f / 2000.0 - Eigen::MatrixXd::Identity(30, 30)).cwiseAbs().maxCoeff() > 48.0 / 2000.0);
    CHECK(pixlime::sample_masks(sampling::orthogonal, 101, 7, 5) == pixlime::sample_masks(sampling::orthogonal, 101, 7, 5));
    CHECK(pixlime::sample_masks(sampling::orthogonal, 101, 7, 5) != pixlime::sample_masks(sampling::orthogonal, 101, 7, 6));
    // Below 2K + 1 samples, balanced's masks; an odd last row is a fresh draw.
    CHECK(pixlime::sample_masks(sampling::orthogonal, 20, 10, 3) == pixlime::sample_masks(sampling::balanced, 20, 10, 3));
    CHECK(pixlime::sample_masks(sampling::orthogonal, 34, k, 4).rows() == 34);
    CHECK(pixlime::to_string(sampling::orthogonal) == "orthogonal");
    CHECK(pixlime::sampler(sampling::orthogonal).name() == "orthogonal");
}

TEST_CASE("the adaptive stop's orthogonal draws: consecutive complete arrays, each exactly orthogonal") {
    // 11 segments: arrays of order 16; 2 x 40 + 2 samples = 40 pairs (two complete arrays and 8
    // pairs of a third) and a fresh odd row.
    const int k = 11, n = 82;
    REQUIRE(pixlime::detail::orthogonal_block_order(k) == 16);
    REQUIRE(pixlime::detail::orthogonal_block_order(15) == 16);
    REQUIRE(pixlime::detail::orthogonal_block_order(16) == 32);
    const auto m = pixlime::detail::orthogonal_block_masks(n, k, 9);
    CHECK(m.row(0).isOnes());
    CHECK((m.array() <= 1).all());
    for (int i = 1; i + 1 < n; i += 2) CHECK(((m.row(i).array() + m.row(i + 1).array()) == 1).all());
    const Eigen::MatrixXd first = 2.0 * m.middleRows(1, 80).cast<double>()(Eigen::seq(0, 79, 2), Eigen::all).array() - 1.0;
    for (int b = 0; b < 2; ++b) {  // each complete array: balanced, orthogonal columns
        const Eigen::MatrixXd h = first.middleRows(16 * b, 16);
        CHECK((h.transpose() * h - 16.0 * Eigen::MatrixXd::Identity(k, k)).cwiseAbs().maxCoeff() == 0);
        CHECK(h.colwise().sum().cwiseAbs().maxCoeff() == 0);
    }
    // Arrays of their own: the second is not the first again.
    CHECK(first.topRows(16) != first.middleRows(16, 16));
    CHECK(pixlime::detail::orthogonal_block_masks(n, k, 9) == m);
    CHECK(pixlime::detail::orthogonal_block_masks(n, k, 10) != m);
    // Up to one array, the same draws as sample_masks gives that count.
    CHECK(pixlime::detail::orthogonal_block_masks(33, k, 4) == pixlime::sample_masks(pixlime::sampling::orthogonal, 33, k, 4));
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

TEST_CASE("sampling names: parse_sampling reads back every to_string, a bad name lists the accepted ones") {
    // Every enumerator, listed here and not taken from the header, so that a value added to the
    // enum without a name (or left out of sampling_modes) fails below.
    const std::vector<pixlime::sampling> every = {pixlime::sampling::balanced, pixlime::sampling::lime_compatible,
                                                  pixlime::sampling::bernoulli, pixlime::sampling::paired,
                                                  pixlime::sampling::shapley,  pixlime::sampling::orthogonal};
    CHECK(std::vector<pixlime::sampling>(pixlime::sampling_modes.begin(), pixlime::sampling_modes.end()) == every);
    for (const pixlime::sampling mode : every) {
        CAPTURE(pixlime::to_string(mode));
        CHECK(pixlime::parse_sampling(pixlime::to_string(mode)) == mode);
        // The name a sampler built from the mode reports is the same one.
        CHECK(pixlime::sampler(mode).name() == pixlime::to_string(mode));
    }
    const auto e = test::error_of<pixlime::invalid_argument>([] { (void)pixlime::parse_sampling("Orthogonal", "sampler"); });
    CHECK(e.parameter() == "sampler");
    CHECK(e.value() == "Orthogonal");
    for (const pixlime::sampling mode : every) CHECK(e.expected().find("'" + pixlime::to_string(mode) + "'") != std::string::npos);
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::parse_sampling(""); }).parameter() == "parse_sampling name");
}

TEST_CASE("a sampler says its mode by type: mode(), is() and builtin<sampling>(), never by its name") {
    using pixlime::sampling;
    for (const sampling mode : pixlime::sampling_modes) {
        CAPTURE(pixlime::to_string(mode));
        const pixlime::sampler s = mode;
        REQUIRE(s.mode().has_value());
        CHECK(*s.mode() == mode);
        CHECK(s.is(mode));
        REQUIRE(s.builtin<sampling>() != nullptr);
        CHECK(*s.builtin<sampling>() == mode);
        for (const sampling other : pixlime::sampling_modes)
            if (other != mode) CHECK_FALSE(s.is(other));
    }
    // A callable named like a mode, even drawing that mode's masks, is no mode.
    const pixlime::sampler named(
        [](int n, int k, std::uint64_t seed) { return pixlime::sample_masks(sampling::shapley, n, k, seed); }, "shapley");
    CHECK(named.name() == "shapley");
    CHECK_FALSE(named.is_builtin());
    CHECK_FALSE(named.mode().has_value());
    CHECK_FALSE(named.is(sampling::shapley));
    CHECK(named.builtin<sampling>() == nullptr);
    CHECK(named(9, 4, 3) == pixlime::sampler(sampling::shapley)(9, 4, 3));
}
