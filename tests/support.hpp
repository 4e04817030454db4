#pragma once
// Helpers shared by pixlime's tests: synthetic images and segmentations with known ground
// truth, error checks, the bundled sample images, and the checks every segmenter's test uses
// (validity, connectivity, flat quadrants, scikit-image's label maps).
#include <pixlime/pixlime.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace test {

inline const std::string data_dir = PIXLIME_TEST_DATA;

// ---------------------------------------------------------------------------------------------
// Images and segmentations

/// A gx by gy grid of equal cells over a w x h image: label = (y * gy / h) * gx + x * gx / w.
inline pixlime::segmentation grid(int w, int h, int gx, int gy) {
    std::vector<std::int32_t> labels(std::size_t(w) * std::size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) labels[std::size_t(y) * std::size_t(w) + std::size_t(x)] = (y * gy / h) * gx + x * gx / w;
    return pixlime::segmentation(w, h, std::move(labels));
}

/// Random pixels in [lo, hi] (uint8) from a fixed seed.
inline pixlime::image<std::uint8_t> noise(int w, int h, int c, unsigned seed, int lo = 1, int hi = 255) {
    pixlime::image<std::uint8_t> img(w, h, c);
    std::mt19937 gen(seed);
    for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = std::uint8_t(lo + int(gen() % unsigned(hi - lo + 1)));
    return img;
}

/// For each segment, whether it is kept in image `v`: with a black fill and an image whose
/// pixels are all >= 1, a segment is kept iff its first pixel is non-zero.
template <class T>
std::vector<int> kept_segments(const pixlime::image_view<const T>& v, const pixlime::segmentation& seg) {
    std::vector<int> kept(std::size_t(seg.count()), -1);
    for (int y = 0; y < seg.height(); ++y)
        for (int x = 0; x < seg.width(); ++x) {
            auto& k = kept[std::size_t(seg.label(x, y))];
            if (k < 0) k = v.at(x, y, 0) != 0 ? 1 : 0;
        }
    return kept;
}

/// Options with a black fill (lime's hide_color=0): with every image pixel >= 1 a classifier
/// can read which segments are kept (kept_segments).
inline pixlime::explain_options black_fill() {
    pixlime::explain_options opt;
    opt.fill = pixlime::constant_fill{{0}};
    return opt;
}

/// A bundled sample image (tests/data/images) as RGB.
inline pixlime::image<std::uint8_t> sample(const std::string& name) {
    return pixlime::load_image(data_dir + "/images/" + name, 3);
}

/// A deterministic textured image (smooth colour waves plus a hash pattern).
inline pixlime::image<std::uint8_t> texture(int w, int h, int channels) {
    pixlime::image<std::uint8_t> img(w, h, channels);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c)
                img.at(x, y, c) = std::uint8_t((x * (3 + c) + y * (5 + 2 * c) + ((x * 7919 + y * 104729 + c * 31) % 23)) % 256);
    return img;
}

/// An RGB image's RGBA copy (alpha varying along x), its gray version (the green channel) and
/// gray + alpha (alpha varying along y): segmenters must ignore alpha and treat gray as L.
struct channel_variants {
    pixlime::image<std::uint8_t> rgba, gray, gray_alpha;
    explicit channel_variants(const pixlime::image<std::uint8_t>& rgb)
        : rgba(rgb.width(), rgb.height(), 4), gray(rgb.width(), rgb.height(), 1), gray_alpha(rgb.width(), rgb.height(), 2) {
        for (int y = 0; y < rgb.height(); ++y)
            for (int x = 0; x < rgb.width(); ++x) {
                for (int c = 0; c < 3; ++c) rgba.at(x, y, c) = rgb.at(x, y, c);
                rgba.at(x, y, 3) = std::uint8_t(x * 6);
                gray.at(x, y) = rgb.at(x, y, 1);
                gray_alpha.at(x, y, 0) = gray.at(x, y);
                gray_alpha.at(x, y, 1) = std::uint8_t(y * 8);
            }
    }
};

/// The image's values / 255 as floats.
inline pixlime::image<float> to_float(const pixlime::image<std::uint8_t>& img) {
    pixlime::image<float> f(img.width(), img.height(), img.channels());
    for (std::size_t i = 0; i < img.size(); ++i) f.data()[i] = float(img.data()[i]) / 255.0f;
    return f;
}

// ---------------------------------------------------------------------------------------------
// Errors

inline bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

/// Runs f, requires it to throw E (a pixlime::error) in pixlime's message format, and returns it.
template <class E, class F>
E error_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        const std::string m = e.what();
        CHECK_MESSAGE(m.rfind("pixlime: ", 0) == 0, m);
        CHECK_MESSAGE(m == "pixlime: " + e.parameter() + " = " + e.value() + ": expected " + e.expected(), m);
        return e;
    } catch (const std::exception& e) {
        FAIL("wrong exception type: " << e.what());
    }
    FAIL("no exception");
    throw std::logic_error("unreachable");
}

/// error_of(f).what().
template <class E, class F>
std::string message_of(F&& f) {
    return error_of<E>(std::forward<F>(f)).what();
}

// ---------------------------------------------------------------------------------------------
// Segmentation checks

/// The segmentation's size, every label 0..count-1 used, and the sizes add up.
inline void check_valid(const pixlime::segmentation& s, int w, int h) {
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
    const bool in_range =
        std::all_of(s.labels().begin(), s.labels().end(), [&](std::int32_t l) { return l >= 0 && l < s.count(); });
    CHECK(in_range);
}

/// Number of connected pieces of all segments together (== count() when each segment is
/// connected), with 4- or 8-neighbours.
inline int count_pieces(const pixlime::segmentation& s, int connectivity = 4) {
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
inline pixlime::image<std::uint8_t> quadrants(int w, int h, int qx, int qy) {
    const std::uint8_t colours[4][3] = {{200, 30, 30}, {30, 160, 40}, {40, 60, 210}, {230, 220, 60}};
    pixlime::image<std::uint8_t> img(w, h, 3);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < 3; ++c) img.at(x, y, c) = colours[quadrant_of(x, y, qx, qy)][c];
    return img;
}

/// True when no segment has pixels in two quadrants.
inline bool respects_quadrants(const pixlime::segmentation& s, int qx, int qy) {
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

/// A 16-bit gray PNG of labels (scikit-image's), as a segmentation (read with stb directly:
/// pixlime's loader returns 8 bits).
pixlime::segmentation load_label_png(const std::string& path);

/// Pixels with a differently labelled right or bottom neighbour.
inline std::vector<char> boundaries(const pixlime::segmentation& s) {
    const int w = s.width(), h = s.height();
    std::vector<char> b(std::size_t(w) * std::size_t(h), 0);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const auto l = s.label(x, y);
            if ((x + 1 < w && s.label(x + 1, y) != l) || (y + 1 < h && s.label(x, y + 1) != l))
                b[std::size_t(y) * std::size_t(w) + std::size_t(x)] = 1;
        }
    return b;
}

/// Fraction of `truth`'s boundary pixels that have a boundary pixel of `found` within `tol`
/// pixels (Chebyshev distance).
inline double boundary_recall(const pixlime::segmentation& truth, const pixlime::segmentation& found, int tol) {
    const int w = truth.width(), h = truth.height();
    const auto bt = boundaries(truth), bf = boundaries(found);
    auto at = [w](int x, int y) { return std::size_t(y) * std::size_t(w) + std::size_t(x); };
    std::vector<char> rows(bf.size(), 0), near(bf.size(), 0);  // bf dilated by a (2 tol + 1) square
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int d = -tol; d <= tol && !rows[at(x, y)]; ++d)
                if (x + d >= 0 && x + d < w && bf[at(x + d, y)]) rows[at(x, y)] = 1;
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int d = -tol; d <= tol && !near[at(x, y)]; ++d)
                if (y + d >= 0 && y + d < h && rows[at(x, y + d)]) near[at(x, y)] = 1;
    std::int64_t total = 0, hit = 0;
    for (std::size_t i = 0; i < bt.size(); ++i)
        if (bt[i]) {
            ++total;
            hit += near[i];
        }
    return total == 0 ? 1.0 : double(hit) / double(total);
}

/// Runs `segment(image, params)` on every fixture of tests/data/skimage/fixtures.txt made with
/// `segmenter` ("slic", "quickshift", "felzenszwalb") and checks it against scikit-image's
/// label map: segment count within 15%, boundary recall >= 0.8 at 2 px. Returns the number of
/// fixtures checked (unoptimised builds check two images only).
int check_against_skimage(const std::string& segmenter,
                          const std::function<pixlime::segmentation(const pixlime::image<std::uint8_t>&,
                                                                    const std::map<std::string, double>&)>& segment);

}  // namespace test
