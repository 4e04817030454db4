// Panes checked pixel by pixel against their definition.
#include "support.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <set>

using pixlime::batch_view;

namespace {

// 6x6 grid over 60x60 noise; class 0 goes up with segments 7 and 20 (weights 0.4, 0.2) and
// down with segment 30 (-0.3); nothing else matters.
struct fixture {
    pixlime::image<std::uint8_t> img = test::noise(60, 60, 3, 13);
    pixlime::segmentation seg = test::grid(60, 60, 6, 6);
    pixlime::explanation ex = make();

    pixlime::explanation make() const {
        auto classify = [this](batch_view<const std::uint8_t> batch) {
            Eigen::MatrixXd p(batch.size(), 2);
            for (int i = 0; i < batch.size(); ++i) {
                const auto kept = test::kept_segments(batch[i], seg);
                p(i, 0) = 0.3 + 0.4 * kept[7] + 0.2 * kept[20] - 0.3 * kept[30];
                p(i, 1) = 0.1;
            }
            return p;
        };
        pixlime::explain_options opt = test::black_fill();
        opt.num_samples = 300;
        opt.surrogate = pixlime::weighted_ridge{0.0};
        return pixlime::explain(img, seg, classify, opt);
    }
};

std::set<int> segments_where(const fixture& f, const pixlime::image<std::uint8_t>& pane, bool equal_to_image) {
    std::set<int> s;
    for (int y = 0; y < 60; ++y)
        for (int x = 0; x < 60; ++x) {
            bool same = true;
            for (int c = 0; c < 3; ++c) same = same && pane.at(x, y, c) == f.img.at(x, y, c);
            if (same == equal_to_image) s.insert(f.seg.label(x, y));
        }
    return s;
}

}  // namespace

TEST_CASE("the positive pane shows exactly the chosen positive segments, the rest dimmed") {
    const fixture f;
    pixlime::render_options ro;
    ro.boundaries = false;
    ro.dim_rest = 0.5;
    ro.min_weight = 1e-6;  // the other segments' weights are round-off (~1e-16) of either sign
    const auto pos = pixlime::render_positive(f.img, f.ex, 0, ro);
    REQUIRE(pos.channels() == 3);
    for (int y = 0; y < 60; ++y)
        for (int x = 0; x < 60; ++x) {
            const int l = f.seg.label(x, y);
            for (int c = 0; c < 3; ++c) {
                const int want = (l == 7 || l == 20) ? f.img.at(x, y, c) : int(std::lround(0.5 * f.img.at(x, y, c)));
                REQUIRE(pos.at(x, y, c) == want);
            }
        }
    // num_features limits the count, in ranked order.
    ro.num_features = 1;
    CHECK(segments_where(f, pixlime::render_positive(f.img, f.ex, 0, ro), true) == std::set<int>{7});
    // min_weight filters small ones (0.2 < 0.25 < 0.4).
    ro.num_features = 5;
    ro.min_weight = 0.25;
    CHECK(segments_where(f, pixlime::render_positive(f.img, f.ex, 0, ro), true) == std::set<int>{7});
}

TEST_CASE("the negative pane shows exactly the chosen negative segments; hide_rest blacks out the rest") {
    const fixture f;
    pixlime::render_options ro;
    ro.boundaries = false;
    ro.hide_rest = true;
    ro.min_weight = 1e-6;
    const auto neg = pixlime::render_negative(f.img, f.ex, 0, ro);
    for (int y = 0; y < 60; ++y)
        for (int x = 0; x < 60; ++x)
            for (int c = 0; c < 3; ++c) REQUIRE(neg.at(x, y, c) == (f.seg.label(x, y) == 30 ? f.img.at(x, y, c) : 0));
}

TEST_CASE("boundaries outline the shown segments only") {
    const fixture f;
    pixlime::render_options ro;  // boundaries on, yellow
    ro.min_weight = 1e-6;
    const auto pos = pixlime::render_positive(f.img, f.ex, 0, ro);
    for (int y = 0; y < 60; ++y)
        for (int x = 0; x < 60; ++x) {
            const int l = f.seg.label(x, y);
            const bool shown = l == 7 || l == 20;
            const bool edge = x % 10 == 0 || x % 10 == 9 || y % 10 == 0 || y % 10 == 9;
            const bool on_image_border = x == 0 || y == 0 || x == 59 || y == 59;
            const bool yellow = pos.at(x, y, 0) == 255 && pos.at(x, y, 1) == 255 && pos.at(x, y, 2) == 0;
            if (shown && edge && !on_image_border) REQUIRE(yellow);
            if (shown && !edge) REQUIRE((pos.at(x, y, 0) == f.img.at(x, y, 0) && pos.at(x, y, 2) == f.img.at(x, y, 2)));
        }
}

TEST_CASE("the both-signs overlay raises green on positive and red on negative segments, as lime") {
    const fixture f;
    pixlime::render_options ro;
    ro.boundaries = false;
    ro.dim_rest = 0;
    ro.min_weight = 1e-6;
    const auto ov = pixlime::render_overlay(f.img, f.ex, 0, ro);
    for (int y = 0; y < 60; ++y)
        for (int x = 0; x < 60; ++x) {
            const int l = f.seg.label(x, y);
            const int r = f.img.at(x, y, 0), g = f.img.at(x, y, 1), b = f.img.at(x, y, 2);
            const int er = l == 30 ? 255 : r, eg = (l == 7 || l == 20) ? 255 : g;
            REQUIRE((ov.at(x, y, 0) == er && ov.at(x, y, 1) == eg && ov.at(x, y, 2) == b));
        }
}

TEST_CASE("the heatmap colours by sign and strength on a symmetric scale") {
    const fixture f;
    pixlime::render_options ro;
    ro.boundaries = false;
    const auto hm = pixlime::render_heatmap(f.img, f.ex, 0, ro);
    auto mean = [&](int seg, int c) {
        double s = 0;
        int n = 0;
        for (int y = 0; y < 60; ++y)
            for (int x = 0; x < 60; ++x)
                if (f.seg.label(x, y) == seg) s += hm.at(x, y, c), ++n;
        return s / n;
    };
    // Strongest positive segment (7) is green-dominant, the negative one (30) magenta (red and blue over green).
    CHECK(mean(7, 1) > mean(7, 0) + 40);
    CHECK(mean(30, 0) > mean(30, 1) + 40);
    CHECK(mean(30, 2) > mean(30, 1) + 20);
    // A zero-weight segment is the plain gray image: R == G == B.
    for (int x = 1; x < 9; ++x) CHECK((hm.at(x, 1, 0) == hm.at(x, 1, 1) && hm.at(x, 1, 1) == hm.at(x, 1, 2)));
}

TEST_CASE("gray and float images render as RGB; nearest-neighbour upscaling") {
    pixlime::image<float> g(2, 1, 1);
    g.at(0, 0) = 0.0f;
    g.at(1, 0) = 1.0f;
    const auto rgb = pixlime::to_rgb8(g);
    CHECK((rgb.at(0, 0, 0) == 0 && rgb.at(1, 0, 0) == 255 && rgb.at(1, 0, 2) == 255));
    const auto big = pixlime::upscale_nearest(rgb.view(), 3);
    CHECK(big.width() == 6);
    CHECK(big.height() == 3);
    CHECK((big.at(2, 2, 1) == 0 && big.at(3, 0, 1) == 255));
}

TEST_CASE("side_by_side places images left to right on white, tops aligned") {
    const auto a = test::noise(3, 2, 3, 1), b = test::noise(2, 4, 3, 2);
    const auto s = pixlime::side_by_side({a, b}, 1);
    CHECK(s.width() == 6);
    CHECK(s.height() == 4);
    CHECK(s.at(2, 1, 2) == a.at(2, 1, 2));
    CHECK(s.at(3, 0, 0) == 255);  // the gap
    CHECK(s.at(0, 3, 1) == 255);  // below the shorter image
    CHECK(s.at(5, 3, 0) == b.at(1, 3, 0));
    CHECK_THROWS_AS(pixlime::side_by_side({pixlime::image<std::uint8_t>(2, 2, 1)}), pixlime::invalid_argument);
    // A gap of INT_MAX used to overflow a signed int while adding up the width.
    const auto e = test::error_of<pixlime::size_limit_error>([&] { pixlime::side_by_side({a, b}, std::numeric_limits<int>::max()); });
    CHECK(e.parameter() == "side_by_side result size");
}

TEST_CASE("render_options.scale draws every pane larger, nearest neighbour, with thin outlines") {
    const fixture f;
    pixlime::render_options ro;
    ro.min_weight = 1e-6;
    ro.boundaries = false;
    const auto small = pixlime::render_positive(f.img, f.ex, 0, ro);
    ro.scale = 3;
    const auto big = pixlime::render_positive(f.img, f.ex, 0, ro);
    REQUIRE(big.width() == 180);
    REQUIRE(big.height() == 180);
    for (int y = 0; y < 180; ++y)
        for (int x = 0; x < 180; ++x)
            for (int c = 0; c < 3; ++c) REQUIRE(big.at(x, y, c) == small.at(x / 3, y / 3, c));
    // Outlines stay one pixel wide at the larger size: segment 7 is x 10..19, y 10..19 at
    // scale 1, so x 30..59 at scale 3, and on its row y = 45 only x = 30 and x = 59 are outline.
    ro.boundaries = true;
    const auto outlined = pixlime::render_positive(f.img, f.ex, 0, ro);
    auto yellow = [&](int x, int y) { return outlined.at(x, y, 0) == 255 && outlined.at(x, y, 1) == 255 && outlined.at(x, y, 2) == 0; };
    CHECK(yellow(30, 45));
    CHECK(yellow(59, 45));
    for (int x = 31; x < 59; ++x) CHECK(!yellow(x, 45));
    CHECK(pixlime::render_heatmap(f.img, f.ex, 0, ro).width() == 180);
    ro.scale = 0;
    CHECK_THROWS_AS(pixlime::render_positive(f.img, f.ex, 0, ro), pixlime::invalid_argument);
}

TEST_CASE("render_options.min_relative_weight drops segments weak next to the strongest") {
    const fixture f;  // weights 0.4 (segment 7), 0.2 (20), -0.3 (30), the rest ~1e-16
    pixlime::render_options ro;
    ro.boundaries = false;
    ro.min_relative_weight = 0.6;  // keeps |w| >= 0.24: segments 7 and 30 only
    CHECK(segments_where(f, pixlime::render_positive(f.img, f.ex, 0, ro), true) == std::set<int>{7});
    ro.min_relative_weight = 0.01;  // round-off segments gone, 20 back
    CHECK(segments_where(f, pixlime::render_positive(f.img, f.ex, 0, ro), true) == std::set<int>{7, 20});
    ro.hide_rest = true;
    CHECK(segments_where(f, pixlime::render_negative(f.img, f.ex, 0, ro), true) == std::set<int>{30});
}

TEST_CASE("rendering takes what it draws: a segmentation and its weights") {
    const fixture f;
    pixlime::render_options ro;
    ro.min_weight = 1e-6;
    CHECK(pixlime::render_positive(f.img, f.seg, f.ex.weights(0), ro) == pixlime::render_positive(f.img, f.ex, 0, ro));
    CHECK(pixlime::render_heatmap(f.img.view(), f.seg, f.ex.weights(0), ro) == pixlime::render_heatmap(f.img, f.ex, 0, ro));
    // Hand-made weights: exactly segment 3 shown.
    Eigen::VectorXd w = Eigen::VectorXd::Zero(36);
    w[3] = 1.0;
    ro.boundaries = false;
    ro.hide_rest = true;
    CHECK(segments_where(f, pixlime::render_positive(f.img, f.seg, w, ro), true) == std::set<int>{3});
    // Fewer weights than segments used to be read out of bounds: refused.
    auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::render_positive(f.img, f.seg, Eigen::VectorXd::Ones(35), ro); });
    CHECK(e.parameter() == "weights size");
    CHECK(e.value() == "35");
    e = test::error_of<pixlime::invalid_argument>([&] {
        pixlime::render_heatmap(f.img, f.seg, Eigen::VectorXd::Constant(36, std::numeric_limits<double>::quiet_NaN()), ro);
    });
    CHECK(e.parameter() == "weights");
    e = test::error_of<pixlime::invalid_argument>([&] { pixlime::render_overlay(test::noise(8, 8, 3, 1), f.seg, w, ro); });
    CHECK(e.parameter() == "image size");
    ro.num_features = -1;
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::render_negative(f.img, f.seg, w, ro); }).parameter() ==
          "render_options.num_features");
}

TEST_CASE("an explanation is rendered only onto an image of the explained image's size and channels") {
    const fixture f;
    CHECK(f.ex.image_channels() == 3);
    const auto gray = test::noise(60, 60, 1, 13);
    const auto rgba = test::noise(60, 60, 4, 13);
    const auto narrow = test::noise(30, 60, 3, 13);
    auto channels_refused = [&](auto render) {
        const auto e = test::error_of<pixlime::invalid_argument>(render);
        CHECK(e.parameter() == "image channels");
        CHECK(test::contains(e.expected(), "the explained image's 3 channels"));
        return e.value();
    };
    CHECK(channels_refused([&] { pixlime::render_negative(gray, f.ex, 0); }) == "1");
    CHECK(channels_refused([&] { pixlime::render_positive(gray.view(), f.ex, 0); }) == "1");
    CHECK(channels_refused([&] { pixlime::render_overlay(rgba, f.ex, 0); }) == "4");
    CHECK(channels_refused([&] { pixlime::render_heatmap(test::to_float(gray), f.ex, 0); }) == "1");
    const auto size_refused = [&](auto render) {
        const auto e = test::error_of<pixlime::invalid_argument>(render);
        CHECK(e.parameter() == "image size");
        CHECK(e.value() == "30x60");
        CHECK(test::contains(e.expected(), "the explained image's 60x60"));
    };
    size_refused([&] { pixlime::render_positive(narrow, f.ex, 0); });
    size_refused([&] { pixlime::render_negative(narrow.view(), f.ex, 0); });
    size_refused([&] { pixlime::render_overlay(narrow, f.ex, 0); });
    size_refused([&] { pixlime::render_heatmap(narrow, f.ex, 0); });
    // The explained image, as uint8 or float, renders as before.
    CHECK(pixlime::render_negative(f.img, f.ex, 0) == pixlime::render_negative(f.img, f.seg, f.ex.weights(0)));
    CHECK(pixlime::render_heatmap(test::to_float(f.img), f.ex, 0).width() == 60);
    // An explanation assembled without the channel count (0: unknown) checks the size only;
    // given one, it checks it too.
    const pixlime::explanation assembled(f.ex.segments(), f.ex.samples(), f.ex.predictions(), f.ex.sample_weights(), {0},
                                         f.ex.top_labels(), {f.ex.fit(0)}, {}, {});
    CHECK(assembled.image_channels() == 0);
    CHECK(pixlime::render_positive(gray, assembled, 0).channels() == 3);
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::render_positive(narrow, assembled, 0); }).parameter() == "image size");
    const pixlime::explanation with_channels(f.ex.segments(), f.ex.samples(), f.ex.predictions(), f.ex.sample_weights(), {0},
                                             f.ex.top_labels(), {f.ex.fit(0)}, {}, {}, 1);
    CHECK(with_channels.image_channels() == 1);
    CHECK(pixlime::render_positive(gray, with_channels, 0).channels() == 3);
    const auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::render_positive(f.img, with_channels, 0); });
    CHECK(e.parameter() == "image channels");
    CHECK(e.value() == "3");
    CHECK(test::contains(e.expected(), "the explained image's 1 channel "));
    CHECK(test::error_of<pixlime::invalid_argument>([&] {
              pixlime::explanation(f.ex.segments(), f.ex.samples(), f.ex.predictions(), f.ex.sample_weights(), {0},
                                   f.ex.top_labels(), {f.ex.fit(0)}, {}, {}, -1);
          }).parameter() == "explanation image_channels");
}

namespace {

// Pixels of `pane` painted hatch_color, by segment.
std::set<int> hatched_segments(const pixlime::image<std::uint8_t>& pane, const pixlime::segmentation& seg, pixlime::rgb color) {
    std::set<int> s;
    for (int y = 0; y < seg.height(); ++y)
        for (int x = 0; x < seg.width(); ++x)
            if (pane.at(x, y, 0) == color[0] && pane.at(x, y, 1) == color[1] && pane.at(x, y, 2) == color[2]) s.insert(seg.label(x, y));
    return s;
}

}  // namespace

TEST_CASE("render_options.uncertain hatches the flagged segments only, on diagonal lines") {
    const fixture f;
    pixlime::render_options ro;
    ro.min_weight = 1e-6;
    ro.boundaries = false;
    ro.hide_rest = true;  // black, never the hatch colour; the noise image has no (30, 144, 255) pixel either
    const auto plain = pixlime::render_positive(f.img, f.ex, 0, ro);
    const auto plain_heat = pixlime::render_heatmap(f.img, f.ex, 0, ro);
    REQUIRE(hatched_segments(plain, f.seg, ro.hatch_color).empty());
    REQUIRE(hatched_segments(plain_heat, f.seg, ro.hatch_color).empty());
    ro.uncertain.assign(36, 0);
    ro.uncertain[20] = 1;  // shown on the positive pane
    ro.uncertain[30] = 1;  // negative: not on the positive pane
    ro.uncertain[2] = 1;   // weight ~0: shown on no pane, only on the heatmap
    const auto pos = pixlime::render_positive(f.img, f.ex, 0, ro);
    CHECK(hatched_segments(pos, f.seg, ro.hatch_color) == std::set<int>{20});
    CHECK(hatched_segments(pixlime::render_negative(f.img, f.ex, 0, ro), f.seg, ro.hatch_color) == std::set<int>{30});
    CHECK(hatched_segments(pixlime::render_heatmap(f.img, f.ex, 0, ro), f.seg, ro.hatch_color) == std::set<int>{2, 20, 30});
    // Exactly the pixels on the lines x + y = 0 (mod hatch_spacing) of segment 20 change; the rest is as without.
    for (int y = 0; y < 60; ++y)
        for (int x = 0; x < 60; ++x) {
            const bool line = f.seg.label(x, y) == 20 && (x + y) % ro.hatch_spacing == 0;
            for (int c = 0; c < 3; ++c) REQUIRE(pos.at(x, y, c) == (line ? ro.hatch_color[std::size_t(c)] : plain.at(x, y, c)));
        }
    // With scale, the spacing is in pixels of the drawn picture: lines stay one pixel thin.
    ro.scale = 3;
    const auto big = pixlime::render_positive(f.img, f.ex, 0, ro);
    int on_row = 0;  // segment 20 is x 20..29, y 30..39: at scale 3, row y = 100 crosses x 60..89
    for (int x = 60; x < 90; ++x) on_row += big.at(x, 100, 0) == ro.hatch_color[0] && big.at(x, 100, 2) == ro.hatch_color[2];
    CHECK(on_row == 5);  // x + 100 = 0 mod 6: x = 62, 68, 74, 80, 86
}

TEST_CASE("render_options.uncertain empty (the default) leaves every picture as it was") {
    const fixture f;
    pixlime::render_options a, b;
    a.min_weight = b.min_weight = 1e-6;
    b.hatch_color = {1, 2, 3};  // unused without flags
    b.hatch_spacing = 3;
    CHECK(pixlime::render_positive(f.img, f.ex, 0, a) == pixlime::render_positive(f.img, f.ex, 0, b));
    CHECK(pixlime::render_heatmap(f.img, f.ex, 0, a) == pixlime::render_heatmap(f.img, f.ex, 0, b));
    // All-zero flags hatch nothing either.
    b.uncertain.assign(36, 0);
    CHECK(pixlime::render_negative(f.img, f.ex, 0, a) == pixlime::render_negative(f.img, f.ex, 0, b));
    CHECK(pixlime::render_heatmap(f.img, f.ex, 0, a) == pixlime::render_heatmap(f.img, f.ex, 0, b));
}

TEST_CASE("uncertain_segments flags the intervals that contain 0; bad flags and intervals are refused") {
    const fixture f;
    Eigen::MatrixXd iv(4, 2);
    iv << -1, 1, 0.1, 0.2, -0.3, -0.1, 0, 0.5;
    CHECK(pixlime::uncertain_segments(iv) == std::vector<char>{1, 0, 0, 1});
    // From an explanation: its 95% intervals (the fixture's model is exactly linear, so the
    // three real weights are far from 0).
    const auto u = pixlime::uncertain_segments(f.ex, 0);
    REQUIRE(u.size() == 36);
    CHECK(!u[7]);
    CHECK(!u[20]);
    CHECK(!u[30]);
    const Eigen::MatrixXd wi = f.ex.weight_intervals(0, 0.95);
    for (int k = 0; k < 36; ++k) CHECK(bool(u[std::size_t(k)]) == (wi(k, 0) <= 0 && wi(k, 1) >= 0));

    auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::uncertain_segments(Eigen::MatrixXd::Zero(4, 3)); });
    CHECK(e.parameter() == "intervals columns");
    CHECK(e.value() == "3");
    Eigen::MatrixXd backwards(1, 2);
    backwards << 1, -1;
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::uncertain_segments(backwards); }).parameter() == "intervals row 0");

    pixlime::render_options ro;
    ro.uncertain.assign(35, 1);  // one flag short
    for (int which = 0; which < 2; ++which) {
        e = test::error_of<pixlime::invalid_argument>([&] {
            if (which == 0) pixlime::render_positive(f.img, f.seg, f.ex.weights(0), ro);
            else pixlime::render_heatmap(f.img, f.seg, f.ex.weights(0), ro);
        });
        CHECK(e.parameter() == "render_options.uncertain size");
        CHECK(e.value() == "35");
        CHECK(e.expected().find("36") != std::string::npos);
    }
    ro.uncertain.clear();
    ro.hatch_spacing = 1;
    e = test::error_of<pixlime::invalid_argument>([&] { pixlime::render_heatmap(f.img, f.ex, 0, ro); });
    CHECK(e.parameter() == "render_options.hatch_spacing");
}

TEST_CASE("draw_outline paints the region's inner outline, at the panes' scale; bad sizes are refused") {
    pixlime::image<std::uint8_t> region(8, 6, 1);
    for (int y = 2; y < 5; ++y)
        for (int x = 1; x < 5; ++x) region.at(x, y, 0) = 255;  // a 4x3 block at (1, 2)
    const pixlime::rgb yellow{255, 255, 0};
    for (int factor : {1, 3}) {
        pixlime::image<std::uint8_t> pane(8 * factor, 6 * factor, 3);
        pixlime::draw_outline(pane, region.view(), yellow, factor);
        for (int y = 0; y < 6 * factor; ++y)
            for (int x = 0; x < 8 * factor; ++x) {
                const bool inside = x >= factor && x < 5 * factor && y >= 2 * factor && y < 5 * factor;
                const bool edge = inside && (x == factor || x == 5 * factor - 1 || y == 2 * factor || y == 5 * factor - 1);
                CHECK_MESSAGE(pane.at(x, y, 0) == (edge ? 255 : 0), "factor " << factor << " at " << x << "," << y);
                CHECK(pane.at(x, y, 2) == 0);
            }
    }
    pixlime::image<std::uint8_t> pane(8, 6, 3), wrong(9, 6, 3);
    CHECK(test::contains(test::message_of<pixlime::invalid_argument>([&] { pixlime::draw_outline(wrong, region.view(), yellow); }),
                         "draw_outline image = 9x6x3"));
    const pixlime::image<std::uint8_t> rgb_region(8, 6, 3);
    CHECK(test::contains(test::message_of<pixlime::invalid_argument>([&] { pixlime::draw_outline(pane, rgb_region.view(), yellow); }),
                         "draw_outline region channels = 3"));
    CHECK(test::contains(test::message_of<pixlime::invalid_argument>([&] { pixlime::draw_outline(pane, region.view(), yellow, 0); }),
                         "draw_outline factor = 0"));
}
