#pragma once
// Checks shared by the segmenter tests: validity, connectivity, and a four-quadrant picture
// whose true segmentation is known.
#include <pixlime/image.hpp>
#include <pixlime/io.hpp>
#include <pixlime/segmentation.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace seg_checks {

using pixlime::image;
using pixlime::segmentation;

inline const std::string data_dir = PIXLIME_TEST_DATA;

/// A bundled sample image as RGB.
inline image<std::uint8_t> sample(const std::string& name) { return pixlime::load_image(data_dir + "/images/" + name, 3); }

/// The segmentation's size, every label 0..count-1 used, and the sizes add up.
inline void check_valid(const segmentation& s, int w, int h) {
    REQUIRE(s.width() == w);
    REQUIRE(s.height() == h);
    REQUIRE(s.count() >= 1);
    const auto sizes = s.sizes();
    std::int64_t total = 0;
    for (auto n : sizes) {
        CHECK(n > 0);
        total += n;
    }
    CHECK(total == std::int64_t(w) * h);
    const bool in_range = std::all_of(s.labels().begin(), s.labels().end(),
                                      [&](std::int32_t l) { return l >= 0 && l < s.count(); });
    CHECK(in_range);
}

/// Number of connected pieces of all segments together (== count() when each segment is
/// connected), with 4- or 8-neighbours.
inline int count_pieces(const segmentation& s, int connectivity = 4) {
    const int w = s.width(), h = s.height();
    std::vector<char> seen(std::size_t(w) * std::size_t(h), 0);
    std::vector<int> stack;
    int pieces = 0;
    for (int p = 0; p < w * h; ++p) {
        if (seen[std::size_t(p)]) continue;
        ++pieces;
        const int lab = s.labels()[std::size_t(p)];
        seen[std::size_t(p)] = 1;
        stack.assign(1, p);
        while (!stack.empty()) {
            const int q = stack.back();
            stack.pop_back();
            const int x = q % w, y = q / w;
            for (int dy = -1; dy <= 1; ++dy)
                for (int dx = -1; dx <= 1; ++dx) {
                    if ((dx == 0 && dy == 0) || (connectivity == 4 && dx != 0 && dy != 0)) continue;
                    const int nx = x + dx, ny = y + dy;
                    if (nx < 0 || nx >= w || ny < 0 || ny >= h) continue;
                    const int r = ny * w + nx;
                    if (!seen[std::size_t(r)] && s.labels()[std::size_t(r)] == lab) {
                        seen[std::size_t(r)] = 1;
                        stack.push_back(r);
                    }
                }
        }
    }
    return pieces;
}

/// Quadrant 0..3 of pixel (x, y) when the picture is split at (qx, qy).
inline int quadrant_of(int x, int y, int qx, int qy) { return (y >= qy ? 2 : 0) + (x >= qx ? 1 : 0); }

/// A w x h RGB image of four flat, differently coloured quadrants split at (qx, qy).
inline image<std::uint8_t> quadrants(int w, int h, int qx, int qy) {
    const std::uint8_t colours[4][3] = {{200, 30, 30}, {30, 160, 40}, {40, 60, 210}, {230, 220, 60}};
    image<std::uint8_t> img(w, h, 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) img.at(x, y, c) = colours[quadrant_of(x, y, qx, qy)][c];
    return img;
}

/// True when no segment has pixels in two quadrants.
inline bool respects_quadrants(const segmentation& s, int qx, int qy) {
    std::vector<int> quad(std::size_t(s.count()), -1);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < s.width(); ++x) {
            int& q = quad[std::size_t(s.label(x, y))];
            const int here = quadrant_of(x, y, qx, qy);
            if (q == -1) q = here;
            if (q != here) return false;
        }
    return true;
}

}  // namespace seg_checks
