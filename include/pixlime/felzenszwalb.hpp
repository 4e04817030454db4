#pragma once
/// \file pixlime/felzenszwalb.hpp
/// Felzenszwalb-Huttenlocher graph-based segmentation: pixels are the nodes of an
/// 8-connected graph whose edges weigh the colour difference of their pixels; edges are
/// taken in increasing weight and join two components when the weight is below both
/// components' internal difference plus scale / size; components smaller than min_size are
/// then merged along the remaining edges.
///
/// Reference: P. F. Felzenszwalb, D. P. Huttenlocher, "Efficient Graph-Based Image
/// Segmentation", IJCV 59(2), 2004. Semantics and defaults follow scikit-image's
/// skimage.segmentation.felzenszwalb (0.19).

#include <pixlime/color.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

namespace pixlime {

/// Options of pixlime::felzenszwalb. Defaults are scikit-image's
/// (skimage.segmentation.felzenszwalb); lime_image's SegmentationAlgorithm("felzenszwalb")
/// passes the user's values to scikit-image unchanged, so these are its defaults too.
struct felzenszwalb_options {
    /// Observation scale k (scikit-image scale, default 1): components keep joining while
    /// the joining edge weighs less than their internal difference + k / size, colours on
    /// the 0..255 scale (scikit-image divides k by 255 and works on [0, 1]). Higher gives
    /// larger segments. Must be finite and >= 0.
    double scale = 1.0;
    /// Standard deviation in pixels of the Gaussian blur applied to the image first
    /// (scikit-image sigma, default 0.8; truncated at 4 sigma, "reflect" borders). Must be
    /// finite and >= 0.
    double sigma = 0.8;
    /// Minimum component size in pixels, enforced after the main pass by merging along
    /// edges in increasing weight (scikit-image min_size, default 20). Must be >= 0.
    int min_size = 20;
};

namespace detail {

inline void check_felzenszwalb_options(const felzenszwalb_options& o) {
    if (!(o.scale >= 0) || !std::isfinite(o.scale))
        throw invalid_argument::make("felzenszwalb_options.scale", o.scale, "a finite value >= 0");
    if (!(o.sigma >= 0) || !std::isfinite(o.sigma))
        throw invalid_argument::make("felzenszwalb_options.sigma", o.sigma, "a finite value >= 0");
    if (o.min_size < 0) throw invalid_argument::make("felzenszwalb_options.min_size", o.min_size, "at least 0");
}

/// A graph edge between pixels a and b; key = bit pattern of its non-negative float weight
/// (which orders like the weight).
struct graph_edge {
    std::uint32_t key;
    std::int32_t a, b;
};

/// Stable LSD radix sort of edges by key (11-bit digits), so that the merging passes then
/// read the edges in order from contiguous memory.
inline void radix_sort_edges(std::vector<graph_edge>& edges) {
    std::vector<graph_edge> tmp(edges.size());
    for (int shift = 0; shift < 32; shift += 11) {
        std::array<std::size_t, 2049> count{};
        for (const graph_edge& e : edges) ++count[((e.key >> shift) & 2047u) + 1];
        if (count[((edges.empty() ? 0u : (edges[0].key >> shift) & 2047u)) + 1] == edges.size()) continue;
        for (std::size_t d = 1; d < count.size(); ++d) count[d] += count[d - 1];
        for (const graph_edge& e : edges) tmp[count[(e.key >> shift) & 2047u]++] = e;
        edges.swap(tmp);
    }
}

}  // namespace detail

/// Felzenszwalb-Huttenlocher segmentation (P. F. Felzenszwalb and D. P. Huttenlocher,
/// "Efficient Graph-Based Image Segmentation", IJCV 2004) with scikit-image's semantics and
/// defaults.
///
/// \param img      width x height image, interleaved, 1 to 64 channels; uint8 values are
///                 read as v / 255, float values as they are (nominally [0, 1]). Colours
///                 are used as they are (no CIELAB, as scikit-image); for 2 (gray + alpha)
///                 and 4 (RGBA) channels the alpha channel is ignored.
/// \param options  see felzenszwalb_options (validated; pixlime::invalid_argument names the
///                 field).
/// \return         a width x height segmentation, labels 0..K-1 all used, numbered in
///                 row-major order of first appearance. Each segment is 8-connected.
///
/// Edges: right, down, down-right and up-right neighbours, weight = Euclidean distance of
/// the (blurred) colours. Edges are sorted stably by weight (equal weights keep the order
/// right, down, down-right, up-right, each row-major; scikit-image's unstable sort may order
/// equal weights differently). Single-threaded.
/// Throws pixlime::invalid_argument for an empty image or invalid options.
template <class T>
segmentation felzenszwalb(image_view<const T> img, const felzenszwalb_options& options = {}) {
    detail::check_felzenszwalb_options(options);
    if (img.empty()) throw invalid_argument::make("felzenszwalb image", "empty", "a non-empty image");
    const int w = img.width(), h = img.height(), ic = img.channels();
    const int used = ic == 4 ? 3 : ic == 2 ? 1 : ic;
    detail::feature_planes feat = detail::to_unit_planes(img, used);
    detail::gaussian_blur(feat, options.sigma, 1);

    // Edges, in scikit-image's order: right, down, down-right, up-right.
    const std::size_t N = std::size_t(w) * std::size_t(h);
    std::vector<detail::graph_edge> edges;
    edges.reserve(4 * N);
    std::vector<float> row(static_cast<std::size_t>(w));
    auto add_edges = [&](int dy, int dx, int ylo, int yhi) {
        const int xlo = std::max(0, -dx), xhi = std::min(w, w - dx);
        for (int y = ylo; y < yhi; ++y) {
            const std::size_t pa = std::size_t(y) * std::size_t(w), pb = std::size_t(y + dy) * std::size_t(w);
            for (int x = xlo; x < xhi; ++x) row[std::size_t(x)] = 0.0f;
            for (int c = 0; c < used; ++c) {
                const float* a = feat.plane(c) + pa;
                const float* b = feat.plane(c) + pb + dx;
                for (int x = xlo; x < xhi; ++x) {
                    const float e = a[x] - b[x];
                    row[std::size_t(x)] += e * e;
                }
            }
            for (int x = xlo; x < xhi; ++x) {
                const float cost = std::sqrt(row[std::size_t(x)]);
                std::uint32_t key;
                std::memcpy(&key, &cost, sizeof key);
                edges.push_back({key, std::int32_t(pb + std::size_t(x + dx)), std::int32_t(pa + std::size_t(x))});
            }
        }
    };
    add_edges(0, 1, 0, h);       // right
    add_edges(1, 0, 0, h - 1);   // down
    add_edges(1, 1, 0, h - 1);   // down-right
    add_edges(-1, 1, 1, h);      // up-right: (x, y) with (x + 1, y - 1)
    detail::radix_sort_edges(edges);

    // Union-find with sizes and internal differences (float, as scikit-image).
    std::vector<std::int32_t> parent(N);
    for (std::size_t i = 0; i < N; ++i) parent[i] = std::int32_t(i);
    std::vector<std::int32_t> size(N, 1);
    std::vector<float> internal(N, 0.0f);
    auto find = [&](std::int32_t v) {
        while (parent[std::size_t(v)] != v) {
            parent[std::size_t(v)] = parent[std::size_t(parent[std::size_t(v)])];
            v = parent[std::size_t(v)];
        }
        return v;
    };
    auto join = [&](std::int32_t a, std::int32_t b) {  // roots a != b; returns the new root
        if (size[std::size_t(a)] < size[std::size_t(b)]) std::swap(a, b);
        parent[std::size_t(b)] = a;
        size[std::size_t(a)] += size[std::size_t(b)];
        return a;
    };
    const float k = float(options.scale / 255.0);
    for (const detail::graph_edge& e : edges) {
        const std::int32_t a = find(e.a), b = find(e.b);
        if (a == b) continue;
        float c;
        std::memcpy(&c, &e.key, sizeof c);
        const float ta = internal[std::size_t(a)] + k / float(size[std::size_t(a)]);
        const float tb = internal[std::size_t(b)] + k / float(size[std::size_t(b)]);
        if (c < std::min(ta, tb)) {
            const std::int32_t r = join(a, b);
            internal[std::size_t(r)] = c;
        }
    }
    const std::int32_t min_size = options.min_size;
    if (min_size > 1) {
        for (const detail::graph_edge& e : edges) {
            const std::int32_t a = find(e.a), b = find(e.b);
            if (a == b) continue;
            if (size[std::size_t(a)] < min_size || size[std::size_t(b)] < min_size) join(a, b);
        }
    }

    std::vector<std::int32_t> label(N, -1), out(N);
    std::int32_t next = 0;
    for (std::size_t p = 0; p < N; ++p) {
        const std::int32_t r = find(std::int32_t(p));
        if (label[std::size_t(r)] < 0) label[std::size_t(r)] = next++;
        out[p] = label[std::size_t(r)];
    }
    return segmentation(w, h, std::move(out));
}

/// Felzenszwalb of an owning image; see felzenszwalb(image_view<const T>, const felzenszwalb_options&).
template <class T>
segmentation felzenszwalb(const image<T>& img, const felzenszwalb_options& options = {}) {
    return felzenszwalb(img.view(), options);
}

/// Felzenszwalb of a view of mutable pixels.
template <class T, class = std::enable_if_t<!std::is_const_v<T>>>
segmentation felzenszwalb(image_view<T> img, const felzenszwalb_options& options = {}) {
    return felzenszwalb(image_view<const T>(img), options);
}

}  // namespace pixlime
