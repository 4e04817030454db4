// Tests of kernel.hpp: distances to the unperturbed image and lime's kernel.
#include "support.hpp"

#include <limits>

TEST_CASE("distances follow scikit-learn's metrics against the all-ones row") {
    pixlime::mask_matrix m(3, 4);
    m << 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0;
    const Eigen::VectorXd d = pixlime::distances_to_ones(m);
    CHECK(d[0] == doctest::Approx(0.0));
    CHECK(d[1] == doctest::Approx(1.0 - std::sqrt(0.25)));  // cos = 1 / (1 * 2)
    CHECK(d[2] == doctest::Approx(1.0));                    // a zero vector: distance 1
    const Eigen::VectorXd e = pixlime::distances_to_ones(m, pixlime::distance_metric::euclidean);
    CHECK(e[1] == doctest::Approx(std::sqrt(3.0)));
    CHECK(e[2] == doctest::Approx(2.0));
    const Eigen::VectorXd h = pixlime::distances_to_ones(m, pixlime::distance_metric::hamming);
    CHECK(h[1] == doctest::Approx(0.75));
}

TEST_CASE("lime's kernel: sqrt(exp(-d^2 / w^2)) of the cosine distance") {
    pixlime::mask_matrix m(3, 4);
    m << 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0;
    const Eigen::VectorXd k = pixlime::exponential_kernel{}(m);
    CHECK(k[0] == 1.0);
    CHECK(k[1] == doctest::Approx(std::sqrt(std::exp(-0.25 / 0.0625))));
    CHECK(k[2] == doctest::Approx(std::sqrt(std::exp(-1.0 / 0.0625))));
    const Eigen::VectorXd wide = pixlime::exponential_kernel{1.0}(m);
    CHECK(wide[2] == doctest::Approx(std::sqrt(std::exp(-1.0))));
}

TEST_CASE("the kernel names its own width: invalid, or so small that no perturbed sample counts") {
    const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, 20, 5, 1);
    for (double bad : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        CHECK(test::error_of<pixlime::invalid_argument>([&] { (void)pixlime::exponential_kernel{bad}(masks); }).parameter() ==
              "exponential_kernel.width");
    }
    // 1e-200 squared underflows to 0: the old formula gave 0 / 0 = NaN for row 0; now every
    // perturbed sample weighs 0, which is refused with the width's name.
    const auto e = test::error_of<pixlime::invalid_argument>([&] { (void)pixlime::exponential_kernel{1e-200}(masks); });
    CHECK(e.value() == "1e-200");
    // A kernel stage validates the built-in, or accepts any callable.
    const pixlime::kernel stage = pixlime::exponential_kernel{-2};
    CHECK_THROWS_AS(stage.validate(), pixlime::invalid_argument);
    REQUIRE(stage.builtin<pixlime::exponential_kernel>() != nullptr);
    CHECK(stage.builtin<pixlime::exponential_kernel>()->width == -2);
    const pixlime::kernel flat = [](const pixlime::mask_matrix& s) { return Eigen::VectorXd::Ones(s.rows()).eval(); };
    flat.validate();
    CHECK(flat(masks).sum() == 20);
    CHECK(flat.builtin<pixlime::exponential_kernel>() == nullptr);
}
