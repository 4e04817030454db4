#pragma once
/// \file pixlime/detail/color.hpp
/// The features the segmenters (pixlime::slic, pixlime::quickshift, pixlime::felzenszwalb)
/// work on: an image's channels as planar floats on the [0, 1] scale, optionally stretched,
/// blurred and converted from sRGB to CIELAB (D65 white, 2 degree observer, the same
/// constants as scikit-image's rgb2lab). Implementation detail of pixlime: may change without
/// notice.

#include <pixlime/detail/blur.hpp>
#include <pixlime/detail/cpu.hpp>
#include <pixlime/detail/planes.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/image.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace pixlime {
namespace detail {
/// The first `channels` channels of `img` as planar floats on the [0, 1] scale: uint8 values
/// become v / 255, float values are kept, except that non-finite values (NaN, +-Inf) become 0
/// and values are clamped to [-1e6, 1e6] so that squared distances stay finite.
template <class T>
feature_planes to_unit_planes(image_view<const T> img, int channels) {
    if constexpr (std::is_same_v<std::remove_const_t<T>, std::uint8_t>) {
        return to_planes(img, channels, [](std::uint8_t v) { return float(v) / 255.0f; });
    } else {
        return to_planes(img, channels, [](float v) { return std::isfinite(v) ? std::min(std::max(v, -1e6f), 1e6f) : 0.0f; });
    }
}

/// Smallest and largest value of every plane (a vectorisable loop; planes are not empty).
inline void min_max(const feature_planes& p, float& lo, float& hi) {
    const float* v = p.values.data();
    const std::size_t n = p.values.size();
    float mn = v[0], mx = v[0];
    for (std::size_t i = 0; i < n; ++i) {
        mn = v[i] < mn ? v[i] : mn;
        mx = v[i] > mx ? v[i] : mx;
    }
    lo = mn;
    hi = mx;
}

/// Maps v -> (v - lo) / (hi - lo) (0 when hi == lo): scikit-image slic's stretch to [0, 1].
inline float stretch_value(float v, float lo, float range) { return range > 0.0f ? (v - lo) / range : 0.0f; }

/// Stretches all planes together to [0, 1]: v -> (v - min) / (max - min) over every value of
/// every plane (scikit-image's slic does this to its input). A constant image becomes all 0.
inline void stretch_to_unit(feature_planes& p) {
    if (p.values.empty()) return;
    float lo, hi;
    min_max(p, lo, hi);
    if (lo == 0.0f && hi == 1.0f) return;
    const float range = hi - lo;
    for (float& v : p.values) v = stretch_value(v, lo, range);
}

/// Exact inverse sRGB companding (IEC 61966-2-1, as scikit-image): the linear intensity of
/// an sRGB value v (nominally in [0, 1]).
inline float srgb_to_linear_exact(float v) {
    return v > 0.04045f ? float(std::pow((double(v) + 0.055) / 1.055, 2.4)) : v / 12.92f;
}

/// Table of srgb_to_linear_exact at 1024 + 1 equally spaced points of [0, 1].
inline const std::array<float, 1026>& srgb_table() {
    static const std::array<float, 1026> table = [] {
        std::array<float, 1026> t{};
        for (int i = 0; i <= 1024; ++i) t[std::size_t(i)] = srgb_to_linear_exact(float(i) / 1024.0f);
        t[1025] = t[1024];
        return t;
    }();
    return table;
}

/// Inverse sRGB companding by linear interpolation in srgb_table() inside [0, 1] (absolute
/// error below 1e-6) and exactly outside.
inline float srgb_to_linear(float v, const std::array<float, 1026>& t) {
    if (!(v >= 0.0f && v <= 1.0f)) return srgb_to_linear_exact(v);
    const float p = v * 1024.0f;
    const int i = int(p);
    const float f = p - float(i);
    return t[std::size_t(i)] + f * (t[std::size_t(i) + 1] - t[std::size_t(i)]);
}

/// c ? x : y without a branch (GCC does not if-convert float selects under its default
/// -ftrapping-math, which would keep the loops calling this from vectorising).
PIXLIME_DETAIL_ALWAYS_INLINE inline float select_float(bool c, float x, float y) {
    const std::int32_t m = -std::int32_t(c);
    std::int32_t xb, yb;
    std::memcpy(&xb, &x, sizeof xb);
    std::memcpy(&yb, &y, sizeof yb);
    const std::int32_t r = (xb & m) | (yb & ~m);
    float out;
    std::memcpy(&out, &r, sizeof out);
    return out;
}

/// CIELAB's f(t) = cbrt(t) for t > 0.008856, 7.787 t + 16/116 otherwise (scikit-image's
/// constants). The cube root is a bit-level first guess refined by two Halley steps
/// (relative error ~1e-7), branch-free so that compilers can vectorise loops calling it.
PIXLIME_DETAIL_ALWAYS_INLINE inline float lab_f(float t) {
    // The cube root is only used above the threshold; clamping keeps it away from
    // denormals (slow) and negative values.
    const bool above = t > 0.008856f;
    const float tc = select_float(above, t, 0.008856f);
    std::int32_t bits;
    std::memcpy(&bits, &tc, sizeof bits);
    // First guess: divide the exponent by 3 (done in float so that it vectorises).
    const float guess_bits = float(bits) * (1.0f / 3.0f) + 709921077.0f;
    const std::int32_t gb = std::int32_t(guess_bits);
    float y;
    std::memcpy(&y, &gb, sizeof y);
    for (int it = 0; it < 2; ++it) {
        const float y3 = y * y * y;
        y = y * (y3 + 2.0f * tc) / (2.0f * y3 + tc);
    }
    return select_float(above, y, 7.787f * t + 16.0f / 116.0f);
}

/// Inverse sRGB companding of every value of every plane, in place.
inline void linearize_planes(feature_planes& p, thread_pool& pool) {
    const auto& table = srgb_table();
    const std::size_t n = p.plane_size();
    for (int c = 0; c < p.channels; ++c) {
        float* v = p.plane(c);
        pool.bands(int(n), [&](int b, int e) {
            for (int i = b; i < e; ++i) v[i] = srgb_to_linear(v[i], table);
        });
    }
}

/// Linear RGB -> CIELAB of pixels [b, e) of three planes, in place (see linear_planes_to_lab).
PIXLIME_DETAIL_ALWAYS_INLINE inline void linear_rgb_to_lab_range(float* r, float* g, float* bl, int b, int e) {
    for (int i = b; i < e; ++i) {
        const float R = r[i], G = g[i], B = bl[i];
        const float X = (0.412453f * R + 0.357580f * G + 0.180423f * B) * (1.0f / 0.95047f);
        const float Y = 0.212671f * R + 0.715160f * G + 0.072169f * B;
        const float Z = (0.019334f * R + 0.119193f * G + 0.950227f * B) * (1.0f / 1.08883f);
        const float fx = lab_f(X), fy = lab_f(Y), fz = lab_f(Z);
        r[i] = 116.0f * fy - 16.0f;
        g[i] = 500.0f * (fx - fy);
        bl[i] = 200.0f * (fy - fz);
    }
}

#if PIXLIME_DETAIL_X86
/// linear_rgb_to_lab_range compiled for AVX2 (8 floats a vector), chosen at run time. No
/// FMA is enabled, so it computes exactly the same values.
__attribute__((target("avx2"))) inline void linear_rgb_to_lab_avx2(float* r, float* g, float* bl, int b, int e) {
    linear_rgb_to_lab_range(r, g, bl, b, e);
}
#endif

/// Converts pixels [b, e) of planes holding linear RGB to CIELAB in place: 3 planes (R, G, B)
/// become (L in [0, 100], a, b); 1 plane (linear gray = Y) becomes L (a = b = 0 for gray are
/// dropped). D65 reference white (0.95047, 1, 1.08883), scikit-image's rgb2lab matrix.
inline void linear_planes_to_lab_range(feature_planes& p, std::size_t b, std::size_t e) {
    if (p.channels == 1) {
        float* g = p.plane(0);
        for (std::size_t i = b; i < e; ++i) g[i] = 116.0f * lab_f(g[i]) - 16.0f;
        return;
    }
#if PIXLIME_DETAIL_X86
    if (use_isa() >= isa::avx2) {
        record_isa(isa::avx2);
        linear_rgb_to_lab_avx2(p.plane(0), p.plane(1), p.plane(2), int(b), int(e));
        return;
    }
#endif
    record_isa(isa::portable);
    linear_rgb_to_lab_range(p.plane(0), p.plane(1), p.plane(2), int(b), int(e));
}

/// linear_planes_to_lab_range over the whole image, split between the pool's threads.
inline void linear_planes_to_lab(feature_planes& p, thread_pool& pool) {
    pool.bands(int(p.plane_size()), [&](int b, int e) { linear_planes_to_lab_range(p, std::size_t(b), std::size_t(e)); });
}

/// Converts planes holding sRGB in [0, 1] (3 planes RGB, or 1 plane gray) to CIELAB in place.
inline void srgb_planes_to_lab(feature_planes& p, thread_pool& pool) {
    linearize_planes(p, pool);
    linear_planes_to_lab(p, pool);
}

/// How the segmenters read an image's channels (see each segmenter's documentation):
/// with `lab`, 3 or 4 channels -> CIELAB of the first 3 (alpha ignored), 1 or 2 channels ->
/// L of the first (gray; alpha ignored); otherwise (or without `lab`) every channel is a raw
/// feature on the [0, 1] scale. Returns the number of input channels used.
inline int feature_channels_used(int image_channels, bool lab) {
    if (lab && (image_channels == 3 || image_channels == 4)) return 3;
    if (lab && (image_channels == 1 || image_channels == 2)) return 1;
    return image_channels;
}

/// Pixels [b, b + w) of every plane of p: lut[byte] of one interleaved image row (channel c of
/// pixel x at row[x * ic + c]). IC: ic when known at compile time (0: any).
template <int IC>
void lookup_row(const std::uint8_t* row, int w, int ic, const float* lut, feature_planes& p, std::size_t b) {
    if constexpr (IC > 0) ic = IC;
    for (int c = 0; c < p.channels; ++c) {
        float* out = p.plane(c) + b;
        const std::uint8_t* in = row + c;
        for (int x = 0; x < w; ++x) out[x] = lut[in[std::ptrdiff_t(x) * ic]];
    }
}

/// The features a segmenter clusters, as planes:
/// 1. the used channels (feature_channels_used) on the [0, 1] scale (to_unit_planes);
/// 2. if `stretch`, stretched together to [0, 1] (scikit-image slic);
/// 3. if `sigma_before` > 0, Gaussian-blurred (scikit-image slic and felzenszwalb blur here);
/// 4. if `lab` and the image has 1 to 4 channels, converted to CIELAB (L only for gray).
/// uint8 images without blur take a lookup-table shortcut that gives bit-identical values.
template <class T>
feature_planes make_features(image_view<const T> img, bool lab, bool stretch, double sigma_before, thread_pool& pool) {
    const int used = feature_channels_used(img.channels(), lab);
    const bool to_lab = lab && img.channels() <= 4;
    if constexpr (std::is_same_v<std::remove_const_t<T>, std::uint8_t>) {
        if (!(sigma_before > 0)) {
            // Every step before the Lab matrix maps each byte value alike: tabulate it.
            const int w = img.width(), h = img.height(), ic = img.channels();
            std::uint8_t vmin = 255, vmax = 0;
            for (int y = 0; y < h; ++y) {
                const std::uint8_t* row = img.row(y);
                if (used == ic) {  // every byte of the row counts: a vectorisable loop
                    for (std::ptrdiff_t i = 0; i < std::ptrdiff_t(w) * ic; ++i) {
                        vmin = row[i] < vmin ? row[i] : vmin;
                        vmax = row[i] > vmax ? row[i] : vmax;
                    }
                    continue;
                }
                for (int x = 0; x < w; ++x)
                    for (int c = 0; c < used; ++c) {
                        const std::uint8_t v = row[std::ptrdiff_t(x) * ic + c];
                        vmin = v < vmin ? v : vmin;
                        vmax = v > vmax ? v : vmax;
                    }
            }
            const float lo = float(vmin) / 255.0f, hi = float(vmax) / 255.0f, range = hi - lo;
            const bool identity = !stretch || (lo == 0.0f && hi == 1.0f);
            const auto& table = srgb_table();
            std::array<float, 256> lut{};
            for (int v = 0; v < 256; ++v) {
                float u = float(v) / 255.0f;
                if (!identity) u = stretch_value(u, lo, range);
                lut[std::size_t(v)] = to_lab ? srgb_to_linear(u, table) : u;
            }
            feature_planes p(w, h, used);
            // Row by row: table lookups, then (while the row is in cache) the Lab matrix.
            pool.bands(h, [&](int y0, int y1) {
                for (int y = y0; y < y1; ++y) {
                    const std::size_t b = std::size_t(y) * std::size_t(w);
                    if (used == 3 && ic == 3)
                        lookup_row<3>(img.row(y), w, 3, lut.data(), p, b);
                    else if (used == 3 && ic == 4)
                        lookup_row<4>(img.row(y), w, 4, lut.data(), p, b);
                    else
                        lookup_row<0>(img.row(y), w, ic, lut.data(), p, b);
                    if (to_lab) linear_planes_to_lab_range(p, b, b + std::size_t(w));
                }
            });
            return p;
        }
    }
    feature_planes p = to_unit_planes(img, used);
    if (stretch) stretch_to_unit(p);
    gaussian_blur(p, sigma_before, pool);
    if (to_lab) srgb_planes_to_lab(p, pool);
    return p;
}

}  // namespace detail
}  // namespace pixlime

