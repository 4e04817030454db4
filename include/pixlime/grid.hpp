#pragma once
/// \file pixlime/grid.hpp
/// A regular grid of rectangular segments: the simplest segmenter, independent of the
/// image's content (useful as a baseline, for tests, and for images without meaningful
/// colour regions).

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace pixlime {

/// Options of pixlime::grid: the number of cells across and down (default 8 x 8).
struct grid_options {
    /// Cells across (columns). Must be >= 1; more than the width is clipped to the width.
    int cells_x = 8;
    /// Cells down (rows). Must be >= 1; more than the height is clipped to the height.
    int cells_y = 8;

    /// Throws pixlime::invalid_argument naming the first field out of range.
    void validate() const {
        if (cells_x < 1) throw invalid_argument("grid_options.cells_x", cells_x, "at least 1");
        if (cells_y < 1) throw invalid_argument("grid_options.cells_y", cells_y, "at least 1");
    }
};

/// A width x height segmentation into cells_x x cells_y rectangles, labels row-major
/// (label = row * cells_x + column). Column of pixel x: floor(x * cells_x / width), so cell
/// widths differ by at most one pixel; likewise for rows. cells_x > width (cells_y >
/// height) is clipped to width (height), so every label is used.
/// Throws pixlime::invalid_argument for width, height, cells_x or cells_y < 1 (naming
/// "grid_options.cells_x" / "grid_options.cells_y" for the cells) and
/// pixlime::size_limit_error for more than pixlime::max_image_pixels pixels.
inline segmentation grid(int width, int height, int cells_x, int cells_y) {
    grid_options{cells_x, cells_y}.validate();
    detail::check_dimensions("grid", width, height, 1, sizeof(std::int32_t), limits{});
    const int cx = std::min(cells_x, width), cy = std::min(cells_y, height);
    std::vector<std::int32_t> column(static_cast<std::size_t>(width));
    for (int x = 0; x < width; ++x) column[std::size_t(x)] = std::int32_t(std::int64_t(x) * cx / width);
    std::vector<std::int32_t> labels(std::size_t(width) * std::size_t(height));
    for (int y = 0; y < height; ++y) {
        const auto r = std::int32_t(std::int64_t(y) * cy / height);
        std::int32_t* row = labels.data() + std::size_t(y) * std::size_t(width);
        for (int x = 0; x < width; ++x) row[x] = r * cx + column[std::size_t(x)];
    }
    return detail::trusted_segmentation(width, height, std::move(labels), cx * cy);
}

/// grid(width, height, options.cells_x, options.cells_y).
inline segmentation grid(int width, int height, const grid_options& options = {}) {
    return grid(width, height, options.cells_x, options.cells_y);
}

/// A grid the size of an image (its pixels are not read).
template <class T>
segmentation grid(image_view<T> img, const grid_options& options = {}) {
    if (img.empty()) throw invalid_argument("grid image", "empty", "a non-empty image");
    return grid(img.width(), img.height(), options.cells_x, options.cells_y);
}
/// A grid the size of an owning image (its pixels are not read). Throws
/// pixlime::invalid_argument when `img` is empty or `options` are out of range.
template <class T>
segmentation grid(const image<T>& img, const grid_options& options = {}) {
    return grid(img.view(), options);
}

}  // namespace pixlime
