#pragma once
/// \file pixlime/color.hpp
/// Colour and feature preparation shared by the segmenters (pixlime::slic, pixlime::quickshift,
/// pixlime::felzenszwalb): conversion of an image to planar float features, sRGB -> CIELAB
/// (D65 white, 2 degree observer, the same constants as scikit-image's rgb2lab), a separable
/// Gaussian blur with scipy.ndimage's defaults (truncate = 4, mode "reflect") and a small
/// helper that splits rows between std::threads. Everything here is an implementation detail
/// (namespace pixlime::detail) and may change without notice.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <thread>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

// PIXLIME_DETAIL_X86_DISPATCH: 1 when hot loops may also be compiled for AVX2 (GCC/Clang
// target attribute) and chosen at run time; 0 elsewhere or when AVX2 is already enabled.
#if !defined(PIXLIME_DETAIL_X86_DISPATCH)
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__) && !defined(__AVX2__)
#define PIXLIME_DETAIL_X86_DISPATCH 1
#else
#define PIXLIME_DETAIL_X86_DISPATCH 0
#endif
#endif
#if defined(__GNUC__) || defined(__clang__)
#define PIXLIME_DETAIL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PIXLIME_DETAIL_ALWAYS_INLINE
#endif

namespace pixlime {
namespace detail {

#if PIXLIME_DETAIL_X86_DISPATCH
/// True when the CPU has AVX2 (checked once).
inline bool cpu_has_avx2() {
    static const bool has = __builtin_cpu_supports("avx2");
    return has;
}
#endif

/// Calls f(begin, end) on `threads` contiguous bands covering [0, n), each on its own
/// std::thread (the calling thread takes the first band). `threads` <= 1 or n < 2 runs
/// f(0, n) inline. f must not throw. Bands are balanced to within one row.
template <class F>
void parallel_bands(int n, int threads, const F& f) {
    if (threads <= 1 || n < 2) {
        f(0, n);
        return;
    }
    threads = std::min(threads, n);
    std::vector<std::thread> pool;
    pool.reserve(std::size_t(threads - 1));
    auto band_begin = [&](int t) { return int(std::int64_t(n) * t / threads); };
    for (int t = 1; t < threads; ++t) {
        const int b = band_begin(t), e = band_begin(t + 1);
        pool.emplace_back([&f, b, e] { f(b, e); });
    }
    f(0, band_begin(1));
    for (auto& th : pool) th.join();
}

/// A std::allocator for the buffers of vectorised loops: memory aligned to 64 bytes (a
/// cache line, and an AVX-512 vector: loads that straddle two lines cost about a third more
/// in SLIC's assignment), and a resize that leaves new elements uninitialised
/// (default-initialised) instead of zeroing them, for buffers that are written in full
/// right after (zeroing tens of megabytes costs as much as a pass of work).
template <class T>
struct uninitialized_allocator : std::allocator<T> {
    template <class U>
    struct rebind {
        using other = uninitialized_allocator<U>;
    };
    static constexpr std::align_val_t alignment{64};
    uninitialized_allocator() = default;
    template <class U>
    uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {}
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, alignment); }
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

/// Planar float features of an image: `channels` planes of width * height values each,
/// plane c at data() + c * width * height, row-major (64-byte aligned storage). Every
/// producer writes all values.
struct feature_planes {
    int width = 0, height = 0, channels = 0;
    std::vector<float, uninitialized_allocator<float>> values;

    std::size_t plane_size() const { return std::size_t(width) * std::size_t(height); }
    float* plane(int c) { return values.data() + std::size_t(c) * plane_size(); }
    const float* plane(int c) const { return values.data() + std::size_t(c) * plane_size(); }
};

/// The first `channels` channels of `img` as planar floats on the [0, 1] scale: uint8 values
/// become v / 255, float values are kept, except that non-finite values (NaN, +-Inf) become 0
/// and values are clamped to [-1e6, 1e6] so that squared distances stay finite.
template <class T>
feature_planes to_unit_planes(image_view<const T> img, int channels) {
    feature_planes p;
    p.width = img.width();
    p.height = img.height();
    p.channels = channels;
    p.values.resize(p.plane_size() * std::size_t(channels));
    const int w = img.width(), ic = img.channels();
    for (int y = 0; y < img.height(); ++y) {
        const T* row = img.row(y);
        for (int c = 0; c < channels; ++c) {
            float* out = p.plane(c) + std::size_t(y) * std::size_t(w);
            if constexpr (std::is_same_v<std::remove_const_t<T>, std::uint8_t>) {
                for (int x = 0; x < w; ++x) out[x] = float(row[std::ptrdiff_t(x) * ic + c]) / 255.0f;
            } else {
                for (int x = 0; x < w; ++x) {
                    const float v = row[std::ptrdiff_t(x) * ic + c];
                    out[x] = std::isfinite(v) ? std::min(std::max(v, -1e6f), 1e6f) : 0.0f;
                }
            }
        }
    }
    return p;
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

/// scipy.ndimage's "reflect" boundary (half-sample symmetric: d c b a | a b c d | d c b a),
/// valid for any index, also far outside [0, n).
inline int reflect_index(int i, int n) {
    if (n == 1) return 0;
    const int period = 2 * n;
    i %= period;
    if (i < 0) i += period;
    return i < n ? i : period - 1 - i;
}

/// Normalised 1-D Gaussian weights w[0..2r] (centre r) with r = int(4 * sigma + 0.5), as
/// scipy.ndimage.gaussian_filter1d with truncate = 4.
inline std::vector<float> gaussian_kernel(double sigma) {
    const int r = int(4.0 * sigma + 0.5);
    std::vector<double> wd(static_cast<std::size_t>(2 * r + 1));
    double sum = 0;
    for (int i = -r; i <= r; ++i) {
        const double v = std::exp(-0.5 * double(i) * double(i) / (sigma * sigma));
        wd[std::size_t(i + r)] = v;
        sum += v;
    }
    std::vector<float> w(wd.size());
    for (std::size_t i = 0; i < wd.size(); ++i) w[i] = float(wd[i] / sum);
    return w;
}

/// Separable Gaussian blur of every plane (standard deviation `sigma` pixels along x and y,
/// none across channels), scipy.ndimage.gaussian_filter semantics (truncate 4, "reflect").
/// sigma <= 0 does nothing.
inline void gaussian_blur(feature_planes& p, double sigma, int threads = 1) {
    if (!(sigma > 0) || p.values.empty()) return;
    const std::vector<float> k = gaussian_kernel(sigma);
    const int r = int(k.size() / 2);
    const int w = p.width, h = p.height;
    std::vector<float> tmp(p.plane_size());
    for (int c = 0; c < p.channels; ++c) {
        float* pl = p.plane(c);
        // Horizontal pass: pl -> tmp.
        parallel_bands(h, threads, [&](int y0, int y1) {
            std::vector<float> padded(static_cast<std::size_t>(w + 2 * r));
            for (int y = y0; y < y1; ++y) {
                const float* in = pl + std::size_t(y) * std::size_t(w);
                for (int i = 0; i < r; ++i) {
                    padded[std::size_t(i)] = in[reflect_index(i - r, w)];
                    padded[std::size_t(w + r + i)] = in[reflect_index(w + i, w)];
                }
                std::copy(in, in + w, padded.begin() + r);
                float* out = tmp.data() + std::size_t(y) * std::size_t(w);
                for (int x = 0; x < w; ++x) out[x] = 0.0f;
                for (int j = 0; j <= 2 * r; ++j) {
                    const float kj = k[std::size_t(j)];
                    const float* src = padded.data() + j;
                    for (int x = 0; x < w; ++x) out[x] += kj * src[x];
                }
            }
        });
        // Vertical pass: tmp -> pl, combining whole rows (cache friendly).
        parallel_bands(h, threads, [&](int y0, int y1) {
            for (int y = y0; y < y1; ++y) {
                float* out = pl + std::size_t(y) * std::size_t(w);
                for (int x = 0; x < w; ++x) out[x] = 0.0f;
                for (int j = -r; j <= r; ++j) {
                    const float kj = k[std::size_t(j + r)];
                    const float* src = tmp.data() + std::size_t(reflect_index(y + j, h)) * std::size_t(w);
                    for (int x = 0; x < w; ++x) out[x] += kj * src[x];
                }
            }
        });
    }
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
inline void linearize_planes(feature_planes& p, int threads = 1) {
    const auto& table = srgb_table();
    const std::size_t n = p.plane_size();
    for (int c = 0; c < p.channels; ++c) {
        float* v = p.plane(c);
        parallel_bands(int(n), threads, [&](int b, int e) {
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

#if PIXLIME_DETAIL_X86_DISPATCH
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
#if PIXLIME_DETAIL_X86_DISPATCH
    if (cpu_has_avx2()) {
        linear_rgb_to_lab_avx2(p.plane(0), p.plane(1), p.plane(2), int(b), int(e));
        return;
    }
#endif
    linear_rgb_to_lab_range(p.plane(0), p.plane(1), p.plane(2), int(b), int(e));
}

/// linear_planes_to_lab_range over the whole image, split between `threads` threads.
inline void linear_planes_to_lab(feature_planes& p, int threads = 1) {
    parallel_bands(int(p.plane_size()), threads,
                   [&](int b, int e) { linear_planes_to_lab_range(p, std::size_t(b), std::size_t(e)); });
}

/// Converts planes holding sRGB in [0, 1] (3 planes RGB, or 1 plane gray) to CIELAB in place.
inline void srgb_planes_to_lab(feature_planes& p, int threads = 1) {
    linearize_planes(p, threads);
    linear_planes_to_lab(p, threads);
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
feature_planes make_features(image_view<const T> img, bool lab, bool stretch, double sigma_before, int threads) {
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
            feature_planes p;
            p.width = w;
            p.height = h;
            p.channels = used;
            p.values.resize(p.plane_size() * std::size_t(used));
            // Row by row: table lookups, then (while the row is in cache) the Lab matrix.
            parallel_bands(h, threads, [&](int y0, int y1) {
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
    gaussian_blur(p, sigma_before, threads);
    if (to_lab) srgb_planes_to_lab(p, threads);
    return p;
}

}  // namespace detail
}  // namespace pixlime
