// Tests of pixlime/detail/blur.hpp, the Gaussian blur with scipy.ndimage.gaussian_filter's
// semantics (kernel truncated at 4 sigma, "reflect" edges). Ground truth: scipy's definitions
// written out here (the mirror by repeated folding, the kernel in double, a direct 2-D
// convolution), and properties every such blur has (constants stay, mass is kept, symmetry).
#include "support.hpp"

#include <pixlime/detail/blur.hpp>

#include <array>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_blur_test {

namespace d = pixlime::detail;

namespace {

/// scipy's "reflect" (d c b a | a b c d | d c b a) by folding at the edges until inside.
int folded(long long i, int n) {
    while (i < 0 || i >= n) i = i < 0 ? -1 - i : 2LL * n - 1 - i;
    return int(i);
}

/// scipy.ndimage.gaussian_filter1d's weights (truncate = 4), in double.
std::vector<double> kernel_double(double sigma) {
    const int r = int(4.0 * sigma + 0.5);
    std::vector<double> k(std::size_t(2 * r + 1));
    double sum = 0;
    for (int i = -r; i <= r; ++i) sum += k[std::size_t(i + r)] = std::exp(-0.5 * i * i / (sigma * sigma));
    for (double& v : k) v /= sum;
    return k;
}

/// Random values in [0, 1] from a fixed seed.
d::feature_planes random_planes(int w, int h, int c, unsigned seed) {
    d::feature_planes p(w, h, c);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (float& v : p.values) v = u(gen);
    return p;
}

d::feature_planes blurred(d::feature_planes p, double sigma, int threads = 2) {
    d::thread_pool pool(threads);
    d::gaussian_blur(p, sigma, pool);
    return p;
}

std::vector<float> as_vector(const d::feature_planes& p) { return std::vector<float>(p.values.begin(), p.values.end()); }

}  // namespace

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

TEST_CASE("blur: the kernel has 2r + 1 taps (r = int(4 sigma + 0.5)), sums to 1, is symmetric and Gaussian") {
    for (double sigma : {0.125, 0.2, 0.5, 0.7, 1.0, 1.7, 3.0, 10.0, 60.0}) {
        CAPTURE(sigma);
        const std::vector<float> k = d::gaussian_kernel(sigma);
        const std::vector<double> want = kernel_double(sigma);
        const int r = int(4.0 * sigma + 0.5);
        REQUIRE(k.size() == std::size_t(2 * r + 1));
        double sum = 0;
        for (float v : k) sum += double(v);
        CHECK(std::abs(sum - 1.0) < 1e-6);
        for (int i = 0; i <= 2 * r; ++i) {
            CHECK(k[std::size_t(i)] == k[std::size_t(2 * r - i)]);                          // symmetric, exactly
            CHECK(std::abs(k[std::size_t(i)] - want[std::size_t(i)]) <= 1e-7 * want[std::size_t(r)]);  // scipy's weights
            if (i < r) CHECK(k[std::size_t(i)] < k[std::size_t(i + 1)]);                    // rising to the centre
            // The ratio to the centre is exp(-x^2 / (2 sigma^2)).
            const double x = i - r;
            CHECK(double(k[std::size_t(i)]) / double(k[std::size_t(r)]) ==
                  doctest::Approx(std::exp(-x * x / (2 * sigma * sigma))).epsilon(1e-6));
        }
    }
    // Below sigma = 1/8 the radius is 0: the identity.
    for (double sigma : {0.0, 1e-300, 0.01, 0.1249}) {
        CAPTURE(sigma);
        CHECK(d::gaussian_kernel(sigma) == std::vector<float>{1.0f});
    }
}

TEST_CASE("blur: reflect_index is scipy's half-sample mirror, for any index") {
    for (int n = 1; n <= 7; ++n)
        for (int i = -6 * n - 3; i <= 6 * n + 3; ++i) {
            CAPTURE(n);
            CAPTURE(i);
            CHECK(d::reflect_index(i, n) == folded(i, n));
        }
    // Far outside: the mirror has period 2n (reduce in 64 bits, then fold).
    for (int n : {1, 2, 5, 7, 224, 1000, 1 << 20})
        for (int i : {INT_MIN, INT_MIN + 1, -1000003, 1000003, INT_MAX - 1, INT_MAX}) {
            CAPTURE(n);
            CAPTURE(i);
            CHECK(d::reflect_index(i, n) == folded((long long)i % (2LL * n), n));
        }
}

TEST_CASE("blur: a constant image stays constant, whatever its size against the kernel") {
    for (const auto& dims : {std::array<int, 2>{1, 1}, std::array<int, 2>{3, 2}, std::array<int, 2>{1, 9},
                             std::array<int, 2>{17, 5}, std::array<int, 2>{40, 33}}) {
        for (double sigma : {0.5, 1.0, 2.5, 6.0}) {
            for (float value : {0.37f, 1000.0f, -2.0f, 0.0f}) {
                CAPTURE(dims[0]);
                CAPTURE(dims[1]);
                CAPTURE(sigma);
                CAPTURE(value);
                d::feature_planes p(dims[0], dims[1], 2);
                std::fill(p.values.begin(), p.values.end(), value);
                const auto out = blurred(p, sigma);
                float worst = 0;
                for (float v : out.values) worst = std::max(worst, std::abs(v - value));
                CHECK(worst <= 1e-5f * std::max(1.0f, std::abs(value)));
            }
        }
    }
}

TEST_CASE("blur: mass is preserved, for an impulse anywhere (the mirrored edges lose nothing)") {
    // Blurring with mirrored edges is blurring the image's even, 2n-periodic extension with a
    // symmetric kernel: the result is even and periodic too, so it keeps the sum of the image.
    const int w = 23, h = 19;
    const double sigma = 2.0;
    const std::vector<double> k = kernel_double(sigma);
    const int r = int(k.size() / 2);
    for (const auto& at : {std::array<int, 2>{11, 9}, std::array<int, 2>{0, 0}, std::array<int, 2>{22, 18},
                           std::array<int, 2>{2, 17}, std::array<int, 2>{21, 5}}) {
        CAPTURE(at[0]);
        CAPTURE(at[1]);
        d::feature_planes p(w, h, 1);
        std::fill(p.values.begin(), p.values.end(), 0.0f);
        p.plane(0)[at[1] * w + at[0]] = 1.0f;
        const auto out = blurred(p, sigma);
        double total = 0;
        for (float v : out.values) total += double(v);
        CHECK(std::abs(total - 1.0) < 1e-5);
        // Away from the edges the impulse becomes the kernel's outer product.
        if (at[0] >= r && at[0] + r < w && at[1] >= r && at[1] + r < h) {
            double worst = 0;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const int dx = x - at[0], dy = y - at[1];
                    const double want = std::abs(dx) <= r && std::abs(dy) <= r ? k[std::size_t(dx + r)] * k[std::size_t(dy + r)] : 0.0;
                    worst = std::max(worst, std::abs(double(out.plane(0)[y * w + x]) - want));
                }
            CHECK(worst < 1e-7);
        }
    }
}

TEST_CASE("blur: the separable passes equal a direct 2-D convolution with mirrored edges") {
    unsigned seed = 1;
    for (const auto& dims : {std::array<int, 2>{1, 1}, std::array<int, 2>{2, 5}, std::array<int, 2>{7, 3},
                             std::array<int, 2>{16, 16}, std::array<int, 2>{31, 12}}) {
        for (double sigma : {0.3, 0.8, 1.5, 3.0}) {
            const int w = dims[0], h = dims[1];
            CAPTURE(w);
            CAPTURE(h);
            CAPTURE(sigma);
            const auto in = random_planes(w, h, 2, seed++);
            const auto out = blurred(in, sigma);
            const std::vector<double> k = kernel_double(sigma);
            const int r = int(k.size() / 2);
            double worst = 0;
            for (int c = 0; c < 2; ++c)  // each plane on its own
                for (int y = 0; y < h; ++y)
                    for (int x = 0; x < w; ++x) {
                        double want = 0;
                        for (int j = -r; j <= r; ++j)
                            for (int i = -r; i <= r; ++i)
                                want += k[std::size_t(i + r)] * k[std::size_t(j + r)] *
                                        double(in.plane(c)[folded(y + j, h) * w + folded(x + i, w)]);
                        worst = std::max(worst, std::abs(double(out.plane(c)[y * w + x]) - want));
                    }
            CHECK(worst < 5e-6);
        }
    }
}

TEST_CASE("blur: mirroring or transposing the image mirrors or transposes the result") {
    const int w = 29, h = 17;
    const auto in = random_planes(w, h, 1, 99);
    for (double sigma : {0.6, 1.3, 4.0}) {
        CAPTURE(sigma);
        d::feature_planes fx(w, h, 1), fy(w, h, 1), t(h, w, 1);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float v = in.plane(0)[y * w + x];
                fx.plane(0)[y * w + (w - 1 - x)] = v;
                fy.plane(0)[(h - 1 - y) * w + x] = v;
                t.plane(0)[x * h + y] = v;
            }
        const auto out = blurred(in, sigma), out_fx = blurred(fx, sigma), out_fy = blurred(fy, sigma), out_t = blurred(t, sigma);
        float worst = 0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const float v = out.plane(0)[y * w + x];
                worst = std::max(worst, std::abs(out_fx.plane(0)[y * w + (w - 1 - x)] - v));
                worst = std::max(worst, std::abs(out_fy.plane(0)[(h - 1 - y) * w + x] - v));
                worst = std::max(worst, std::abs(out_t.plane(0)[x * h + y] - v));
            }
        CHECK(worst < 3e-6f);  // (the sums run in another order: rounding only)
    }
}

TEST_CASE("blur: the result does not depend on the number of threads; tiny sigma changes nothing") {
    const auto in = random_planes(37, 23, 3, 5);
    const auto one = as_vector(blurred(in, 1.7, 1));
    for (int threads : {2, 3, 8}) {
        CAPTURE(threads);
        CHECK(as_vector(blurred(in, 1.7, threads)) == one);
    }
    CHECK(one != as_vector(in));
    for (double sigma : {0.0, 1e-300, 0.1, 0.1249}) {
        CAPTURE(sigma);
        CHECK(as_vector(blurred(in, sigma)) == as_vector(in));  // bit for bit
    }
    // No planes, or planes of no pixels: nothing to do.
    d::feature_planes empty;
    CHECK(blurred(empty, 2.0).values.empty());
    d::feature_planes none(0, 5, 3);
    CHECK(blurred(none, 2.0).values.empty());
}

TEST_CASE("blur: check_blur_sigma accepts [0, 1000] and names the parameter otherwise") {
    for (double sigma : {0.0, 1e-300, 0.5, 999.9, 1000.0}) {
        CAPTURE(sigma);
        CHECK_NOTHROW(d::check_blur_sigma("opt.sigma", sigma));
    }
    for (double sigma : {-1e-300, -1.0, 1000.0001, std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
        CAPTURE(sigma);
        const auto e = test::error_of<pixlime::invalid_argument>([&] { d::check_blur_sigma("opt.sigma", sigma, "0 = off"); });
        CHECK(e.parameter() == "opt.sigma");
        CHECK(e.value() == pixlime::detail::to_text(sigma));
        CHECK(e.expected() == "a value in [0, 1000] pixels (0 = off)");
    }
}

}  // namespace pixlime_detail_blur_test
