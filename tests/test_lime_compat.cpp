// lime-compatible mode against lime_image's own numbers (tests/data/lime_image/, made with
// marcotcr/lime v0.2.0.1; see the README there). Same image, segments, classifier, seed and
// options must give the same explanation to 1e-9.
#include "support.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

namespace {

using ::test::data_dir;

nlohmann::json read_json(const std::string& path) {
    std::ifstream f(path);
    REQUIRE_MESSAGE(f.good(), "cannot open " << path);
    return nlohmann::json::parse(f);
}

// The fixture's 8x8 grid of 28x28 cells: label(x, y) = (y / 28) * 8 + x / 28.
pixlime::segmentation grid8() {
    std::vector<int> labels(224 * 224);
    for (int y = 0; y < 224; ++y)
        for (int x = 0; x < 224; ++x) labels[std::size_t(y * 224 + x)] = (y / 28) * 8 + x / 28;
    return pixlime::segmentation(224, 224, std::vector<std::int32_t>(labels.begin(), labels.end()));
}

// The fixture's "planted" classifier: reacts only to the red channel of rows/cols 56..111.
Eigen::MatrixXd planted(pixlime::batch_view<const std::uint8_t> batch) {
    Eigen::MatrixXd p(batch.size(), 2);
    for (int i = 0; i < batch.size(); ++i) {
        const auto img = batch[i];
        double sum = 0;
        for (int y = 56; y <= 111; ++y)
            for (int x = 56; x <= 111; ++x) sum += img.at(x, y, 0);
        const double m = sum / (3136.0 * 255.0);
        const double p1 = 1.0 / (1.0 + std::exp(-10.0 * (m - 0.3)));
        p(i, 0) = 1.0 - p1;
        p(i, 1) = p1;
    }
    return p;
}

void check_against(const std::string& fixture, const pixlime::fill& stage) {
    const nlohmann::json ref = read_json(data_dir + "/lime_image/" + fixture);
    const auto img = pixlime::load_image(data_dir + "/images/chelsea_224.png");
    REQUIRE(img.channels() == 3);

    pixlime::explain_options opt;
    opt.num_samples = ref["num_samples"];
    opt.seed = ref["seed"];
    opt.batch_size = ref["batch_size"];
    opt.top_labels = ref["top_labels"];
    opt.kernel = pixlime::exponential_kernel{ref["kernel_width"].get<double>()};
    opt.surrogate = pixlime::weighted_ridge{ref["ridge_alpha"].get<double>()};
    opt.sampler = pixlime::sampling::lime_compatible;
    opt.fill = stage;
    const pixlime::explanation ex = pixlime::explain(img, grid8(), planted, opt);

    const std::vector<int> top = ref["top_labels_result"];
    CHECK(ex.labels() == top);
    CHECK(ex.top_labels() == top);
    for (int label : top) {
        const auto& r = ref["labels"][std::to_string(label)];
        INFO("label " << label);
        CHECK(std::abs(ex.intercept(label) - double(r["intercept"])) < 1e-9);
        CHECK(std::abs(ex.score(label) - double(r["score_r2"])) < 1e-9);
        CHECK(std::abs(ex.local_prediction(label) - double(r["local_pred"])) < 1e-9);
        CHECK(std::abs(ex.model_prediction(label) - double(r["model_pred"])) < 1e-12);
        const std::vector<double> w = r["weights"];
        REQUIRE(w.size() == std::size_t(ex.num_segments()));
        double worst = 0;
        for (std::size_t k = 0; k < w.size(); ++k) worst = std::max(worst, std::abs(ex.weights(label)[Eigen::Index(k)] - w[k]));
        CHECK(worst < 1e-9);
        // lime's ranking (local_exp: segment ids by |weight|, as lime orders them) is pixlime's.
        const std::vector<int> lime_order = r["local_exp_order"];
        const auto ranked = ex.ranked(label);
        REQUIRE(ranked.size() == lime_order.size());
        std::vector<int> ours;
        for (const auto& [segment, weight] : ranked) ours.push_back(segment);
        CHECK(ours == lime_order);
    }
}

}  // namespace

TEST_CASE("lime-compatible sampling reproduces lime_image with hide_color=0") {
    check_against("planted_grid8_hide_black.json", pixlime::constant_fill{{0}});
}

TEST_CASE("lime-compatible sampling reproduces lime_image with hide_color=None (segment means)") {
    check_against("planted_grid8_hide_mean.json", pixlime::segment_mean_fill{});
}
