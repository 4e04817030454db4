// Segmentation targets (segmentation_target.hpp): the region score and predicted_region on
// hand-made score rows, both layouts, resize_region, every validation error, and the ground truth
// of a planted segmentation model: the segments under a target's region come first for it, and the
// same class elsewhere in the image (outside the region) weighs nothing for it.
#include "support.hpp"

#include <pixlime/segmentation_target.hpp>

#include <algorithm>
#include <set>
#include <vector>

namespace {

// A planted segmentation model over 96 x 96 RGB images: a 24 x 24 score map (stride 4) of 3
// classes, each score pixel reading its 4 x 4 block of the input: class 1 is the block's mean
// redness max(0, R - max(G, B)) / 255, class 2 its blueness, class 0 one minus both. Returns
// floats, in `order`; counts its calls (one per image).
struct segt_colour_model {
    int* calls;
    pixlime::layout order;
    Eigen::MatrixXf operator()(pixlime::batch_view<const std::uint8_t> batch) const {
        const int side = 24, plane = side * side;
        Eigen::MatrixXf out(batch.size(), plane * 3);
        for (int i = 0; i < batch.size(); ++i) {
            ++*calls;
            const auto img = batch[i];
            for (int sy = 0; sy < side; ++sy)
                for (int sx = 0; sx < side; ++sx) {
                    float red = 0, blue = 0;
                    for (int y = 4 * sy; y < 4 * sy + 4; ++y)
                        for (int x = 4 * sx; x < 4 * sx + 4; ++x) {
                            const int r = img.at(x, y, 0), g = img.at(x, y, 1), b = img.at(x, y, 2);
                            red += float(std::max(0, r - std::max(g, b))) / 255.0f / 16.0f;
                            blue += float(std::max(0, b - std::max(r, g))) / 255.0f / 16.0f;
                        }
                    const float value[3] = {1 - red - blue, red, blue};
                    const int p = sy * side + sx;
                    for (int c = 0; c < 3; ++c)
                        out(i, order == pixlime::layout::nchw ? c * plane + p : p * 3 + c) = value[c];
                }
        }
        return out;
    }
};

// A grey 96 x 96 image with two red squares and two blue ones, 32 pixels wide; on a 6 x 6 grid of
// 16-pixel cells: red at [16, 48)^2 (cells 7, 8, 13, 14) and at x [64, 96), y [0, 32) (cells 4, 5,
// 10, 11); blue at [64, 96)^2 (cells 28, 29, 34, 35) and at x [0, 32), y [64, 96) (cells 24, 25,
// 30, 31).
pixlime::image<std::uint8_t> segt_four_squares() {
    pixlime::image<std::uint8_t> img(96, 96, 3, 90);
    const auto paint = [&](int x0, int y0, bool red) {
        for (int y = y0; y < y0 + 32; ++y)
            for (int x = x0; x < x0 + 32; ++x) {
                img.at(x, y, 0) = red ? 220 : 10;
                img.at(x, y, 1) = 20;
                img.at(x, y, 2) = red ? 10 : 220;
            }
    };
    paint(16, 16, true);
    paint(64, 0, true);
    paint(64, 64, false);
    paint(0, 64, false);
    return img;
}

// A mask in the image's pixels: 3 channels, nonzero (in channel `channel` only) over the 32 x 32
// square at (x0, y0) of a 96 x 96 image.
pixlime::image<std::uint8_t> segt_square_mask(int x0, int y0, int channel) {
    pixlime::image<std::uint8_t> mask(96, 96, 3);
    for (int y = y0; y < y0 + 32; ++y)
        for (int x = x0; x < x0 + 32; ++x) mask.at(x, y, channel) = 1;
    return mask;
}

std::set<int> segt_top(const Eigen::VectorXd& w, int k) {
    std::set<int> s;
    for (const auto& [segment, weight] : pixlime::ranked(w)) {
        if (int(s.size()) == k) break;
        s.insert(segment);
    }
    return s;
}

// Every cell outside `inside` weighs less than 5 % of the least cell inside.
void segt_check_only(const Eigen::VectorXd& w, const std::set<int>& inside) {
    double least = w[*inside.begin()];
    for (const int c : inside) least = std::min(least, w[c]);
    CHECK(least > 0);
    for (int c = 0; c < int(w.size()); ++c)
        if (!inside.count(c)) CHECK_MESSAGE(std::abs(w[c]) < 0.05 * least, "cell " << c << ": " << w[c] << " vs " << least);
}

Eigen::RowVectorXd segt_row(std::vector<double> v) { return Eigen::Map<const Eigen::RowVectorXd>(v.data(), Eigen::Index(v.size())); }

}  // namespace

TEST_CASE("predicted_region: the pixels where the class scores highest, the lowest class on a tie, in both layouts") {
    // A 3 x 2 map of 3 classes; per pixel (row order) the scores of classes 0, 1, 2:
    const std::vector<std::vector<double>> pixel{{0.1, 0.7, 0.2}, {0.5, 0.5, 0.0},   // (1,0): 0 and 1 tie -> 0
                                                 {0.0, 0.4, 0.4}, {0.2, 0.3, 0.5},   // (0,1): 1 and 2 tie -> 1
                                                 {0.3, 0.3, 0.3}, {-1.0, 2.0, 1.0}}; // (1,1): all tie -> 0
    std::vector<double> nchw(18), nhwc(18);
    for (int p = 0; p < 6; ++p)
        for (int c = 0; c < 3; ++c) {
            nchw[std::size_t(c * 6 + p)] = pixel[std::size_t(p)][std::size_t(c)];
            nhwc[std::size_t(p * 3 + c)] = pixel[std::size_t(p)][std::size_t(c)];
        }
    const std::vector<std::vector<int>> expected{{0, 255, 0, 0, 255, 0}, {255, 0, 255, 0, 0, 255}, {0, 0, 0, 255, 0, 0}};
    for (const pixlime::layout order : {pixlime::layout::nchw, pixlime::layout::nhwc}) {
        const pixlime::pixel_scores shape{3, 2, 3, order};
        for (int c = 0; c < 3; ++c) {
            const auto region = pixlime::predicted_region(segt_row(order == pixlime::layout::nchw ? nchw : nhwc), shape, c);
            REQUIRE(region.width() == 3);
            REQUIRE(region.height() == 2);
            REQUIRE(region.channels() == 1);
            for (int p = 0; p < 6; ++p) CHECK(int(region.data()[p]) == expected[std::size_t(c)][std::size_t(p)]);
        }
    }
}

TEST_CASE("region_scores: each target's class mean over its region, in both layouts") {
    // A 2 x 2 map of 2 classes: class 0 = 1, 2, 3, 4 and class 1 = 10, 20, 30, 40 (row order).
    const pixlime::pixel_scores planes{2, 2, 2, pixlime::layout::nchw}, interleaved{2, 2, 2, pixlime::layout::nhwc};
    const Eigen::RowVectorXd nchw = segt_row({1, 2, 3, 4, 10, 20, 30, 40}), nhwc = segt_row({1, 10, 2, 20, 3, 30, 4, 40});
    pixlime::image<std::uint8_t> left(2, 2, 1), last(2, 2, 1);
    left.at(0, 0) = left.at(0, 1) = 255;  // pixels 0 and 2
    last.at(1, 1) = 7;                    // any nonzero value is in the region
    const std::vector<pixlime::region_target> targets{{0, left}, {1, left}, {1, last}};
    for (const Eigen::RowVectorXd& s : {pixlime::region_scores(targets, nchw, planes), pixlime::region_scores(targets, nhwc, interleaved)}) {
        REQUIRE(s.size() == 3);
        CHECK(s[0] == doctest::Approx(2.0));
        CHECK(s[1] == doctest::Approx(20.0));
        CHECK(s[2] == doctest::Approx(40.0));
    }
}

TEST_CASE("resize_region: nearest neighbour to the score map, any channel nonzero is in the region") {
    const auto small = pixlime::resize_region(segt_square_mask(16, 16, 2), 24, 24);
    REQUIRE(small.width() == 24);
    REQUIRE(small.height() == 24);
    REQUIRE(small.channels() == 1);
    for (int y = 0; y < 24; ++y)
        for (int x = 0; x < 24; ++x) CHECK(int(small.at(x, y)) == (x >= 4 && x < 12 && y >= 4 && y < 12 ? 255 : 0));
    // Upsampling: a 2 x 1 mask (left pixel in) to 4 x 2.
    pixlime::image<std::uint8_t> two(2, 1, 1);
    two.at(0, 0) = 1;
    const auto up = pixlime::resize_region(two, 4, 2);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 4; ++x) CHECK(int(up.at(x, y)) == (x < 2 ? 255 : 0));
}

TEST_CASE("segmentation_target: a planted model's region comes first for its target, the same class outside it weighs nothing") {
    const auto img = segt_four_squares();
    const auto seg = test::grid(96, 96, 6, 6);
    int calls = 0;
    const pixlime::pixel_scores shape{24, 24, 3, pixlime::layout::nchw};
    const pixlime::region_target red{1, pixlime::resize_region(segt_square_mask(16, 16, 0), 24, 24)};
    const pixlime::region_target blue{2, pixlime::resize_region(segt_square_mask(64, 64, 1), 24, 24)};
    pixlime::segmentation_target<segt_colour_model> model(segt_colour_model{&calls, pixlime::layout::nchw}, shape, {red, blue});
    pixlime::explain_options opt = pixlime::target_options(test::black_fill(), 2);
    opt.num_samples = 1000;
    const pixlime::explanation ex = pixlime::explain(img, seg, model, opt);
    CHECK(ex.model_calls() == calls);  // both targets from one set of model calls
    const std::set<int> red_cells{7, 8, 13, 14}, blue_cells{28, 29, 34, 35};
    CHECK(segt_top(ex.weights(0), 4) == red_cells);
    CHECK(segt_top(ex.weights(1), 4) == blue_cells);
    segt_check_only(ex.weights(0), red_cells);   // the other red square (cells 4, 5, 10, 11) too
    segt_check_only(ex.weights(1), blue_cells);  // the other blue square (cells 24, 25, 30, 31) too
    CHECK(model.targets().size() == 2);
    CHECK(model.shape().width == 24);

    // One target costs as many model calls as two.
    pixlime::segmentation_target<segt_colour_model> one(segt_colour_model{&calls, pixlime::layout::nchw}, shape, {red});
    const pixlime::explanation single = pixlime::explain(img, seg, one, pixlime::target_options(opt, 1));
    CHECK(single.model_calls() == ex.model_calls());
    CHECK(segt_top(single.weights(0), 4) == red_cells);

    // nhwc scores with an nhwc shape: the same weights.
    pixlime::pixel_scores interleaved = shape;
    interleaved.layout = pixlime::layout::nhwc;
    pixlime::segmentation_target<segt_colour_model> nhwc(segt_colour_model{&calls, pixlime::layout::nhwc}, interleaved, {red, blue});
    const pixlime::explanation ex_nhwc = pixlime::explain(img, seg, nhwc, opt);
    for (int t = 0; t < 2; ++t) CHECK((ex_nhwc.weights(t) - ex.weights(t)).cwiseAbs().maxCoeff() < 1e-12);

    // The region the model predicts for class 1 on the original: both red squares, 2 x 8 x 8 score
    // pixels; its target weighs the eight red cells first.
    int none = 0;
    const Eigen::MatrixXd original = segt_colour_model{&none, pixlime::layout::nchw}(
        pixlime::batch_view<const std::uint8_t>(img.data(), 1, 96, 96, 3)).cast<double>();
    const pixlime::region_target predicted{1, pixlime::predicted_region(original.row(0), shape, 1)};
    CHECK(std::count(predicted.region.data(), predicted.region.data() + predicted.region.size(), 255) == 128);
    pixlime::segmentation_target<segt_colour_model> both(segt_colour_model{&calls, pixlime::layout::nchw}, shape, {predicted});
    const pixlime::explanation ex_both = pixlime::explain(img, seg, both, pixlime::target_options(opt, 1));
    const std::set<int> all_red{4, 5, 7, 8, 10, 11, 13, 14};
    CHECK(segt_top(ex_both.weights(0), 8) == all_red);
    segt_check_only(ex_both.weights(0), all_red);
}

TEST_CASE("segmentation_target, predicted_region, region_scores, resize_region: every error names its parameter") {
    using test::contains;
    using test::message_of;
    using E = pixlime::invalid_argument;
    const pixlime::pixel_scores shape{2, 2, 2, pixlime::layout::nchw};
    const Eigen::RowVectorXd row = segt_row({1, 2, 3, 4, 10, 20, 30, 40});
    pixlime::image<std::uint8_t> region(2, 2, 1, 255);
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(row, {0, 2, 2}, 0); }), "pixel_scores width = 0"));
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(row, {2, -1, 2}, 0); }), "pixel_scores height = -1"));
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(row, {2, 2, 0}, 0); }), "pixel_scores classes = 0"));
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(row, {2, 2, 2, pixlime::layout(7)}, 0); }), "pixel_scores layout = 7"));
    CHECK(contains(message_of<pixlime::size_limit_error>([&] { pixlime::predicted_region(row, {1 << 20, 1 << 20, 2}, 0); }),
                   "pixel_scores size"));
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(row, shape, 2); }), "predicted_region class_index = 2: expected a class of the score map, 0 to 1"));
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(row.head(7), shape, 0); }), "predicted_region scores size = 7: expected pixel_scores width x height x classes = 2 x 2 x 2 = 8"));
    Eigen::RowVectorXd bad = row;
    bad[3] = std::nan("");
    CHECK(contains(message_of<E>([&] { pixlime::predicted_region(bad, shape, 0); }), "predicted_region scores = NaN or Inf"));
    CHECK(contains(message_of<E>([&] { pixlime::region_scores({{0, region}}, bad, shape); }), "region_scores scores = NaN or Inf"));
    CHECK(contains(message_of<E>([&] { pixlime::region_scores({{0, region}}, row.head(4), shape); }), "region_scores scores size = 4"));
    CHECK(contains(message_of<E>([&] { pixlime::region_scores({{3, region}}, row, shape); }), "region_target class_index = 3"));
    CHECK(contains(message_of<E>([&] { pixlime::region_scores({{0, pixlime::image<std::uint8_t>(3, 2, 1, 1)}}, row, shape); }),
                   "region_target region size = target 0 (class 0): 3x2x1: expected the score map's 2x2 with 1 channel"));
    CHECK(contains(message_of<E>([&] { pixlime::region_scores({{0, pixlime::image<std::uint8_t>(2, 2, 3, 1)}}, row, shape); }),
                   "region_target region size"));
    CHECK(contains(message_of<E>([&] { pixlime::region_scores({{0, {}}}, row, shape); }), "region_target region size = target 0 (class 0): empty"));

    const auto model = [](pixlime::batch_view<const std::uint8_t> b) { return Eigen::MatrixXd::Zero(b.size(), 8).eval(); };
    using segt_model = pixlime::segmentation_target<decltype(model)>;
    CHECK(contains(message_of<E>([&] { segt_model(model, shape, {}); }), "segmentation_target targets = none"));
    CHECK(contains(message_of<E>([&] { segt_model(model, {2, 0, 2}, {{0, region}}); }), "pixel_scores height = 0"));
    CHECK(contains(message_of<E>([&] { segt_model(model, shape, {{0, region}, {-1, region}}); }), "region_target class_index = -1"));
    CHECK(contains(message_of<E>([&] { segt_model(model, shape, {{0, pixlime::image<std::uint8_t>(2, 3, 1, 1)}}); }),
                   "region_target region size = target 0 (class 0): 2x3x1"));
    CHECK(contains(message_of<E>([&] { segt_model(model, shape, {{0, region}, {1, pixlime::image<std::uint8_t>(2, 2, 1)}}); }),
                   "region_target region = target 1 (class 1): no nonzero pixel"));

    // The model's result: rows, columns, finite values.
    const pixlime::image<std::uint8_t> img(2, 2, 3, 9);
    const pixlime::batch_view<const std::uint8_t> batch(img.data(), 1, 2, 2, 3);
    const auto rows = [](pixlime::batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Zero(b.size() + 1, 8).eval(); };
    const auto cols = [](pixlime::batch_view<const std::uint8_t> b) { return Eigen::MatrixXd::Zero(b.size(), 9).eval(); };
    const auto nan = [](pixlime::batch_view<const std::uint8_t> b) { return Eigen::MatrixXd::Constant(b.size(), 8, std::nan("")).eval(); };
    pixlime::segmentation_target<decltype(rows)> bad_rows(rows, shape, {{0, region}});
    pixlime::segmentation_target<decltype(cols)> bad_cols(cols, shape, {{0, region}});
    pixlime::segmentation_target<decltype(nan)> bad_values(nan, shape, {{0, region}});
    CHECK(contains(message_of<E>([&] { bad_rows(batch); }), "segmentation model result rows = 2: expected one per image of the batch: 1"));
    CHECK(contains(message_of<E>([&] { bad_cols(batch); }), "segmentation model result columns = 9: expected pixel_scores width x height x classes = 8"));
    CHECK(contains(message_of<E>([&] { bad_values(batch); }), "segmentation model result = NaN or Inf"));
    pixlime::segmentation_target<decltype(model)> good(model, shape, {{0, region}, {1, region}});
    const Eigen::MatrixXd out = good(batch);
    CHECK(out.rows() == 1);
    CHECK(out.cols() == 2);

    CHECK(contains(message_of<E>([&] { pixlime::resize_region({}, 2, 2); }), "resize_region mask = empty"));
    CHECK(contains(message_of<E>([&] { pixlime::resize_region(region, 0, 2); }), "resize_region width = 0"));
    CHECK(contains(message_of<E>([&] { pixlime::resize_region(region, 2, -3); }), "resize_region height = -3"));
}
