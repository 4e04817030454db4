// Ground-truth tests of pixlime::explain: classifiers whose true explanation is known.
#include "support.hpp"

#include <doctest/doctest.h>

#include <Eigen/Cholesky>  // the independent ridge solution

#include <algorithm>
#include <cmath>
#include <set>

using pixlime::batch_view;

namespace {

// Black fill, every image pixel >= 1: the classifier can read which segments are kept.
pixlime::explain_options black_fill() {
    pixlime::explain_options opt;
    opt.hide = pixlime::hide_mode::constant;
    opt.hide_color = {0};
    return opt;
}

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
        opt.sampling = mode;
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
    auto linear = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 1);
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], seg);
            double v = bias;
            for (int s = 0; s < k; ++s) v += beta[std::size_t(s)] * kept[std::size_t(s)];
            p(i, 0) = v;
        }
        return p;
    };
    auto opt = black_fill();
    opt.num_samples = 300;
    opt.labels = {1};

    SUBCASE("exactly without a penalty") {
        opt.ridge_alpha = 0;
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

TEST_CASE("the surrogate equals an independent weighted ridge solution") {
    // Independent formulation: minimise sum_i w_i (y_i - b - x_i.beta)^2 + alpha |beta|^2 by the
    // normal equations of the augmented design [X 1] with an unpenalised intercept.
    const int n = 120, k = 9;
    const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, n, k, 77);
    const Eigen::VectorXd w = pixlime::exponential_kernel(pixlime::cosine_distances_to_ones(masks), 0.25);
    Eigen::MatrixXd y(n, 2);
    std::mt19937 gen(1);
    std::uniform_real_distribution<double> u(0, 1);
    for (int i = 0; i < n; ++i) y(i, 0) = u(gen), y(i, 1) = std::sin(double(i));
    const double alpha = 1.0;
    const auto fits = pixlime::weighted_ridge{alpha}(masks, w, y);

    Eigen::MatrixXd a(n, k + 1);
    a.leftCols(k) = masks.cast<double>();
    a.col(k).setOnes();
    Eigen::MatrixXd lhs = a.transpose() * w.asDiagonal() * a;
    lhs.diagonal().head(k).array() += alpha;
    for (int j = 0; j < 2; ++j) {
        const Eigen::VectorXd sol = lhs.ldlt().solve(a.transpose() * w.asDiagonal() * y.col(j));
        for (int s = 0; s < k; ++s) CHECK(std::abs(fits[std::size_t(j)].weights[s] - sol[s]) < 1e-10);
        CHECK(std::abs(fits[std::size_t(j)].intercept - sol[k]) < 1e-10);
        // Weighted R² by its definition.
        const Eigen::VectorXd pred = a * sol;
        const double mean = w.dot(y.col(j)) / w.sum();
        const double r2 = 1 - (w.array() * (y.col(j) - pred).array().square()).sum() /
                                  (w.array() * (y.col(j).array() - mean).square()).sum();
        CHECK(std::abs(fits[std::size_t(j)].score - r2) < 1e-10);
        CHECK(std::abs(fits[std::size_t(j)].local_prediction - (sol.head(k).sum() + sol[k])) < 1e-10);
    }
}

TEST_CASE("kernel weights follow lime: sqrt(exp(-d^2 / w^2)) of the cosine distance to all-ones") {
    pixlime::mask_matrix m(3, 4);
    m << 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0;
    const Eigen::VectorXd d = pixlime::cosine_distances_to_ones(m);
    CHECK(d[0] == doctest::Approx(0.0));
    CHECK(d[1] == doctest::Approx(1.0 - std::sqrt(0.25)));
    CHECK(d[2] == doctest::Approx(1.0));
    const Eigen::VectorXd k = pixlime::exponential_kernel(d, 0.25);
    CHECK(k[1] == doctest::Approx(std::sqrt(std::exp(-0.25 / 0.0625))));
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
        opt.sampling = mode;
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

TEST_CASE("user label maps with gaps and arbitrary ids are relabelled 0..K-1") {
    const int w = 20, h = 10;
    std::vector<long> ids(std::size_t(w * h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) ids[std::size_t(y * w + x)] = x < 5 ? 1000 : (x < 12 ? -7 : 42);
    const auto seg = pixlime::segmentation::from_labels(w, h, ids);
    CHECK(seg.count() == 3);
    CHECK(seg.label(0, 0) == 0);
    CHECK(seg.label(6, 3) == 1);
    CHECK(seg.label(19, 9) == 2);
    CHECK(seg.sizes() == std::vector<std::int64_t>{50, 70, 80});

    const auto img = test::noise(w, h, 3, 8);
    auto classify = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXf p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = batch[i].at(15, 5, 0) != 0 ? 1.f : 0.f, p(i, 1) = 0;
        return p;
    };
    auto opt = black_fill();
    const auto ex = pixlime::explain(img, seg, classify, opt);
    CHECK(ex.ranked(0)[0].first == seg.label(15, 5));
}

TEST_CASE("perturbed images equal a pixel-by-pixel construction for every hide mode") {
    const auto img = test::noise(37, 23, 3, 5, 0, 255);
    // Irregular segments: a diagonal band pattern, labels with runs spanning row ends.
    std::vector<int> ids(37 * 23);
    for (int i = 0; i < 37 * 23; ++i) ids[std::size_t(i)] = ((i % 37) / 6 + (i / 37) / 4 + (i % 37 + i / 37) / 9) % 11;
    const auto seg = pixlime::segmentation::from_labels(37, 23, ids);
    pixlime::explain_options opt;
    for (auto hide : {pixlime::hide_mode::segment_mean, pixlime::hide_mode::constant, pixlime::hide_mode::blur,
                      pixlime::hide_mode::image}) {
        opt.hide = hide;
        opt.hide_color = {10, 20, 30};
        opt.hide_image = pixlime::image<float>(37, 23, 3, 77.6f);
        const auto fill = pixlime::detail::make_fill(img.view(), seg, opt);
        const pixlime::perturber<std::uint8_t> p(img.view(), seg, fill);
        const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, 20, seg.count(), 3);
        std::vector<std::uint8_t> out(p.image_size());
        for (int i = 0; i < 20; ++i) {
            p.render(masks.row(i).data(), out.data());
            bool same = true;
            for (int y = 0; y < 23; ++y)
                for (int x = 0; x < 37; ++x)
                    for (int c = 0; c < 3; ++c) {
                        const bool kept = masks(i, seg.label(x, y)) != 0;
                        const auto want = kept ? img.at(x, y, c) : fill.at(x, y, c);
                        same = same && out[std::size_t((y * 37 + x) * 3 + c)] == want;
                    }
            CHECK(same);
        }
        // The fill itself, by its definition.
        if (hide == pixlime::hide_mode::constant) CHECK((fill.at(3, 4, 0) == 10 && fill.at(30, 20, 2) == 30));
        if (hide == pixlime::hide_mode::image) CHECK(fill.at(5, 5, 1) == 78);
        if (hide == pixlime::hide_mode::segment_mean) {
            // segment 0's channel-0 mean, truncated toward zero like numpy's uint8 assignment.
            double sum = 0;
            int n = 0;
            for (int y = 0; y < 23; ++y)
                for (int x = 0; x < 37; ++x)
                    if (seg.label(x, y) == 0) sum += img.at(x, y, 0), ++n;
            CHECK(fill.at(0, 0, 0) == std::uint8_t(sum / n));
        }
        if (hide == pixlime::hide_mode::blur) {
            // Smoother than the noise it came from.
            auto roughness = [](const pixlime::image<std::uint8_t>& im) {
                double r = 0;
                for (int y = 0; y < im.height(); ++y)
                    for (int x = 1; x < im.width(); ++x) r += std::abs(int(im.at(x, y, 0)) - int(im.at(x - 1, y, 0)));
                return r;
            };
            CHECK(roughness(fill) < 0.3 * roughness(img));
        }
    }
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

TEST_CASE("explain_options.segmenter chooses the segmentation: built-in options or any callable") {
    const auto img = test::noise(40, 30, 3, 12);
    auto classify = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); };
    pixlime::explain_options opt;
    opt.num_samples = 20;

    opt.segmenter = pixlime::grid_options{5, 3};
    CHECK(opt.segmenter.name() == "grid");
    auto ex = pixlime::explain(img, classify, opt);
    CHECK(ex.segments() == pixlime::grid(40, 30, 5, 3));

    opt.segmenter = pixlime::slic_options{};
    CHECK(pixlime::explain(img, classify, opt).segments() == pixlime::slic(img));
    // lime's quickshift defaults merge a small noise image into one region: use a photo.
    const auto photo = pixlime::load_image(test::data_dir + "/images/coffee_224.png");
    opt.segmenter = pixlime::quickshift_options{};
    CHECK(pixlime::explain(photo, classify, opt).segments() == pixlime::quickshift(photo));
    opt.segmenter = pixlime::felzenszwalb_options{};
    CHECK(pixlime::explain(photo, classify, opt).segments() == pixlime::felzenszwalb(photo));

    // A callable: two halves.
    int calls = 0;
    opt.segmenter = pixlime::segmenter(
        [&](pixlime::image_view<const std::uint8_t> v) {
            ++calls;
            std::vector<int> ids(std::size_t(v.pixel_count()));
            for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i % std::size_t(v.width())) < v.width() / 2 ? 0 : 1;
            return pixlime::segmentation::from_labels(v.width(), v.height(), ids);
        },
        "halves");
    ex = pixlime::explain(img, classify, opt);
    CHECK(calls == 1);
    CHECK(ex.num_segments() == 2);
    CHECK(opt.segmenter.name() == "halves");

    // That callable has no float overload: a clear error, not a crash.
    const pixlime::image<float> f(40, 30, 3, 0.5f);
    auto classify_f = [](batch_view<const float> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); };
    CHECK_THROWS_AS(pixlime::explain(f, classify_f, opt), pixlime::invalid_argument);
    // A callable returning the wrong size.
    opt.segmenter = [](pixlime::image_view<const std::uint8_t>) { return pixlime::grid(3, 3, 2, 2); };
    CHECK_THROWS_WITH_AS(pixlime::explain(img, classify, opt), doctest::Contains("result size = 3x3"), pixlime::invalid_argument);
}

TEST_CASE("a custom sampler and surrogate plug into explain") {
    const auto img = test::noise(24, 24, 3, 30);
    const auto seg = test::grid(24, 24, 3, 3);
    auto classify = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 1);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = 0.25 * test::kept_segments(batch[i], seg)[4];
        return p;
    };
    int sampler_calls = 0;
    // Every sample hides exactly one segment (row 0 keeps all): a leave-one-out design.
    auto leave_one_out = [&](int n, int k, std::uint64_t) {
        ++sampler_calls;
        pixlime::mask_matrix m = pixlime::mask_matrix::Ones(n, k);
        for (int i = 1; i < n; ++i) m(i, (i - 1) % k) = 0;
        return m;
    };
    // A surrogate that reports, per target, the output drop when each segment is hidden.
    auto drop = [](const pixlime::mask_matrix& m, const Eigen::VectorXd&, const Eigen::MatrixXd& y) {
        std::vector<pixlime::linear_fit> fits(std::size_t(y.cols()));
        for (Eigen::Index t = 0; t < y.cols(); ++t) {
            fits[std::size_t(t)].weights = Eigen::VectorXd::Zero(m.cols());
            for (Eigen::Index i = 1; i < m.rows(); ++i)
                for (Eigen::Index k = 0; k < m.cols(); ++k)
                    if (!m(i, k)) fits[std::size_t(t)].weights[k] = y(0, t) - y(i, t);
        }
        return fits;
    };
    auto opt = black_fill();
    opt.num_samples = 10;
    const auto ex = pixlime::explain(img.view(), seg, classify, opt, leave_one_out, drop);
    CHECK(sampler_calls == 1);
    CHECK(ex.weights(1)[4] == doctest::Approx(0.25));
    CHECK(ex.weights(1).cwiseAbs().sum() == doctest::Approx(0.25));
    CHECK(ex.samples()(3, 2) == 0);
}
