// Tests of pixlime::quickshift (quickshift.hpp).
#include "support.hpp"

#include <limits>

using pixlime::image;

TEST_CASE("quickshift agrees with scikit-image: counts within 15%, boundary recall >= 0.8") {
    const int cases = test::check_against_skimage("quickshift", [](const image<std::uint8_t>& img, const auto& p) {
        pixlime::quickshift_options o;
        o.kernel_size = p.at("kernel_size");
        o.max_dist = p.at("max_dist");
        o.ratio = p.at("ratio");
        return pixlime::quickshift(img, o);
    });
#ifdef NDEBUG
    CHECK(cases == 4);
#else
    CHECK(cases == 1);
#endif
}

TEST_CASE("quickshift: flat quadrants, thread independence, and the tree structure") {
    const int w = 48, h = 40, qx = 20, qy = 17;
    const auto img = test::quadrants(w, h, qx, qy);
    pixlime::quickshift_options o;
    o.kernel_size = 2;
    const auto s = pixlime::quickshift(img, o);
    test::check_valid(s, w, h);
    CHECK(test::respects_quadrants(s, qx, qy));
    CHECK(s.count() >= 4);
    const auto big = test::sample("coffee_224.png");
    const image<std::uint8_t> crop(pixlime::image_view<const std::uint8_t>(big.data() + (60 * 224 + 40) * 3, 64, 56, 3, 224 * 3));
    pixlime::quickshift_options d;
    const auto one = pixlime::quickshift(crop, d);
    test::check_valid(one, 64, 56);
    for (int t : {2, 7}) {
        d.num_threads = t;
        CHECK(pixlime::quickshift(crop, d) == one);
    }
    // Larger max_dist / kernel give fewer segments; max_dist = 0 makes every pixel a root.
    pixlime::quickshift_options few;
    few.kernel_size = 6;
    CHECK(pixlime::quickshift(crop, few).count() <= one.count());
    pixlime::quickshift_options none;
    none.kernel_size = 1;
    none.max_dist = 0;
    CHECK(pixlime::quickshift(crop, none).count() == 64 * 56);
    // The same picture as floats gives the same segments.
    CHECK(pixlime::quickshift(test::to_float(crop)) == one);
}

TEST_CASE("quickshift: tiny, constant, gray, RGBA, many-channel and extreme inputs") {
    // lime collapses tiny images into one region with its quickshift defaults.
    for (int n : {1, 8, 20}) {
        CAPTURE(n);
        const auto q = pixlime::quickshift(test::texture(n, n, 3));
        test::check_valid(q, n, n);
        if (n <= 8) CHECK(q.count() == 1);
    }
    test::check_valid(pixlime::quickshift(test::texture(1, 40, 3)), 1, 40);
    test::check_valid(pixlime::quickshift(test::texture(40, 1, 3)), 40, 1);
    test::check_valid(pixlime::quickshift(image<std::uint8_t>(32, 24, 3, 128)), 32, 24);
    // Gray and gray+alpha, RGB and RGBA: the alpha channel is ignored.
    const auto rgb = test::texture(40, 30, 3);
    const test::channel_variants v(rgb);
    const auto &rgba = v.rgba, &gray = v.gray, &gray_alpha = v.gray_alpha;
    pixlime::quickshift_options qo;
    qo.kernel_size = 2;
    CHECK(pixlime::quickshift(rgba, qo) == pixlime::quickshift(rgb, qo));
    CHECK(pixlime::quickshift(gray_alpha, qo) == pixlime::quickshift(gray, qo));
    test::check_valid(pixlime::quickshift(gray, qo), 40, 30);
    image<float> multi(30, 20, 7, 0.5f);
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 30; ++x) multi.at(x, y, (x >= 15) + 2 * (y >= 10)) = 1.0f;
    test::check_valid(pixlime::quickshift(multi, qo), 30, 20);
    // Huge parameters: one segment, no hang.
    pixlime::quickshift_options huge;
    huge.kernel_size = 1e4;
    huge.max_dist = std::numeric_limits<double>::infinity();
    huge.sigma = 100;
    CHECK(pixlime::quickshift(test::texture(24, 18, 3), huge).count() == 1);
    // A blur too small to change anything (its kernel is one tap) changes nothing.
    pixlime::quickshift_options tiny_blur = qo;
    tiny_blur.sigma = 1e-300;
    CHECK(pixlime::quickshift(rgb, tiny_blur) == pixlime::quickshift(rgb, qo));
}

TEST_CASE("quickshift: invalid options are rejected with the field's name") {
    const image<std::uint8_t> img(8, 8, 3, 10);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    auto q = [&](auto set) {
        pixlime::quickshift_options o;
        set(o);
        return test::error_of<pixlime::invalid_argument>([&] { (void)pixlime::quickshift(img, o); }).parameter();
    };
    CHECK(q([](auto& o) { o.kernel_size = 0.5; }) == "quickshift_options.kernel_size");
    CHECK(q([&](auto& o) { o.kernel_size = nan; }) == "quickshift_options.kernel_size");
    CHECK(q([](auto& o) { o.max_dist = -1; }) == "quickshift_options.max_dist");
    CHECK(q([&](auto& o) { o.max_dist = nan; }) == "quickshift_options.max_dist");
    CHECK(q([](auto& o) { o.ratio = -0.1; }) == "quickshift_options.ratio");
    CHECK(q([](auto& o) { o.ratio = 1e300; }) == "quickshift_options.ratio");
    CHECK(q([](auto& o) { o.sigma = -1; }) == "quickshift_options.sigma");
    CHECK(q([](auto& o) { o.sigma = 1e9; }) == "quickshift_options.sigma");
    CHECK(q([](auto& o) { o.num_threads = 0; }) == "quickshift_options.num_threads");
    CHECK_THROWS_AS((void)pixlime::quickshift(pixlime::image_view<const float>()), pixlime::invalid_argument);
}
