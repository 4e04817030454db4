// Tests of the Shapley kernel (KernelSHAP): with every mask enumerated the weights are the
// exact Shapley values of the segments, computed here by their definition; with drawn masks
// they keep the efficiency property exactly, recover a model linear in the segments, and their
// standard errors cover the exact values as often as they claim.
#include "support.hpp"

#include <cmath>
#include <functional>
#include <set>

using pixlime::batch_view;
using test::black_fill;

namespace {

/// A binary classifier whose P(class 1) is a given function of which grid segments are kept
/// (black fill over an image with every pixel >= 1).
struct mask_model {
    pixlime::segmentation seg;
    std::function<double(const std::vector<int>&)> value;
    int seen = 0;

    Eigen::MatrixXd operator()(batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) {
            p(i, 1) = value(test::kept_segments(batch[i], seg));
            p(i, 0) = 1 - p(i, 1);
        }
        seen += batch.size();
        return p;
    }
};

/// A value with main effects, a three-way interaction and a saturating link: Shapley values
/// differ from the main effects, so a plain regression would not give them.
double interacting(const std::vector<int>& z) {
    double t = -1.0 + 1.5 * z[0] * z[1] * z[2] - 0.8 * z[3] * z[4];
    const double a[] = {1.2, -0.9, 0.7, 0.5, -0.4, 0.3, 0.25, -0.2, 0.15, 0.1, 0.05, -0.05, 0.02, 0.0, 0.01, -0.01};
    for (std::size_t k = 0; k < z.size(); ++k) t += a[k % 16] * z[k];
    return 1.0 / (1.0 + std::exp(-t));
}

/// The Shapley values of `v` over k players, by definition: the mean over orders of each
/// player's marginal contribution, as the sum over subsets S of the others of
/// |S|! (k - |S| - 1)! / k! (v(S + j) - v(S)).
Eigen::VectorXd exact_shapley(const std::function<double(const std::vector<int>&)>& v, int k) {
    std::vector<double> fact(std::size_t(k) + 1, 1.0);
    for (int i = 1; i <= k; ++i) fact[std::size_t(i)] = fact[std::size_t(i) - 1] * i;
    Eigen::VectorXd phi = Eigen::VectorXd::Zero(k);
    for (std::uint32_t s = 0; s < (1u << k); ++s) {
        std::vector<int> z(static_cast<std::size_t>(k));
        int size = 0;
        for (int j = 0; j < k; ++j) size += z[std::size_t(j)] = int((s >> j) & 1u);
        for (int j = 0; j < k; ++j) {
            if (z[std::size_t(j)]) continue;
            std::vector<int> with = z;
            with[std::size_t(j)] = 1;
            phi[j] += fact[std::size_t(size)] * fact[std::size_t(k - size - 1)] / fact[std::size_t(k)] * (v(with) - v(z));
        }
    }
    return phi;
}

mask_model on_grid(int gx, int gy, std::function<double(const std::vector<int>&)> v) {
    return mask_model{test::grid(8 * gx, 8 * gy, gx, gy), std::move(v), 0};
}

pixlime::explain_options shapley_options(int num_samples) {
    auto opt = black_fill();
    opt.kernel = pixlime::shapley_kernel{};
    opt.num_samples = num_samples;
    opt.labels = {1};
    return opt;
}

}  // namespace

TEST_CASE("shapley_kernel weighs a mask keeping s of K segments (K - 1) / (C(K, s) s (K - s)), the ends 0") {
    pixlime::mask_matrix m(5, 5);
    m << 1, 1, 1, 1, 1,  //
        1, 0, 0, 0, 0,   // s = 1: 4 / (5 * 1 * 4) = 1/5
        1, 1, 0, 0, 0,   // s = 2: 4 / (10 * 2 * 3) = 1/15
        0, 1, 1, 1, 0,   // s = 3: as s = 2
        0, 0, 0, 0, 0;
    const Eigen::VectorXd w = pixlime::shapley_kernel{}(m);
    CHECK(w[0] == 0);
    CHECK(w[4] == 0);
    CHECK(std::abs(w[1] - 1.0) < 1e-14);  // scaled so that the largest is 1
    CHECK(std::abs(w[2] - 1.0 / 3.0) < 1e-14);
    CHECK(std::abs(w[3] - 1.0 / 3.0) < 1e-14);
    // C(2000, 1000) overflows a double; the weights are taken in logs.
    pixlime::mask_matrix big = pixlime::mask_matrix::Ones(2, 2000);
    big.row(1).head(1000).setZero();
    const Eigen::VectorXd wb = pixlime::shapley_kernel{}(big);
    CHECK(wb.allFinite());
    CHECK(wb[1] == 1.0);
}

TEST_CASE("sampling::shapley draws coalition sizes as the Shapley kernel weighs them, in complementary pairs") {
    const int k = 10, n = 20001;
    const pixlime::mask_matrix m = pixlime::sample_masks(pixlime::sampling::shapley, n, k, 3);
    CHECK(m.row(0).isOnes());
    std::vector<double> count(std::size_t(k) + 1, 0.0), expected(std::size_t(k) + 1, 0.0);
    double total = 0;
    for (int s = 1; s < k; ++s) total += expected[std::size_t(s)] = 1.0 / (s * (k - s));
    for (int i = 1; i < n; ++i) {
        const int s = int(m.row(i).cast<int>().sum());
        count[std::size_t(s)] += 1;
        if (i % 2 == 0) CHECK(((m.row(i).array() + m.row(i - 1).array()) == 1).all());
    }
    CHECK(count[0] == 0);
    CHECK(count[std::size_t(k)] == 0);
    // Each size's count within 4 binomial standard deviations of (n - 1) P(s).
    for (int s = 1; s < k; ++s) {
        const double p = expected[std::size_t(s)] / total, mean = (n - 1) * p;
        CAPTURE(s);
        CHECK(std::abs(count[std::size_t(s)] - mean) < 4 * std::sqrt(mean * (1 - p)));
    }
    // Given its size, every segment is kept equally often.
    const Eigen::VectorXd kept = m.bottomRows(n - 1).cast<double>().colwise().sum().transpose();
    CHECK((kept.array() - kept.mean()).abs().maxCoeff() < 4 * std::sqrt(kept.mean()));
    CHECK(pixlime::sample_masks(pixlime::sampling::shapley, 50, k, 3) == pixlime::sample_masks(pixlime::sampling::shapley, 50, k, 3));
    CHECK(pixlime::to_string(pixlime::sampling::shapley) == "shapley");
}

TEST_CASE("with every mask enumerated the Shapley kernel gives the exact Shapley values") {
    for (const auto& [gx, gy] : {std::pair{3, 2}, std::pair{5, 2}}) {
        const int k = gx * gy;
        CAPTURE(k);
        mask_model m = on_grid(gx, gy, interacting);
        const auto img = test::noise(8 * gx, 8 * gy, 3, 5);
        const auto ex = pixlime::explain(img, m.seg, m, shapley_options(1 << k));
        REQUIRE(ex.summary().enumerated);
        const Eigen::VectorXd exact = exact_shapley(interacting, k);
        CHECK((ex.weights(1) - exact).cwiseAbs().maxCoeff() < 1e-10);
        // The intercept is f(none), the local prediction f(image): efficiency.
        CHECK(std::abs(ex.intercept(1) - interacting(std::vector<int>(std::size_t(k), 0))) < 1e-14);
        CHECK(std::abs(ex.local_prediction(1) - ex.model_prediction(1)) < 1e-14);
        CHECK(ex.standard_errors(1).isZero());
        // lime's kernel and ridge on the same masks give something else: the test can tell.
        auto lime_like = black_fill();
        lime_like.num_samples = 1 << k;
        lime_like.labels = {1};
        CHECK((pixlime::explain(img, m.seg, m, lime_like).weights(1) - exact).cwiseAbs().maxCoeff() > 0.01);
    }
}

TEST_CASE("with drawn masks KernelSHAP keeps efficiency exactly and adds the all-hidden mask once") {
    mask_model m = on_grid(4, 4, interacting);
    const auto img = test::noise(32, 32, 3, 6);
    for (const auto mode : {pixlime::sampling::shapley, pixlime::sampling::balanced, pixlime::sampling::paired,
                            pixlime::sampling::lime_compatible}) {
        CAPTURE(pixlime::to_string(mode));
        auto opt = shapley_options(300);
        opt.sampler = mode;
        m.seen = 0;
        const auto ex = pixlime::explain(img, m.seg, m, opt);
        REQUIRE_FALSE(ex.summary().enumerated);
        CHECK(ex.samples().rows() == 301);
        CHECK(ex.samples().row(1).isZero());
        CHECK((ex.samples().bottomRows(299).rowwise().sum().array() > 0).all());
        CHECK(ex.model_calls() == m.seen);
        const double f_none = interacting(std::vector<int>(16, 0)), f_all = interacting(std::vector<int>(16, 1));
        CHECK(std::abs(ex.weights(1).sum() - (f_all - f_none)) < 1e-12);
        CHECK(std::abs(ex.intercept(1) - f_none) < 1e-14);
    }
}

TEST_CASE("a model linear in the segments has its coefficients as Shapley values, recovered from drawn masks") {
    std::vector<double> a(30);
    for (std::size_t j = 0; j < a.size(); ++j) a[j] = 0.03 * std::sin(double(j) * 1.7) + (j == 7 ? 0.2 : 0.0);
    const auto linear = [a](const std::vector<int>& z) {
        double t = 0.2;
        for (std::size_t j = 0; j < z.size(); ++j) t += a[j] * z[j];
        return t;
    };
    mask_model m = on_grid(6, 5, linear);
    const auto img = test::noise(48, 40, 3, 7);
    const auto ex = pixlime::explain(img, m.seg, m, shapley_options(200));
    for (int j = 0; j < 30; ++j) CHECK(std::abs(ex.weights(1)[j] - a[std::size_t(j)]) < 1e-12);
    CHECK(ex.ranked(1)[0].first == 7);
}

namespace {
/// Thirty KernelSHAP runs (seeds 0..29) of `interacting` over twelve segments with 1001 drawn
/// masks (2^12 = 4096 > 1001: not enumerated), against the exact Shapley values.
struct kernel_shap_runs {
    double coverage = 0;   ///< of the exact values by the 95% intervals, over runs and segments
    double se_ratio = 0;   ///< mean over segments of (mean standard error) / (RMS error)
    double rms_error = 0;  ///< RMS over runs and segments of weight - exact
};
kernel_shap_runs run_kernel_shap(pixlime::sampling mode) {
    mask_model m = on_grid(4, 3, interacting);
    const auto img = test::noise(32, 24, 3, 8);
    const Eigen::VectorXd exact = exact_shapley(interacting, 12);
    int covered = 0;
    Eigen::VectorXd mean_se = Eigen::VectorXd::Zero(12), ms = Eigen::VectorXd::Zero(12);
    for (std::uint64_t seed = 0; seed < 30; ++seed) {
        auto opt = shapley_options(1001);
        opt.sampler = mode;
        opt.seed = seed;
        const auto ex = pixlime::explain(img, m.seg, m, opt);
        REQUIRE_FALSE(ex.summary().enumerated);
        const Eigen::MatrixXd iv = ex.weight_intervals(1, 0.95);
        for (int j = 0; j < 12; ++j) covered += iv(j, 0) <= exact[j] && exact[j] <= iv(j, 1);
        mean_se += ex.standard_errors(1) / 30.0;
        ms += (ex.weights(1) - exact).cwiseAbs2() / 30.0;
    }
    kernel_shap_runs r;
    r.coverage = covered / 360.0;
    r.se_ratio = (mean_se.array() / ms.array().sqrt()).mean();
    r.rms_error = std::sqrt(ms.mean());
    return r;
}
}  // namespace

TEST_CASE("KernelSHAP's standard errors cover the exact Shapley values as often as they claim") {
    // With sampling::shapley every row weighs the same; the estimates centre on the exact values
    // and scatter as the standard errors say.
    const kernel_shap_runs shap = run_kernel_shap(pixlime::sampling::shapley);
    MESSAGE("sampling::shapley: coverage " << shap.coverage << ", mean standard error / rms error " << shap.se_ratio
                                           << ", rms error " << shap.rms_error);
    CHECK(shap.coverage >= 0.88);
    CHECK(shap.coverage <= 0.99);
    CHECK(shap.se_ratio > 0.8);
    CHECK(shap.se_ratio < 1.25);
    // lime's uniform masks with the kernel's importance weights: rare, heavy rows (one segment
    // kept weighs ~250 times a half-kept mask); the same answer with about twice the error.
    const kernel_shap_runs uniform = run_kernel_shap(pixlime::sampling::paired);
    MESSAGE("sampling::paired:  coverage " << uniform.coverage << ", mean standard error / rms error " << uniform.se_ratio
                                           << ", rms error " << uniform.rms_error);
    CHECK(shap.rms_error < 0.7 * uniform.rms_error);
}

TEST_CASE("the adaptive stop works with the Shapley kernel") {
    const auto easy = [](const std::vector<int>& z) {
        double t = 3.0 * z[0] - 2.5 * z[1] + 2.2 * z[2] + 2.0 * z[3] - 1.8 * z[4] - 0.5;
        for (std::size_t j = 5; j < z.size(); ++j) t += 0.02 * z[j];
        return 1.0 / (1.0 + std::exp(-t));
    };
    mask_model m = on_grid(4, 4, easy);
    const auto img = test::noise(32, 32, 3, 9);
    auto opt = shapley_options(3000);
    opt.target_stability = 0.95;
    const auto ex = pixlime::explain(img, m.seg, m, opt);
    CHECK(ex.target_reached());
    CHECK(ex.model_calls() < 1000);
    CHECK(ex.stability(1, 5) >= 0.95);
    CHECK(std::abs(ex.weights(1).sum() - (ex.model_prediction(1) - ex.intercept(1))) < 1e-12);
}

TEST_CASE("the all-hidden mask is in every adaptive round, wherever the sampler drew one") {
    // A sampler whose only all-hidden row is its last: the first round must still have f(none).
    mask_model m = on_grid(4, 4, interacting);
    const auto img = test::noise(32, 32, 3, 11);
    auto opt = shapley_options(1000);
    opt.sampler = pixlime::sampler(
        [](int n, int k, std::uint64_t seed) {
            pixlime::mask_matrix masks = pixlime::sample_masks(pixlime::sampling::shapley, n, k, seed);
            masks.row(n - 1).setZero();
            return masks;
        },
        "all hidden last");
    opt.target_stability = 0.5;
    m.seen = 0;
    const auto ex = pixlime::explain(img, m.seg, m, opt);
    CHECK(ex.target_reached());
    CHECK(ex.samples().rows() < 1000);
    CHECK(ex.samples().row(1).isZero());
    CHECK(std::abs(ex.weights(1).sum() - (ex.model_prediction(1) - ex.intercept(1))) < 1e-12);
    // Run to the end, the later all-hidden row repeats row 1 and is not classified again.
    opt.target_stability = 0;
    m.seen = 0;
    const auto full = pixlime::explain(img, m.seg, m, opt);
    REQUIRE(full.samples().rows() == 1001);
    CHECK(full.samples().row(1000).isZero());
    std::set<std::vector<std::uint8_t>> distinct;
    for (Eigen::Index i = 0; i < full.samples().rows(); ++i)
        distinct.insert(std::vector<std::uint8_t>(full.samples().row(i).data(), full.samples().row(i).data() + 16));
    CHECK(m.seen == int(distinct.size()));
    CHECK(full.model_calls() == m.seen);
}

TEST_CASE("the Shapley kernel's bad options and impossible fits are refused by name") {
    mask_model m = on_grid(4, 4, interacting);
    const auto img = test::noise(32, 32, 3, 10);
    auto opt = shapley_options(300);
    opt.kernel = pixlime::shapley_kernel{-1.0};
    CHECK(test::message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, m.seg, m, opt); }) ==
          "pixlime: shapley_kernel.alpha = -1: expected a finite value >= 0");
    opt = shapley_options(300);
    opt.surrogate = pixlime::weighted_ridge{0.5};
    CHECK(test::message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, m.seg, m, opt); }).find(
              "explain_options.surrogate = weighted_ridge with another alpha: expected the default weighted_ridge{}") !=
          std::string::npos);
    opt.surrogate = [](const pixlime::mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&) {
        return std::vector<pixlime::linear_fit>{};
    };
    CHECK(test::message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, m.seg, m, opt); }).find(
              "explain_options.surrogate = a custom surrogate") != std::string::npos);
    // Ten masks cannot determine sixteen Shapley weights without a penalty; with one they can.
    opt = shapley_options(10);
    CHECK(test::message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, m.seg, m, opt); }).find(
              "shapley_kernel.alpha = 0: expected a value > 0, or more samples") != std::string::npos);
    opt.kernel = pixlime::shapley_kernel{1.0};
    const auto ex = pixlime::explain(img, m.seg, m, opt);
    CHECK(std::abs(ex.weights(1).sum() - (ex.model_prediction(1) - ex.intercept(1))) < 1e-12);
}

TEST_CASE("shapley.hpp's steps: sampling::shapley's masks, the added all-hidden row, the draws' equal weights") {
    // The masks: every row but 0 keeps 1..K-1 segments; with pairs, every second row is the
    // complement of the one before; sample_masks(sampling::shapley) is this with row 0 set.
    pixlime::mask_matrix paired(9, 4), unpaired(9, 4);
    pixlime::detail::shapley_masks(paired, 7, true);
    pixlime::detail::shapley_masks(unpaired, 7, false);
    for (Eigen::Index i = 1; i < 9; ++i) {
        const int kept = paired.row(i).cast<int>().sum();
        CHECK(kept >= 1);
        CHECK(kept <= 3);
        if (i % 2 == 0) CHECK(((paired.row(i).array() + paired.row(i - 1).array()) == 1).all());
    }
    CHECK(paired.bottomRows(8) != unpaired.bottomRows(8));
    paired.row(0).setOnes();
    CHECK(paired == pixlime::sample_masks(pixlime::sampling::shapley, 9, 4, 7));  // 9 >= 2K + 1: pairs

    // The all-hidden row: inserted as row 1 when needed and not there, else the masks as they are.
    pixlime::mask_matrix m(3, 2);
    m << 1, 1, 1, 0, 0, 1;
    const pixlime::mask_matrix added = pixlime::detail::with_all_hidden(m, true);
    REQUIRE(added.rows() == 4);
    CHECK((added.row(1).array() == 0).all());
    CHECK(added.row(0) == m.row(0));
    CHECK(added.bottomRows(2) == m.bottomRows(2));
    CHECK(pixlime::detail::with_all_hidden(m, false) == m);
    CHECK(pixlime::detail::with_all_hidden(added, true) == added);

    // Masks drawn as often as the kernel weighs them count once each; the kernel's zeros stay.
    Eigen::VectorXd kernel(4);
    kernel << 0, 0.25, 3, 0;
    CHECK(pixlime::detail::shapley_draw_weights(kernel) == Eigen::Vector4d(0, 1, 1, 0));
}

TEST_CASE("only the built-in sampling::shapley gets equal sample weights: a callable named \"shapley\" keeps the kernel's") {
    const auto img = test::noise(16, 16, 3, 5);
    const auto seg = test::grid(16, 16, 4, 2);  // 8 segments: 2^8 > num_samples, drawn masks
    auto classify = [](batch_view<const std::uint8_t> b) {
        Eigen::MatrixXd p(b.size(), 2);
        for (int i = 0; i < b.size(); ++i) p(i, 0) = b[i].at(1, 1, 0) / 255.0, p(i, 1) = 1 - p(i, 0);
        return p;
    };
    pixlime::explain_options opt = black_fill();
    opt.num_samples = 60;
    opt.kernel = pixlime::shapley_kernel{};
    opt.sampler = pixlime::sampling::shapley;
    const auto builtin = pixlime::explain(img, seg, classify, opt);
    CHECK(((builtin.sample_weights().array() == 0) || (builtin.sample_weights().array() == 1)).all());
    opt.sampler = pixlime::sampler(
        [](int n, int k, std::uint64_t seed) { return pixlime::sample_masks(pixlime::sampling::shapley, n, k, seed); }, "shapley");
    const auto named = pixlime::explain(img, seg, classify, opt);
    REQUIRE(named.samples() == builtin.samples());
    CHECK(named.sample_weights() == pixlime::shapley_kernel{}(named.samples()));
    CHECK(((named.sample_weights().array() > 0) && (named.sample_weights().array() < 1)).any());
}
