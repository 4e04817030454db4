#pragma once
/// \file pixlime/detail/slic.hpp
/// The machinery of pixlime::slic (see slic.hpp for what it computes): the seed grid, the
/// tiled assignment with its portable, AVX2 and AVX-512 kernels, and the exact integer centre
/// sums. Implementation detail of pixlime: may change without notice.

#include <pixlime/detail/color.hpp>
#include <pixlime/detail/cpu.hpp>
#include <pixlime/detail/planes.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace pixlime {
namespace detail {

/// Seed grid of scikit-image's util.regular_grid for a (1, height, width) volume:
/// seeds at (start_y + i * step_y, start_x + j * step_x) inside the image.
struct slic_grid {
    int start_y = 0, step_y = 1, start_x = 0, step_x = 1;
    int count_y = 0, count_x = 0;
};

inline slic_grid slic_regular_grid(int height, int width, int n_points) {
    slic_grid g;
    const double dims[3] = {1.0, double(height), double(width)};
    int order[3] = {0, 1, 2};
    std::stable_sort(order, order + 3, [&](int a, int b) { return dims[a] < dims[b]; });
    double sorted[3], step[3];
    for (int i = 0; i < 3; ++i) sorted[i] = dims[order[i]];
    const double space = double(height) * double(width);
    const double n = double(n_points);
    if (space <= n) {
        g.count_y = height;
        g.count_x = width;
        return g;
    }
    for (double& s : step) s = std::pow(space / n, 1.0 / 3.0);
    auto fits = [&] { return sorted[0] >= step[0] && sorted[1] >= step[1] && sorted[2] >= step[2]; };
    if (!fits()) {
        for (int dim = 0; dim < 2; ++dim) {
            step[dim] = sorted[dim];
            double rest = 1.0;
            for (int j = dim + 1; j < 3; ++j) rest *= sorted[j];
            for (int j = dim + 1; j < 3; ++j) step[j] = std::pow(rest / n, 1.0 / double(3 - dim - 1));
            if (fits()) break;
        }
    }
    int start_of[3], step_of[3];
    for (int i = 0; i < 3; ++i) {
        start_of[order[i]] = int(std::floor(step[i] / 2.0));
        step_of[order[i]] = std::max(1, int(std::nearbyint(step[i])));  // round half to even, as numpy
    }
    g.start_y = start_of[1];
    g.step_y = step_of[1];
    g.start_x = start_of[2];
    g.step_x = step_of[2];
    g.count_y = (height - g.start_y + g.step_y - 1) / g.step_y;
    g.count_x = (width - g.start_x + g.step_x - 1) / g.step_x;
    return g;
}



/// Tiles of the assignment: tile_cols columns (at most 256) by tile_rows rows, so that a
/// tile's features, best distances and labels ((channels + 2) floats a pixel) fit in a
/// 24 KiB share of L1 while every cluster reaching the tile is tried on it.
struct slic_tiling {
    int tile_rows = 1, tile_cols = 1;
};

inline slic_tiling slic_tile_size(int width, int channels) {
    slic_tiling t;
    t.tile_cols = std::max(1, std::min(width, 256));
    const std::size_t bytes_per_row = std::size_t(t.tile_cols) * (std::size_t(channels) + 2) * sizeof(float);
    t.tile_rows = int(std::max<std::size_t>(1, std::size_t(24 * 1024) / bytes_per_row));
    return t;
}

/// State of one SLIC run: features, clusters and labels.
struct slic_state {
    int width = 0, height = 0, nc = 0;  // nc: feature channels
    const feature_planes* feat = nullptr;
    int num_clusters = 0;
    float radius_y = 1, radius_x = 1;  // search window half sizes (1.5 seed steps)
    float spatial_weight = 1;          // compactness^2 / S^2
    std::vector<float> cy, cx;         // cluster centres
    std::vector<float> colour;         // num_clusters * nc
    std::vector<char> alive;           // cluster has pixels
    std::vector<std::int32_t> labels;
    /// Search windows of the clusters for the current round, [ylo, yhi) x [xlo, xhi)
    /// clipped to the image (4 ints per cluster; all 0 for dead clusters).
    std::vector<std::int32_t> windows;
    /// Per cluster, the spatial term (x - cx)^2 * weight of each column of its window, from
    /// dxw[dxw_start[k]] on; dxw_start[k] - win[2] is a multiple of 16, so that columns
    /// that are multiples of 16 have 64-byte aligned terms.
    std::vector<float, uninitialized_allocator<float>> dxw;
    std::vector<std::size_t> dxw_start;
    /// The image is assigned tile by tile (tile (i, j): rows from i * tiling.tile_rows,
    /// columns from j * tiling.tile_cols; tiles_x tiles a row of tiles);
    /// tile_list[tile_first[t] .. tile_first[t + 1]) are the clusters whose window meets
    /// tile t = i * tiles_x + j, in increasing index.
    slic_tiling tiling;
    int tiles_x = 1;
    std::vector<std::int32_t> tile_first, tile_list;
};

/// Computes every alive cluster's search window (the pixels within radius_y rows and
/// radius_x columns of its centre, as scikit-image: floor(c - r) .. floor(c + r)), its
/// columns' spatial terms, and the clusters meeting each tile.
inline void slic_prepare_windows(slic_state& s) {
    const std::size_t K = std::size_t(s.num_clusters);
    s.windows.assign(4 * K, 0);
    s.dxw_start.assign(K + 1, 0);
    std::size_t total = 0;
    for (std::size_t k = 0; k < K; ++k) {
        s.dxw_start[k] = total;
        if (!s.alive[k]) continue;
        const float cy = s.cy[k], cx = s.cx[k];
        std::int32_t* win = s.windows.data() + 4 * k;
        win[0] = std::max(0, int(std::floor(cy - s.radius_y)));
        win[1] = std::min(s.height, int(std::floor(cy + s.radius_y)) + 1);
        win[2] = std::max(0, int(std::floor(cx - s.radius_x)));
        win[3] = std::min(s.width, int(std::floor(cx + s.radius_x)) + 1);
        if (win[0] >= win[1] || win[2] >= win[3]) win[0] = win[1] = win[2] = win[3] = 0;
        total += std::size_t(win[2] % 16 - int(total % 16) + 16) % 16;  // alignment: see dxw
        s.dxw_start[k] = total;
        total += std::size_t(win[3] - win[2]);
    }
    s.dxw_start[K] = total;
    s.dxw.resize(total);
    const float wt = s.spatial_weight;
    const int TR = s.tiling.tile_rows, TC = s.tiling.tile_cols;
    s.tiles_x = (s.width + TC - 1) / TC;
    const std::size_t ntiles = std::size_t((s.height + TR - 1) / TR) * std::size_t(s.tiles_x);
    s.tile_first.assign(ntiles + 1, 0);
    const std::size_t tiles_x = std::size_t(s.tiles_x);
    auto for_tiles = [&](const std::int32_t* win, auto&& f) {
        // Bounds in locals: f writes int32 arrays the compiler cannot tell apart from win.
        const int i0 = win[0] / TR, i1 = (win[1] - 1) / TR, j0 = win[2] / TC, j1 = (win[3] - 1) / TC;
        for (int i = i0; i <= i1; ++i)
            for (int j = j0; j <= j1; ++j) f(std::size_t(i) * tiles_x + std::size_t(j));
    };
    for (std::size_t k = 0; k < K; ++k) {
        const std::int32_t* win = s.windows.data() + 4 * k;
        if (win[0] == win[1]) continue;
        float* d = s.dxw.data() + s.dxw_start[k];
        for (int x = win[2]; x < win[3]; ++x) {
            const float dx = float(x) - s.cx[k];
            d[x - win[2]] = dx * dx * wt;
        }
        for_tiles(win, [&](std::size_t t) { ++s.tile_first[t + 1]; });
    }
    for (std::size_t t = 0; t < ntiles; ++t) s.tile_first[t + 1] += s.tile_first[t];
    s.tile_list.resize(std::size_t(s.tile_first[ntiles]));
    std::vector<std::int32_t> fill(s.tile_first.begin(), s.tile_first.end() - 1);
    for (std::size_t k = 0; k < K; ++k) {
        const std::int32_t* win = s.windows.data() + 4 * k;
        if (win[0] == win[1]) continue;
        for_tiles(win, [&](std::size_t t) { s.tile_list[std::size_t(fill[t]++)] = std::int32_t(k); });
    }
}

/// One cluster on a rectangle of `rows` rows from row y0 and n columns: plane c's pixels at
/// p[c][r * stride + j], best distances at dist[r * dstride + j], best clusters at
/// lab[r * dstride + j]; dxw[j] the columns' spatial terms.
struct slic_rect {
    const float* const* p;
    std::size_t stride, dstride;
    float* dist;
    std::int32_t* lab;
    const float* dxw;
    const float* col;
    float cy, wt;
    std::int32_t k;
    int y0, rows, n;
    int x0;  // the image column of the rectangle's first column
};

/// Tries cluster r.k on the rectangle r: per pixel d = dyw + dxw[j] + sum_c (p_c - col_c)^2
/// with dyw = (y - cy)^2 * wt, summed left to right in exactly this order (no fused
/// multiply-add, so that every path rounds alike); where d < dist (strict: ties keep the
/// earlier, lower-index cluster), dist = d and label = k. NC: channels (1, 3, or 0 for nc).
template <int NC>
inline void slic_rect_scalar(const slic_rect& r, int nc) {
    const int C = NC > 0 ? NC : nc;
    for (int i = 0; i < r.rows; ++i) {
        const float dy = float(r.y0 + i) - r.cy;
        const float dyw = dy * dy * r.wt;
        const std::size_t off = std::size_t(i) * r.stride;
        float* dist = r.dist + std::size_t(i) * r.dstride;
        std::int32_t* lab = r.lab + std::size_t(i) * r.dstride;
        for (int j = 0; j < r.n; ++j) {
            float d = dyw + r.dxw[j];
            for (int c = 0; c < C; ++c) {
                const float e = r.p[c][off + std::size_t(j)] - r.col[c];
                d = d + e * e;
            }
            if (d < dist[j]) {
                dist[j] = d;
                lab[j] = r.k;
            }
        }
    }
}

#if PIXLIME_DETAIL_X86
/// slic_rect_scalar<NC> (NC = 1 or 3) on 8 pixels at j of one row, with AVX2 (same
/// operations, same order).
template <int NC>
__attribute__((target("avx2"), always_inline)) inline void slic_avx2_step(const float* p0, const float* p1,
                                                                          const float* p2, __m256 vdy, __m256 c0,
                                                                          __m256 c1, __m256 c2, __m256 vk,
                                                                          const float* dxw, float* dist,
                                                                          std::int32_t* lab, int j) {
    __m256 d = _mm256_add_ps(vdy, _mm256_loadu_ps(dxw + j));
    const __m256 e0 = _mm256_sub_ps(_mm256_loadu_ps(p0 + j), c0);
    d = _mm256_add_ps(d, _mm256_mul_ps(e0, e0));
    if constexpr (NC == 3) {
        const __m256 e1 = _mm256_sub_ps(_mm256_loadu_ps(p1 + j), c1);
        d = _mm256_add_ps(d, _mm256_mul_ps(e1, e1));
        const __m256 e2 = _mm256_sub_ps(_mm256_loadu_ps(p2 + j), c2);
        d = _mm256_add_ps(d, _mm256_mul_ps(e2, e2));
    }
    const __m256 old = _mm256_loadu_ps(dist + j);
    const __m256 lt = _mm256_cmp_ps(d, old, _CMP_LT_OQ);
    _mm256_storeu_ps(dist + j, _mm256_min_ps(d, old));  // d if d < old, else old
    const __m256 l = _mm256_loadu_ps(reinterpret_cast<const float*>(lab + j));
    _mm256_storeu_ps(reinterpret_cast<float*>(lab + j), _mm256_blendv_ps(l, vk, lt));
}

/// slic_rect_scalar<NC> (NC = 1 or 3) with AVX2.
template <int NC>
__attribute__((target("avx2"))) void slic_rect_avx2(const slic_rect& r) {
    if (r.n < 8) {
        slic_rect_scalar<NC>(r, NC);
        return;
    }
    const int n = r.n;
    const float* dxw = r.dxw;
    const __m256 c0 = _mm256_set1_ps(r.col[0]);
    const __m256 c1 = _mm256_set1_ps(r.col[NC == 3 ? 1 : 0]), c2 = _mm256_set1_ps(r.col[NC == 3 ? 2 : 0]);
    const __m256 vk = _mm256_castsi256_ps(_mm256_set1_epi32(r.k));
    const float* p0 = r.p[0];
    const float* p1 = r.p[NC == 3 ? 1 : 0];
    const float* p2 = r.p[NC == 3 ? 2 : 0];
    float* dist = r.dist;
    std::int32_t* lab = r.lab;
    // A row's last n % 8 pixels are done as the row's last 8 pixels (trying a cluster twice
    // on a pixel changes nothing), for all rows before the rest: right after the rest of
    // the row, that overlapping load would wait on the store it overlaps (store
    // forwarding fails on partial overlaps, costing as much as several steps).
    if (n % 8 != 0) {
        for (int i = 0; i < r.rows; ++i) {
            const float dy = float(r.y0 + i) - r.cy;
            const std::size_t o = std::size_t(i) * r.stride, od = std::size_t(i) * r.dstride;
            slic_avx2_step<NC>(p0 + o, p1 + o, p2 + o, _mm256_set1_ps(dy * dy * r.wt), c0, c1, c2, vk, dxw, dist + od,
                               lab + od, n - 8);
        }
    }
    for (int i = 0; i < r.rows; ++i) {
        const float dy = float(r.y0 + i) - r.cy;
        const __m256 vdy = _mm256_set1_ps(dy * dy * r.wt);
        for (int j = 0; j + 8 <= n; j += 8) slic_avx2_step<NC>(p0, p1, p2, vdy, c0, c1, c2, vk, dxw, dist, lab, j);
        p0 += r.stride;
        p1 += r.stride;
        p2 += r.stride;
        lab += r.dstride;
        dist += r.dstride;
    }
}

// GCC defines the _round_ intrinsics as macros when not optimising, passing the 16-bit mask
// through a signed short: -Wsign-conversion would flag GCC's own macro in every user's -O0
// build. (Clang's and optimised GCC's are functions.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
/// slic_rect_scalar<NC> (NC = 1 or 3) on the pixels of mask m among 16 at j of one row,
/// with AVX-512; dist and labels are stored only where the cluster wins. The arithmetic uses
/// the explicitly rounded (_round_) forms, which compilers never contract into fused
/// multiply-adds (GCC's AVX-512 target includes FMA), so it rounds like the portable loop;
/// their zero-masking forms, as GCC 12 warns about the others' undefined pass-through.
template <int NC>
__attribute__((target("avx512f"), always_inline)) inline void slic_avx512_step(const float* p0, const float* p1,
                                                                              const float* p2, __m512 vdy, __m512 c0,
                                                                              __m512 c1, __m512 c2, __m512i vk,
                                                                              const float* dxw, float* dist,
                                                                              std::int32_t* lab, int j, __mmask16 m) {
    constexpr int rn = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __mmask16 all = 0xffff;
    __m512 d = _mm512_maskz_add_round_ps(all, vdy, _mm512_maskz_loadu_ps(m, dxw + j), rn);
    const __m512 e0 = _mm512_maskz_sub_round_ps(all, _mm512_maskz_loadu_ps(m, p0 + j), c0, rn);
    d = _mm512_maskz_add_round_ps(all, d, _mm512_maskz_mul_round_ps(all, e0, e0, rn), rn);
    if constexpr (NC == 3) {
        const __m512 e1 = _mm512_maskz_sub_round_ps(all, _mm512_maskz_loadu_ps(m, p1 + j), c1, rn);
        d = _mm512_maskz_add_round_ps(all, d, _mm512_maskz_mul_round_ps(all, e1, e1, rn), rn);
        const __m512 e2 = _mm512_maskz_sub_round_ps(all, _mm512_maskz_loadu_ps(m, p2 + j), c2, rn);
        d = _mm512_maskz_add_round_ps(all, d, _mm512_maskz_mul_round_ps(all, e2, e2, rn), rn);
    }
    const __mmask16 lt = _mm512_mask_cmp_ps_mask(m, d, _mm512_maskz_loadu_ps(m, dist + j), _CMP_LT_OQ);
    _mm512_mask_storeu_ps(dist + j, lt, d);
    _mm512_mask_storeu_epi32(lab + j, lt, vk);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// slic_rect_scalar<NC> (NC = 1 or 3) with AVX-512: 16 pixels a step, the row's first and
/// last steps under masks.
template <int NC>
__attribute__((target("avx512f"))) void slic_rect_avx512(const slic_rect& r) {
    // The steps start at the column below the rectangle's that is a multiple of 16 (the
    // first step masks the columns before it): with rows and buffers 64-byte aligned, every
    // load and store then stays within one cache line.
    const int skip = r.x0 & 15, n = r.n + skip;
    const __mmask16 head = __mmask16(0xffffu << skip);
    const __mmask16 tail = n & 15 ? __mmask16((1u << (n & 15)) - 1u) : __mmask16(0xffff);
    const int last = (n - 1) & ~15;  // the last step's column
    const __m512 c0 = _mm512_set1_ps(r.col[0]);
    const __m512 c1 = _mm512_set1_ps(r.col[NC == 3 ? 1 : 0]), c2 = _mm512_set1_ps(r.col[NC == 3 ? 2 : 0]);
    const __m512i vk = _mm512_set1_epi32(r.k);
    const float* p0 = r.p[0] - skip;
    const float* p1 = r.p[NC == 3 ? 1 : 0] - skip;
    const float* p2 = r.p[NC == 3 ? 2 : 0] - skip;
    float* dist = r.dist - skip;
    std::int32_t* lab = r.lab - skip;
    const float* dxw = r.dxw - skip;
    for (int i = 0; i < r.rows; ++i) {
        const float dy = float(r.y0 + i) - r.cy;
        const __m512 vdy = _mm512_set1_ps(dy * dy * r.wt);
        if (last == 0) {
            slic_avx512_step<NC>(p0, p1, p2, vdy, c0, c1, c2, vk, dxw, dist, lab, 0, __mmask16(head & tail));
        } else {
            slic_avx512_step<NC>(p0, p1, p2, vdy, c0, c1, c2, vk, dxw, dist, lab, 0, head);
            for (int j = 16; j < last; j += 16)
                slic_avx512_step<NC>(p0, p1, p2, vdy, c0, c1, c2, vk, dxw, dist, lab, j, __mmask16(0xffff));
            slic_avx512_step<NC>(p0, p1, p2, vdy, c0, c1, c2, vk, dxw, dist, lab, last, tail);
        }
        p0 += r.stride;
        p1 += r.stride;
        p2 += r.stride;
        lab += r.dstride;
        dist += r.dstride;
    }
}

#endif


/// Fixed-point scale of the colour sums: a feature v adds int(v * 32768) (truncated) to a
/// 64-bit integer sum. Integer sums are exact and the same in any order: the centres do not
/// depend on how rows are split between threads (each band of rows sums on its own), and
/// the sums can be updated pixel by pixel, tile by tile, with exactly the result of summing
/// afresh. SLIC's features are at most ~130 in magnitude (CIELAB, or [0, 1]), far from
/// the 32-bit limit of int(v * 32768); the resolution (3e-5) is far below any colour
/// difference that matters.
constexpr float slic_sum_scale = 32768.0f;

/// A feature's fixed-point value in the centre sums (slic_sum_scale).
inline std::int32_t slic_fixed(float v) { return std::int32_t(v * slic_sum_scale); }

/// Sums of the first assignment, the seed grid's Voronoi cells, for rows [y0, y1): cluster
/// jy[y] * count_x + jx[x] has pixel (x, y), so each row adds whole runs of columns with the
/// same jx. `sums`: per cluster (stride nc + 3) the pixel count, the sums of x and y, and the
/// fixed-point sums of the features (slic_fixed).
inline void slic_grid_sums(const slic_state& s, const std::vector<std::int32_t>& jy, const std::vector<std::int32_t>& jx,
                           int count_x, std::int64_t* sums, int y0, int y1) {
    const std::size_t stride = std::size_t(s.nc) + 3;
    for (int y = y0; y < y1; ++y) {
        const std::size_t row = std::size_t(y) * std::size_t(s.width);
        for (int x0 = 0, x1 = 0; x0 < s.width; x0 = x1) {
            while (x1 < s.width && jx[std::size_t(x1)] == jx[std::size_t(x0)]) ++x1;
            const std::int64_t n = x1 - x0;
            std::int64_t* t = sums + std::size_t(jy[std::size_t(y)] * count_x + jx[std::size_t(x0)]) * stride;
            t[0] += n;
            t[1] += (std::int64_t(x0) + x1 - 1) * n / 2;
            t[2] += std::int64_t(y) * n;
            for (int c = 0; c < s.nc; ++c) {
                const float* v = s.feat->plane(c) + row;
                std::int64_t total = 0;
                for (int x = x0; x < x1; ++x) total += slic_fixed(v[x]);
                t[3 + c] += total;
            }
        }
    }
}

/// Adds pixel (x, y) (index `at`) to its cluster's sums in bank x % 4 (see
/// slic_accumulate_rect; the banks keep neighbouring pixels of one cluster from waiting on
/// each other's additions).
inline void slic_add_pixel(const slic_state& s, std::int64_t* sums, int nc, std::size_t at, int x, int y) {
    const std::size_t K = std::size_t(s.num_clusters);
    std::int64_t* t = sums + (std::size_t(x & 3) * K + std::size_t(s.labels[at])) * (std::size_t(nc) + 3);
    t[0] += 1;
    t[1] += x;
    t[2] += y;
    for (int c = 0; c < nc; ++c) t[3 + c] += slic_fixed(s.feat->plane(c)[at]);
}

#if PIXLIME_DETAIL_X86
/// slic_accumulate_rect<3> with AVX2: the same integer additions as slic_add_pixel, four
/// pixels at a time (each adds (1, x, y, L) and (a, b) to its bank's sums with two vector
/// additions, no branches), so exactly the same sums.
__attribute__((target("avx2"))) inline void slic_accumulate_rect3_avx2(const slic_state& s, std::int64_t* sums, int r0,
                                                                      int r1, int c0, int c1) {
    const std::size_t w = std::size_t(s.width), K = std::size_t(s.num_clusters);
    const __m128 scale = _mm_set1_ps(slic_sum_scale);
    const __m256i one = _mm256_set1_epi64x(1), step = _mm256_set1_epi64x(4);
    for (int y = r0; y < r1; ++y) {
        const std::size_t row = std::size_t(y) * w;
        const std::int32_t* lr = s.labels.data() + row;
        const float* p0 = s.feat->plane(0) + row;
        const float* p1 = s.feat->plane(1) + row;
        const float* p2 = s.feat->plane(2) + row;
        const __m256d vy = _mm256_castsi256_pd(_mm256_set1_epi64x(y));
        const __m256d vone = _mm256_castsi256_pd(one);
        __m256i vx = _mm256_add_epi64(_mm256_set1_epi64x(c0), _mm256_setr_epi64x(0, 1, 2, 3));
        int x = c0;
        for (; x + 4 <= c1; x += 4) {
            const __m256d L = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_cvttps_epi32(_mm_mul_ps(_mm_loadu_ps(p0 + x), scale))));
            const __m256d A = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_cvttps_epi32(_mm_mul_ps(_mm_loadu_ps(p1 + x), scale))));
            const __m256d B = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(_mm_cvttps_epi32(_mm_mul_ps(_mm_loadu_ps(p2 + x), scale))));
            const __m256d X = _mm256_castsi256_pd(vx);
            const __m256d t0 = _mm256_unpacklo_pd(vone, X);  // 1 x0 1 x2
            const __m256d t1 = _mm256_unpackhi_pd(vone, X);  // 1 x1 1 x3
            const __m256d t2 = _mm256_unpacklo_pd(vy, L);    // y L0 y L2
            const __m256d t3 = _mm256_unpackhi_pd(vy, L);    // y L1 y L3
            const __m256d ab02 = _mm256_unpacklo_pd(A, B);   // a0 b0 a2 b2
            const __m256d ab13 = _mm256_unpackhi_pd(A, B);   // a1 b1 a3 b3
            const __m256i r[4] = {_mm256_castpd_si256(_mm256_permute2f128_pd(t0, t2, 0x20)),
                                  _mm256_castpd_si256(_mm256_permute2f128_pd(t1, t3, 0x20)),
                                  _mm256_castpd_si256(_mm256_permute2f128_pd(t0, t2, 0x31)),
                                  _mm256_castpd_si256(_mm256_permute2f128_pd(t1, t3, 0x31))};
            const __m128i ab[4] = {_mm_castpd_si128(_mm256_castpd256_pd128(ab02)), _mm_castpd_si128(_mm256_castpd256_pd128(ab13)),
                                   _mm_castpd_si128(_mm256_extractf128_pd(ab02, 1)),
                                   _mm_castpd_si128(_mm256_extractf128_pd(ab13, 1))};
            for (int j = 0; j < 4; ++j) {
                std::int64_t* t = sums + (std::size_t((x + j) & 3) * K + std::size_t(lr[x + j])) * 6;
                __m256i* t4 = reinterpret_cast<__m256i*>(t);
                __m128i* t2v = reinterpret_cast<__m128i*>(t + 4);
                _mm256_storeu_si256(t4, _mm256_add_epi64(_mm256_loadu_si256(t4), r[j]));
                _mm_storeu_si128(t2v, _mm_add_epi64(_mm_loadu_si128(t2v), ab[j]));
            }
            vx = _mm256_add_epi64(vx, step);
        }
        for (; x < c1; ++x) slic_add_pixel(s, sums, 3, row + std::size_t(x), x, y);
    }
}
#endif

/// Adds the pixels of rows [r0, r1), columns [c0, c1) to their clusters' sums, in 4 banks
/// by column (x % 4) of num_clusters * (nc + 3) values each (slic_update adds them up).
/// NC: feature channels, 0 for any.
template <int NC>
void slic_accumulate_rect(const slic_state& s, std::int64_t* sums, int r0, int r1, int c0, int c1) {
#if PIXLIME_DETAIL_X86
    if constexpr (NC == 3) {
        if (use_isa() >= isa::avx2) {
            slic_accumulate_rect3_avx2(s, sums, r0, r1, c0, c1);
            return;
        }
    }
#endif
    const int nc = NC > 0 ? NC : s.nc;
    for (int y = r0; y < r1; ++y) {
        const std::size_t row = std::size_t(y) * std::size_t(s.width);
        for (int x = c0; x < c1; ++x) slic_add_pixel(s, sums, nc, row + std::size_t(x), x, y);
    }
}

/// Moves pixel (x, y) (index `at`) from cluster `from`'s sums to cluster `to`'s, in bank 0
/// (the same integers slic_grid_sums and slic_add_pixel add, so the sums stay exactly those
/// of the labels).
inline void slic_move_pixel(const slic_state& s, std::int64_t* sums, int nc, std::size_t at, int x, int y,
                            std::int32_t from, std::int32_t to) {
    const std::size_t stride = std::size_t(nc) + 3;
    std::int64_t* a = sums + std::size_t(from) * stride;
    std::int64_t* b = sums + std::size_t(to) * stride;
    a[0] -= 1;
    b[0] += 1;
    a[1] -= x;
    b[1] += x;
    a[2] -= y;
    b[2] += y;
    for (int c = 0; c < nc; ++c) {
        const std::int32_t v = slic_fixed(s.feat->plane(c)[at]);
        a[3 + c] -= v;
        b[3 + c] += v;
    }
}

/// Writes the assignment of row y, columns [x0, x1) (best[x - x0]: the new cluster where
/// dist[x - x0] < infinity; elsewhere no window reached the pixel) into the labels; with
/// `sums` (not null), the pixels that changed cluster are moved between their clusters'
/// sums (slic_move_pixel).
inline void slic_commit_row(slic_state& s, std::int64_t* sums, int nc, int y, int x0, int x1, const std::int32_t* best,
                            const float* dist) {
    const std::size_t row = std::size_t(y) * std::size_t(s.width);
    std::int32_t* labels = s.labels.data() + row;
    for (int x = x0; x < x1; ++x) {
        const std::int32_t b = best[x - x0];
        if (!(dist[x - x0] < std::numeric_limits<float>::infinity()) || b == labels[x]) continue;
        if (sums) slic_move_pixel(s, sums, nc, row + std::size_t(x), x, y, labels[x], b);
        labels[x] = b;
    }
}

#if PIXLIME_DETAIL_X86
/// slic_commit_row comparing 16 labels at a time with AVX-512 (most are unchanged).
__attribute__((target("avx512f"))) inline void slic_commit_row_avx512(slic_state& s, std::int64_t* sums, int nc, int y,
                                                                     int x0, int x1, const std::int32_t* best,
                                                                     const float* dist) {
    const std::size_t row = std::size_t(y) * std::size_t(s.width);
    std::int32_t* labels = s.labels.data() + row;
    const __m512 inf = _mm512_set1_ps(std::numeric_limits<float>::infinity());
    int x = x0;
    for (; x + 16 <= x1; x += 16) {
        const __m512i b = _mm512_loadu_si512(best + (x - x0));
        const __mmask16 reached = _mm512_cmp_ps_mask(_mm512_loadu_ps(dist + (x - x0)), inf, _CMP_LT_OQ);
        const __mmask16 changed = _mm512_mask_cmpneq_epi32_mask(reached, b, _mm512_loadu_si512(labels + x));
        if (!changed) continue;
        if (sums)
            for (std::uint32_t m = changed; m; m &= m - 1) {
                const int j = x + __builtin_ctz(m);
                slic_move_pixel(s, sums, nc, row + std::size_t(j), j, y, labels[j], best[j - x0]);
            }
        _mm512_mask_storeu_epi32(labels + x, changed, b);
    }
    slic_commit_row(s, sums, nc, y, x, x1, best + (x - x0), dist + (x - x0));
}
#endif

/// Assigns rows [y0, y1) to the nearest cluster (colour + weighted spatial distance) among
/// the clusters whose window covers them (slic_prepare_windows); pixels in no window keep
/// their label. Tile by tile, each cluster meeting the tile (in increasing index) is tried
/// on the part of its window in the tile, against per-pixel best distances; ties go to the
/// lower cluster index, so labels depend neither on the tiles nor on the split of rows
/// between threads. The kernels write best distances and clusters to per-tile buffers in
/// L1; each finished tile is then written into the labels where they changed
/// (slic_commit_row). With `sums` (not null), the sums follow, while the tile is in cache:
/// with `fresh`, every pixel of the tile is added to zeroed sums (slic_accumulate_rect);
/// otherwise the changed pixels are moved between their clusters' sums, so that sums of the
/// labels before the call become sums of the labels after it (after the first rounds, few
/// pixels change). NC: feature channels (1, 3, or 0 for any).
template <int NC>
void slic_assign_rows(slic_state& s, int y0, int y1, std::int64_t* sums, bool fresh) {
    const int w = s.width, TR = s.tiling.tile_rows, TC = s.tiling.tile_cols;
    const int nc = NC > 0 ? NC : s.nc;
    const isa which = record_isa(NC > 0 ? use_isa() : isa::portable);
    (void)which;  // (only the SIMD branches read it)
    // The tile's best distances and clusters (clusters valid where dist < inf), 64-byte
    // aligned like the features and dxw.
    std::vector<float, uninitialized_allocator<float>> dist(std::size_t(TR) * std::size_t(TC));
    std::vector<std::int32_t, uninitialized_allocator<std::int32_t>> best(dist.size());
    std::vector<const float*> planes(static_cast<std::size_t>(nc));
    for (int c = 0; c < nc; ++c) planes[std::size_t(c)] = s.feat->plane(c);
    const std::int32_t* labels = s.labels.data();
    std::int64_t* moves = fresh ? nullptr : sums;  // sums updated by moves of changed pixels
    std::vector<const float*> p(static_cast<std::size_t>(nc));
    slic_rect r{};
    r.p = p.data();
    r.stride = std::size_t(w);
    r.dstride = std::size_t(TC);
    r.wt = s.spatial_weight;
    for (int bi = y0 / TR; bi * TR < y1; ++bi) {
        const int r0 = std::max(y0, bi * TR), r1 = std::min(y1, (bi + 1) * TR);
        for (int tj = 0; tj < s.tiles_x; ++tj) {
            const int c0 = tj * TC, c1 = std::min(w, c0 + TC);
            std::fill(dist.begin(), dist.end(), std::numeric_limits<float>::infinity());
            {
                // The next tile's labels, on their way to L2 during this tile's work (one
                // prefetch per 64-byte line): they are read only by slic_commit_row, after the
                // kernels, too late for the hardware to fetch them in time. (Prefetching the
                // features too was no faster: the kernels' streams find them.)
                const bool right = tj + 1 < s.tiles_x;
                const int nr0 = right ? r0 : r1, nr1 = right ? r1 : std::min(y1, r1 + TR);
                const int nc0 = right ? c0 + TC : 0, nc1 = std::min(w, nc0 + TC);
                for (int y = nr0; y < nr1; ++y) {
                    const std::size_t row = std::size_t(y) * std::size_t(w);
                    for (int x = nc0; x < nc1; x += 16) prefetch(labels + row + std::size_t(x));
                }
            }
            const std::size_t t = std::size_t(bi) * std::size_t(s.tiles_x) + std::size_t(tj);
            for (std::int32_t i = s.tile_first[t]; i < s.tile_first[t + 1]; ++i) {
                const std::int32_t k = s.tile_list[std::size_t(i)];
                const std::int32_t* win = s.windows.data() + 4 * std::size_t(k);
                const int ylo = std::max(r0, win[0]), yhi = std::min(r1, win[1]);
                const int xlo = std::max(c0, win[2]), xhi = std::min(c1, win[3]);
                if (ylo >= yhi || xlo >= xhi) continue;
                const std::size_t base = std::size_t(ylo) * std::size_t(w) + std::size_t(xlo);
                for (int c = 0; c < nc; ++c) p[std::size_t(c)] = planes[std::size_t(c)] + base;
                r.dist = dist.data() + std::size_t(ylo - r0) * std::size_t(TC) + std::size_t(xlo - c0);
                r.lab = best.data() + std::size_t(ylo - r0) * std::size_t(TC) + std::size_t(xlo - c0);
                r.dxw = s.dxw.data() + s.dxw_start[std::size_t(k)] + std::size_t(xlo - win[2]);
                r.col = s.colour.data() + std::size_t(k) * std::size_t(nc);
                r.cy = s.cy[std::size_t(k)];
                r.k = k;
                r.y0 = ylo;
                r.rows = yhi - ylo;
                r.n = xhi - xlo;
                r.x0 = xlo;
#if PIXLIME_DETAIL_X86
                if constexpr (NC > 0) {
                    if (which == isa::avx512) {
                        slic_rect_avx512<NC>(r);
                        continue;
                    }
                    if (which == isa::avx2) {
                        slic_rect_avx2<NC>(r);
                        continue;
                    }
                }
#endif
                slic_rect_scalar<NC>(r, nc);
            }
            for (int y = r0; y < r1; ++y) {
                const std::size_t at = std::size_t(y - r0) * std::size_t(TC);
#if PIXLIME_DETAIL_X86
                if (which == isa::avx512) {
                    slic_commit_row_avx512(s, moves, nc, y, c0, c1, best.data() + at, dist.data() + at);
                    continue;
                }
#endif
                slic_commit_row(s, moves, nc, y, c0, c1, best.data() + at, dist.data() + at);
            }
            if (sums && fresh) slic_accumulate_rect<NC>(s, sums, r0, r1, c0, c1);
        }
    }
}

/// Moves every cluster to the mean position and colour of its pixels, from `sums`
/// (slic_grid_sums, slic_move_pixel); clusters without pixels die (they are never assigned
/// again, like scikit-image's NaN centres).
inline void slic_update(slic_state& s, const std::vector<std::int64_t>& sums) {
    const int nc = s.nc;
    const std::size_t stride = std::size_t(nc) + 3, K = std::size_t(s.num_clusters);
    std::vector<std::int64_t> total(stride);
    for (std::size_t k = 0; k < K; ++k) {
        for (std::size_t j = 0; j < stride; ++j)
            total[j] = sums[k * stride + j] + sums[(K + k) * stride + j] + sums[(2 * K + k) * stride + j] +
                       sums[(3 * K + k) * stride + j];
        const std::int64_t* a = total.data();
        const double n = double(a[0]);
        s.alive[k] = a[0] > 0;
        if (a[0] == 0) continue;
        s.cx[k] = float(double(a[1]) / n);
        s.cy[k] = float(double(a[2]) / n);
        for (int c = 0; c < nc; ++c)
            s.colour[k * std::size_t(nc) + std::size_t(c)] = float(double(a[3 + c]) / n / double(slic_sum_scale));
    }
}

}  // namespace detail
}  // namespace pixlime
