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

#include <pixlime/detail/blur.hpp>
#include <pixlime/detail/color.hpp>
#include <pixlime/detail/cpu.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
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
    /// larger segments. Must be in [0, 1e30].
    double scale = 1.0;
    /// Standard deviation in pixels of the Gaussian blur applied to the image first
    /// (scikit-image sigma, default 0.8; truncated at 4 sigma, "reflect" borders). Must be
    /// in [0, 1000].
    double sigma = 0.8;
    /// Minimum component size in pixels, enforced after the main pass by merging along
    /// edges in increasing weight (scikit-image min_size, default 20). Must be >= 0.
    int min_size = 20;

    /// Throws pixlime::invalid_argument naming the first field out of range.
    void validate() const {
        if (!(scale >= 0 && scale <= 1e30)) throw invalid_argument("felzenszwalb_options.scale", scale, "a value in [0, 1e30]");
        detail::check_blur_sigma("felzenszwalb_options.sigma", sigma);
        if (min_size < 0) throw invalid_argument("felzenszwalb_options.min_size", min_size, "at least 0");
    }
};

namespace detail {

/// Stable LSD radix sort of packed edges by their upper 32 bits (the key: the bit pattern of
/// the non-negative float weight, which orders like the weight), 8-bit digits (256 buckets
/// scatter faster than 2048 at the same total traffic), all digit
/// histograms counted in one pass; digits that are equal for every edge are skipped. The
/// lower 32 bits (the edge id) ride along, so the merging passes then read the edges in
/// weight order from contiguous memory.
inline void radix_sort_edges(std::vector<std::uint64_t>& edges) {
    constexpr int digits = 4, bits = 8;
    constexpr std::uint32_t mask = (1u << bits) - 1;
    std::vector<std::uint32_t> count(std::size_t(digits) << bits, 0);
    for (const std::uint64_t e : edges) {
        const auto key = std::uint32_t(e >> 32);
        for (int d = 0; d < digits; ++d) ++count[(std::size_t(d) << bits) + ((key >> (d * bits)) & mask)];
    }
    std::vector<std::uint64_t> tmp(edges.size());
    for (int d = 0; d < digits; ++d) {
        std::uint32_t* c = count.data() + (std::size_t(d) << bits);
        if (edges.empty() || c[(std::uint32_t(edges[0] >> 32) >> (d * bits)) & mask] == edges.size()) continue;
        std::uint32_t sum = 0;
        for (std::uint32_t v = 0; v <= mask; ++v) {
            const std::uint32_t n = c[v];
            c[v] = sum;
            sum += n;
        }
        const int shift = 32 + d * bits;
        for (const std::uint64_t e : edges) tmp[c[(e >> shift) & mask]++] = e;
        edges.swap(tmp);
    }
}

/// A union-find node: parent, component size, and (for roots) the component's merge
/// threshold Int(C) + k / |C| (float, as scikit-image computes it). 12 bytes so that a
/// root's fields come in one cache line.
struct felzenszwalb_node {
    std::int32_t parent;
    std::int32_t size;
    float threshold;
};

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
/// equal weights differently; LSD radix sort on the float bits, so the order is exact).
/// Components merge through a union-find (path halving, union by size), which does not
/// change the partition. Single-threaded.
/// Throws pixlime::invalid_argument for an empty image, an image of more than 2^30 pixels
/// (edge ids are 32-bit), or invalid options.
template <class T>
segmentation felzenszwalb(image_view<const T> img, const felzenszwalb_options& options = {}) {
    options.validate();
    if (img.empty()) throw invalid_argument("felzenszwalb image", "empty", "a non-empty image");
    const int w = img.width(), h = img.height(), ic = img.channels();
    const int used = ic == 4 ? 3 : ic == 2 ? 1 : ic;
    detail::feature_planes feat = detail::to_unit_planes(img, used);
    {
        detail::thread_pool one(1);
        detail::gaussian_blur(feat, options.sigma, one);
    }

    // Edges, in scikit-image's order: right, down, down-right, up-right (the stable sort by
    // weight keeps that order for equal weights). Edge id 4 p + dir joins pixel p = (x, y)
    // and p + offset[dir].
    const std::size_t N = std::size_t(w) * std::size_t(h);
    if (N > (std::size_t(1) << 30))
        throw size_limit_error("felzenszwalb image", std::to_string(N) + " pixels", "at most 2^30 pixels (edge ids are 32-bit)");
    const std::ptrdiff_t offset[4] = {1, w, std::ptrdiff_t(w) + 1, 1 - std::ptrdiff_t(w)};
    const std::size_t W = std::size_t(w), H = std::size_t(h);
    std::vector<std::uint64_t> edges((W - 1) * H + W * (H - 1) + 2 * (W - 1) * (H - 1));
    std::size_t E = 0;
    std::vector<float> row(W);
    std::vector<std::uint32_t> keys(W);
    auto add_edges = [&](int dir, int dy, int dx, int ylo, int yhi) {
        const int xlo = std::max(0, -dx), xhi = std::min(w, w - dx);
        for (int y = ylo; y < yhi; ++y) {
            const std::size_t pa = std::size_t(y) * W, pb = std::size_t(y + dy) * W;
            float* r = row.data();
            for (int x = xlo; x < xhi; ++x) r[x] = 0.0f;
            for (int c = 0; c < used; ++c) {
                const float* a = feat.plane(c) + pa;
                const float* b = feat.plane(c) + pb + dx;
                for (int x = xlo; x < xhi; ++x) {
                    const float e = a[x] - b[x];
                    r[x] += e * e;
                }
            }
            for (int x = xlo; x < xhi; ++x) r[x] = std::sqrt(r[x]);
            std::memcpy(keys.data() + xlo, r + xlo, std::size_t(xhi - xlo) * sizeof(float));
            const std::uint64_t id0 = 4 * std::uint64_t(pa) + std::uint64_t(dir);
            std::uint64_t* out = edges.data() + E - std::size_t(xlo);
            for (int x = xlo; x < xhi; ++x) out[x] = (std::uint64_t(keys[std::size_t(x)]) << 32) | (id0 + 4 * std::uint64_t(x));
            E += std::size_t(xhi - xlo);
        }
    };
    add_edges(0, 0, 1, 0, h);       // right
    add_edges(1, 1, 0, 0, h - 1);   // down
    add_edges(2, 1, 1, 0, h - 1);   // down-right
    add_edges(3, -1, 1, 1, h);      // up-right: (x, y) with (x + 1, y - 1)
    detail::radix_sort_edges(edges);
    const std::uint64_t* ed = edges.data();
    auto end_a = [](std::uint64_t e) { return std::int32_t(std::uint32_t(e) >> 2); };
    auto end_b = [&offset](std::uint64_t e) {
        return std::int32_t(std::ptrdiff_t(std::uint32_t(e) >> 2) + offset[std::uint32_t(e) & 3u]);
    };

    // Union-find over packed nodes (path halving, union by size; which node is the root does
    // not change the partition) with the merge thresholds Int(C) + k / |C| in float, as
    // scikit-image. The nodes of upcoming edges are prefetched: the edges come in weight
    // order, so their pixels are scattered over the image.
    const float k = float(options.scale / 255.0);
    std::vector<detail::felzenszwalb_node> node(N);
    for (std::size_t i = 0; i < N; ++i) node[i] = {std::int32_t(i), 1, 0.0f + k / 1.0f};
    detail::felzenszwalb_node* nd = node.data();
    auto find = [nd](std::int32_t v) {
        while (nd[v].parent != v) {
            nd[v].parent = nd[nd[v].parent].parent;
            v = nd[v].parent;
        }
        return v;
    };
    auto join = [nd](std::int32_t a, std::int32_t b) {  // roots a != b; returns the new root
        if (nd[a].size < nd[b].size) std::swap(a, b);
        nd[b].parent = a;
        nd[a].size += nd[b].size;
        return a;
    };
    constexpr std::size_t ahead = 16;
    std::uint64_t* rest = edges.data();  // rejected edges overwrite the edges already read
    std::size_t kept = 0;
    for (std::size_t i = 0; i < E; ++i) {
        if (i + 2 * ahead < E) {
            detail::prefetch(nd + end_a(ed[i + 2 * ahead]));
            detail::prefetch(nd + end_b(ed[i + 2 * ahead]));
        }
        if (i + ahead < E) {  // their parents, now that the nodes are (likely) cached
            detail::prefetch(nd + nd[end_a(ed[i + ahead])].parent);
            detail::prefetch(nd + nd[end_b(ed[i + ahead])].parent);
        }
        const std::uint64_t e = ed[i];
        const std::int32_t a = find(end_a(e)), b = find(end_b(e));
        if (a == b) continue;
        float c;
        const auto key = std::uint32_t(e >> 32);
        std::memcpy(&c, &key, sizeof c);
        if (c < std::min(nd[a].threshold, nd[b].threshold)) {
            const std::int32_t r = join(a, b);
            nd[r].threshold = c + k / float(nd[r].size);
        } else {
            rest[kept++] = e;  // still between two components: the only edges pass 2 needs
        }
    }
    const std::int32_t min_size = options.min_size;
    if (min_size > 1) {
        for (std::size_t i = 0; i < kept; ++i) {
            if (i + 2 * ahead < kept) {
                detail::prefetch(nd + end_a(ed[i + 2 * ahead]));
                detail::prefetch(nd + end_b(ed[i + 2 * ahead]));
            }
            if (i + ahead < kept) {
                detail::prefetch(nd + nd[end_a(ed[i + ahead])].parent);
                detail::prefetch(nd + nd[end_b(ed[i + ahead])].parent);
            }
            const std::int32_t a = find(end_a(ed[i])), b = find(end_b(ed[i]));
            if (a == b) continue;
            if (nd[a].size < min_size || nd[b].size < min_size) join(a, b);
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

#ifdef PIXLIME_EXTERN_TEMPLATES  // compiled once per program, in the file that includes pixlime/instantiate.hpp
extern template segmentation felzenszwalb<std::uint8_t>(image_view<const std::uint8_t>, const felzenszwalb_options&);
extern template segmentation felzenszwalb<float>(image_view<const float>, const felzenszwalb_options&);
#endif

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
