// Tests of pixlime's implementation details that the public tests reach only indirectly: CIELAB
// against scikit-image's values, the thread pool, the Gaussian blur.
#include "support.hpp"

#include <pixlime/detail/blur.hpp>
#include <pixlime/detail/color.hpp>
#include <pixlime/detail/thread_pool.hpp>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <utility>

namespace d = pixlime::detail;

TEST_CASE("sRGB to CIELAB matches scikit-image's rgb2lab") {
    // scikit-image 0.19.3, skimage.color.rgb2lab on uint8 RGB (D65, 2 degrees): ground truth made
    // outside pixlime (python3 -c "from skimage.color import rgb2lab; ...").
    struct colour {
        int r, g, b;
        double L, a, bb;
    };
    const colour reference[] = {
        {255, 0, 0, 53.240588, 80.092308, 67.202751},    {0, 255, 0, 87.735099, -86.183030, 83.179703},
        {0, 0, 255, 32.295673, 79.185591, -107.857300},  {255, 255, 255, 100.000000, -0.002455, 0.004653},
        {0, 0, 0, 0.0, 0.0, 0.0},                        {128, 128, 128, 53.585013, -0.001473, 0.002791},
        {200, 120, 30, 57.855641, 24.987669, 57.735881}, {10, 20, 30, 5.948470, -0.669311, -8.136412},
        {3, 3, 3, 0.822520, -0.000052, 0.000099},        {250, 240, 10, 92.869496, -16.354361, 90.443935},
    };
    const int n = int(std::size(reference));
    pixlime::image<std::uint8_t> img(n, 1, 3);
    for (int i = 0; i < n; ++i) {
        img.at(i, 0, 0) = std::uint8_t(reference[i].r);
        img.at(i, 0, 1) = std::uint8_t(reference[i].g);
        img.at(i, 0, 2) = std::uint8_t(reference[i].b);
    }
    d::thread_pool one(1);
    // Both routes: the uint8 lookup-table path and the float path (planes, then the conversion).
    const auto lut = d::make_features(std::as_const(img).view(), /*lab=*/true, /*stretch=*/false, 0.0, one);
    const auto img_f = test::to_float(img);
    const auto flt = d::make_features(img_f.view(), true, false, 0.0, one);
    for (const auto* f : {&lut, &flt}) {
        REQUIRE(f->channels == 3);
        for (int i = 0; i < n; ++i) {
            CAPTURE(i);
            CHECK(std::abs(f->plane(0)[i] - reference[i].L) < 2e-3);
            CHECK(std::abs(f->plane(1)[i] - reference[i].a) < 2e-3);
            CHECK(std::abs(f->plane(2)[i] - reference[i].bb) < 2e-3);
        }
    }
    // A gray image's single feature is the L of its RGB copy.
    pixlime::image<std::uint8_t> gray(n, 1, 1);
    for (int i = 0; i < n; ++i) gray.at(i, 0) = img.at(i, 0, 1);
    pixlime::image<std::uint8_t> gray_rgb(n, 1, 3);
    for (int i = 0; i < n; ++i)
        for (int c = 0; c < 3; ++c) gray_rgb.at(i, 0, c) = gray.at(i, 0);
    const auto g1 = d::make_features(std::as_const(gray).view(), true, false, 0.0, one);
    const auto g3 = d::make_features(std::as_const(gray_rgb).view(), true, false, 0.0, one);
    REQUIRE(g1.channels == 1);
    for (int i = 0; i < n; ++i) CHECK(std::abs(g1.plane(0)[i] - g3.plane(0)[i]) < 1e-3);
}

TEST_CASE("the thread pool covers every item once, in balanced bands, and passes exceptions on") {
    for (int threads : {1, 2, 3, 16}) {
        d::thread_pool pool(threads);
        CHECK(pool.size() >= 1);
        CHECK(pool.size() <= std::max(1, threads));
        const unsigned hardware = std::thread::hardware_concurrency();
        if (hardware > 0) CHECK(pool.size() <= int(hardware));
        for (int n : {0, 1, 2, 7, 1000}) {
            std::vector<std::atomic<int>> hits(std::size_t(n) + 1);
            std::atomic<int> bands{0};
            for (int round = 0; round < 50; ++round)  // the same workers, many small jobs
                pool.bands(n, [&](int b, int e) {
                    ++bands;
                    for (int i = b; i < e; ++i) ++hits[std::size_t(i)];
                });
            for (int i = 0; i < n; ++i) CHECK(hits[std::size_t(i)].load() == 50);
            CHECK(bands.load() == 50 * std::min(pool.size(), n));
        }
        CHECK_THROWS_WITH_AS(pool.bands(100, [](int, int) { throw std::runtime_error("band failed"); }), "band failed",
                             std::runtime_error);
        // Still usable after an exception.
        std::atomic<int> total{0};
        pool.bands(10, [&](int b, int e) { total += e - b; });
        CHECK(total.load() == 10);
    }
}

TEST_CASE("the Gaussian blur: scipy's kernel, mirrored edges, no change for tiny sigma") {
    const auto k = d::gaussian_kernel(1.0);
    REQUIRE(k.size() == 9);  // radius int(4 sigma + 0.5) = 4
    double sum = 0;
    for (float v : k) sum += v;
    CHECK(sum == doctest::Approx(1.0));
    CHECK(k[4] / k[5] == doctest::Approx(std::exp(0.5)));
    CHECK(d::gaussian_kernel(1e-300).size() == 1);
    CHECK(d::reflect_index(-1, 5) == 0);
    CHECK(d::reflect_index(5, 5) == 4);
    CHECK(d::reflect_index(-7, 5) == 3);  // ... d c b a | a b c d e | e d c ...
    CHECK(d::reflect_index(123456789, 1) == 0);
    // An impulse blurs into the kernel itself, away from the edges.
    d::feature_planes p(21, 21, 1);
    std::fill(p.values.begin(), p.values.end(), 0.0f);
    p.plane(0)[10 * 21 + 10] = 1.0f;
    d::thread_pool pool(2);
    d::gaussian_blur(p, 1.0, pool);
    CHECK(p.plane(0)[10 * 21 + 10] == doctest::Approx(double(k[4]) * k[4]));
    CHECK(p.plane(0)[12 * 21 + 9] == doctest::Approx(double(k[6]) * k[3]));
    CHECK(test::error_of<pixlime::invalid_argument>([] { d::check_blur_sigma("s", 1e9); }).parameter() == "s");
}
