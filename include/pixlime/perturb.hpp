#pragma once
/// \file pixlime/perturb.hpp
/// Building perturbed images: a segment that a mask hides takes its pixels from a *fill*
/// image (lime_image's "fudged image"), a kept segment keeps the original pixels.
///
/// The perturber precomputes the segmentation's runs (maximal stretches of one label in
/// raster order) once; each perturbed image is then a sequence of memcpy calls from either
/// the image or the fill, merging neighbouring runs that come from the same source. lime_image
/// instead scans the whole label map once per hidden segment.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/sampler.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace pixlime {

/// What a hidden segment is replaced with.
enum class hide_mode {
    /// Each segment's own per-channel mean colour (lime_image's default, hide_color=None). For
    /// uint8 images the mean is truncated toward zero, as numpy does when lime writes it back.
    segment_mean,
    /// One colour for every hidden pixel (lime_image's hide_color=value): explain_options::hide_color.
    constant,
    /// A Gaussian-blurred copy of the image (explain_options::blur_sigma), as in many LIME ports.
    blur,
    /// A user-supplied image of the same size and channels (explain_options::hide_image).
    image,
};

namespace detail {

template <class T>
T to_pixel(double v) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
    } else {
        return static_cast<T>(v);
    }
}

/// Per-segment per-channel mean colour image; uint8 means truncated toward zero (numpy).
template <class T>
image<T> segment_mean_fill(image_view<const T> img, const segmentation& seg) {
    const int c = img.channels();
    std::vector<double> sum(std::size_t(seg.count()) * std::size_t(c), 0.0);
    std::vector<std::int64_t> n(std::size_t(seg.count()), 0);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const auto l = std::size_t(seg.label(x, y));
            ++n[l];
            for (int ch = 0; ch < c; ++ch) sum[l * std::size_t(c) + std::size_t(ch)] += double(img.at(x, y, ch));
        }
    std::vector<T> mean(sum.size());
    for (std::size_t l = 0; l < n.size(); ++l)
        for (int ch = 0; ch < c; ++ch) {
            const double m = sum[l * std::size_t(c) + std::size_t(ch)] / double(n[l]);
            mean[l * std::size_t(c) + std::size_t(ch)] = static_cast<T>(m);  // uint8: truncation, like numpy
        }
    image<T> fill(img.width(), img.height(), c);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const auto l = std::size_t(seg.label(x, y));
            for (int ch = 0; ch < c; ++ch) fill.at(x, y, ch) = mean[l * std::size_t(c) + std::size_t(ch)];
        }
    return fill;
}

/// Separable Gaussian blur, kernel truncated at 4 sigma (scipy.ndimage's default), edges
/// mirrored (scipy's 'reflect'). sigma = 0 returns a copy.
template <class T>
image<T> gaussian_blur(image_view<const T> img, double sigma) {
    const int w = img.width(), h = img.height(), c = img.channels();
    image<T> out(img);
    if (sigma <= 0) return out;
    const int radius = std::max(1, int(4.0 * sigma + 0.5));
    std::vector<double> k(std::size_t(2 * radius + 1));
    double ksum = 0;
    for (int i = -radius; i <= radius; ++i) ksum += k[std::size_t(i + radius)] = std::exp(-0.5 * i * i / (sigma * sigma));
    for (double& v : k) v /= ksum;
    auto reflect = [](int i, int n) {
        if (n == 1) return 0;
        const int period = 2 * n;
        i %= period;
        if (i < 0) i += period;
        return i < n ? i : period - 1 - i;
    };
    std::vector<double> tmp(std::size_t(w) * std::size_t(h) * std::size_t(c));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int ch = 0; ch < c; ++ch) {
                double s = 0;
                for (int i = -radius; i <= radius; ++i) s += k[std::size_t(i + radius)] * double(img.at(reflect(x + i, w), y, ch));
                tmp[(std::size_t(y) * w + x) * c + ch] = s;
            }
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int ch = 0; ch < c; ++ch) {
                double s = 0;
                for (int i = -radius; i <= radius; ++i) s += k[std::size_t(i + radius)] * tmp[(std::size_t(reflect(y + i, h)) * w + x) * c + ch];
                out.at(x, y, ch) = to_pixel<T>(s);
            }
    return out;
}

}  // namespace detail

/// Builds perturbed images of one image and segmentation from 0/1 masks, by copying runs.
/// Memory: one packed copy of the image only when the view is not packed, plus the fill image.
template <class T>
class perturber {
public:
    /// `img` and `fill` must have the same size and channels, `seg` the same size.
    /// The perturber keeps a view of `img` when it is packed: keep it alive.
    perturber(image_view<const T> img, const segmentation& seg, image<T> fill)
        : fill_(std::move(fill)), segments_(seg.count()) {
        if (!img.is_packed()) {
            packed_ = image<T>(img);
            img = packed_.view();
        }
        image_ = img;
        if (fill_.width() != img.width() || fill_.height() != img.height() || fill_.channels() != img.channels())
            throw invalid_argument("perturber: the fill image must have the image's size and channels");
        if (seg.width() != img.width() || seg.height() != img.height())
            throw invalid_argument("perturber: the segmentation must have the image's size");
        const auto& labels = seg.labels();
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (i == 0 || labels[i] != labels[i - 1]) runs_.push_back({std::int64_t(i), labels[i]});
        runs_.push_back({std::int64_t(labels.size()), -1});  // sentinel: end of image
    }

    int width() const { return image_.width(); }
    int height() const { return image_.height(); }
    int channels() const { return image_.channels(); }
    /// Values in one image.
    std::size_t image_size() const { return std::size_t(image_.pixel_count()) * std::size_t(image_.channels()); }
    const image<T>& fill() const { return fill_; }

    /// Writes into `out` (image_size() values, packed HWC) the image with the segments whose
    /// `mask` entry (#segments values) is 0 replaced by the fill.
    void render(const std::uint8_t* mask, T* out) const {
        const T* source[2] = {fill_.data(), image_.data()};
        const std::size_t c = std::size_t(image_.channels());
        std::int64_t start = 0;
        int current = mask[runs_[0].segment] ? 1 : 0;
        for (std::size_t r = 1; r < runs_.size(); ++r) {
            const int s = runs_[r].segment < 0 ? -1 : (mask[runs_[r].segment] ? 1 : 0);
            if (s == current) continue;
            const std::size_t offset = std::size_t(start) * c;
            std::memcpy(out + offset, source[current] + offset, std::size_t(runs_[r].begin - start) * c * sizeof(T));
            start = runs_[r].begin;
            current = s;
        }
    }
    int segment_count() const { return segments_; }

private:
    struct run {
        std::int64_t begin;    // first pixel, raster order
        std::int32_t segment;  // -1 for the end sentinel
    };
    image<T> packed_;
    image_view<const T> image_;
    image<T> fill_;
    int segments_;
    std::vector<run> runs_;
};

}  // namespace pixlime
