#pragma once
// Helpers shared by pixlime's tests: synthetic images, grid segmentations and classifiers
// with known ground truth.
#include <pixlime/pixlime.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace test {

inline const std::string data_dir = PIXLIME_TEST_DATA;

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

}  // namespace test
