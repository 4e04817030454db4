// Tests of pixlime::felzenszwalb (felzenszwalb.hpp).
#include "support.hpp"

#include <limits>

using pixlime::image;

TEST_CASE("felzenszwalb agrees with scikit-image: counts within 15%, boundary recall >= 0.8") {
    const int cases = test::check_against_skimage("felzenszwalb", [](const image<std::uint8_t>& img, const auto& p) {
        pixlime::felzenszwalb_options o;
        o.scale = p.at("scale");
        o.sigma = p.at("sigma");
        o.min_size = int(p.at("min_size"));
        return pixlime::felzenszwalb(img, o);
    });
#ifdef NDEBUG
    CHECK(cases == 10);
#else
    CHECK(cases == 4);
#endif
}

TEST_CASE("felzenszwalb: flat quadrants, connected segments, min_size and scale") {
    const int w = 50, h = 44, qx = 21, qy = 30;
    const auto img = test::quadrants(w, h, qx, qy);
    pixlime::felzenszwalb_options sharp;
    sharp.sigma = 0;  // (a blur makes thin strips of mixed colour along the borders)
    const auto s = pixlime::felzenszwalb(img, sharp);
    test::check_valid(s, w, h);
    CHECK(s.count() == 4);
    CHECK(test::respects_quadrants(s, qx, qy));
    CHECK(pixlime::felzenszwalb(img).count() >= 4);
    const auto tex = test::texture(120, 90, 3);
    pixlime::felzenszwalb_options o;
    o.min_size = 30;
    const auto t = pixlime::felzenszwalb(tex, o);
    test::check_valid(t, 120, 90);
    CHECK(test::count_pieces(t, 8) == t.count());  // every segment is 8-connected
    const auto sizes = t.sizes();
    CHECK(*std::min_element(sizes.begin(), sizes.end()) >= 30);
    pixlime::felzenszwalb_options coarse = o;
    coarse.scale = 500;
    CHECK(pixlime::felzenszwalb(tex, coarse).count() < t.count());
    pixlime::felzenszwalb_options fine;
    fine.scale = 0;
    fine.sigma = 0;
    fine.min_size = 0;
    // Scale 0: an edge must weigh less than 0 to join, so nothing joins, even in a flat image...
    CHECK(pixlime::felzenszwalb(image<std::uint8_t>(30, 20, 3, 77), fine).count() == 600);
    // ... until min_size merges pieces along the lightest edges.
    fine.min_size = 600;
    CHECK(pixlime::felzenszwalb(image<std::uint8_t>(30, 20, 3, 77), fine).count() == 1);
}

TEST_CASE("felzenszwalb: tiny, constant, gray, RGBA, many-channel and extreme inputs") {
    for (int n : {1, 8, 20}) test::check_valid(pixlime::felzenszwalb(test::texture(n, n, 3)), n, n);
    test::check_valid(pixlime::felzenszwalb(test::texture(1, 40, 3)), 1, 40);
    test::check_valid(pixlime::felzenszwalb(test::texture(40, 1, 3)), 40, 1);
    CHECK(pixlime::felzenszwalb(image<std::uint8_t>(32, 24, 3, 128)).count() == 1);
    const auto rgb = test::texture(40, 30, 3);
    const test::channel_variants v(rgb);
    const auto &rgba = v.rgba, &gray = v.gray, &gray_alpha = v.gray_alpha;
    CHECK(pixlime::felzenszwalb(rgba) == pixlime::felzenszwalb(rgb));
    CHECK(pixlime::felzenszwalb(gray_alpha) == pixlime::felzenszwalb(gray));
    image<float> multi(30, 20, 7, 0.5f);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 30; ++x) multi.at(x, y, (x >= 15) + 2 * (y >= 10)) = 1.0f;
    pixlime::felzenszwalb_options sharp;
    sharp.sigma = 0;
    const auto fm = pixlime::felzenszwalb(multi, sharp);
    CHECK(fm.count() == 4);
    CHECK(test::respects_quadrants(fm, 15, 10));
    pixlime::felzenszwalb_options hf;
    hf.scale = 1e9;
    hf.sigma = 100;
    hf.min_size = 1000000;
    CHECK(pixlime::felzenszwalb(test::texture(24, 18, 3), hf).count() == 1);
    // sigma = 1e-300 used to divide 0 by 0 in the kernel (every pixel its own segment): a blur
    // that small is no blur.
    pixlime::felzenszwalb_options tiny = sharp;
    tiny.sigma = 1e-300;
    CHECK(pixlime::felzenszwalb(multi, tiny) == fm);
}

TEST_CASE("felzenszwalb: invalid options are rejected with the field's name") {
    const image<std::uint8_t> img(8, 8, 3, 10);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto f = [&](auto set) {
        pixlime::felzenszwalb_options o;
        set(o);
        return test::error_of<pixlime::invalid_argument>([&] { (void)pixlime::felzenszwalb(img, o); }).parameter();
    };
    CHECK(f([](auto& o) { o.scale = -1; }) == "felzenszwalb_options.scale");
    CHECK(f([&](auto& o) { o.scale = nan; }) == "felzenszwalb_options.scale");
    CHECK(f([](auto& o) { o.scale = 1e300; }) == "felzenszwalb_options.scale");
    CHECK(f([](auto& o) { o.sigma = -0.1; }) == "felzenszwalb_options.sigma");
    CHECK(f([](auto& o) { o.sigma = 1e9; }) == "felzenszwalb_options.sigma");
    CHECK(f([](auto& o) { o.sigma = 3e8; }) == "felzenszwalb_options.sigma");
    CHECK(f([](auto& o) { o.min_size = -1; }) == "felzenszwalb_options.min_size");
    CHECK_THROWS_AS((void)pixlime::felzenszwalb(pixlime::image_view<const float>()), pixlime::invalid_argument);
}
