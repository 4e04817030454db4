#pragma once
/// \file pixlime/slic.hpp
/// SLIC superpixels: k-means clustering of pixels in combined colour (CIELAB) and image-plane
/// space, seeded on a regular grid, each cluster searching only a bounded window around its
/// centre, followed by a pass that makes every segment connected.
///
/// Reference: R. Achanta, A. Shaji, K. Smith, A. Lucchi, P. Fua, S. Suesstrunk, "SLIC
/// Superpixels Compared to State-of-the-Art Superpixel Methods", IEEE TPAMI 34(11), 2012.
/// Parameters, defaults, seeding and connectivity enforcement follow scikit-image's
/// skimage.segmentation.slic (version 0.19), so that option values mean the same thing;
/// see slic_options for the few deliberate differences.

#include <pixlime/color.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// Options of pixlime::slic. Defaults are scikit-image's (skimage.segmentation.slic).
struct slic_options {
    /// Approximate number of segments (scikit-image n_segments, default 100). The seeds are
    /// placed on a regular grid of about this many points (fewer or more, depending on how
    /// the grid fits the image); more segments than pixels is allowed (every pixel is a
    /// seed). Must be >= 1.
    int num_segments = 100;
    /// Balance between colour and space (scikit-image compactness, the paper's m; default
    /// 10). Higher gives squarer segments. The distance is
    /// d^2 = |colour difference|^2 / compactness^2 + |pixel offset|^2 / S^2, with S the seed
    /// spacing. Must be finite and > 0.
    double compactness = 10.0;
    /// Number of k-means iterations (scikit-image max_num_iter, default 10). Must be >= 1;
    /// 1 gives the grid's Voronoi cells (then connectivity enforcement).
    int max_iterations = 10;
    /// Standard deviation in pixels of a Gaussian blur applied to each channel (on the
    /// [0, 1] scale, before the CIELAB conversion) first (scikit-image sigma, default 0 = no
    /// blur; truncated at 4 sigma, "reflect" borders). Must be finite and >= 0.
    double sigma = 0.0;
    /// Cluster in CIELAB (scikit-image convert2lab; default true). With 3 channels (RGB) or
    /// 4 (RGBA: alpha ignored) the features are L, a, b; with 1 channel (gray) or 2 (gray +
    /// alpha: alpha ignored) the single feature is L, so a gray image and its RGB copy give
    /// (nearly) the same segments. Other channel counts, or false, use every channel as a
    /// raw feature on the [0, 1] scale. Like scikit-image, the used channels are first
    /// stretched together to [0, 1] (v -> (v - min) / (max - min)).
    bool convert_to_lab = true;
    /// Make every segment one 4-connected region (scikit-image enforce_connectivity,
    /// default true): pieces smaller than min_size_factor * (pixels / seeds) are merged into
    /// an adjacent segment, pieces are cut at max_size_factor * (pixels / seeds) pixels.
    bool enforce_connectivity = true;
    /// Minimum segment size as a fraction of pixels / seeds (scikit-image min_size_factor,
    /// default 0.5). Must be finite and >= 0.
    double min_size_factor = 0.5;
    /// Maximum connected-piece size as a multiple of pixels / seeds (scikit-image
    /// max_size_factor, default 3). Must be finite and > 0.
    double max_size_factor = 3.0;
    /// Threads used (std::thread; default 1). The labels do not depend on it. Must be >= 1.
    int num_threads = 1;
};

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

inline void check_slic_options(const slic_options& o) {
    if (o.num_segments < 1) throw invalid_argument::make("slic_options.num_segments", o.num_segments, "at least 1");
    if (!(o.compactness > 0) || !std::isfinite(o.compactness))
        throw invalid_argument::make("slic_options.compactness", o.compactness, "a finite value > 0");
    if (o.max_iterations < 1)
        throw invalid_argument::make("slic_options.max_iterations", o.max_iterations, "at least 1");
    if (!(o.sigma >= 0) || !std::isfinite(o.sigma))
        throw invalid_argument::make("slic_options.sigma", o.sigma, "a finite value >= 0");
    if (!(o.min_size_factor >= 0) || !std::isfinite(o.min_size_factor))
        throw invalid_argument::make("slic_options.min_size_factor", o.min_size_factor, "a finite value >= 0");
    if (!(o.max_size_factor > 0) || !std::isfinite(o.max_size_factor))
        throw invalid_argument::make("slic_options.max_size_factor", o.max_size_factor, "a finite value > 0");
    if (o.num_threads < 1) throw invalid_argument::make("slic_options.num_threads", o.num_threads, "at least 1");
}

/// Sum of n floats with four independent accumulators.
inline float sum_run(const float* p, int n) {
    float a = 0, b = 0, c = 0, d = 0;
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        a += p[i];
        b += p[i + 1];
        c += p[i + 2];
        d += p[i + 3];
    }
    for (; i < n; ++i) a += p[i];
    return (a + b) + (c + d);
}

/// State of one SLIC run: features, clusters, labels and distances.
struct slic_state {
    int width = 0, height = 0, nc = 0;  // nc: feature channels
    const feature_planes* feat = nullptr;
    int num_clusters = 0;
    int radius_y = 1, radius_x = 1;  // search window half sizes (the seed steps)
    float spatial_weight = 1;        // compactness^2 / S^2
    std::vector<float> cy, cx;       // cluster centres
    std::vector<float> colour;       // num_clusters * nc
    std::vector<char> alive;         // cluster has pixels
    std::vector<std::int32_t> labels;
    std::vector<float> dist;
};

/// Assigns rows [y0, y1) to the nearest cluster (colour + weighted spatial distance) among
/// the clusters whose window covers them; pixels in no window keep their label. NC is the
/// number of feature channels, or 0 for any.
template <int NC>
void slic_assign_rows(slic_state& s, int y0, int y1) {
    const int w = s.width;
    const int nc = NC > 0 ? NC : s.nc;
    std::fill(s.dist.begin() + std::ptrdiff_t(y0) * w, s.dist.begin() + std::ptrdiff_t(y1) * w,
              std::numeric_limits<float>::infinity());
    std::vector<float> dxw(std::size_t(2 * s.radius_x + 2));
    std::vector<float> tmp(NC > 0 ? 0 : std::size_t(2 * s.radius_x + 2));
    const float wt = s.spatial_weight;
    const float* planes[NC > 0 ? NC : 1] = {};
    if constexpr (NC > 0)
        for (int c = 0; c < NC; ++c) planes[c] = s.feat->plane(c);
    float* dist = s.dist.data();
    std::int32_t* lab = s.labels.data();
    for (int k = 0; k < s.num_clusters; ++k) {
        if (!s.alive[std::size_t(k)]) continue;
        const float cy = s.cy[std::size_t(k)], cx = s.cx[std::size_t(k)];
        const int ylo = std::max(y0, int(std::floor(cy - float(s.radius_y))));
        const int yhi = std::min(y1, int(std::floor(cy + float(s.radius_y))) + 1);
        if (ylo >= yhi) continue;
        const int xlo = std::max(0, int(std::floor(cx - float(s.radius_x))));
        const int xhi = std::min(w, int(std::floor(cx + float(s.radius_x))) + 1);
        const int len = xhi - xlo;
        if (len <= 0) continue;
        for (int j = 0; j < len; ++j) {
            const float dx = float(xlo + j) - cx;
            dxw[std::size_t(j)] = dx * dx * wt;
        }
        const float* col = s.colour.data() + std::size_t(k) * std::size_t(nc);
        const float* dxp = dxw.data();
        for (int y = ylo; y < yhi; ++y) {
            const float dy = float(y) - cy;
            const float dyw = dy * dy * wt;
            const std::size_t base = std::size_t(y) * std::size_t(w) + std::size_t(xlo);
            float* dr = dist + base;
            std::int32_t* lr = lab + base;
            if constexpr (NC == 3) {
                const float* p0 = planes[0] + base;
                const float* p1 = planes[1] + base;
                const float* p2 = planes[2] + base;
                const float c0 = col[0], c1 = col[1], c2 = col[2];
                for (int j = 0; j < len; ++j) {
                    const float e0 = p0[j] - c0, e1 = p1[j] - c1, e2 = p2[j] - c2;
                    const float d = dyw + dxp[j] + e0 * e0 + e1 * e1 + e2 * e2;
                    const float old = dr[j];
                    const std::int32_t old_label = lr[j];
                    const std::int32_t m = -std::int32_t(d < old);  // branch-free so that it vectorises
                    dr[j] = d < old ? d : old;
                    lr[j] = (k & m) | (old_label & ~m);
                }
            } else if constexpr (NC == 1) {
                const float* p0 = planes[0] + base;
                const float c0 = col[0];
                for (int j = 0; j < len; ++j) {
                    const float e0 = p0[j] - c0;
                    const float d = dyw + dxp[j] + e0 * e0;
                    const float old = dr[j];
                    const std::int32_t old_label = lr[j];
                    const std::int32_t m = -std::int32_t(d < old);  // branch-free so that it vectorises
                    dr[j] = d < old ? d : old;
                    lr[j] = (k & m) | (old_label & ~m);
                }
            } else {
                float* t = tmp.data();
                for (int j = 0; j < len; ++j) t[j] = dyw + dxp[j];
                for (int c = 0; c < nc; ++c) {
                    const float* pc = s.feat->plane(c) + base;
                    const float cc = col[c];
                    for (int j = 0; j < len; ++j) {
                        const float e = pc[j] - cc;
                        t[j] += e * e;
                    }
                }
                for (int j = 0; j < len; ++j) {
                    const float d = t[j], old = dr[j];
                    const std::int32_t old_label = lr[j];
                    const std::int32_t m = -std::int32_t(d < old);  // branch-free so that it vectorises
                    dr[j] = d < old ? d : old;
                    lr[j] = (k & m) | (old_label & ~m);
                }
            }
        }
    }
}

/// Moves every cluster to the mean position and colour of its pixels; clusters without
/// pixels die (they are never assigned again, like scikit-image's NaN centres).
inline void slic_update(slic_state& s, std::vector<double>& sums, std::vector<std::int64_t>& counts) {
    const int w = s.width, nc = s.nc;
    const std::size_t stride = std::size_t(nc) + 2;
    std::fill(sums.begin(), sums.end(), 0.0);
    std::fill(counts.begin(), counts.end(), 0);
    for (int y = 0; y < s.height; ++y) {
        const std::int32_t* lr = s.labels.data() + std::size_t(y) * std::size_t(w);
        int x = 0;
        while (x < w) {
            const std::int32_t k = lr[x];
            int x1 = x + 1;
            while (x1 < w && lr[x1] == k) ++x1;
            const int n = x1 - x;
            double* sk = sums.data() + std::size_t(k) * stride;
            counts[std::size_t(k)] += n;
            sk[0] += double(y) * n;
            sk[1] += 0.5 * double(x + x1 - 1) * n;
            const std::size_t base = std::size_t(y) * std::size_t(w) + std::size_t(x);
            for (int c = 0; c < nc; ++c) sk[2 + c] += double(sum_run(s.feat->plane(c) + base, n));
            x = x1;
        }
    }
    for (int k = 0; k < s.num_clusters; ++k) {
        const std::int64_t n = counts[std::size_t(k)];
        s.alive[std::size_t(k)] = n > 0;
        if (n == 0) continue;
        const double* sk = sums.data() + std::size_t(k) * stride;
        s.cy[std::size_t(k)] = float(sk[0] / double(n));
        s.cx[std::size_t(k)] = float(sk[1] / double(n));
        for (int c = 0; c < nc; ++c) s.colour[std::size_t(k) * std::size_t(nc) + std::size_t(c)] = float(sk[2 + c] / double(n));
    }
}

/// scikit-image's connectivity enforcement: scans pixels in row-major order; each unvisited
/// pixel starts a breadth-first search (neighbour order +x, -x, +y, -y) over 4-connected
/// pixels of its label, stopped at max_size pixels; a piece smaller than min_size takes the
/// label of the last already-labelled neighbour met during its search (kept as its own
/// segment when there is none). Returns labels 0..K-1, numbered in order of first appearance.
inline std::vector<std::int32_t> enforce_connectivity(const std::vector<std::int32_t>& labels, int width,
                                                      int height, std::int64_t min_size, std::int64_t max_size,
                                                      int& count) {
    const std::size_t n = labels.size();
    max_size = std::max<std::int64_t>(1, std::min<std::int64_t>(max_size, std::int64_t(n)));
    std::vector<std::int32_t> out(n, -1);
    std::vector<std::int32_t> qx(static_cast<std::size_t>(max_size)), qy(static_cast<std::size_t>(max_size));
    std::int32_t next = 0;
    for (int y = 0; y < height; ++y) {
        for (int x = 0; x < width; ++x) {
            const std::size_t p = std::size_t(y) * std::size_t(width) + std::size_t(x);
            if (out[p] >= 0) continue;
            const std::int32_t lab = labels[p];
            out[p] = next;
            std::int64_t size = 1, visited = 0;
            qx[0] = x;
            qy[0] = y;
            std::int32_t adjacent = -1;
            while (visited < size && size < max_size) {
                const int vx = qx[std::size_t(visited)], vy = qy[std::size_t(visited)];
                const int nx[4] = {vx + 1, vx - 1, vx, vx};
                const int ny[4] = {vy, vy, vy + 1, vy - 1};
                for (int i = 0; i < 4; ++i) {
                    if (nx[i] < 0 || nx[i] >= width || ny[i] < 0 || ny[i] >= height) continue;
                    const std::size_t q = std::size_t(ny[i]) * std::size_t(width) + std::size_t(nx[i]);
                    if (labels[q] == lab && out[q] < 0) {
                        out[q] = next;
                        qx[std::size_t(size)] = nx[i];
                        qy[std::size_t(size)] = ny[i];
                        ++size;
                        if (size >= max_size) break;
                    } else if (out[q] >= 0 && out[q] != next) {
                        adjacent = out[q];
                    }
                }
                ++visited;
            }
            if (size < min_size && adjacent >= 0) {
                for (std::int64_t i = 0; i < size; ++i)
                    out[std::size_t(qy[std::size_t(i)]) * std::size_t(width) + std::size_t(qx[std::size_t(i)])] = adjacent;
            } else {
                ++next;
            }
        }
    }
    count = next;
    return out;
}

}  // namespace detail

/// SLIC superpixels of an image (R. Achanta et al., "SLIC Superpixels Compared to
/// State-of-the-Art Superpixel Methods", TPAMI 2012), with scikit-image's semantics and
/// defaults (skimage.segmentation.slic).
///
/// \param img      width x height image, interleaved, 1 to 64 channels; uint8 values are
///                 read as v / 255, float values as they are (nominally [0, 1]; NaN/Inf read
///                 as 0). See slic_options::convert_to_lab for how channels are used.
/// \param options  see slic_options (validated; pixlime::invalid_argument names the field).
/// \return         a width x height segmentation, labels 0..K-1 all used (K is near
///                 options.num_segments for ordinary images; each segment 4-connected when
///                 options.enforce_connectivity). The same for any options.num_threads.
///
/// Algorithm: features (CIELAB, or raw channels) are precomputed once; seeds are placed on
/// scikit-image's regular grid with spacing S; the first assignment is the grid's Voronoi
/// partition (scikit-image starts with zero colour centres, which amounts to the same), then
/// max_iterations - 1 rounds of "move centres to their pixels' means, reassign every pixel
/// to the nearest centre whose (2S+1) x (2S+1) window covers it" (the paper's window;
/// scikit-image searches 4S+1), then connectivity enforcement.
/// Throws pixlime::invalid_argument for an empty image or invalid options.
template <class T>
segmentation slic(image_view<const T> img, const slic_options& options = {}) {
    detail::check_slic_options(options);
    if (img.empty()) throw invalid_argument::make("slic image", "empty", "a non-empty image");
    const int w = img.width(), h = img.height();
    const int threads = std::min(options.num_threads, h);

    const detail::feature_planes feat =
        detail::make_features(img, options.convert_to_lab, /*stretch=*/true, options.sigma, threads);

    const detail::slic_grid g = detail::slic_regular_grid(h, w, options.num_segments);
    detail::slic_state s;
    s.width = w;
    s.height = h;
    s.nc = feat.channels;
    s.feat = &feat;
    s.num_clusters = g.count_y * g.count_x;
    s.radius_y = g.step_y;
    s.radius_x = g.step_x;
    const double step = std::max({1.0, double(g.step_y), double(g.step_x)});
    s.spatial_weight = float(options.compactness * options.compactness / (step * step));
    const std::size_t K = std::size_t(s.num_clusters);
    s.cy.assign(K, 0.0f);
    s.cx.assign(K, 0.0f);
    s.colour.assign(K * std::size_t(s.nc), 0.0f);
    s.alive.assign(K, 1);
    const std::size_t N = std::size_t(w) * std::size_t(h);
    s.labels.resize(N);
    s.dist.resize(N);

    // First assignment: nearest grid seed (ties to the lower index, as scikit-image).
    {
        auto nearest = [](int n, int start, int step, int count) {
            std::vector<std::int32_t> idx(static_cast<std::size_t>(n));
            for (int i = 0; i < n; ++i) {
                int j = (i - start) >= 0 ? (i - start) / step : 0;
                j = std::min(j, count - 1);
                if (j + 1 < count && std::abs(start + (j + 1) * step - i) < std::abs(start + j * step - i)) ++j;
                idx[std::size_t(i)] = j;
            }
            return idx;
        };
        const auto jy = nearest(h, g.start_y, g.step_y, g.count_y);
        const auto jx = nearest(w, g.start_x, g.step_x, g.count_x);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                s.labels[std::size_t(y) * std::size_t(w) + std::size_t(x)] = jy[std::size_t(y)] * g.count_x + jx[std::size_t(x)];
    }

    std::vector<double> sums(K * (std::size_t(s.nc) + 2));
    std::vector<std::int64_t> counts(K);
    for (int it = 1; it < options.max_iterations; ++it) {
        detail::slic_update(s, sums, counts);
        detail::parallel_bands(h, threads, [&](int y0, int y1) {
            if (s.nc == 3)
                detail::slic_assign_rows<3>(s, y0, y1);
            else if (s.nc == 1)
                detail::slic_assign_rows<1>(s, y0, y1);
            else
                detail::slic_assign_rows<0>(s, y0, y1);
        });
    }

    if (!options.enforce_connectivity) return segmentation::from_labels(w, h, s.labels);
    const double segment_size = double(N) / double(K);
    const double max_n = double(N) + 1.0;
    const auto min_size = std::int64_t(std::min(max_n, options.min_size_factor * segment_size));
    const auto max_size = std::int64_t(std::min(max_n, options.max_size_factor * segment_size));
    int count = 0;
    std::vector<std::int32_t> out = detail::enforce_connectivity(s.labels, w, h, min_size, max_size, count);
    return segmentation(w, h, std::move(out));
}

/// SLIC of an owning image; see slic(image_view<const T>, const slic_options&).
template <class T>
segmentation slic(const image<T>& img, const slic_options& options = {}) {
    return slic(img.view(), options);
}

/// SLIC of a view of mutable pixels; see slic(image_view<const T>, const slic_options&).
template <class T, class = std::enable_if_t<!std::is_const_v<T>>>
segmentation slic(image_view<T> img, const slic_options& options = {}) {
    return slic(image_view<const T>(img), options);
}

}  // namespace pixlime
