#pragma once
/// \file pixlime/quickshift.hpp
/// Quick shift superpixels, lime_image's default segmenter: a Gaussian-weighted density is
/// estimated at every pixel in joint colour-position space, every pixel is linked to the
/// nearest pixel of higher density within the kernel window (unless that is farther than
/// max_dist), and the resulting trees are the segments.
///
/// Reference: A. Vedaldi, S. Soatto, "Quick Shift and Kernel Methods for Mode Seeking",
/// ECCV 2008. Semantics and parameter meanings follow scikit-image's
/// skimage.segmentation.quickshift (0.19); the defaults are lime_image's
/// (kernel_size = 4, max_dist = 200, ratio = 0.2).

#include <pixlime/detail/blur.hpp>
#include <pixlime/detail/color.hpp>
#include <pixlime/detail/cpu.hpp>
#include <pixlime/detail/random.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace pixlime {

/// Options of pixlime::quickshift. Defaults are lime_image's (LimeImageExplainer's default
/// segmenter: kernel_size = 4, max_dist = 200, ratio = 0.2); scikit-image's own defaults
/// are kernel_size = 5, max_dist = 10, ratio = 1.
struct quickshift_options {
    /// Balance between colour and space (scikit-image ratio, default 0.2): colour features
    /// (CIELAB, or raw channels on the [0, 1] scale) are multiplied by it, positions are in
    /// pixels. Must be in [0, 1e6].
    double ratio = 0.2;
    /// Standard deviation of the Gaussian density kernel, in pixels of the joint space
    /// (scikit-image kernel_size, default 4). The density window is
    /// (2 ceil(3 kernel_size) + 1)^2 pixels. Higher gives fewer segments. Must be finite and
    /// >= 1 (as scikit-image).
    double kernel_size = 4.0;
    /// Largest joint-space distance over which a pixel links to its parent (scikit-image
    /// max_dist, default 200); pixels whose nearest denser neighbour is farther become roots.
    /// Higher gives fewer segments. Must be >= 0 (infinity allowed: never cut).
    double max_dist = 200.0;
    /// Standard deviation in pixels of a Gaussian blur applied to the colour features before
    /// everything else (scikit-image sigma, default 0 = none; after the CIELAB conversion,
    /// truncated at 4 sigma, "reflect" borders). Must be in [0, 1000].
    double sigma = 0.0;
    /// Use CIELAB colour (scikit-image convert2lab, default true): L, a, b of the first 3
    /// channels for 3 (RGB) or 4 (RGBA, alpha ignored) channels; L of the first channel for
    /// 1 (gray) or 2 (gray + alpha); other channel counts, or false, use every channel as a
    /// raw feature on the [0, 1] scale (uint8 v / 255, float as is).
    bool convert_to_lab = true;
    /// Threads used, at most the machine's hardware threads (default 1). The labels do not
    /// depend on it. Must be >= 1.
    int num_threads = 1;

    /// Throws pixlime::invalid_argument naming the first field out of range.
    void validate() const {
        if (!(ratio >= 0 && ratio <= 1e6))
            throw invalid_argument("quickshift_options.ratio", ratio, "a value in [0, 1e6] (beyond it colour alone decides)");
        if (!(kernel_size >= 1) || !std::isfinite(kernel_size))
            throw invalid_argument("quickshift_options.kernel_size", kernel_size, "a finite value >= 1");
        if (!(max_dist >= 0))
            throw invalid_argument("quickshift_options.max_dist", max_dist, "a value >= 0 (infinity: never cut)");
        detail::check_blur_sigma("quickshift_options.sigma", sigma);
        if (num_threads < 1) throw invalid_argument("quickshift_options.num_threads", num_threads, "at least 1");
    }
};

namespace detail {

/// 2^x for x <= 0 (values below -40 give ~0), relative error ~2e-7; branch-free so that
/// loops calling it vectorise.
inline float exp2_nonpositive(float x) {
    x = select_float(x < -40.0f, -40.0f, x);
    const std::int32_t n = std::int32_t(x - 0.5f);  // round to nearest (x <= 0)
    const float f = x - float(n);                   // in [-0.5, 0.5]
    // e^(f ln 2) by its Taylor series to degree 6.
    const float l = 0.69314718f * f;
    float p = 1.0f / 720.0f;
    p = p * l + 1.0f / 120.0f;
    p = p * l + 1.0f / 24.0f;
    p = p * l + 1.0f / 6.0f;
    p = p * l + 0.5f;
    p = p * l + 1.0f;
    p = p * l + 1.0f;
    const std::int32_t bits = (n + 127) * (std::int32_t(1) << 23);
    float scale;
    std::memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/// Everything the quick shift passes share.
struct quickshift_state {
    int width = 0, height = 0, nc = 0;
    const feature_planes* feat = nullptr;
    int half = 0;             // window half size ceil(3 kernel_size), clipped to the image
    float log2_weight = 0;    // -0.5 / kernel_size^2 * log2(e)
    float quantum = 1;        // density units per 1.0 of kernel weight (integer sums)
    std::vector<std::int32_t> half_dy, half_dx;  // offsets (dy > 0, or dy == 0 and dx > 0)
};

/// Adds the kernel weights of pixel pairs (p, p + o), o a "half" offset, p in rows
/// [y0, y1), to both pixels' integer densities in `local` (rows y0 .. y0 + local_rows - 1).
/// Integer sums make the result independent of the order, hence of the threads.
template <int NC>
PIXLIME_DETAIL_ALWAYS_INLINE inline void quickshift_density_impl(const quickshift_state& s, int y0, int y1,
                                                                 std::int32_t* local, int local_rows) {
    const int w = s.width, nc = NC > 0 ? NC : s.nc;
    std::vector<float> tmp(std::size_t(w) + 1);
    std::vector<std::int32_t> q(std::size_t(w) + 1);
    const float lw = s.log2_weight, quantum = s.quantum;
    for (int y = y0; y < y1; ++y) {
        for (std::size_t o = 0; o < s.half_dy.size(); ++o) {
            const int dy = s.half_dy[o], dx = s.half_dx[o];
            if (y + dy >= s.height || y + dy - y0 >= local_rows) continue;
            const int xa = std::max(0, -dx), xb = std::min(w, w - dx);
            if (xa >= xb) continue;
            const float spatial = float(dy * dy + dx * dx) * lw;
            const std::size_t pa = std::size_t(y) * std::size_t(w), pb = std::size_t(y + dy) * std::size_t(w);
            float* t = tmp.data();
            if constexpr (NC > 0) {
                const float* a[static_cast<std::size_t>(NC)];
                const float* b[static_cast<std::size_t>(NC)];
                for (int c = 0; c < NC; ++c) {
                    a[c] = s.feat->plane(c) + pa;
                    b[c] = s.feat->plane(c) + pb + dx;
                }
                for (int x = xa; x < xb; ++x) {
                    float d = 0.0f;
                    for (int c = 0; c < NC; ++c) {
                        const float e = a[c][x] - b[c][x];
                        d += e * e;
                    }
                    t[x] = d;
                }
            } else {
                for (int x = xa; x < xb; ++x) t[x] = 0.0f;
                for (int c = 0; c < nc; ++c) {
                    const float* a = s.feat->plane(c) + pa;
                    const float* b = s.feat->plane(c) + pb + dx;
                    for (int x = xa; x < xb; ++x) {
                        const float e = a[x] - b[x];
                        t[x] += e * e;
                    }
                }
            }
            std::int32_t* qq = q.data();
            for (int x = xa; x < xb; ++x) qq[x] = std::int32_t(exp2_nonpositive(t[x] * lw + spatial) * quantum + 0.5f);
            std::int32_t* ra = local + std::size_t(y - y0) * std::size_t(w);
            for (int x = xa; x < xb; ++x) ra[x] += qq[x];
            std::int32_t* rb = local + std::size_t(y + dy - y0) * std::size_t(w) + dx;
            for (int x = xa; x < xb; ++x) rb[x] += qq[x];
        }
    }
}

template <int NC>
void quickshift_density_portable(const quickshift_state& s, int y0, int y1, std::int32_t* local, int rows) {
    quickshift_density_impl<NC>(s, y0, y1, local, rows);
}
#if PIXLIME_DETAIL_X86
template <int NC>
__attribute__((target("avx2"))) void quickshift_density_avx2(const quickshift_state& s, int y0, int y1,
                                                             std::int32_t* local, int rows) {
    quickshift_density_impl<NC>(s, y0, y1, local, rows);
}
#endif
template <int NC>
void quickshift_density(const quickshift_state& s, int y0, int y1, std::int32_t* local, int rows) {
#if PIXLIME_DETAIL_X86
    if (use_isa() >= isa::avx2) {
        record_isa(isa::avx2);
        quickshift_density_avx2<NC>(s, y0, y1, local, rows);
        return;
    }
#endif
    record_isa(isa::portable);
    quickshift_density_portable<NC>(s, y0, y1, local, rows);
}

/// A fixed pseudo-random value in [-1, 1) for pixel i.
inline double tie_noise(std::uint64_t i) { return splitmix64{i + 0x9E3779B97F4A7C15ull * 42ull}.symmetric_unit(); }

}  // namespace detail

/// Quick shift superpixels (A. Vedaldi and S. Soatto, "Quick Shift and Kernel Methods for
/// Mode Seeking", ECCV 2008) with scikit-image's semantics and lime_image's defaults.
///
/// \param img      width x height image, interleaved, 1 to 64 channels; uint8 values are
///                 read as v / 255, float values as they are (nominally [0, 1]). See
///                 quickshift_options::convert_to_lab for how channels are used.
/// \param options  see quickshift_options (validated; pixlime::invalid_argument names the
///                 field).
/// \return         a width x height segmentation, labels 0..K-1 all used, numbered in
///                 row-major order of each tree's root. The same for any num_threads.
///
/// Algorithm (as scikit-image): features f = ratio * colour (CIELAB by default, optionally
/// blurred), joint distance d(p, q)^2 = |f(p) - f(q)|^2 + |p - q|^2 (positions in pixels).
/// Density(p) = sum over the (2 ceil(3 kernel_size) + 1)^2 window around p of
/// exp(-d^2 / (2 kernel_size^2)). Each pixel's parent is the window pixel of higher density
/// nearest in d (ties: first in row-major order); a pixel without one, or whose parent is
/// farther than max_dist, is a root. Differences from scikit-image: densities are summed in
/// fixed point (units of 2^-20 of a kernel weight, so threads cannot change them), and ties
/// between equal densities are broken by a fixed pseudo-random perturbation of size 1e-5
/// (scikit-image adds Gaussian noise of scale 1e-5 drawn with random_seed = 42).
/// Cost: about (2 ceil(3 kernel_size) + 1)^2 / 2 kernel evaluations per pixel.
/// Throws pixlime::invalid_argument for an empty image or invalid options.
template <class T>
segmentation quickshift(image_view<const T> img, const quickshift_options& options = {}) {
    options.validate();
    if (img.empty()) throw invalid_argument("quickshift image", "empty", "a non-empty image");
    const int w = img.width(), h = img.height();
    detail::thread_pool pool(std::min(options.num_threads, h));

    detail::feature_planes feat = detail::make_features(img, options.convert_to_lab, /*stretch=*/false, 0.0, pool);
    detail::gaussian_blur(feat, options.sigma, pool);
    const float ratio = float(options.ratio);
    for (float& v : feat.values) v *= ratio;

    detail::quickshift_state s;
    s.width = w;
    s.height = h;
    s.nc = feat.channels;
    s.feat = &feat;
    const double half_d = std::ceil(3.0 * options.kernel_size);
    s.half = int(std::min(half_d, double(std::max(w, h))));
    s.log2_weight = float(-0.5 / (options.kernel_size * options.kernel_size) * 1.4426950408889634);
    const int span_y = std::min(2 * s.half + 1, h), span_x = std::min(2 * s.half + 1, w);
    const double max_terms = double(span_y) * double(span_x);
    s.quantum = float(std::min(1048576.0, std::floor(2147483000.0 / max_terms)));
    for (int dy = 0; dy <= std::min(s.half, h - 1); ++dy)
        for (int dx = -std::min(s.half, w - 1); dx <= std::min(s.half, w - 1); ++dx)
            if (dy > 0 || dx > 0) {
                s.half_dy.push_back(dy);
                s.half_dx.push_back(dx);
            }

    // 1. Densities: each thread sums a band of rows plus the rows its pairs reach below it.
    const std::size_t N = std::size_t(w) * std::size_t(h);
    std::vector<std::int32_t> density(N, 0);
    {
        const int bands = pool.size();
        std::vector<int> band_y(std::size_t(bands) + 1);
        for (int b = 0; b <= bands; ++b) band_y[std::size_t(b)] = int(std::int64_t(h) * b / bands);
        std::vector<std::vector<std::int32_t>> locals(static_cast<std::size_t>(bands));
        pool.bands(bands, [&](int b0, int b1) {
            for (int b = b0; b < b1; ++b) {
                const int y0 = band_y[std::size_t(b)], y1 = band_y[std::size_t(b) + 1];
                const int rows = std::min(h, y1 + s.half) - y0;
                auto& local = locals[std::size_t(b)];
                local.assign(std::size_t(rows) * std::size_t(w), 0);
                if (s.nc == 3)
                    detail::quickshift_density<3>(s, y0, y1, local.data(), rows);
                else if (s.nc == 1)
                    detail::quickshift_density<1>(s, y0, y1, local.data(), rows);
                else
                    detail::quickshift_density<0>(s, y0, y1, local.data(), rows);
            }
        });
        for (int b = 0; b < bands; ++b) {
            const auto& local = locals[std::size_t(b)];
            const std::size_t start = std::size_t(band_y[std::size_t(b)]) * std::size_t(w);
            for (std::size_t i = 0; i < local.size(); ++i) density[start + i] += local[i];
        }
    }
    // The pixel's own weight exp(0) = 1, then the tie-breaking perturbation.
    std::vector<double> dens(N);
    for (std::size_t i = 0; i < N; ++i)
        dens[i] = (double(density[i]) + double(s.quantum)) / double(s.quantum) + 1e-5 * 1.7320508075688772 * detail::tie_noise(i);

    // 2. Parents: offsets by increasing spatial distance, so the search stops as soon as the
    //    spatial part alone exceeds the best distance found.
    struct offset {
        std::int32_t dy, dx, spatial, rank;
    };
    std::vector<offset> offsets;
    {
        const int hy = std::min(s.half, h - 1), hx = std::min(s.half, w - 1);
        for (int dy = -hy; dy <= hy; ++dy)
            for (int dx = -hx; dx <= hx; ++dx)
                if (dy != 0 || dx != 0) offsets.push_back({dy, dx, dy * dy + dx * dx, (dy + hy) * (2 * hx + 1) + (dx + hx)});
        std::sort(offsets.begin(), offsets.end(), [](const offset& a, const offset& b) {
            return a.spatial != b.spatial ? a.spatial < b.spatial : a.rank < b.rank;
        });
    }
    std::vector<std::int32_t> parent(N);
    const double max_dist = options.max_dist;
    pool.bands(h, [&](int y0, int y1) {
        const int nc = s.nc;
        std::vector<const float*> planes(static_cast<std::size_t>(nc));
        for (int c = 0; c < nc; ++c) planes[std::size_t(c)] = feat.plane(c);
        for (int y = y0; y < y1; ++y)
            for (int x = 0; x < w; ++x) {
                const std::size_t p = std::size_t(y) * std::size_t(w) + std::size_t(x);
                const double dp = dens[p];
                float best = std::numeric_limits<float>::infinity();
                std::int32_t best_rank = std::numeric_limits<std::int32_t>::max();
                std::size_t best_q = p;
                for (const offset& o : offsets) {
                    if (float(o.spatial) > best) break;
                    const int qx = x + o.dx, qy = y + o.dy;
                    if (qx < 0 || qx >= w || qy < 0 || qy >= h) continue;
                    const std::size_t q = std::size_t(qy) * std::size_t(w) + std::size_t(qx);
                    if (!(dens[q] > dp)) continue;
                    float d = 0.0f;
                    for (int c = 0; c < nc; ++c) {
                        const float e = planes[std::size_t(c)][p] - planes[std::size_t(c)][q];
                        d += e * e;
                    }
                    d += float(o.spatial);
                    if (d < best || (d == best && o.rank < best_rank)) {
                        best = d;
                        best_rank = o.rank;
                        best_q = q;
                    }
                }
                const bool root = best_q == p || std::sqrt(double(best)) > max_dist;
                parent[p] = std::int32_t(root ? p : best_q);
            }
    });

    // 3. Trees: follow parents (always towards higher density) to the roots; number the roots
    //    in row-major order.
    std::vector<std::int32_t> label(N, -1);
    std::int32_t next = 0;
    for (std::size_t p = 0; p < N; ++p)
        if (parent[p] == std::int32_t(p)) label[p] = next++;
    std::vector<std::int32_t> path;
    for (std::size_t p = 0; p < N; ++p) {
        std::size_t r = p;
        path.clear();
        while (label[r] < 0) {
            path.push_back(std::int32_t(r));
            r = std::size_t(parent[r]);
        }
        for (std::int32_t v : path) label[std::size_t(v)] = label[r];
    }
    return segmentation(w, h, std::move(label));
}

#ifdef PIXLIME_EXTERN_TEMPLATES  // compiled once per program, in the file that includes pixlime/instantiate.hpp
extern template segmentation quickshift<std::uint8_t>(image_view<const std::uint8_t>, const quickshift_options&);
extern template segmentation quickshift<float>(image_view<const float>, const quickshift_options&);
#endif

/// Quick shift of an owning image; see quickshift(image_view<const T>, const quickshift_options&).
template <class T>
segmentation quickshift(const image<T>& img, const quickshift_options& options = {}) {
    return quickshift(img.view(), options);
}

/// Quick shift of a view of mutable pixels.
template <class T, class = std::enable_if_t<!std::is_const_v<T>>>
segmentation quickshift(image_view<T> img, const quickshift_options& options = {}) {
    return quickshift(image_view<const T>(img), options);
}

}  // namespace pixlime
