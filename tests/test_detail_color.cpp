// Tests of pixlime/detail/color.hpp, the segmenters' features: sRGB companding, CIELAB (D65,
// 2 degrees), and make_features' pipeline (channels used, stretch, blur, Lab). Ground truth:
// scikit-image's rgb2lab values, and the CIE / IEC 61966-2-1 formulas evaluated here in double
// (the sRGB matrix derived from the sRGB primaries and the documented D65 white).
#include "support.hpp"

#include <pixlime/detail/color.hpp>

#include <Eigen/Dense>

#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_color_test {

namespace d = pixlime::detail;

namespace {

/// IEC 61966-2-1 sRGB decoding (companded value -> linear intensity), in double.
double decode(double v) { return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); }

/// IEC 61966-2-1 sRGB encoding (linear intensity -> companded value), in double.
double encode(double l) { return l <= 0.0031308 ? 12.92 * l : 1.055 * std::pow(l, 1.0 / 2.4) - 0.055; }

/// The D65 reference white pixlime documents (X, Y, Z), 2 degree observer.
const Eigen::Vector3d white(0.95047, 1.0, 1.08883);

/// The linear sRGB -> XYZ matrix from first principles: the columns are the primaries'
/// chromaticities (IEC 61966-2-1: R (0.64, 0.33), G (0.30, 0.60), B (0.15, 0.06)) as XYZ with
/// Y = 1, scaled so that RGB = (1, 1, 1) maps to the reference white.
Eigen::Matrix3d srgb_to_xyz() {
    const double xy[3][2] = {{0.64, 0.33}, {0.30, 0.60}, {0.15, 0.06}};
    Eigen::Matrix3d m;
    for (int i = 0; i < 3; ++i) m.col(i) << xy[i][0] / xy[i][1], 1.0, (1 - xy[i][0] - xy[i][1]) / xy[i][1];
    const Eigen::Vector3d scale = m.partialPivLu().solve(white);
    return m * scale.asDiagonal();
}

/// CIELAB of an sRGB colour (components in [0, 1]) by the CIE formulas: f(t) = cbrt(t) above
/// (6/29)^3, t / (3 (6/29)^2) + 4/29 below.
Eigen::Vector3d cie_lab(double r, double g, double b) {
    static const Eigen::Matrix3d m = srgb_to_xyz();
    const Eigen::Vector3d xyz = m * Eigen::Vector3d(decode(r), decode(g), decode(b));
    const double delta = 6.0 / 29.0;
    auto f = [&](double t) { return t > delta * delta * delta ? std::cbrt(t) : t / (3 * delta * delta) + 4.0 / 29.0; };
    const double fx = f(xyz[0] / white[0]), fy = f(xyz[1] / white[1]), fz = f(xyz[2] / white[2]);
    return {116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)};
}

/// A read-only view of an image (make_features deduces its pixel type from the view).
template <class T>
pixlime::image_view<const T> cview(const pixlime::image<T>& img) {
    return img.view();
}

std::vector<float> as_vector(const d::feature_planes& p) { return std::vector<float>(p.values.begin(), p.values.end()); }

/// Restores the instruction-set limit when a test ends.
struct isa_reset {
    ~isa_reset() { d::isa_limit = d::isa::avx512; }
};

#if defined(__FMA__)
constexpr bool contracting_build = true;  // compilers may contract multiply-adds differently per path
#else
constexpr bool contracting_build = false;
#endif

}  // namespace

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

TEST_CASE("color: sRGB decoding follows IEC 61966-2-1, the table within 1e-6, and round-trips with encoding") {
    const auto& table = d::srgb_table();
    CHECK(d::srgb_to_linear_exact(0.0f) == 0.0f);
    CHECK(d::srgb_to_linear_exact(1.0f) == doctest::Approx(1.0).epsilon(1e-7));
    CHECK(d::srgb_to_linear(0.0f, table) == 0.0f);
    CHECK(std::abs(d::srgb_to_linear(1.0f, table) - 1.0f) < 1e-6f);
    double worst_exact = 0, worst_table = 0, worst_round_trip = 0, worst_back = 0;
    const int steps = 100000;
    for (int i = 0; i <= steps; ++i) {
        const float v = float(i) / float(steps);
        const double want = decode(double(v));
        const float exact = d::srgb_to_linear_exact(v), tabulated = d::srgb_to_linear(v, table);
        worst_exact = std::max(worst_exact, std::abs(double(exact) - want) / std::max(want, 1e-30));
        worst_table = std::max(worst_table, std::abs(double(tabulated) - want));
        // companded -> linear -> companded, and linear -> companded -> linear
        worst_round_trip = std::max(worst_round_trip, std::abs(encode(double(tabulated)) - double(v)));
        const float l = v;
        worst_back = std::max(worst_back, std::abs(double(d::srgb_to_linear(float(encode(double(l))), table)) - double(l)));
    }
    CHECK(worst_exact < 1e-6);         // relative: float rounding of the IEC formula
    CHECK(worst_table < 1e-6);         // absolute, as documented
    CHECK(worst_round_trip < 2e-5);    // 1e-6 in linear is up to 12.92e-6 companded near black
    CHECK(worst_back < 1.5e-6);
    // The two branches meet at the threshold (the curve is continuous).
    CHECK(std::abs(decode(0.04045) - std::pow((0.04045 + 0.055) / 1.055, 2.4)) < 1e-7);
    CHECK(std::abs(d::srgb_to_linear_exact(0.04045f) - d::srgb_to_linear_exact(std::nextafter(0.04045f, 1.0f))) < 1e-7f);
    // Outside [0, 1] the table is not used: the exact formula, and NaN stays NaN.
    for (float v : {-0.5f, -0.01f, 1.0001f, 1.5f, 3.0f}) {
        CAPTURE(v);
        CHECK(d::srgb_to_linear(v, table) == d::srgb_to_linear_exact(v));
    }
    CHECK(std::isnan(d::srgb_to_linear(std::numeric_limits<float>::quiet_NaN(), table)));
    // Increasing over [0, 1].
    float last = -1;
    bool increasing = true;
    for (int i = 0; i <= 4096; ++i) {
        const float now = d::srgb_to_linear(float(i) / 4096.0f, table);
        increasing = increasing && now > last;
        last = now;
    }
    CHECK(increasing);
}

TEST_CASE("color: lab_f is CIELAB's f: a cube root within 1e-6 above 0.008856, the line below, continuous") {
    double worst = 0;
    std::mt19937 gen(3);
    std::uniform_real_distribution<double> exponent(std::log(0.0088561), std::log(1e6));
    for (int i = 0; i < 200000; ++i) {
        const float t = float(std::exp(exponent(gen)));
        const double want = std::cbrt(double(t));
        worst = std::max(worst, std::abs(double(d::lab_f(t)) - want) / want);
    }
    for (float t : {0.0088561f, 0.01f, 0.125f, 0.5f, 1.0f, 8.0f, 27.0f, 1000.0f}) worst = std::max(worst, std::abs(double(d::lab_f(t)) - std::cbrt(double(t))) / std::cbrt(double(t)));
    CHECK(worst < 1e-6);
    for (float t : {-5.0f, -1e-3f, 0.0f, 1e-30f, 1e-4f, 0.005f, 0.008856f}) {
        CAPTURE(t);
        CHECK(d::lab_f(t) == doctest::Approx(7.787 * double(t) + 16.0 / 116.0).epsilon(1e-6));
    }
    // Both pieces meet at the threshold (within the constants' rounding).
    CHECK(std::abs(d::lab_f(0.008856f) - d::lab_f(std::nextafter(0.008856f, 1.0f))) < 1e-5f);
    CHECK(d::select_float(true, 1.5f, -2.0f) == 1.5f);
    CHECK(d::select_float(false, 1.5f, -2.0f) == -2.0f);
}

TEST_CASE("color: sRGB -> CIELAB agrees with the CIE formulas on random colours, on both routes") {
    // The reference uses the exact CIE constants and the matrix derived from the primaries;
    // pixlime uses scikit-image's rounded ones (0.008856, 7.787, a 6-digit matrix): they agree
    // within 0.01.
    std::mt19937 gen(11);
    const int n = 20000;
    pixlime::image<std::uint8_t> img(200, n / 200, 3);
    for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = std::uint8_t(gen() % 256);
    d::thread_pool pool(2);
    const auto lut = d::make_features(std::as_const(img).view(), true, false, 0.0, pool);
    const auto flt = d::make_features(cview(test::to_float(img)), true, false, 0.0, pool);
    for (const auto* f : {&lut, &flt}) {
        double worst = 0;
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const Eigen::Vector3d want = cie_lab(img.at(x, y, 0) / 255.0, img.at(x, y, 1) / 255.0, img.at(x, y, 2) / 255.0);
                const std::size_t i = std::size_t(y) * std::size_t(img.width()) + std::size_t(x);
                for (int c = 0; c < 3; ++c) worst = std::max(worst, std::abs(double(f->plane(c)[i]) - want[c]));
            }
        CHECK(worst < 0.01);
    }
    // The derived matrix is the standard one: IEC 61966-2-1 prints it to 4 digits, for its white
    // chromaticity (0.3127, 0.3290), whose Z is 0.0002 from the white used here.
    const Eigen::Matrix3d m = srgb_to_xyz();
    Eigen::Matrix3d printed;
    printed << 0.4124, 0.3576, 0.1805, 0.2126, 0.7152, 0.0722, 0.0193, 0.1192, 0.9505;
    CHECK((m - printed).cwiseAbs().maxCoeff() < 3e-4);
}

TEST_CASE("color: white is L = 100, black is 0, grays have a = b = 0 and L rising; L rises with every channel") {
    d::thread_pool pool(1);
    // Every gray level, as RGB and as a 1-channel image.
    pixlime::image<std::uint8_t> grays(256, 1, 3), gray1(256, 1, 1);
    for (int v = 0; v < 256; ++v) {
        gray1.at(v, 0) = std::uint8_t(v);
        for (int c = 0; c < 3; ++c) grays.at(v, 0, c) = std::uint8_t(v);
    }
    const auto lab = d::make_features(std::as_const(grays).view(), true, false, 0.0, pool);
    const auto lab1 = d::make_features(std::as_const(gray1).view(), true, false, 0.0, pool);
    REQUIRE(lab1.channels == 1);
    CHECK(std::abs(lab.plane(0)[255] - 100.0f) < 1e-3f);
    CHECK(std::abs(lab.plane(1)[255]) < 0.01f);
    CHECK(std::abs(lab.plane(2)[255]) < 0.01f);
    for (int c = 0; c < 3; ++c) CHECK(std::abs(lab.plane(c)[0]) < 1e-4f);
    CHECK(std::abs(lab1.plane(0)[0]) < 1e-4f);
    CHECK(std::abs(lab1.plane(0)[255] - 100.0f) < 1e-3f);
    bool rising = true, neutral = true;
    for (int v = 0; v < 256; ++v) {
        CAPTURE(v);
        CHECK(std::abs(lab.plane(0)[v] - double(cie_lab(v / 255.0, v / 255.0, v / 255.0)[0])) < 0.01);
        CHECK(std::abs(lab1.plane(0)[v] - lab.plane(0)[v]) < 1e-3f);
        neutral = neutral && std::abs(lab.plane(1)[v]) < 0.01f && std::abs(lab.plane(2)[v]) < 0.01f;
        if (v > 0) rising = rising && lab.plane(0)[v] > lab.plane(0)[v - 1] && lab1.plane(0)[v] > lab1.plane(0)[v - 1];
    }
    CHECK(neutral);
    CHECK(rising);
    // Raising any one channel by one step raises L (Y grows with every channel, f is increasing).
    std::mt19937 gen(5);
    pixlime::image<std::uint8_t> pairs(2 * 3 * 500, 1, 3);
    for (int i = 0; i < 3 * 500; ++i) {
        const int channel = i % 3;
        for (int c = 0; c < 3; ++c) pairs.at(2 * i, 0, c) = pairs.at(2 * i + 1, 0, c) = std::uint8_t(gen() % 256);
        auto& low = pairs.at(2 * i, 0, channel);
        if (low == 255) low = 254;
        pairs.at(2 * i + 1, 0, channel) = std::uint8_t(low + 1);
    }
    for (const auto& f : {d::make_features(std::as_const(pairs).view(), true, false, 0.0, pool),
                          d::make_features(cview(test::to_float(pairs)), true, false, 0.0, pool)}) {
        int raised = 0;
        for (int i = 0; i < 3 * 500; ++i) raised += f.plane(0)[2 * i + 1] > f.plane(0)[2 * i];
        CHECK(raised == 3 * 500);
    }
}

TEST_CASE("color: the lookup-table route gives the float route's values bit for bit") {
    d::thread_pool pool(2);
    std::mt19937 gen(17);
    for (int channels = 1; channels <= 5; ++channels) {
        for (bool lab : {false, true}) {
            for (bool stretch : {false, true}) {
                for (int lo : {0, 40}) {
                    CAPTURE(channels);
                    CAPTURE(lab);
                    CAPTURE(stretch);
                    CAPTURE(lo);
                    // Values in [lo, 255 - lo]: with lo > 0 the stretch is not the identity.
                    pixlime::image<std::uint8_t> img(33, 7, channels);
                    for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = std::uint8_t(lo + int(gen() % unsigned(256 - 2 * lo)));
                    const auto bytes = d::make_features(std::as_const(img).view(), lab, stretch, 0.0, pool);
                    const auto floats = d::make_features(cview(test::to_float(img)), lab, stretch, 0.0, pool);
                    CHECK(bytes.channels == d::feature_channels_used(channels, lab));
                    CHECK(bytes.channels == floats.channels);
                    CHECK(as_vector(bytes) == as_vector(floats));
                }
            }
        }
    }
}

TEST_CASE("color: make_features runs the documented steps in order: channels, stretch, blur, Lab") {
    d::thread_pool pool(2);
    const auto img = test::texture(41, 23, 3);
    for (bool stretch : {false, true}) {
        for (double sigma : {0.0, 0.8, 2.0}) {
            for (bool lab : {false, true}) {
                CAPTURE(stretch);
                CAPTURE(sigma);
                CAPTURE(lab);
                auto p = d::to_unit_planes(img.view(), 3);
                if (stretch) d::stretch_to_unit(p);
                d::gaussian_blur(p, sigma, pool);
                if (lab) d::srgb_planes_to_lab(p, pool);
                CHECK(as_vector(d::make_features(img.view(), lab, stretch, sigma, pool)) == as_vector(p));
            }
        }
    }
}

TEST_CASE("color: which channels the features use (alpha ignored, gray as L, raw beyond 4)") {
    d::thread_pool pool(1);
    CHECK(d::feature_channels_used(3, true) == 3);
    CHECK(d::feature_channels_used(4, true) == 3);
    CHECK(d::feature_channels_used(1, true) == 1);
    CHECK(d::feature_channels_used(2, true) == 1);
    CHECK(d::feature_channels_used(5, true) == 5);
    for (int c = 1; c <= 6; ++c) CHECK(d::feature_channels_used(c, false) == c);
    // Alpha changes nothing: RGBA features equal RGB features; gray + alpha equal gray.
    const auto rgba = test::noise(19, 11, 4, 1), ga = test::noise(19, 11, 2, 2);
    pixlime::image<std::uint8_t> rgb(19, 11, 3), g(19, 11, 1);
    for (int y = 0; y < 11; ++y)
        for (int x = 0; x < 19; ++x) {
            for (int c = 0; c < 3; ++c) rgb.at(x, y, c) = rgba.at(x, y, c);
            g.at(x, y) = ga.at(x, y, 0);
        }
    for (bool stretch : {false, true}) {
        CHECK(as_vector(d::make_features(rgba.view(), true, stretch, 0.0, pool)) ==
              as_vector(d::make_features(std::as_const(rgb).view(), true, stretch, 0.0, pool)));
        CHECK(as_vector(d::make_features(ga.view(), true, stretch, 0.0, pool)) ==
              as_vector(d::make_features(std::as_const(g).view(), true, stretch, 0.0, pool)));
    }
    // Five channels: raw values v / 255, one plane each, even when Lab is asked for.
    const auto five = test::noise(6, 4, 5, 3);
    const auto p = d::make_features(five.view(), true, false, 0.0, pool);
    REQUIRE(p.channels == 5);
    for (int c = 0; c < 5; ++c)
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 6; ++x) CHECK(p.plane(c)[y * 6 + x] == float(five.at(x, y, c)) / 255.0f);
    // A strided view (a crop) reads the same pixels as a packed copy.
    const auto big = test::texture(30, 20, 3);
    pixlime::image_view<const std::uint8_t> crop(big.data() + (5 * 30 + 4) * 3, 13, 9, 3, 30 * 3);
    pixlime::image<std::uint8_t> packed(13, 9, 3);
    for (int y = 0; y < 9; ++y)
        for (int x = 0; x < 13; ++x)
            for (int c = 0; c < 3; ++c) packed.at(x, y, c) = big.at(x + 4, y + 5, c);
    CHECK(as_vector(d::make_features(crop, true, true, 0.0, pool)) == as_vector(d::make_features(std::as_const(packed).view(), true, true, 0.0, pool)));
}

TEST_CASE("color: stretch maps all planes together to [0, 1]; constants become 0; floats are sanitised") {
    d::feature_planes p(3, 1, 2);
    const float v[6] = {0.2f, 0.4f, 0.6f, 0.3f, 0.25f, 0.2f};
    std::copy(v, v + 6, p.values.begin());
    d::stretch_to_unit(p);
    const float want[6] = {0.0f, 0.5f, 1.0f, 0.25f, 0.125f, 0.0f};
    for (int i = 0; i < 6; ++i) CHECK(p.values[std::size_t(i)] == doctest::Approx(want[i]).epsilon(1e-6));
    d::feature_planes flat(4, 2, 3);
    std::fill(flat.values.begin(), flat.values.end(), 0.7f);
    d::stretch_to_unit(flat);
    for (float x : flat.values) CHECK(x == 0.0f);
    // Already spanning [0, 1]: untouched.
    d::feature_planes unit(2, 1, 1);
    unit.values[0] = 1.0f;
    unit.values[1] = 0.0f;
    d::stretch_to_unit(unit);
    CHECK(unit.values[0] == 1.0f);
    CHECK(unit.values[1] == 0.0f);
    // Float images: NaN and infinities become 0, values are clamped to [-1e6, 1e6].
    pixlime::image<float> f(6, 1, 1);
    const float in[6] = {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                         -std::numeric_limits<float>::infinity(), 3e9f, -3e9f, 0.25f};
    std::copy(in, in + 6, f.data());
    const auto u = d::to_unit_planes(std::as_const(f).view(), 1);
    const float out[6] = {0.0f, 0.0f, 0.0f, 1e6f, -1e6f, 0.25f};
    for (int i = 0; i < 6; ++i) CHECK(u.plane(0)[i] == out[i]);
}

TEST_CASE("color: thread counts and instruction sets give the same features, bit for bit") {
    isa_reset restore;
    const auto img = test::texture(57, 31, 3);
    const auto flt = test::to_float(img);
    d::thread_pool one(1);
    const auto ref_lut = as_vector(d::make_features(img.view(), true, true, 0.0, one));
    const auto ref_flt = as_vector(d::make_features(flt.view(), true, false, 1.0, one));
    for (int threads : {2, 5}) {
        d::thread_pool pool(threads);
        CHECK(as_vector(d::make_features(img.view(), true, true, 0.0, pool)) == ref_lut);
        CHECK(as_vector(d::make_features(flt.view(), true, false, 1.0, pool)) == ref_flt);
    }
    if (contracting_build) {
        MESSAGE("skipped the instruction-set comparison: this build enables FMA, so the paths may round differently");
        return;
    }
    for (const d::isa limit : {d::isa::portable, d::isa::avx2, d::isa::avx512}) {
        CAPTURE(int(limit));
        d::isa_limit = limit;
        d::isa_paths_run = 0;
        CHECK(as_vector(d::make_features(img.view(), true, true, 0.0, one)) == ref_lut);
        CHECK(as_vector(d::make_features(flt.view(), true, false, 1.0, one)) == ref_flt);
        // The Lab loop ran on AVX2 where allowed and available, else portable.
        const d::isa expected = std::min(limit, d::cpu_isa()) >= d::isa::avx2 ? d::isa::avx2 : d::isa::portable;
        CHECK(d::isa_paths_run.load() == (1u << unsigned(expected)));
    }
}

}  // namespace pixlime_detail_color_test
