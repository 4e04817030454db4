// Tests of surrogate.hpp: the weighted ridge against an independent solution, in both its
// primal (segments <= samples) and dual (more segments than samples) forms.
#include "support.hpp"

#include <Eigen/Cholesky>  // the independent solution

#include <limits>

namespace {

// Independent formulation: minimise sum_i w_i (y_i - b - x_i.beta)^2 + alpha |beta|^2 by the
// normal equations of the augmented design [X 1] with an unpenalised intercept.
void check_against_normal_equations(int n, int k, double alpha, std::uint64_t seed) {
    CAPTURE(n);
    CAPTURE(k);
    const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, n, k, seed);
    const Eigen::VectorXd w = pixlime::exponential_kernel{}(masks);
    Eigen::MatrixXd y(n, 2);
    std::mt19937 gen(static_cast<unsigned>(seed));
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < n; ++i) y(i, 0) = u(gen), y(i, 1) = std::sin(double(i));
    const auto fits = pixlime::weighted_ridge{alpha}(masks, w, y);
    REQUIRE(fits.size() == 2);

    Eigen::MatrixXd a(n, k + 1);
    a.leftCols(k) = masks.cast<double>();
    a.col(k).setOnes();
    Eigen::MatrixXd lhs = a.transpose() * w.asDiagonal() * a;
    lhs.diagonal().head(k).array() += alpha;
    for (int j = 0; j < 2; ++j) {
        const Eigen::VectorXd sol = lhs.ldlt().solve(a.transpose() * w.asDiagonal() * y.col(j));
        const auto& f = fits[std::size_t(j)];
        double worst = 0;
        for (int s = 0; s < k; ++s) worst = std::max(worst, std::abs(f.weights[s] - sol[s]));
        CHECK(worst < 1e-9);
        CHECK(std::abs(f.intercept - sol[k]) < 1e-9);
        // Weighted R² by its definition.
        const Eigen::VectorXd pred = a * sol;
        const double mean = w.dot(y.col(j)) / w.sum();
        const double r2 = 1 - (w.array() * (y.col(j) - pred).array().square()).sum() /
                                  (w.array() * (y.col(j).array() - mean).square()).sum();
        CHECK(std::abs(f.score - r2) < 1e-9);
        CHECK(std::abs(f.local_prediction - (sol.head(k).sum() + sol[k])) < 1e-9);
    }
}

}  // namespace

TEST_CASE("weighted ridge equals the normal equations, with the Gram matrix (K <= N)") {
    check_against_normal_equations(120, 9, 1.0, 77);
    check_against_normal_equations(50, 50, 0.5, 3);
}

TEST_CASE("weighted ridge equals the normal equations, in the dual form (K > N)") {
    // More segments than samples: a K x K Gram matrix would be wasteful (K = 65536 asks for
    // 32 GiB); the N x N system gives the same solution.
    check_against_normal_equations(30, 31, 1.0, 5);
    check_against_normal_equations(40, 200, 0.7, 11);
    check_against_normal_equations(12, 130, 2.0, 19);  // several 64-bit words per mask row
}

TEST_CASE("a large segment count with few samples is solved in the dual form, fast and small") {
    const int n = 300, k = 20000;
    const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, n, k, 4);
    Eigen::MatrixXd y(n, 1);
    for (int i = 0; i < n; ++i) y(i, 0) = masks(i, 17) * 0.5 + masks(i, 19999) * 0.25;
    const auto fits = pixlime::weighted_ridge{}(masks, Eigen::VectorXd::Ones(n), y);
    REQUIRE(fits[0].weights.size() == k);
    // The two planted segments get the largest weights.
    const auto r = pixlime::ranked(fits[0].weights);
    CHECK(((r[0].first == 17 && r[1].first == 19999) || (r[0].first == 19999 && r[1].first == 17)));
}

TEST_CASE("no penalty: exact when the samples determine the weights, an error naming alpha otherwise") {
    const int n = 200, k = 6;
    const auto masks = pixlime::sample_masks(pixlime::sampling::balanced, n, k, 8);
    Eigen::MatrixXd y(n, 1);
    for (int i = 0; i < n; ++i) y(i, 0) = 0.2 + 0.3 * masks(i, 1) - 0.1 * masks(i, 4);
    const auto fit = pixlime::weighted_ridge{0.0}(masks, Eigen::VectorXd::Ones(n), y)[0];
    CHECK(std::abs(fit.weights[1] - 0.3) < 1e-12);
    CHECK(std::abs(fit.weights[4] + 0.1) < 1e-12);
    CHECK(std::abs(fit.intercept - 0.2) < 1e-12);
    pixlime::mask_matrix twins = masks;
    twins.col(1) = twins.col(0);  // always hidden together: their weights are not determined
    auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::weighted_ridge{0.0}(twins, Eigen::VectorXd::Ones(n), y); });
    CHECK(e.parameter() == "weighted_ridge.alpha");
    CHECK(test::contains(e.expected(), "larger"));
    const auto wide = pixlime::sample_masks(pixlime::sampling::balanced, 10, 20, 1);
    e = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::weighted_ridge{0.0}(wide, Eigen::VectorXd::Ones(10), Eigen::MatrixXd::Ones(10, 1));
    });
    CHECK(test::contains(e.expected(), "more segments (20) than samples (10)"));
}

TEST_CASE("the ridge names its own parameter and checks its inputs") {
    const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, 20, 4, 1);
    const Eigen::VectorXd w = Eigen::VectorXd::Ones(20);
    const Eigen::MatrixXd y = Eigen::MatrixXd::Ones(20, 1);
    for (double bad : {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()})
        CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::weighted_ridge{bad}(masks, w, y); }).parameter() ==
              "weighted_ridge.alpha");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::weighted_ridge{}(masks, Eigen::VectorXd::Ones(19), y); })
              .parameter() == "surrogate sample_weights size");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::weighted_ridge{}(masks, Eigen::VectorXd::Zero(20), y); })
              .parameter() == "surrogate sample_weights");
    Eigen::MatrixXd bad_y = y;
    bad_y(3, 0) = std::numeric_limits<double>::quiet_NaN();
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::weighted_ridge{}(masks, w, bad_y); }).parameter() ==
          "surrogate targets");
    pixlime::limits lim;
    lim.max_surrogate_size = 3;
    CHECK(test::error_of<pixlime::size_limit_error>([&] { pixlime::weighted_ridge{}(masks, w, y, lim); }).parameter() ==
          "surrogate system size min(samples, segments)");
    // A constant target is fitted exactly: R² 1 (scikit-learn's force_finite).
    CHECK(pixlime::weighted_ridge{}(masks, w, y)[0].score == 1.0);
}

TEST_CASE("ranked: by |weight| descending, equal |weight| in segment order") {
    Eigen::VectorXd w(5);
    w << 0.1, -0.5, 0.5, 0.0, -0.1;
    const auto r = pixlime::ranked(w);
    const std::vector<int> order{r[0].first, r[1].first, r[2].first, r[3].first, r[4].first};
    CHECK(order == std::vector<int>{1, 2, 0, 4, 3});
    CHECK(r[0].second == -0.5);
}

TEST_CASE("a surrogate stage holds the built-in ridge or any callable") {
    const pixlime::surrogate s = pixlime::weighted_ridge{2.5};
    REQUIRE(s.builtin<pixlime::weighted_ridge>() != nullptr);
    CHECK(s.builtin<pixlime::weighted_ridge>()->alpha == 2.5);
    CHECK(s.name() == "weighted_ridge");
    const pixlime::surrogate bad = pixlime::weighted_ridge{-3};
    CHECK(test::error_of<pixlime::invalid_argument>([&] { bad.validate(); }).parameter() == "weighted_ridge.alpha");
    int calls = 0;
    const pixlime::surrogate custom = [&](const pixlime::mask_matrix& m, const Eigen::VectorXd&, const Eigen::MatrixXd& y) {
        ++calls;
        return std::vector<pixlime::linear_fit>(std::size_t(y.cols()), pixlime::linear_fit{Eigen::VectorXd::Zero(m.cols()), 1, 0, 1});
    };
    custom.validate();
    CHECK(custom(pixlime::mask_matrix::Ones(3, 2), Eigen::VectorXd::Ones(3), Eigen::MatrixXd::Ones(3, 4)).size() == 4);
    CHECK(calls == 1);
}
