// The test classifiers of tests/classifiers.hpp against the reference outputs the fixtures
// were made with (tests/data/classifiers/classifier_vectors.json, numpy 1.24).
#include "support.hpp"

#include "classifiers.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>

namespace {

nlohmann::json read_vectors() {
    const std::string path = pixlime::test::classifier_data_dir() + "/classifier_vectors.json";
    std::ifstream f(path);
    REQUIRE_MESSAGE(f.good(), "cannot open " << path);
    return nlohmann::json::parse(f);
}

/// The input a case names: synthetic_HxW (R=(x+2y)%256, G=(3x+y)%256, B=(x*y)%256), black_/white_HxW,
/// or a bundled image.
pixlime::image<std::uint8_t> input_of(const std::string& name, int h, int w) {
    if (name.find(".png") != std::string::npos) return test::sample(name);
    pixlime::image<std::uint8_t> img(w, h, 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            std::uint8_t* p = img.data() + (std::size_t(y) * std::size_t(w) + std::size_t(x)) * 3;
            if (name.rfind("synthetic_", 0) == 0) {
                p[0] = std::uint8_t((x + 2 * y) % 256);
                p[1] = std::uint8_t((3 * x + y) % 256);
                p[2] = std::uint8_t((x * y) % 256);
            } else {
                REQUIRE_MESSAGE((name.rfind("black_", 0) == 0 || name.rfind("white_", 0) == 0), "unknown input " << name);
                p[0] = p[1] = p[2] = name[0] == 'b' ? 0 : 255;
            }
        }
    return img;
}

}  // namespace

TEST_CASE("planted and linear give the fixtures' reference outputs on every case") {
    const nlohmann::json v = read_vectors();
    const pixlime::test::planted_classifier planted;
    const pixlime::test::linear_classifier linear;
    REQUIRE(v.at("cases").size() >= 9);
    for (const auto& c : v.at("cases")) {
        const std::string name = c.at("input");
        CAPTURE(name);
        const int h = c.at("shape")[0], w = c.at("shape")[1];
        const auto img = input_of(name, h, w);
        REQUIRE(img.width() == w);
        REQUIRE(img.height() == h);
        const pixlime::batch_view<const std::uint8_t> batch(img.data(), 1, w, h, 3);
        const Eigen::MatrixXd p = planted(batch);
        REQUIRE(p.rows() == 1);
        REQUIRE(p.cols() == 2);
        // m is bit-exact; p1 may differ by the exp implementation (about 1 ulp).
        for (int k = 0; k < 2; ++k) CHECK(std::abs(p(0, k) - c.at("planted")[std::size_t(k)].get<double>()) <= 1e-15);
        const auto f = pixlime::test::linear_features(img.data(), w, h, 3);
        for (int t = 0; t < 8; ++t) CHECK(std::abs(f[t] - c.at("linear_features_first8")[std::size_t(t)].get<double>()) <= 1e-13);
        const Eigen::MatrixXd q = linear(batch);
        REQUIRE(q.cols() == 5);
        CHECK(std::abs(q.row(0).sum() - 1.0) <= 1e-15);
        for (int k = 0; k < 5; ++k) CHECK(std::abs(q(0, k) - c.at("linear")[std::size_t(k)].get<double>()) <= 1e-13);
    }
}

TEST_CASE("the linear weights are the fixture's W, and both classifiers work inside explain") {
    const auto w = pixlime::test::linear_weights();
    CHECK(w(0, 0) == 0.1257302210933933);
    CHECK(w(0, 1) == -0.1321048632913019);
    CHECK(w(0, 2) == 0.6404226504432821);
    CHECK(std::abs(w.sum() - -47.510513918466806) <= 1e-11);
    // A black image gives f = 0, z = -0.125 rowsum(W): class 3 dominates (the fixture's note).
    const auto black = input_of("black_224x224", 224, 224);
    const Eigen::MatrixXd q = pixlime::test::linear_classifier{}(pixlime::batch_view<const std::uint8_t>(black.data(), 1, 224, 224, 3));
    Eigen::Index best = 0;
    q.row(0).maxCoeff(&best);
    CHECK(best == 3);
    // planted's ground truth: with a black fill only segments overlapping rows/cols 56..111 can
    // matter; on a 4x4 grid of 56 px cells that is exactly cell (1, 1) = segment 5.
    const auto img = test::sample("chelsea_224.png");
    const auto seg = test::grid(224, 224, 4, 4);
    auto opt = test::black_fill();
    opt.labels = {1};
    opt.num_samples = 200;
    const auto ex = pixlime::explain(img, seg, pixlime::test::planted_classifier{}, opt);
    CHECK(ex.ranked(1)[0].first == 5);
    CHECK(ex.weights(1)[5] > 0);
    for (int k = 0; k < 16; ++k)
        if (k != 5) CHECK(std::abs(ex.weights(1)[k]) < 0.1 * ex.weights(1)[5]);
    const auto ex2 = pixlime::explain(img, seg, pixlime::test::linear_classifier{}, opt);
    CHECK(ex2.num_classes() == 5);
}
