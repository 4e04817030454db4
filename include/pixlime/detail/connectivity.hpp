#pragma once
/// \file pixlime/detail/connectivity.hpp
/// Connectivity enforcement of SLIC's clusters (each 4-connected piece its own segment, small
/// pieces merged into a neighbour), on horizontal runs of labels. Implementation detail of
/// pixlime: may change without notice.

#include <pixlime/detail/cpu.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pixlime {
namespace detail {

/// Starts of the runs of equal labels in the row lr of w labels: starts[0 .. n) (starts[0]
/// = 0) and starts[n] = w; returns n. `starts` has room for w + 17 values. Branch-free (a
/// store per pixel; the count moves on where the label changes).
inline std::size_t run_starts(const std::int32_t* lr, int w, std::int32_t* starts) {
    std::size_t n = 1;
    starts[0] = 0;
    for (int x = 1; x < w; ++x) {
        starts[n] = x;
        n += lr[x] != lr[x - 1];
    }
    starts[n] = w;
    return n;
}

#if PIXLIME_DETAIL_X86
/// run_starts with AVX-512: 16 labels compared at a time, the starts among them packed
/// (compressed) into one store.
__attribute__((target("avx512f"))) inline std::size_t run_starts_avx512(const std::int32_t* lr, int w, std::int32_t* starts) {
    std::size_t n = 1;
    starts[0] = 0;
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int x = 1;
    for (; x + 16 <= w; x += 16) {
        const __mmask16 m = _mm512_cmpneq_epi32_mask(_mm512_loadu_si512(lr + x), _mm512_loadu_si512(lr + x - 1));
        _mm512_storeu_si512(starts + n, _mm512_maskz_compress_epi32(m, _mm512_add_epi32(iota, _mm512_set1_epi32(x))));
        n += std::size_t(__builtin_popcount(m));
    }
    for (; x < w; ++x) {
        starts[n] = x;
        n += lr[x] != lr[x - 1];
    }
    starts[n] = w;
    return n;
}
#endif

/// Connectivity enforcement (after scikit-image's, on runs of pixels rather than pixel by
/// pixel): the 4-connected pieces of every label are found with a union-find over horizontal
/// runs; pieces are taken in row-major order of their first pixel; a piece smaller than
/// min_size joins the segment of the pixel above its first pixel (left of it on the top row),
/// which comes earlier; the first piece is always kept. Returns labels 0..K-1 numbered in
/// order of first appearance, written over `labels` (width * height values); returns K.
inline int enforce_connectivity(std::vector<std::int32_t>& labels, int width, int height, std::int64_t min_size) {
    // 1. Horizontal runs of equal labels, row by row: run r covers [x0[r], x1[r]) of its row
    //    and has label lab[r]; row y's runs are row_first[y] .. row_first[y + 1] - 1.
    const std::size_t w = std::size_t(width);
    std::vector<std::int32_t> x0, x1, lab, row_first(std::size_t(height) + 1);
    std::vector<std::int32_t> starts(w + 17);
#if PIXLIME_DETAIL_X86
    const bool avx512 = use_isa() == isa::avx512;
#endif
    for (int y = 0; y < height; ++y) {
        const std::int32_t* lr = labels.data() + std::size_t(y) * w;
        row_first[std::size_t(y)] = std::int32_t(x0.size());
#if PIXLIME_DETAIL_X86
        const std::size_t n = avx512 ? run_starts_avx512(lr, width, starts.data()) : run_starts(lr, width, starts.data());
#else
        const std::size_t n = run_starts(lr, width, starts.data());
#endif
        for (std::size_t i = 0; i < n; ++i) {
            x0.push_back(starts[i]);
            x1.push_back(starts[i + 1]);
            lab.push_back(lr[starts[i]]);
        }
    }
    const std::size_t nruns = x0.size();
    row_first[std::size_t(height)] = std::int32_t(nruns);

    // 2. Union-find over runs: a run joins the overlapping runs of equal label in the row
    //    above (two pointers over the two rows). The root of a piece is its earliest run
    //    (union by smaller index), so parent[r] <= r.
    std::vector<std::int32_t> parent(nruns);
    for (std::size_t r = 0; r < nruns; ++r) parent[r] = std::int32_t(r);
    auto find = [&](std::int32_t r) {
        while (parent[std::size_t(r)] != r) {
            parent[std::size_t(r)] = parent[std::size_t(parent[std::size_t(r)])];
            r = parent[std::size_t(r)];
        }
        return r;
    };
    for (int y = 1; y < height; ++y) {
        std::size_t a = std::size_t(row_first[std::size_t(y) - 1]);
        const std::size_t a_end = std::size_t(row_first[std::size_t(y)]);
        const std::size_t b_end = std::size_t(row_first[std::size_t(y) + 1]);
        for (std::size_t b = a_end; b < b_end; ++b) {
            while (x1[a] <= x0[b]) ++a;  // the runs above that end before b starts
            for (std::size_t c = a; c < a_end && x0[c] < x1[b]; ++c) {
                if (lab[c] != lab[b]) continue;
                const std::int32_t rb = find(std::int32_t(b)), rc = find(std::int32_t(c));
                if (rb < rc)
                    parent[std::size_t(rc)] = rb;
                else if (rc < rb)
                    parent[std::size_t(rb)] = rc;
            }
        }
    }
    // Every parent is an earlier run: one forward pass points each run at its root.
    for (std::size_t r = 0; r < nruns; ++r) parent[r] = parent[std::size_t(parent[r])];

    // 3. Piece sizes, then final labels in order of first pixel.
    std::vector<std::int64_t> size(nruns, 0);
    for (std::size_t r = 0; r < nruns; ++r) size[std::size_t(parent[r])] += x1[r] - x0[r];
    std::vector<std::int32_t> final_label(nruns, -1);
    std::int32_t next = 0;
    for (int y = 0; y < height; ++y) {
        for (std::size_t r = std::size_t(row_first[std::size_t(y)]); r < std::size_t(row_first[std::size_t(y) + 1]); ++r) {
            if (parent[r] != std::int32_t(r)) continue;  // roots are their piece's earliest run
            std::int32_t target = -1;
            if (size[r] < min_size) {
                if (y > 0) {
                    // The run of the row above that contains x0[r].
                    const auto first = x0.begin() + row_first[std::size_t(y) - 1];
                    const auto last = x0.begin() + row_first[std::size_t(y)];
                    const auto above = std::size_t(std::upper_bound(first, last, x0[r]) - 1 - x0.begin());
                    target = final_label[std::size_t(parent[above])];
                } else if (x0[r] > 0) {
                    target = final_label[std::size_t(parent[r - 1])];
                }
            }
            final_label[r] = target >= 0 ? target : next++;
        }
    }

    // 4. Paint over the input (no longer read: the runs carry what is needed), in blocks of
    //    16 values that may run past the run's end (runs are short): the runs after it, in
    //    this row or the next, paint over the excess; only near the end of the image does a
    //    run stop exactly at its end.
    const std::size_t total = labels.size();
    for (int y = 0; y < height; ++y) {
        const std::size_t base = std::size_t(y) * w;
        std::int32_t* out = labels.data() + base;
        for (std::size_t r = std::size_t(row_first[std::size_t(y)]); r < std::size_t(row_first[std::size_t(y) + 1]); ++r) {
            const std::int32_t v = final_label[std::size_t(parent[r])];
            if (base + std::size_t(x1[r]) + 16 <= total) {
                for (std::int32_t x = x0[r]; x < x1[r]; x += 16)
                    for (int j = 0; j < 16; ++j) out[x + j] = v;
            } else {
                for (std::int32_t x = x0[r]; x < x1[r]; ++x) out[x] = v;
            }
        }
    }
    return next;
}

}  // namespace detail
}  // namespace pixlime
