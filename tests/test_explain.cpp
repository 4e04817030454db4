// Ground-truth tests of pixlime::explain: classifiers whose true explanation is known.
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>

using pixlime::batch_view;

namespace {

using test::black_fill;

std::vector<int> top_positive(const pixlime::explanation& ex, int label, std::size_t n) {
    std::vector<int> out;
    for (const auto& [seg, w] : ex.ranked(label))
        if (w > 0 && out.size() < n) out.push_back(seg);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("a planted feature: the classifier reacts only to a known region, which gets the top weights") {
    const auto img = test::noise(60, 60, 3, 11);
    const auto seg = test::grid(60, 60, 6, 6);  // 36 cells of 10x10
    // The "planted" region: cells 14, 15 and 21 (x 40..59, y 10..19 and x 10..19, y 20..29).
    const std::set<int> planted{14, 15, 21};
    auto classify = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXf p(batch.size(), 3);
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], seg);
            float score = 0;
            for (int s : planted) score += float(kept[std::size_t(s)]);
            p(i, 0) = 0.1f + 0.25f * score;  // class 0 = "planted object present"
            p(i, 1) = 1.0f - p(i, 0) - 0.05f;
            p(i, 2) = 0.05f;
        }
        return p;
    };
    for (auto mode : {pixlime::sampling::balanced, pixlime::sampling::lime_compatible, pixlime::sampling::bernoulli}) {
        auto opt = black_fill();
        opt.sampler = mode;
        opt.num_samples = 400;
        opt.seed = 5;
        const auto ex = pixlime::explain(img, seg, classify, opt);
        INFO("sampling mode " << int(mode));
        CHECK(ex.top_labels() == std::vector<int>{0, 1, 2});  // 0.85, 0.10, 0.05 on the unperturbed image
        CHECK(top_positive(ex, 0, 3) == std::vector<int>(planted.begin(), planted.end()));
        // The three planted segments are the top three by |weight|, far above the rest.
        const auto ranked = ex.ranked(0);
        for (int i = 0; i < 3; ++i) CHECK(planted.count(ranked[std::size_t(i)].first) == 1);
        CHECK(std::abs(ranked[3].second) < 0.1 * std::abs(ranked[2].second));
        // For class 1 (1 - class 0 - 0.05) the same segments push down.
        for (int s : planted) CHECK(ex.weights(1)[s] < 0);
        CHECK(ex.score(0) > 0.95);
    }
}

TEST_CASE("a classifier linear in the segment indicators has its weights recovered") {
    const int k = 16;
    const auto img = test::noise(32, 32, 1, 3);
    const auto seg = test::grid(32, 32, 4, 4);
    std::vector<double> beta(k);
    std::mt19937 gen(9);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (double& b : beta) b = normal(gen);
    const double bias = 0.3;
    auto linear = [&](batch_view<const std::uint8_t> batch) {  // a score, not a probability: two columns
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], seg);
            double v = bias;
            for (int s = 0; s < k; ++s) v += beta[std::size_t(s)] * kept[std::size_t(s)];
            p(i, 0) = 0;
            p(i, 1) = v;
        }
        return p;
    };
    auto opt = black_fill();
    opt.num_samples = 300;
    opt.labels = {1};

    SUBCASE("exactly without a penalty") {
        opt.surrogate = pixlime::weighted_ridge{0.0};
        const auto ex = pixlime::explain(img, seg, linear, opt);
        for (int s = 0; s < k; ++s) CHECK(std::abs(ex.weights(1)[s] - beta[std::size_t(s)]) < 1e-9);
        CHECK(std::abs(ex.intercept(1) - bias) < 1e-9);
        CHECK(std::abs(ex.score(1) - 1.0) < 1e-12);
        CHECK(std::abs(ex.local_prediction(1) - ex.model_prediction(1)) < 1e-9);
    }
    SUBCASE("closely with lime's alpha = 1") {
        const auto ex = pixlime::explain(img, seg, linear, opt);
        for (int s = 0; s < k; ++s) CHECK(std::abs(ex.weights(1)[s] - beta[std::size_t(s)]) < 0.05 * std::abs(beta[std::size_t(s)]) + 0.02);
    }
}

TEST_CASE("one seed gives bitwise-identical explanations whatever the batch size or thread count") {
    const auto img = test::noise(48, 40, 3, 21);
    const auto seg = test::grid(48, 40, 8, 5);
    auto classify = [](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXf p(batch.size(), 4);
        for (int i = 0; i < batch.size(); ++i) {
            const auto v = batch[i];
            double a = 0, b = 0;
            for (int y = 0; y < v.height(); ++y)
                for (int x = 0; x < v.width(); ++x) (x < y ? a : b) += v.at(x, y, 1) * (1 + (x % 7));
            p(i, 0) = float(a / 1e6), p(i, 1) = float(b / 1e6), p(i, 2) = float(a / (a + b + 1)), p(i, 3) = 0.5f;
        }
        return p;
    };
    for (auto mode : {pixlime::sampling::balanced, pixlime::sampling::bernoulli}) {
        pixlime::explain_options opt;
        opt.sampler = mode;
        opt.num_samples = 203;
        opt.seed = 1234567;
        opt.batch_size = 1;
        const auto ref = pixlime::explain(img, seg, classify, opt);
        for (int batch : {7, 64, 1000})
            for (int threads : {1, 2, 3}) {
                opt.batch_size = batch;
                opt.num_threads = threads;
                const auto ex = pixlime::explain(img, seg, classify, opt);
                INFO("batch " << batch << " threads " << threads);
                CHECK(ex.samples() == ref.samples());
                CHECK(ex.predictions() == ref.predictions());
                for (int l : ref.labels()) {
                    CHECK(ex.weights(l) == ref.weights(l));  // bitwise
                    CHECK(ex.intercept(l) == ref.intercept(l));
                }
            }
        opt.seed = 7654321;
        CHECK(pixlime::explain(img, seg, classify, opt).samples() != ref.samples());
    }
}

TEST_CASE("a binary model (one output column) is explained as classes {0: 1-p, 1: p}") {
    const auto img = test::noise(40, 40, 3, 2);
    const auto seg = test::grid(40, 40, 4, 4);
    auto binary = [&](batch_view<const std::uint8_t> batch) {
        Eigen::VectorXd p(batch.size());
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], seg);
            p[i] = 0.2 + 0.6 * kept[5];  // P(class 1) rises only with segment 5
        }
        return p;
    };
    auto opt = black_fill();
    opt.num_samples = 200;
    const auto ex = pixlime::explain(img, seg, binary, opt);
    CHECK(ex.num_classes() == 2);
    CHECK(ex.labels() == std::vector<int>{1, 0});
    CHECK(ex.model_prediction(1) == doctest::Approx(0.8));
    CHECK(ex.model_prediction(0) == doctest::Approx(0.2));
    CHECK(ex.ranked(1)[0].first == 5);
    CHECK(ex.weights(1)[5] > 0.5);
    for (int s = 0; s < 16; ++s) CHECK(ex.weights(0)[s] == doctest::Approx(-ex.weights(1)[s]).epsilon(1e-9));
    CHECK(ex.intercept(0) == doctest::Approx(1.0 - ex.intercept(1)));
}

TEST_CASE("gray, gray+alpha, RGBA and float images: the classifier gets the image's own layout") {
    for (int channels : {1, 2, 4}) {
        const auto img = test::noise(30, 20, channels, 4);
        const auto seg = test::grid(30, 20, 3, 2);
        auto classify = [&](batch_view<const std::uint8_t> batch) {
            REQUIRE(batch.channels() == channels);
            REQUIRE(batch.width() == 30);
            REQUIRE(batch.height() == 20);
            Eigen::MatrixXf p(batch.size(), 2);
            for (int i = 0; i < batch.size(); ++i) {
                const auto kept = test::kept_segments(batch[i], seg);
                p(i, 0) = 0.3f * float(kept[4]);  // reacts to segment 4 only
                p(i, 1) = 0.5f;
            }
            return p;
        };
        auto opt = black_fill();
        opt.num_samples = 100;
        const auto ex = pixlime::explain(img, seg, classify, opt);
        INFO("channels " << channels);
        CHECK(ex.ranked(0)[0].first == 4);
        CHECK(ex.weights(0)[4] == doctest::Approx(0.3).epsilon(0.02));
    }
    // float pixels
    pixlime::image<float> f(24, 24, 3);
    for (std::size_t i = 0; i < f.size(); ++i) f.data()[i] = 0.25f + float(i % 5) * 0.1f;
    const auto seg = test::grid(24, 24, 3, 3);
    auto classify = [&](batch_view<const float> batch) {
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], seg);
            p(i, 0) = 0.9 * kept[8], p(i, 1) = 0.1;
        }
        return p;
    };
    auto opt = black_fill();
    const auto ex = pixlime::explain(f, seg, classify, opt);
    CHECK(ex.ranked(0)[0].first == 8);
}

TEST_CASE("a user label map with arbitrary ids is explained by its relabelled segments") {
    const int w = 20, h = 10;
    std::vector<long> ids(std::size_t(w * h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) ids[std::size_t(y * w + x)] = x < 5 ? 1000 : (x < 12 ? -7 : 42);
    const auto seg = pixlime::segmentation::from_labels(w, h, ids);
    const auto img = test::noise(w, h, 3, 8);
    auto classify = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXf p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = batch[i].at(15, 5, 0) != 0 ? 1.f : 0.f, p(i, 1) = 0;
        return p;
    };
    const auto ex = pixlime::explain(img, seg, classify, black_fill());
    CHECK(ex.ranked(0)[0].first == seg.label(15, 5));
    CHECK(seg.label(15, 5) == 2);  // id 42, the third to appear
}

TEST_CASE("a view over user memory with a row stride is explained like the packed image") {
    const auto img = test::noise(16, 12, 3, 6);
    std::vector<std::uint8_t> padded(std::size_t(12) * 60, 0);  // rows of 60 values: 48 used
    for (int y = 0; y < 12; ++y) std::copy(img.data() + y * 48, img.data() + (y + 1) * 48, padded.begin() + y * 60);
    const pixlime::image_view<const std::uint8_t> view(padded.data(), 16, 12, 3, 60);
    const auto seg = test::grid(16, 12, 4, 3);
    auto classify = [](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXf p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = batch[i].at(3, 9, 1) / 255.f, p(i, 1) = batch[i].at(13, 1, 2) / 255.f;
        return p;
    };
    pixlime::explain_options opt;
    opt.num_samples = 60;
    const auto a = pixlime::explain(view, seg, classify, opt);
    const pixlime::image_view<std::uint8_t> mutable_view(padded.data(), 16, 12, 3, 60);
    CHECK(pixlime::explain(mutable_view, seg, classify, opt).weights(0) == a.weights(0));
    const auto b = pixlime::explain(img, seg, classify, opt);
    CHECK(a.predictions() == b.predictions());
    CHECK(a.weights(0) == b.weights(0));
}

TEST_CASE("every stage is a value in explain_options: a custom sampler, fill, kernel and surrogate") {
    const auto img = test::noise(24, 24, 3, 30);
    const auto seg = test::grid(24, 24, 3, 3);
    auto classify = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 1);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = 0.25 * test::kept_segments(batch[i], seg)[4];
        return p;
    };
    int sampler_calls = 0, fill_calls = 0, kernel_calls = 0;
    auto opt = black_fill();
    opt.num_samples = 10;
    // Every sample hides exactly one segment (row 0 keeps all): a leave-one-out design.
    opt.sampler = pixlime::sampler(
        [&](int n, int k, std::uint64_t) {
            ++sampler_calls;
            pixlime::mask_matrix m = pixlime::mask_matrix::Ones(n, k);
            for (int i = 1; i < n; ++i) m(i, (i - 1) % k) = 0;
            return m;
        },
        "leave_one_out");
    // A fill of zeros, written by hand.
    opt.fill = [&](pixlime::image_view<const std::uint8_t> v, const pixlime::segmentation&) {
        ++fill_calls;
        return pixlime::image<std::uint8_t>(v.width(), v.height(), v.channels(), 0);
    };
    opt.kernel = [&](const pixlime::mask_matrix& m) {
        ++kernel_calls;
        return Eigen::VectorXd::Ones(m.rows()).eval();
    };
    // A surrogate that reports, per target, the output drop when each segment is hidden.
    opt.surrogate = [](const pixlime::mask_matrix& m, const Eigen::VectorXd& w, const Eigen::MatrixXd& y) {
        CHECK(w == Eigen::VectorXd::Ones(m.rows()));
        std::vector<pixlime::linear_fit> fits(std::size_t(y.cols()));
        for (Eigen::Index t = 0; t < y.cols(); ++t) {
            fits[std::size_t(t)].weights = Eigen::VectorXd::Zero(m.cols());
            for (Eigen::Index i = 1; i < m.rows(); ++i)
                for (Eigen::Index k = 0; k < m.cols(); ++k)
                    if (!m(i, k)) fits[std::size_t(t)].weights[k] = y(0, t) - y(i, t);
        }
        return fits;
    };
    const auto ex = pixlime::explain(img, seg, classify, opt);
    CHECK(sampler_calls == 1);
    CHECK(fill_calls == 1);
    CHECK(kernel_calls == 1);
    CHECK(opt.sampler.name() == "leave_one_out");
    CHECK(opt.fill.name() == "custom");
    CHECK(ex.weights(1)[4] == doctest::Approx(0.25));
    CHECK(ex.weights(1).cwiseAbs().sum() == doctest::Approx(0.25));
    CHECK(ex.samples()(3, 2) == 0);
    // The stages' results are checked where they enter.
    opt.sampler = [](int n, int k, std::uint64_t) { return pixlime::mask_matrix::Ones(n, k + 1).eval(); };
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, classify, opt); }).parameter() ==
          "sampler (custom) result size");
    opt.sampler = pixlime::sampling::bernoulli;
    opt.kernel = [](const pixlime::mask_matrix& m) { return Eigen::VectorXd::Zero(m.rows()).eval(); };
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, classify, opt); }).parameter() ==
          "kernel (custom) result");
    opt.kernel = pixlime::exponential_kernel{};
    opt.surrogate = [](const pixlime::mask_matrix& m, const Eigen::VectorXd&, const Eigen::MatrixXd& y) {
        return std::vector<pixlime::linear_fit>(std::size_t(y.cols()), pixlime::linear_fit{Eigen::VectorXd::Zero(m.cols() - 1), 0, 0, 0});
    };
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, classify, opt); }).parameter() ==
          "surrogate (custom) result for label 0 weights size");
}

TEST_CASE("progress is reported after every batch, and returning false cancels") {
    const auto img = test::noise(20, 20, 3, 3);
    const auto seg = test::grid(20, 20, 4, 4);
    int classifier_calls = 0;
    auto classify = [&](batch_view<const std::uint8_t> b) {
        ++classifier_calls;
        return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
    };
    pixlime::explain_options opt;
    opt.num_samples = 95;
    opt.batch_size = 10;
    std::vector<std::pair<int, int>> seen;
    opt.progress = [&](int done, int total) {
        seen.emplace_back(done, total);
        return true;
    };
    (void)pixlime::explain(img, seg, classify, opt);
    REQUIRE(seen.size() == 10);
    CHECK(seen.front() == std::pair<int, int>{10, 95});
    CHECK(seen[4] == std::pair<int, int>{50, 95});
    CHECK(seen.back() == std::pair<int, int>{95, 95});
    // Stop after the third batch: no more classifier calls, a pixlime::cancelled.
    classifier_calls = 0;
    opt.progress = [](int done, int) { return done < 30; };
    const auto e = test::error_of<pixlime::cancelled>([&] { pixlime::explain(img, seg, classify, opt); });
    CHECK(classifier_calls == 3);
    CHECK(e.parameter() == "explain_options.progress");
    CHECK(test::contains(e.value(), "30 of 95"));
    CHECK(std::is_base_of_v<pixlime::error, pixlime::cancelled>);
}

TEST_CASE("model_input: the classifier gets float NCHW, scaled and normalised, exactly as converting it itself") {
    const auto img = test::noise(13, 9, 3, 17, 0, 255);
    const auto seg = test::grid(13, 9, 3, 3);
    // Reference: NHWC uint8 converted by the classifier itself.
    const double mean[3] = {0.485, 0.456, 0.406}, sd[3] = {0.229, 0.224, 0.225};
    std::vector<std::vector<float>> converted_by_hand;
    auto by_hand = [&](batch_view<const std::uint8_t> b) {
        for (int i = 0; i < b.size(); ++i) {
            std::vector<float> v(std::size_t(3 * 13 * 9));
            for (int c = 0; c < 3; ++c)  // BGR model: output channel c is input channel 2 - c
                for (int y = 0; y < 9; ++y)
                    for (int x = 0; x < 13; ++x)
                        v[std::size_t((c * 9 + y) * 13 + x)] =
                            float((double(b[i].at(x, y, 2 - c)) * (1.0 / 255) - mean[c]) / sd[c]);
            converted_by_hand.push_back(v);
        }
        return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
    };
    std::vector<std::vector<float>> received;
    auto nchw = [&](batch_view<const float> b) {
        CHECK(b.layout() == pixlime::layout::nchw);
        CHECK(b.channels() == 3);
        for (int i = 0; i < b.size(); ++i) received.emplace_back(b.image_data(i), b.image_data(i) + b.image_size());
        return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
    };
    pixlime::explain_options opt;
    opt.num_samples = 30;
    opt.batch_size = 7;
    (void)pixlime::explain(img, seg, by_hand, opt);
    opt.model_input.to_float = true;
    opt.model_input.layout = pixlime::layout::nchw;
    opt.model_input.channels = {2, 1, 0};
    opt.model_input.scale = 1.0 / 255;
    opt.model_input.mean = {mean[0], mean[1], mean[2]};
    opt.model_input.stddev = {sd[0], sd[1], sd[2]};
    opt.num_threads = 2;
    (void)pixlime::explain(img, seg, nchw, opt);
    REQUIRE(received.size() == 30);
    CHECK(received == converted_by_hand);
    // A classifier without a float overload cannot take float batches: a clear error first.
    const auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, by_hand, opt); });
    CHECK(e.parameter() == "classifier");
    CHECK(test::contains(e.expected(), "batch_view<const float>"));
    // Gray to the three channels of an RGB model.
    const auto gray = test::noise(8, 8, 1, 2);
    pixlime::explain_options g;
    g.num_samples = 5;
    g.model_input.channels = {0, 0, 0};
    int calls = 0;
    (void)pixlime::explain(gray, test::grid(8, 8, 2, 2), [&](batch_view<const std::uint8_t> b) {
        ++calls;
        CHECK(b.channels() == 3);
        CHECK((b[0].at(3, 4, 0) == b[0].at(3, 4, 2) && b[0].at(3, 4, 1) == b[0].at(3, 4, 0)));
        return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
    }, g);
    CHECK(calls == 1);
}

TEST_CASE("misbehaving classifiers get a classifier_error naming the samples and the value") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.num_samples = 50;
    auto e = test::error_of<pixlime::classifier_error>([&] {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Zero(b.size() + 1, 2); }, opt);
    });
    CHECK(e.parameter() == "classifier output rows (samples 0..9)");
    CHECK(e.value() == "11");
    CHECK(e.expected() == "batch.size() = 10");
    int calls = 0;
    e = test::error_of<pixlime::classifier_error>([&] {
        pixlime::explain(img, seg, [&](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Zero(b.size(), ++calls < 3 ? 3 : 4); }, opt);
    });
    CHECK(e.parameter() == "classifier output columns (samples 20..29)");
    CHECK(e.value() == "4");
    auto output_error = [&](double bad, int columns) {
        return test::error_of<pixlime::classifier_error>([&] {
            pixlime::explain(img, seg, [&](batch_view<const std::uint8_t> b) {
                Eigen::MatrixXd p = Eigen::MatrixXd::Constant(b.size(), columns, 0.5);
                p(b.size() - 1, columns - 1) = bad;
                return p;
            }, opt);
        });
    };
    e = output_error(std::numeric_limits<double>::quiet_NaN(), 2);
    CHECK(e.parameter() == "classifier output[9, 1]");
    CHECK(e.value() == "nan");
    CHECK(output_error(std::numeric_limits<double>::infinity(), 2).value() == "inf");
    // Finite but so large that the surrogate's sums would overflow (NaN weights, silently).
    e = output_error(1.7e308, 3);
    CHECK(e.value() == "1.7e+308");
    CHECK(test::contains(e.expected(), "magnitude at most 1e150"));
    // A single column is P(class 1): 7.5 would make class 0 -6.5.
    e = output_error(7.5, 1);
    CHECK(e.parameter() == "classifier output[9, 0]");
    CHECK(test::contains(e.expected(), "[0, 1]"));
    CHECK(output_error(-0.01, 1).value() == "-0.01");
    // Too many classes for the limits: refused after the first call, before allocating outputs.
    pixlime::explain_options few = opt;
    few.limits.max_classes = 100;
    const auto too_many = test::error_of<pixlime::size_limit_error>([&] {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Zero(b.size(), 101); }, few);
    });
    CHECK(too_many.value() == "101");
    // An exception from the classifier is propagated with context, the original nested.
    try {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) -> Eigen::MatrixXf {
            if (b.size() > 0) throw std::out_of_range("model exploded");
            return {};
        }, opt);
        FAIL("no exception");
    } catch (const pixlime::classifier_error& ce) {
        CHECK(ce.parameter() == "classifier (samples 0..9)");
        CHECK(ce.value() == "threw: model exploded");
        bool nested_seen = false;
        try {
            std::rethrow_if_nested(ce);
        } catch (const std::out_of_range& inner) {
            nested_seen = std::string(inner.what()) == "model exploded";
        }
        CHECK(nested_seen);
    }
}

TEST_CASE("options are checked before the classifier is called; limits before allocating") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    int calls = 0;
    auto classify = [&](batch_view<const std::uint8_t> b) {
        ++calls;
        return Eigen::MatrixXf::Constant(b.size(), 3, 0.3f).eval();
    };
    auto param = [&](auto tweak) {
        pixlime::explain_options opt;
        tweak(opt);
        return test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, classify, opt); }).parameter();
    };
    CHECK(param([](auto& o) { o.num_samples = 1; }) == "explain_options.num_samples");
    CHECK(param([](auto& o) { o.num_samples = std::numeric_limits<int>::max(); }) == "explain_options.num_samples");
    CHECK(param([](auto& o) { o.batch_size = 0; }) == "explain_options.batch_size");
    CHECK(param([](auto& o) { o.num_threads = 0; }) == "explain_options.num_threads");
    CHECK(param([](auto& o) { o.top_labels = 0; }) == "explain_options.top_labels");
    CHECK(param([](auto& o) { o.labels = {1, 1, 1}; }) == "explain_options.labels[1]");
    CHECK(param([](auto& o) { o.labels = {-1}; }) == "explain_options.labels[0]");
    CHECK(param([](auto& o) { o.kernel = pixlime::exponential_kernel{0}; }) == "exponential_kernel.width");
    CHECK(param([](auto& o) { o.surrogate = pixlime::weighted_ridge{-1}; }) == "weighted_ridge.alpha");
    CHECK(param([](auto& o) { o.model_input.mean = {1}; }) == "model_input.to_float");
    CHECK(param([](auto& o) { o.limits.max_samples = 0; }) == "explain_options.limits");
    CHECK(calls == 0);
    // A label out of the classifier's range is known only after its first call.
    CHECK(param([](auto& o) { o.labels = {0, 3}; }) == "explain_options.labels[1]");
    // Segments over the limit; the surrogate's system over its limit; memory over the limit.
    calls = 0;
    auto limit = [&](auto tweak) {
        pixlime::explain_options opt;
        tweak(opt);
        return test::error_of<pixlime::size_limit_error>([&] { pixlime::explain(img, seg, classify, opt); }).parameter();
    };
    CHECK(limit([](auto& o) { o.limits.max_segments = 15; }) == "segmentation count");
    CHECK(limit([](auto& o) { o.limits.max_surrogate_size = 15; }) == "surrogate system size min(num_samples, segments)");
    CHECK(limit([](auto& o) { o.limits.max_explanation_bytes = 20000; }) == "explanation memory");
    CHECK(limit([](auto& o) { o.limits.max_pixels = 255; }) == "image size");
    CHECK(calls == 0);
}

TEST_CASE("the kernel width no longer blames the ridge; a too-small width is named") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.num_samples = 40;
    opt.kernel = pixlime::exponential_kernel{1e-200};
    const auto e = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, opt);
    });
    CHECK(e.parameter() == "exponential_kernel.width");
    CHECK(e.value() == "1e-200");
}

TEST_CASE("float images must hold finite values") {
    pixlime::image<float> f(8, 8, 1, 0.5f);
    f.at(3, 2) = std::numeric_limits<float>::quiet_NaN();
    const auto e = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::explain(f, test::grid(8, 8, 2, 2), [](batch_view<const float> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); });
    });
    CHECK(e.parameter() == "image pixel (3, 2) channel 0");
}

TEST_CASE("asking for a label that was not explained, or is not a class") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.num_samples = 20;
    opt.labels = {1};
    const auto ex = pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, opt);
    auto e = test::error_of<pixlime::invalid_argument>([&] { (void)ex.weights(0); });
    CHECK(e.parameter() == "label");
    CHECK(test::contains(e.expected(), "{1}"));
    e = test::error_of<pixlime::invalid_argument>([&] { (void)ex.model_prediction(2); });
    CHECK(e.value() == "2");
}

TEST_CASE("an explanation is checked where it is assembled") {
    const auto seg = test::grid(8, 8, 2, 2);
    const pixlime::mask_matrix masks = pixlime::mask_matrix::Ones(3, 4);
    const Eigen::MatrixXd predictions = Eigen::MatrixXd::Constant(3, 2, 0.5);
    const Eigen::VectorXd weights = Eigen::VectorXd::Ones(3);
    pixlime::linear_fit short_fit{Eigen::VectorXd::Zero(3), 0, 0, 0};
    auto e = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::explanation(seg, masks, predictions, weights, {1}, {1}, {short_fit});
    });
    CHECK(e.parameter() == "explanation fit of label 1 weights size");
    pixlime::linear_fit nan_fit{Eigen::VectorXd::Constant(4, std::numeric_limits<double>::quiet_NaN()), 0, 0, 0};
    CHECK_THROWS_AS(pixlime::explanation(seg, masks, predictions, weights, {1}, {1}, {nan_fit}), pixlime::invalid_argument);
    pixlime::linear_fit good{Eigen::VectorXd::Zero(4), 0, 0, 0};
    CHECK_THROWS_AS(pixlime::explanation(seg, masks, predictions, weights, {1, 1}, {1}, {good, good}), pixlime::invalid_argument);
    CHECK_THROWS_AS(pixlime::explanation(seg, masks, predictions, weights, {2}, {1}, {good}), pixlime::invalid_argument);
    CHECK_THROWS_AS(pixlime::explanation(seg, pixlime::mask_matrix::Ones(3, 5), predictions, weights, {1}, {1}, {good}),
                    pixlime::invalid_argument);
    CHECK(pixlime::explanation(seg, masks, predictions, weights, {1}, {1}, {good}).num_segments() == 4);
}

TEST_CASE("more threads than cores or than images in a batch give the same explanation") {
    const auto img = test::noise(40, 30, 3, 5);
    const auto seg = test::grid(40, 30, 5, 5);
    auto classify = [](batch_view<const std::uint8_t> b) {
        Eigen::MatrixXd p(b.size(), 2);
        for (int i = 0; i < b.size(); ++i) p(i, 0) = b[i].at(7, 7, 0) / 255.0, p(i, 1) = b[i].at(30, 20, 1) / 255.0;
        return p;
    };
    pixlime::explain_options opt;
    opt.num_samples = 77;
    opt.batch_size = 3;
    const auto one = pixlime::explain(img, seg, classify, opt);
    for (int threads : {2, 8, 64}) {
        opt.num_threads = threads;
        CHECK(pixlime::explain(img, seg, classify, opt).predictions() == one.predictions());
    }
}

namespace {

/// A classifier that provides the memory of its batches (explain_options docs: batch_memory),
/// recording what explain asked for and where the batches were.
struct own_memory_classifier {
    std::vector<std::uint8_t> memory;
    int memory_calls = 0;
    bool every_batch_in_memory = true;
    bool return_null = false;

    template <class V>
    V* batch_memory(std::size_t values) {
        static_assert(std::is_same_v<V, std::uint8_t>, "this test classifier takes the image's bytes");
        ++memory_calls;
        memory.assign(values, 0);
        return return_null ? nullptr : memory.data();
    }

    Eigen::MatrixXf operator()(batch_view<const std::uint8_t> batch) {
        every_batch_in_memory = every_batch_in_memory && batch.data() == memory.data();
        Eigen::MatrixXf p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = batch[i].at(3, 3, 0) / 255.f, p(i, 1) = 1 - p(i, 0);
        return p;
    }
};

}  // namespace

TEST_CASE("a classifier may provide the memory its batches are written into") {
    const auto img = test::noise(24, 20, 3, 5);
    const auto seg = test::grid(24, 20, 4, 4);
    pixlime::explain_options opt = black_fill();
    opt.num_samples = 95;
    opt.batch_size = 10;
    own_memory_classifier own;
    const auto ex = pixlime::explain(img, seg, own, opt);
    CHECK(own.memory_calls == 1);
    CHECK(own.memory.size() == std::size_t(10) * 24 * 20 * 3);
    CHECK(own.every_batch_in_memory);
    // The same explanation as with explain's own buffer.
    auto plain = [](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXf p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = batch[i].at(3, 3, 0) / 255.f, p(i, 1) = 1 - p(i, 0);
        return p;
    };
    const auto ref = pixlime::explain(img, seg, plain, opt);
    CHECK(ex.predictions() == ref.predictions());
    CHECK(ex.weights(0) == ref.weights(0));
    // What stays in the memory after explain is the last batch (samples 90..94), as rendered.
    for (int i = 0; i < 5; ++i) {
        const pixlime::image_view<const std::uint8_t> kept(own.memory.data() + std::size_t(i) * 24 * 20 * 3, 24, 20, 3);
        const auto mask = ex.samples().row(90 + i);
        CHECK(test::kept_segments(kept, seg) == std::vector<int>(mask.data(), mask.data() + mask.size()));
    }

    own_memory_classifier null_memory;
    null_memory.return_null = true;
    CHECK_THROWS_WITH_AS(pixlime::explain(img, seg, null_memory, opt),
                         "pixlime: classifier.batch_memory(14400) = a null pointer: expected memory for 14400 values "
                         "(batch_size x image values)",
                         pixlime::classifier_error);
}

// explain_options::hide, 0.2's name of `fill`, kept for one release: old code assigning it must
// still compile (the warning silenced here, on purpose) and still choose the fill.
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST_CASE("the deprecated explain_options::hide still sets the fill, and wins over fill when both are set") {
    const auto img = test::noise(20, 20, 3, 5, 0, 255);
    const auto seg = test::grid(20, 20, 2, 2);
    // The image's mean brightness: its outputs depend on what the hidden segments show.
    auto classify = [](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) {
            double sum = 0;
            const auto v = batch[i];
            for (int y = 0; y < v.height(); ++y)
                for (int x = 0; x < v.width(); ++x)
                    for (int c = 0; c < v.channels(); ++c) sum += v.at(x, y, c);
            p(i, 0) = sum / (255.0 * double(v.pixel_count() * v.channels()));
            p(i, 1) = 1 - p(i, 0);
        }
        return p;
    };
    pixlime::explain_options opt;
    opt.num_samples = 8;
    opt.fill = pixlime::constant_fill{{0}};
    const Eigen::MatrixXd black = pixlime::explain(img, seg, classify, opt).predictions();
    opt.fill = pixlime::constant_fill{{255}};
    const Eigen::MatrixXd white = pixlime::explain(img, seg, classify, opt).predictions();
    REQUIRE(black != white);

    pixlime::explain_options old;
    old.num_samples = 8;
    old.hide = pixlime::constant_fill{{255}};
    CHECK(pixlime::explain(img, seg, classify, old).predictions() == white);
    old.fill = pixlime::constant_fill{{0}};  // hide is what the old code asked for
    CHECK(pixlime::explain(img, seg, classify, old).predictions() == white);
    const pixlime::explain_options copy = old;  // copies carry it
    CHECK(pixlime::explain(img, seg, classify, copy).predictions() == white);
}
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace {

/// Runs f, requires a pixlime::stage_error naming `stage` whose nested exception is a
/// std::runtime_error saying `said`, and returns its value().
template <class F>
std::string stage_error_of(F&& f, const std::string& stage, const std::string& said) {
    try {
        f();
    } catch (const pixlime::stage_error& e) {
        CHECK(e.parameter() == stage);
        CHECK(std::string(e.what()) == "pixlime: " + e.parameter() + " = " + e.value() + ": expected " + e.expected());
        CHECK(test::contains(e.expected(), "the exception is nested"));
        std::string nested = "(none)";
        try {
            std::rethrow_if_nested(e);
        } catch (const std::runtime_error& inner) {
            nested = inner.what();
        } catch (...) {
            nested = "(another type)";
        }
        CHECK(nested == said);
        return e.value();
    } catch (const std::exception& e) {
        FAIL_CHECK("wrong exception type: " << e.what());
        return "";
    }
    FAIL_CHECK("no exception");
    return "";
}

}  // namespace

TEST_CASE("a user's stage callable that throws comes back as a stage_error naming the stage, the original nested") {
    const auto img = test::noise(16, 16, 3, 5);
    const auto seg = test::grid(16, 16, 4, 4);
    auto classify = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); };
    pixlime::explain_options opt;
    opt.num_samples = 30;
    const auto boom = [](const char* what) { return std::runtime_error(what); };

    pixlime::explain_options o = opt;
    o.segmenter = [&](pixlime::image_view<const std::uint8_t>) -> pixlime::segmentation { throw boom("segmenter boom"); };
    CHECK(stage_error_of([&] { pixlime::explain(img, classify, o); }, "explain_options.segmenter", "segmenter boom") ==
          "custom threw: segmenter boom");
    o = opt;
    o.sampler = pixlime::sampler([&](int, int, std::uint64_t) -> pixlime::mask_matrix { throw boom("sampler boom"); }, "my_design");
    CHECK(stage_error_of([&] { pixlime::explain(img, seg, classify, o); }, "explain_options.sampler", "sampler boom") ==
          "my_design threw: sampler boom");
    o = opt;
    o.fill = [&](pixlime::image_view<const std::uint8_t>, const pixlime::segmentation&) -> pixlime::image<std::uint8_t> {
        throw boom("fill boom");
    };
    stage_error_of([&] { pixlime::explain(img, seg, classify, o); }, "explain_options.fill", "fill boom");
    o = opt;
    o.kernel = [&](const pixlime::mask_matrix&) -> Eigen::VectorXd { throw boom("kernel boom"); };
    stage_error_of([&] { pixlime::explain(img, seg, classify, o); }, "explain_options.kernel", "kernel boom");
    o = opt;
    o.surrogate = [&](const pixlime::mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&) -> std::vector<pixlime::linear_fit> {
        throw boom("surrogate boom");
    };
    stage_error_of([&] { pixlime::explain(img, seg, classify, o); }, "explain_options.surrogate", "surrogate boom");

    // Something not derived from std::exception is nested as it is.
    o = opt;
    o.segmenter = [](pixlime::image_view<const std::uint8_t>) -> pixlime::segmentation { throw 42; };
    try {
        pixlime::explain(img, classify, o);
        FAIL_CHECK("no exception");
    } catch (const pixlime::stage_error& e) {
        CHECK(e.value() == "custom threw: an exception not derived from std::exception");
        int inner = 0;
        try {
            std::rethrow_if_nested(e);
        } catch (int i) {
            inner = i;
        }
        CHECK(inner == 42);
    }

    // pixlime's own errors keep their class, from a user's callable or from a built-in stage;
    // cancelled passes through unchanged.
    o = opt;
    o.segmenter = [](pixlime::image_view<const std::uint8_t> v) { return pixlime::grid(v.width(), v.height(), 0, 2); };
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, classify, o); }).parameter() == "grid_options.cells_x");
    o = opt;
    o.segmenter = [](pixlime::image_view<const std::uint8_t>) -> pixlime::segmentation {
        throw pixlime::cancelled("my segmenter", "stopped", "not stopped");
    };
    CHECK(test::error_of<pixlime::cancelled>([&] { pixlime::explain(img, classify, o); }).parameter() == "my segmenter");
    o = opt;
    o.sampler = pixlime::sampling::lime_compatible;
    o.seed = std::uint64_t(1) << 33;
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, classify, o); }).parameter() == "sample_masks seed");
    o = opt;
    pixlime::slic_options no_segments;
    no_segments.num_segments = 0;
    o.segmenter = no_segments;
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, classify, o); }).parameter() == "slic_options.num_segments");
    o = opt;
    o.progress = [](int, int) { return false; };
    CHECK(test::error_of<pixlime::cancelled>([&] { pixlime::explain(img, seg, classify, o); }).parameter() == "explain_options.progress");
}

TEST_CASE("classifier.hpp's batch_stream: batches into one buffer, outputs in order, progress, cancel, the samples named") {
    namespace d = pixlime::detail;
    std::vector<int> sizes;
    const std::uint8_t* buffer = nullptr;
    int columns = 2;
    auto classify = [&](batch_view<const std::uint8_t> b) {
        sizes.push_back(b.size());
        if (buffer) CHECK(&b[0].at(0, 0, 0) == buffer);  // the same buffer every batch
        buffer = &b[0].at(0, 0, 0);
        Eigen::MatrixXf out(b.size(), columns);
        for (int i = 0; i < b.size(); ++i) out.row(i).setConstant(float(b[i].at(1, 1, 0)) / 100.0f);
        return out;
    };
    const d::classifier_functions<std::uint8_t> f = d::wrap_classifier<std::uint8_t>(classify);
    REQUIRE(f.own);
    CHECK_FALSE(f.as_float);
    const auto render = [](int first, int count, std::uint8_t* out) {  // image j: every value first + j
        for (int j = 0; j < count; ++j) std::fill(out + 4 * j, out + 4 * (j + 1), std::uint8_t(first + j));
    };
    std::vector<std::pair<int, int>> reported;
    const std::function<bool(int, int)> progress = [&](int done, int total) {
        reported.emplace_back(done, total);
        return true;
    };
    d::batch_stream<std::uint8_t> stream(f.own, 3, 2, 2, 1, pixlime::layout::nhwc, pixlime::limits{},
                                         {&progress, 9, "test.progress", "images", "the test"});
    CHECK(stream.image_values() == 4);
    std::vector<double> outputs(7, -1.0);
    const auto store = [&](int first, const Eigen::MatrixXd& out) {
        REQUIRE(out.cols() == 2);
        for (Eigen::Index i = 0; i < out.rows(); ++i) outputs[std::size_t(first + i)] = out(i, 1);
    };
    stream.run(7, render, [](int i) { return i; }, store);
    CHECK(sizes == std::vector<int>{3, 3, 1});
    for (int i = 0; i < 7; ++i) CHECK(outputs[std::size_t(i)] == doctest::Approx(i / 100.0));
    CHECK(stream.images_done() == 7);
    CHECK(reported == std::vector<std::pair<int, int>>{{3, 9}, {6, 9}, {7, 9}});
    // A second run counts on; a changed column count is a classifier_error naming the samples
    // in the caller's numbering.
    columns = 3;
    const auto e = test::error_of<pixlime::classifier_error>([&] { stream.run(2, render, [](int i) { return 10 * i; }, store); });
    CHECK(e.parameter() == "classifier output columns (samples 0..10)");
    CHECK(e.expected() == "the 2 columns of the first call");
    // false from the progress callback cancels after that batch (another stream: its own buffer).
    columns = 2;
    buffer = nullptr;
    const std::function<bool(int, int)> stop = [](int, int) { return false; };
    d::batch_stream<std::uint8_t> stopped(f.own, 3, 2, 2, 1, pixlime::layout::nhwc, pixlime::limits{},
                                          {&stop, 7, "test.progress", "images", "the test"});
    const auto c = test::error_of<pixlime::cancelled>([&] { stopped.run(7, render, [](int i) { return i; }, store); });
    CHECK(c.parameter() == "test.progress");
    CHECK(c.value() == "false after 3 of 7 images");
    CHECK(c.expected() == "true to go on (the test was cancelled)");
    CHECK(stopped.images_done() == 3);
}

TEST_CASE("classifier.hpp: which form of the classifier a pipeline takes, and the input image's checks") {
    namespace d = pixlime::detail;
    auto as_u8 = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXd::Zero(b.size(), 2).eval(); };
    auto as_float = [](batch_view<const float> b) { return Eigen::MatrixXd::Ones(b.size(), 2).eval(); };
    const auto u8 = d::wrap_classifier<std::uint8_t>(as_u8);
    const auto f32 = d::wrap_classifier<std::uint8_t>(as_float);
    d::check_classifier_form(u8, false, "x_options");
    d::check_classifier_form(f32, true, "x_options");
    const auto e = test::error_of<pixlime::invalid_argument>([&] { d::check_classifier_form(u8, true, "x_options"); });
    CHECK(e.value() == "a callable without a batch_view<const float> overload");
    CHECK(e.expected().find("x_options::model_input.to_float is set") != std::string::npos);
    CHECK(test::error_of<pixlime::invalid_argument>([&] { d::check_classifier_form(f32, false, "x_options"); })
              .expected()
              .find("(or set x_options::model_input.to_float for float batches)") != std::string::npos);
    // with_batch_type hands over the function of the batches' type.
    const auto type_of = [](const auto& fn) { return std::is_same_v<std::decay_t<decltype(fn)>, d::classifier_function<float>>; };
    CHECK(d::with_batch_type(f32, true, type_of));
    CHECK_FALSE(d::with_batch_type(u8, false, type_of));
    const auto float_image = d::wrap_classifier<float>(as_float);
    CHECK(d::with_batch_type(float_image, false, type_of));

    pixlime::image<float> img(3, 2, 1, 0.5f);
    const pixlime::image_view<const float> view = std::as_const(img).view();
    d::check_input_image(view, pixlime::limits{});
    img.at(2, 1, 0) = std::numeric_limits<float>::quiet_NaN();
    CHECK(test::error_of<pixlime::invalid_argument>([&] { d::check_input_image(view, pixlime::limits{}); }).parameter() ==
          "image pixel (2, 1) channel 0");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { d::check_input_image(pixlime::image_view<const float>(), pixlime::limits{}); })
              .parameter() == "image");
}

TEST_CASE("the five stages share detail::stage's pattern: is_builtin, the typed builtin<B>, name, and call_stage") {
    namespace d = pixlime::detail;
    const pixlime::segmenter seg = pixlime::quickshift_options{};
    const pixlime::sampler smp = pixlime::sampling::paired;
    const pixlime::fill fill = pixlime::constant_fill{{7}};
    const pixlime::kernel ker = pixlime::shapley_kernel{0.5};
    const pixlime::surrogate sur = pixlime::weighted_ridge{2.0};
    CHECK((seg.is_builtin() && smp.is_builtin() && fill.is_builtin() && ker.is_builtin() && sur.is_builtin()));
    REQUIRE(seg.builtin<pixlime::quickshift_options>() != nullptr);
    CHECK(seg.builtin<pixlime::slic_options>() == nullptr);
    CHECK(*smp.builtin<pixlime::sampling>() == pixlime::sampling::paired);
    REQUIRE(fill.builtin<pixlime::constant_fill>() != nullptr);
    CHECK(fill.builtin<pixlime::constant_fill>()->color == std::vector<double>{7});
    REQUIRE(ker.builtin<pixlime::shapley_kernel>() != nullptr);
    CHECK(ker.builtin<pixlime::shapley_kernel>()->alpha == 0.5);
    CHECK(ker.builtin<pixlime::exponential_kernel>() == nullptr);
    CHECK(sur.builtin<pixlime::weighted_ridge>()->alpha == 2.0);
    CHECK(std::vector<std::string>{seg.name(), smp.name(), fill.name(), ker.name(), sur.name()} ==
          std::vector<std::string>{"quickshift", "paired", "constant", "shapley_kernel", "weighted_ridge"});
    CHECK(pixlime::segmenter().name() == "slic");
    CHECK(pixlime::fill().name() == "segment_mean");
    CHECK(pixlime::kernel().name() == "exponential_kernel");

    // A callable: no built-in, its own name.
    const pixlime::kernel custom([](const pixlime::mask_matrix&) -> Eigen::VectorXd { throw std::runtime_error("boom"); }, "mine");
    CHECK_FALSE(custom.is_builtin());
    CHECK(custom.builtin<pixlime::exponential_kernel>() == nullptr);
    CHECK(custom.builtin<pixlime::shapley_kernel>() == nullptr);
    CHECK(custom.name() == "mine");

    // call_stage: a callable's foreign exception becomes a stage_error, the original nested; a
    // built-in's error, and a callable's pixlime::error, pass with their class.
    const pixlime::mask_matrix masks = pixlime::mask_matrix::Ones(3, 2);
    const auto e = test::error_of<pixlime::stage_error>([&] { d::call_stage("where.kernel", custom, "#samples weights", masks); });
    CHECK(e.parameter() == "where.kernel");
    CHECK(e.value() == "mine threw: boom");
    CHECK(e.expected() == "#samples weights (the exception is nested)");
    const pixlime::kernel tiny = pixlime::exponential_kernel{1e-200};
    CHECK(test::error_of<pixlime::invalid_argument>([&] { d::call_stage("where.kernel", tiny, "#samples weights", masks); }).parameter() ==
          "exponential_kernel.width");
    const pixlime::kernel refusing([](const pixlime::mask_matrix&) -> Eigen::VectorXd {
        throw pixlime::invalid_argument("my kernel", 1, "2");
    });
    CHECK(test::error_of<pixlime::invalid_argument>([&] { d::call_stage("where.kernel", refusing, "#samples weights", masks); })
              .parameter() == "my kernel");
    CHECK(d::call_stage("where.kernel", pixlime::kernel(), "#samples weights", masks).size() == 3);
}

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST_CASE("the deprecated kernel::builtin(), kernel::shapley() and surrogate::builtin() still answer") {
    const pixlime::kernel exponential = pixlime::exponential_kernel{0.3};
    const pixlime::kernel shapley = pixlime::shapley_kernel{0.2};
    REQUIRE(exponential.builtin() != nullptr);
    CHECK(exponential.builtin()->width == 0.3);
    CHECK(exponential.shapley() == nullptr);
    CHECK(shapley.builtin() == nullptr);
    REQUIRE(shapley.shapley() != nullptr);
    CHECK(shapley.shapley()->alpha == 0.2);
    const pixlime::surrogate ridge = pixlime::weighted_ridge{3.0};
    REQUIRE(ridge.builtin() != nullptr);
    CHECK(ridge.builtin()->alpha == 3.0);
}
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
