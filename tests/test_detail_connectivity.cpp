// Tests of pixlime/detail/connectivity.hpp, SLIC's connectivity enforcement: the 4-connected
// pieces of every label become segments numbered by first pixel, and a piece smaller than
// min_size joins the segment of the pixel above its first pixel (left of it on the top row).
// Ground truth: hand-drawn grids, and a plain flood fill of the documented rule on random grids.
#include "support.hpp"

#include <pixlime/detail/connectivity.hpp>

#include <initializer_list>
#include <random>
#include <string>
#include <vector>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_connectivity_test {

namespace d = pixlime::detail;

namespace {

using labels_t = std::vector<std::int32_t>;

/// A grid drawn as rows of characters, one pixel each (its label is the character's code).
struct grid_t {
    int w = 0, h = 0;
    labels_t labels;
};

grid_t drawn(std::initializer_list<std::string> rows) {
    grid_t g;
    g.h = int(rows.size());
    for (const std::string& row : rows) {
        g.w = int(row.size());
        for (char c : row) g.labels.push_back(std::int32_t(c));
    }
    REQUIRE(g.labels.size() == std::size_t(g.w) * std::size_t(g.h));
    return g;
}

/// The expected output, drawn with digits (label = digit).
labels_t digits(std::initializer_list<std::string> rows) {
    labels_t out;
    for (const std::string& row : rows)
        for (char c : row) out.push_back(std::int32_t(c - '0'));
    return out;
}

/// enforce_connectivity on a copy of g; returns the labels, with the count in `count`.
labels_t enforced(const grid_t& g, std::int64_t min_size, int& count) {
    labels_t l = g.labels;
    count = d::enforce_connectivity(l, g.w, g.h, min_size);
    REQUIRE(l.size() == g.labels.size());
    return l;
}

/// The documented rule, pixel by pixel: 4-connected pieces of equal label by flood fill
/// (found in row-major order of their first pixel); a piece smaller than min_size takes the
/// final label of the pixel above its first pixel (of the pixel left of it on the top row;
/// the very first piece has neither), every other piece the next new label.
labels_t reference(const labels_t& in, int w, int h, std::int64_t min_size, int& count) {
    const std::size_t n = in.size();
    std::vector<int> piece(n, -1);
    std::vector<std::int64_t> size;
    std::vector<std::size_t> first;
    std::vector<std::size_t> stack;
    for (std::size_t s = 0; s < n; ++s) {
        if (piece[s] >= 0) continue;
        const int id = int(size.size());
        size.push_back(0);
        first.push_back(s);
        piece[s] = id;
        stack.assign(1, s);
        while (!stack.empty()) {
            const std::size_t p = stack.back();
            stack.pop_back();
            ++size[std::size_t(id)];
            const int x = int(p % std::size_t(w)), y = int(p / std::size_t(w));
            const int nb[4][2] = {{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}};
            for (const auto& q : nb) {
                if (q[0] < 0 || q[0] >= w || q[1] < 0 || q[1] >= h) continue;
                const std::size_t qi = std::size_t(q[1]) * std::size_t(w) + std::size_t(q[0]);
                if (piece[qi] < 0 && in[qi] == in[p]) {
                    piece[qi] = id;
                    stack.push_back(qi);
                }
            }
        }
    }
    std::vector<std::int32_t> final_label(size.size());
    std::int32_t next = 0;
    for (std::size_t id = 0; id < size.size(); ++id) {
        const std::size_t f = first[id];
        std::int32_t target = -1;
        if (size[id] < min_size) {
            if (f >= std::size_t(w))
                target = final_label[std::size_t(piece[f - std::size_t(w)])];
            else if (f > 0)
                target = final_label[std::size_t(piece[f - 1])];
        }
        final_label[id] = target >= 0 ? target : next++;
    }
    labels_t out(n);
    for (std::size_t p = 0; p < n; ++p) out[p] = final_label[std::size_t(piece[p])];
    count = next;
    return out;
}

/// Restores the instruction-set limit when a test ends.
struct isa_reset {
    ~isa_reset() { d::isa_limit = d::isa::avx512; }
};

}  // namespace

TEST_CASE("connectivity: pixels of a label that touch only at a corner are separate segments (4-connectivity)") {
    int count = 0;
    // A diagonal of 1 on 0: 8-connectivity would give 3 pieces, 4-connectivity gives 5.
    const grid_t diagonal = drawn({"100", "010", "001"});
    CHECK(enforced(diagonal, 0, count) == digits({"011", "231", "224"}));
    CHECK(count == 5);
    // A checkerboard: every pixel its own segment, numbered in row-major order.
    const grid_t checker = drawn({"abab", "baba", "abab"});
    CHECK(enforced(checker, 0, count) == digits({"0123", "4567", "89:;"}));  // ':' = 10, ';' = 11
    CHECK(count == 12);
    // Pixels touching along an edge are one piece, whichever direction.
    const grid_t plus = drawn({".x.", "xxx", ".x."});
    CHECK(enforced(plus, 0, count) == digits({"012", "111", "314"}));
    CHECK(count == 5);
}

TEST_CASE("connectivity: runs joined only on a later row are one segment") {
    int count = 0;
    // Three prongs of 1 joined by the bottom row; the two 0 gaps stay apart.
    const grid_t comb = drawn({"10101", "10101", "11111"});
    CHECK(enforced(comb, 0, count) == digits({"01020", "01020", "00000"}));
    CHECK(count == 3);
    // A spiral: each label is one long path.
    const grid_t spiral = drawn({"111111", "000001", "111101", "100101", "100001", "111111"});
    CHECK(enforced(spiral, 0, count) == digits({"000000", "111110", "000010", "011010", "011110", "000000"}));
    CHECK(count == 2);
    // Pieces whose first runs are far apart meet two rows down; the row below them is apart.
    const grid_t w = drawn({"x.x.x", "x.x.x", "xxxxx", "....."});
    CHECK(enforced(w, 0, count) == digits({"01020", "01020", "00000", "33333"}));
    CHECK(count == 4);
}

TEST_CASE("connectivity: segments are numbered in order of their first pixel, whatever the input labels") {
    grid_t g;
    g.w = 4;
    g.h = 2;
    g.labels = {1000000, -3, -3, 7, 7, 7, -3, 1000000};
    int count = 0;
    // The 7 at the end of row 0 and the 7s that start row 1 do not touch.
    CHECK(enforced(g, 0, count) == labels_t{0, 1, 1, 2, 3, 3, 1, 4});
    CHECK(count == 5);
    // A single pixel, a single row, a single column.
    g.w = g.h = 1;
    g.labels = {42};
    CHECK(enforced(g, 100, count) == labels_t{0});
    CHECK(count == 1);
    g.w = 5;
    g.labels = {9, 9, 8, 9, 9};
    CHECK(enforced(g, 0, count) == labels_t{0, 0, 1, 2, 2});
    CHECK(count == 3);
    g.w = 1;
    g.h = 5;
    CHECK(enforced(g, 0, count) == labels_t{0, 0, 1, 2, 2});
    CHECK(count == 3);
}

TEST_CASE("connectivity: a piece smaller than min_size joins the segment above its first pixel") {
    int count = 0;
    // Piece 'b' (2 pixels, first at (1, 1)) joins the segment of the pixel above it ('a', segment
    // 0), not the one left of it ('c').
    const grid_t g = drawn({"aadd", "cbbd", "cccc"});
    CHECK(enforced(g, 3, count) == digits({"0011", "2001", "2222"}));
    CHECK(count == 3);
    // Without merging (min_size 0 or 1, or no piece small enough) every piece is kept.
    for (std::int64_t m : {std::int64_t(-5), std::int64_t(0), std::int64_t(1), std::int64_t(2)}) {
        CAPTURE(m);
        CHECK(enforced(g, m, count) == digits({"0011", "2331", "2222"}));
        CHECK(count == 4);
    }
    // Every piece has at most 5 pixels: with min_size 6 all but the first merge into it.
    CHECK(enforced(g, 6, count) == digits({"0000", "0000", "0000"}));
    CHECK(count == 1);
}

TEST_CASE("connectivity: on the top row a small piece joins the segment left of it; the first piece is always kept") {
    int count = 0;
    // '7' (2 pixels) joins '5' on its left; '9' has exactly min_size pixels: kept (strictly smaller merges).
    const grid_t top = drawn({"577999", "555555"});
    CHECK(enforced(top, 3, count) == digits({"000111", "000000"}));
    CHECK(count == 2);
    // The first piece is kept even when small; the big piece after it is kept too, until it is small.
    const grid_t first = drawn({"466", "666"});
    CHECK(enforced(first, 5, count) == digits({"011", "111"}));
    CHECK(count == 2);
    CHECK(enforced(first, 6, count) == digits({"000", "000"}));
    CHECK(count == 1);
    // Chains: a small piece joins the segment its neighbour was merged into.
    const grid_t chain = drawn({"0123"});
    CHECK(enforced(chain, 2, count) == digits({"0000"}));
    CHECK(count == 1);
    const grid_t column = drawn({"a", "b", "a", "b"});
    CHECK(enforced(column, 2, count) == digits({"0", "0", "0", "0"}));
    CHECK(count == 1);
}

TEST_CASE("connectivity: random grids give the labels of a plain flood fill, on every instruction set") {
    isa_reset restore;
    std::mt19937 gen(20240523);
    int cases = 0;
    for (const d::isa limit : {d::isa::portable, d::isa::avx512}) {
        d::isa_limit = limit;
        for (int w : {1, 2, 3, 5, 15, 16, 17, 31, 33, 64, 100}) {
            for (int h : {1, 2, 3, 7, 20}) {
                for (int kinds : {2, 3, 6}) {
                    // Fine noise (many 1-pixel pieces) and blocky noise (long runs, large pieces).
                    for (int block : {1, 2, 7, 40}) {
                        grid_t g;
                        g.w = w;
                        g.h = h;
                        const int bx = 1 + int(gen() % unsigned(block)), by = 1 + int(gen() % unsigned(block));
                        std::vector<std::int32_t> coarse(std::size_t((w / bx + 1) * (h / by + 1)));
                        for (auto& v : coarse) v = std::int32_t(gen() % unsigned(kinds));
                        for (int y = 0; y < h; ++y)
                            for (int x = 0; x < w; ++x) {
                                std::int32_t v = coarse[std::size_t((y / by) * (w / bx + 1) + x / bx)];
                                if (gen() % 16 == 0) v = std::int32_t(gen() % unsigned(kinds));  // speckles
                                g.labels.push_back(v);
                            }
                        for (std::int64_t min_size : {0, 2, 5, 30}) {
                            CAPTURE(int(limit));
                            CAPTURE(w);
                            CAPTURE(h);
                            CAPTURE(kinds);
                            CAPTURE(block);
                            CAPTURE(min_size);
                            int count = 0, expected_count = 0;
                            const labels_t got = enforced(g, min_size, count);
                            const labels_t want = reference(g.labels, w, h, min_size, expected_count);
                            REQUIRE(got == want);
                            REQUIRE(count == expected_count);
                            ++cases;
                        }
                    }
                }
            }
        }
    }
    CHECK(cases == 2 * 11 * 5 * 3 * 4 * 4);
}

TEST_CASE("connectivity: run_starts finds the starts of the runs of equal labels, on every instruction set") {
    std::mt19937 gen(7);
    for (int w = 1; w <= 80; ++w) {
        for (int kinds : {1, 2, 5}) {
            for (int rep = 0; rep < 4; ++rep) {
                labels_t row(static_cast<std::size_t>(w));
                for (auto& v : row) v = std::int32_t(gen() % unsigned(kinds)) - 1;
                if (rep == 3)  // long runs
                    for (int x = 1; x < w; ++x)
                        if (gen() % 8 != 0) row[std::size_t(x)] = row[std::size_t(x) - 1];
                std::vector<std::int32_t> want{0};
                for (int x = 1; x < w; ++x)
                    if (row[std::size_t(x)] != row[std::size_t(x) - 1]) want.push_back(x);
                const std::size_t n = want.size();
                want.push_back(w);
                CAPTURE(w);
                CAPTURE(kinds);
                CAPTURE(rep);
                std::vector<std::int32_t> starts(std::size_t(w) + 17, -1);
                REQUIRE(d::run_starts(row.data(), w, starts.data()) == n);
                CHECK(std::vector<std::int32_t>(starts.begin(), starts.begin() + std::ptrdiff_t(n) + 1) == want);
#if PIXLIME_DETAIL_X86
                if (d::cpu_isa() == d::isa::avx512) {
                    std::vector<std::int32_t> starts512(std::size_t(w) + 17, -1);
                    REQUIRE(d::run_starts_avx512(row.data(), w, starts512.data()) == n);
                    CHECK(std::vector<std::int32_t>(starts512.begin(), starts512.begin() + std::ptrdiff_t(n) + 1) == want);
                }
#endif
            }
        }
    }
}

}  // namespace pixlime_detail_connectivity_test
