// explain_options::task = task::regression (task.hpp): a model with one output of any value,
// explained as that value. Ground truth: a model linear in the segment indicators, with outputs
// far outside [0, 1], whose coefficients the weights must recover.
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

using doctest::Approx;
using pixlime::batch_view;

namespace {

/// A model linear in which segments of `seg` are kept (black fill, image pixels >= 1):
/// value = bias + sum_k beta[k] [segment k kept]. Returns one column (Eigen::VectorXd).
struct linear_value_model {
    const pixlime::segmentation& seg;
    std::vector<double> beta;
    double bias = 100;
    Eigen::VectorXd operator()(batch_view<const std::uint8_t> batch) const {
        Eigen::VectorXd v(batch.size());
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], seg);
            double y = bias;
            for (std::size_t k = 0; k < beta.size(); ++k) y += beta[k] * kept[k];
            v[i] = y;
        }
        return v;
    }
};

/// K coefficients in the hundreds, every third one negative: -100, 137, 174, -211, ...
std::vector<double> coefficients(int k) {
    std::vector<double> beta(static_cast<std::size_t>(k));
    for (int s = 0; s < k; ++s) beta[std::size_t(s)] = (s % 3 == 0 ? -1.0 : 1.0) * (100.0 + 37.0 * s);
    return beta;
}

std::set<int> positive_segments(const std::vector<double>& beta) {
    std::set<int> out;
    for (std::size_t s = 0; s < beta.size(); ++s)
        if (beta[s] > 0) out.insert(int(s));
    return out;
}

/// The segments a pane shows as they are: with hide_rest and no outlines, a segment of the
/// (uniform, gray 100) image is shown iff its first pixel is not black.
std::set<int> shown_in(const pixlime::image<std::uint8_t>& pane, const pixlime::segmentation& seg) {
    std::set<int> out;
    std::vector<char> seen(std::size_t(seg.count()), 0);
    for (int y = 0; y < seg.height(); ++y)
        for (int x = 0; x < seg.width(); ++x) {
            const int l = seg.label(x, y);
            if (seen[std::size_t(l)]) continue;
            seen[std::size_t(l)] = 1;
            if (pane.at(x, y, 0) != 0) out.insert(l);
        }
    return out;
}

pixlime::image<std::uint8_t> gray(int w, int h) {
    pixlime::image<std::uint8_t> img(w, h, 1);
    std::fill(img.data(), img.data() + img.size(), std::uint8_t(100));
    return img;
}

/// Options for explaining a value (task::regression) with a black fill and `num_samples`.
pixlime::explain_options regression_options(int num_samples) {
    auto opt = test::black_fill();
    opt.task = pixlime::task::regression;
    opt.num_samples = num_samples;
    return opt;
}

/// A 32 x 32 gray image, its 4 x 4 grid and a model linear in the 16 cells' presence
/// (coefficients(16)). Not copied: the model reads `seg`.
struct linear_grid {
    static constexpr int k = 16;
    pixlime::image<std::uint8_t> img = gray(32, 32);
    pixlime::segmentation seg = test::grid(32, 32, 4, 4);
    linear_value_model model{seg, coefficients(k)};
    linear_grid() = default;
    linear_grid(const linear_grid&) = delete;
};

}  // namespace

TEST_CASE("regression: a model linear in the segments, outputs in the thousands, has its coefficients as weights") {
    const linear_grid g;
    const int k = g.k;
    const auto& img = g.img;
    const auto& seg = g.seg;
    const auto& model = g.model;
    auto opt = regression_options(1000);  // drawn (2^16 masks > 1000): sampling::orthogonal's design

    SUBCASE("exactly without a penalty") {
        opt.surrogate = pixlime::weighted_ridge{0.0};
        const auto ex = pixlime::explain(img, seg, model, opt);
        CHECK(ex.task() == pixlime::task::regression);
        CHECK(!ex.summary().enumerated);
        CHECK(ex.num_classes() == 1);
        CHECK(ex.labels() == std::vector<int>{0});
        CHECK(ex.top_labels() == std::vector<int>{0});
        CHECK(ex.predictions().cols() == 1);
        double all = model.bias;
        for (double b : model.beta) all += b;
        CHECK(ex.model_prediction(0) == Approx(all).epsilon(1e-12));  // 1610: the value, not a probability
        for (int s = 0; s < k; ++s) CHECK(ex.weights(0)[s] == Approx(model.beta[std::size_t(s)]).epsilon(1e-9));
        CHECK(ex.intercept(0) == Approx(model.bias).epsilon(1e-9));
        CHECK(ex.score(0) == Approx(1.0).epsilon(1e-12));
        // The positive pane: the positive-coefficient segments; the negative pane: the others.
        pixlime::render_options ro;
        ro.num_features = k;
        ro.hide_rest = true;
        ro.boundaries = false;
        const std::set<int> positive = positive_segments(model.beta);
        std::set<int> negative;
        for (int s = 0; s < k; ++s)
            if (!positive.count(s)) negative.insert(s);
        CHECK(shown_in(pixlime::render_positive(img, ex, 0, ro), seg) == positive);
        CHECK(shown_in(pixlime::render_negative(img, ex, 0, ro), seg) == negative);
    }
    SUBCASE("to the default ridge's shrinkage with lime's alpha = 1, with standard errors and stability") {
        const auto ex = pixlime::explain(img, seg, model, opt);
        for (int s = 0; s < k; ++s) CHECK(ex.weights(0)[s] == Approx(model.beta[std::size_t(s)]).epsilon(0.015));
        // The ranking by |weight| is the coefficients', so the top 5 are certain.
        const auto ranked = ex.ranked(0);
        for (int i = 0; i < 5; ++i) CHECK(ranked[std::size_t(i)].first == k - 1 - i);
        const Eigen::VectorXd se = ex.standard_errors(0);
        CHECK(se.allFinite());
        CHECK(ex.stability(0) > 0.99);
        for (const char u : pixlime::uncertain_segments(ex, 0)) CHECK(!u);
    }
    SUBCASE("the adaptive stop reaches its target on the value's weights") {
        opt.target_stability = 0.95;
        const auto ex = pixlime::explain(img, seg, model, opt);
        CHECK(ex.target_reached());
        CHECK(ex.model_calls() < opt.num_samples);  // its first round: 101 samples
        // lime's alpha = 1 on about 100 samples shrinks the weights by about 10 %; signs and ranking stay.
        for (int s = 0; s < k; ++s) CHECK(ex.weights(0)[s] == Approx(model.beta[std::size_t(s)]).epsilon(0.15));
        const auto ranked = ex.ranked(0);
        for (int i = 0; i < k; ++i) CHECK(ranked[std::size_t(i)].first == k - 1 - i);
    }
}

TEST_CASE("regression: every mask enumerated (2^K <= num_samples) gives the coefficients, the pane their signs") {
    const int k = 8;
    const auto img = gray(32, 16);
    const auto seg = test::grid(32, 16, 4, 2);
    linear_value_model model{seg, coefficients(k)};
    model.bias = -250;  // a negative value: any finite number is accepted
    auto opt = regression_options(256);
    opt.surrogate = pixlime::weighted_ridge{0.0};
    const auto ex = pixlime::explain(img, seg, model, opt);
    CHECK(ex.summary().enumerated);
    for (int s = 0; s < k; ++s) CHECK(ex.weights(0)[s] == Approx(model.beta[std::size_t(s)]).epsilon(1e-9));
    CHECK(ex.intercept(0) == Approx(-250).epsilon(1e-9));
    CHECK(ex.stability(0) == 1.0);
    pixlime::render_options ro;
    ro.num_features = k;
    ro.hide_rest = true;
    ro.boundaries = false;
    CHECK(shown_in(pixlime::render_positive(img, ex, 0, ro), seg) == positive_segments(model.beta));
}

TEST_CASE("regression: the faithfulness curves follow the value") {
    const linear_grid g;
    const auto& img = g.img;
    const auto& seg = g.seg;
    const auto& model = g.model;
    const auto opt = regression_options(300);
    const auto ex = pixlime::explain(img, seg, model, opt);
    // The curve of the explanation reads the output as its task (curve_options::task left at
    // its default): no [0, 1] check, label 0 is the value itself.
    pixlime::curve_options co;
    co.random_rankings = 5;
    const auto del = pixlime::deletion_curve(img, ex, model, 0, co);
    CHECK(del.score.front() == Approx(ex.model_prediction(0)).epsilon(1e-12));
    CHECK(del.score.back() == Approx(model.bias).epsilon(1e-12));  // every segment removed
    // Most positive first: the value falls first, below any random order's on average.
    CHECK(del.score[1] < del.score[0]);
    CHECK(del.auc < del.random_auc);
    // With a segmentation and ranking, curve_options::task says it.
    co.task = pixlime::task::regression;
    const auto same = pixlime::deletion_curve(img, seg, pixlime::ranking_by_weight(ex.weights(0)), model, 0, co);
    CHECK(same.score == del.score);
    co.task = pixlime::task::classification;
    const auto e = test::error_of<pixlime::classifier_error>(
        [&] { pixlime::deletion_curve(img, seg, pixlime::ranking_by_weight(ex.weights(0)), model, 0, co); });
    CHECK(test::contains(e.expected(), "curve_options.task = regression"));
    co.task = pixlime::task::regression;
    CHECK(test::error_of<pixlime::invalid_argument>(
              [&] { pixlime::deletion_curve(img, seg, pixlime::ranking_by_weight(ex.weights(0)), model, 1, co); })
              .parameter() == "label");
}

TEST_CASE("regression: a model with another number of columns than one is refused naming explain_options.task") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.task = pixlime::task::regression;
    opt.num_samples = 50;
    int calls = 0;
    const auto e = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::explain(img, seg, [&](batch_view<const std::uint8_t> b) {
            ++calls;
            return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
        }, opt);
    });
    CHECK(e.parameter() == "explain_options.task");
    CHECK(e.value() == "regression");
    CHECK(test::contains(e.expected(), "exactly one output column"));
    CHECK(test::contains(e.expected(), "returned 2 columns"));
    CHECK(calls == 1);  // refused at the first batch
    // A label other than 0 is refused before the model is called.
    opt.labels = {1};
    calls = 0;
    const auto l = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::explain(img, seg, [&](batch_view<const std::uint8_t> b) { ++calls; return Eigen::VectorXf::Zero(b.size()).eval(); }, opt);
    });
    CHECK(l.parameter() == "explain_options.labels[0]");
    CHECK(calls == 0);
    // Not a task at all.
    opt.labels.clear();
    opt.task = static_cast<pixlime::task>(7);
    CHECK(test::error_of<pixlime::invalid_argument>([&] {
              pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) { return Eigen::VectorXf::Zero(b.size()).eval(); }, opt);
          }).parameter() == "explain_options.task");
}

TEST_CASE("regression: NaN and overflowing values are still refused; classification still checks [0, 1]") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.num_samples = 50;
    auto one_column = [](double last) {
        return [last](batch_view<const std::uint8_t> b) {
            Eigen::VectorXd v = Eigen::VectorXd::Constant(b.size(), 42.0);
            v[b.size() - 1] = last;
            return v;
        };
    };
    opt.task = pixlime::task::regression;
    CHECK(pixlime::explain(img, seg, one_column(-7.5e3), opt).model_prediction(0) == 42.0);
    CHECK(test::error_of<pixlime::classifier_error>([&] { pixlime::explain(img, seg, one_column(NAN), opt); }).value() == "nan");
    CHECK(test::error_of<pixlime::classifier_error>([&] { pixlime::explain(img, seg, one_column(1.7e308), opt); }).value() ==
          "1.7e+308");
    opt.task = pixlime::task::classification;
    const auto e = test::error_of<pixlime::classifier_error>([&] { pixlime::explain(img, seg, one_column(0.5), opt); });
    CHECK(e.parameter() == "classifier output[0, 0]");
    CHECK(test::contains(e.expected(), "[0, 1]"));
    CHECK(test::contains(e.expected(), "explain_options.task = regression"));
}

TEST_CASE("task names: to_string, parse_task and an assembled explanation's task") {
    CHECK(pixlime::to_string(pixlime::task::classification) == "classification");
    CHECK(pixlime::to_string(pixlime::task::regression) == "regression");
    CHECK(pixlime::parse_task("regression") == pixlime::task::regression);
    const auto e = test::error_of<pixlime::invalid_argument>([] { pixlime::parse_task("detection", "--task"); });
    CHECK(e.parameter() == "--task");
    CHECK(e.value() == "detection");
    CHECK(e.expected() == "one of 'classification', 'regression'");
    CHECK(pixlime::explain_options{}.task == pixlime::task::classification);
    CHECK(pixlime::curve_options{}.task == pixlime::task::classification);
    // A regression explanation has exactly one column of predictions.
    const auto seg = test::grid(4, 4, 2, 1);
    pixlime::mask_matrix m(2, 2);
    m << 1, 1, 0, 1;
    const pixlime::linear_fit fit{Eigen::VectorXd::Zero(2), 0, 0, 0};
    CHECK(pixlime::explanation(seg, m, Eigen::MatrixXd::Constant(2, 1, 5.0), Eigen::VectorXd::Ones(2), {0}, {0}, {fit}, {}, {}, 0,
                               pixlime::task::regression)
              .task() == pixlime::task::regression);
    CHECK(test::error_of<pixlime::invalid_argument>([&] {
              pixlime::explanation(seg, m, Eigen::MatrixXd::Constant(2, 2, 5.0), Eigen::VectorXd::Ones(2), {0}, {0}, {fit}, {}, {}, 0,
                                   pixlime::task::regression);
          }).parameter() == "explanation predictions columns");
}

TEST_CASE("docs/regression.md's example: a value of the image's colours, explained") {
    const pixlime::image<std::uint8_t> img = pixlime::load_image(test::data_dir + "/images/chelsea_224.png", 3);
    const pixlime::segmentation seg = pixlime::grid(img, {8, 8});  // 64 cells
    // The lines of docs/regression.md (run_snippets.py checks that each is here).
    // One value per image, any size: here 1000 x its mean red minus 1500 x its mean blue (a toy).
    auto model = [](pixlime::batch_view<const std::uint8_t> batch) {
        Eigen::VectorXd value(batch.size());
        for (int i = 0; i < batch.size(); ++i) {
            double red = 0, blue = 0;
            for (int y = 0; y < batch.height(); ++y)
                for (int x = 0; x < batch.width(); ++x) red += batch[i].at(x, y, 0), blue += batch[i].at(x, y, 2);
            value[i] = (1000 * red - 1500 * blue) / (255.0 * batch[i].pixel_count());
        }
        return value;
    };
    pixlime::explain_options opt;
    opt.task = pixlime::task::regression;                   // one output, any finite value: no [0, 1] check
    opt.fill = pixlime::constant_fill{{0}};                 // a hidden segment is black: its share of the value is gone
    const pixlime::explanation ex = pixlime::explain(img, seg, model, opt);
    const double value = ex.model_prediction(0);            // the predicted value: label 0, the only one
    const Eigen::VectorXd& weights = ex.weights(0);         // each segment's effect on it, in its units
    const Eigen::VectorXd se = ex.standard_errors(0);       // how sure, in the same units
    const auto raised = pixlime::render_positive(img, ex, 0);   // the segments that raised the value
    const auto lowered = pixlime::render_negative(img, ex, 0);  // the segments that lowered it
    // What the page says of it.
    CHECK(value == Approx(112.75).epsilon(1e-3));  // not a probability
    CHECK(ex.labels() == std::vector<int>{0});
    // Linear in the pixels, so in the segments with a black fill: the weights add up to it.
    CHECK(ex.intercept(0) + weights.sum() == Approx(value).epsilon(0.01));
    CHECK(ex.score(0) > 0.99);
    CHECK(weights.maxCoeff() > 0);
    CHECK(weights.minCoeff() < 0);
    CHECK(se.size() == weights.size());
    CHECK((raised.width() == img.width() && lowered.height() == img.height()));
}
