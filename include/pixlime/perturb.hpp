#pragma once
/// \file pixlime/perturb.hpp
/// Perturbed images: a segment that a mask hides takes its pixels from a *fill* image
/// (lime_image's "fudged image"), a kept segment keeps the original pixels. The fill stage
/// (explain_options::fill: segment_mean_fill, constant_fill, blur_fill, image_fill or any
/// callable) is in fill.hpp, which this header includes.
///
/// The perturber precomputes the segmentation's runs (maximal stretches of one label in
/// raster order) once; each perturbed image is then one copy per run, from the image or the
/// fill as the mask says (picked without a branch; short runs in 16-byte blocks). lime_image
/// instead scans the whole label map once per hidden segment.

#include <pixlime/error.hpp>
#include <pixlime/fill.hpp>
#include <pixlime/image.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/segmentation.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

namespace pixlime {

namespace detail {

inline const unsigned char* as_bytes(const void* p) { return static_cast<const unsigned char*>(p); }
inline unsigned char* as_bytes(void* p) { return static_cast<unsigned char*>(p); }

/// Bytes a short run copy may write (and read) past its end: see copy_run.
constexpr std::size_t run_slack = 16;

/// Copies `bytes` from `src` to `dst`. A short run (most runs of a superpixel segmentation are
/// a few dozen bytes) goes in whole 16-byte blocks when `slack` says the run_slack bytes after
/// the end may be written (the next run rewrites them) and read: fixed-size copies cost less
/// than memcpy's dispatch on the length.
inline void copy_run(unsigned char* dst, const unsigned char* src, std::size_t bytes, bool slack) {
    if (slack && bytes <= 4 * run_slack) {
        for (std::size_t x = 0; x < bytes; x += run_slack) std::memcpy(dst + x, src + x, run_slack);
    } else {
        std::memcpy(dst, src, bytes);
    }
}

}  // namespace detail

/// Builds perturbed images of one image and segmentation from 0/1 masks by copying runs, in
/// the classifier's form (see model_input): U is the image's pixel type, or float when
/// model_input::to_float.
template <class U>
class perturber {
    static_assert(detail::is_pixel_type_v<U> && !std::is_const_v<U>, "pixlime::perturber<U>: U must be std::uint8_t or float");

public:
    /// `img` and `fill` of the same size and channels, `seg` of their size; `input`
    /// validated for img's channels, with U = float when input.to_float, else U = T. When
    /// nothing is converted and img is packed, the perturber keeps a view of img: keep it alive.
    template <class T>
    perturber(image_view<const T> img, image_view<const T> fill, const segmentation& seg, const model_input& input = {})
        : perturber(detail::trusted_t{}, img, fill, seg, (input.validate(img.channels()), input)) {}

    /// The constructor above without validating `input` (explain has done it).
    template <class T>
    perturber(detail::trusted_t, image_view<const T> img, image_view<const T> fill, const segmentation& seg,
              const model_input& input)
        : width_(img.width()), height_(img.height()), channels_(input.output_channels(img.channels())), layout_(input.layout) {
        static_assert(std::is_same_v<std::remove_const_t<T>, U> || std::is_same_v<U, float>,
                      "pixlime::perturber<U>: U must be the image's pixel type, or float (model_input::to_float)");
        if (fill.width() != img.width() || fill.height() != img.height() || fill.channels() != img.channels())
            throw invalid_argument("perturber fill size",
                                   std::to_string(fill.width()) + "x" + std::to_string(fill.height()) + "x" + std::to_string(fill.channels()),
                                   "the image's size and channels");
        if (seg.width() != img.width() || seg.height() != img.height())
            throw invalid_argument("perturber segmentation size", std::to_string(seg.width()) + "x" + std::to_string(seg.height()),
                                   "the image's " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
        if (input.to_float != std::is_same_v<U, float> && !std::is_same_v<T, float>)
            throw invalid_argument("model_input.to_float", input.to_float ? "true" : "false",
                                   std::string("a perturber of ") + (std::is_same_v<U, float> ? "float" : "the image's pixel type"));
        if constexpr (std::is_same_v<std::remove_const_t<T>, U>) {
            if (input.is_identity() && img.is_packed()) {
                image_ = img.data();
            } else {
                image_copy_ = detail::to_model_input<U>(img, input);
                image_ = image_copy_.data();
            }
        } else {
            image_copy_ = detail::to_model_input<U>(img, input);
            image_ = image_copy_.data();
        }
        fill_ = detail::to_model_input<U>(fill, input);
        const auto& labels = seg.labels();
        for (std::size_t i = 0; i < labels.size(); ++i)
            if (i == 0 || labels[i] != labels[i - 1]) runs_.push_back({std::int64_t(i), labels[i]});
        runs_.push_back({std::int64_t(labels.size()), -1});  // sentinel: end of image
        segments_ = seg.count();
    }

    /// Not copyable (it may point into its own copy of the image); movable.
    perturber(const perturber&) = delete;
    perturber& operator=(const perturber&) = delete;
    perturber(perturber&&) noexcept = default;             ///< Moves.
    perturber& operator=(perturber&&) noexcept = default;  ///< Moves.

    /// Width of the images rendered (model_input's size, or the image's).
    int width() const { return width_; }
    /// Height of the images rendered (model_input's size, or the image's).
    int height() const { return height_; }
    /// Channels of the images rendered (model_input::channels, or the image's).
    int channels() const { return channels_; }
    /// Memory layout of the rendered batch (model_input::layout: nhwc or nchw).
    pixlime::layout layout() const { return layout_; }
    /// Number of segments (the mask rows' length).
    int segment_count() const { return segments_; }
    /// Values in one perturbed image.
    std::size_t image_size() const { return std::size_t(width_) * std::size_t(height_) * std::size_t(channels_); }

    /// Writes into `out` (image_size() values, in layout() order) the image with the segments
    /// whose `mask` entry (#segments values, 0 or 1) is 0 replaced by the fill.
    void render(const std::uint8_t* mask, U* out) const {
        // One copy per run, its source picked without a branch: random masks make "is this run
        // hidden?" unpredictable, and a mispredicted branch per run cost more than the copy.
        const unsigned char* source[2] = {detail::as_bytes(fill_.data()), detail::as_bytes(image_)};
        unsigned char* const dst = detail::as_bytes(out);
        const std::size_t runs = runs_.size() - 1;  // without the sentinel
        if (layout_ == pixlime::layout::nhwc) {
            const std::size_t pixel = std::size_t(channels_) * sizeof(U), total = image_size() * sizeof(U);
            for (std::size_t r = 0; r < runs; ++r) {
                const std::size_t b = std::size_t(runs_[r].begin) * pixel, e = std::size_t(runs_[r + 1].begin) * pixel;
                detail::copy_run(dst + b, source[mask[runs_[r].segment] != 0] + b, e - b, e + detail::run_slack <= total);
            }
        } else {
            const std::size_t plane = std::size_t(width_) * std::size_t(height_) * sizeof(U);
            for (std::size_t r = 0; r < runs; ++r) {
                const std::size_t b = std::size_t(runs_[r].begin) * sizeof(U), e = std::size_t(runs_[r + 1].begin) * sizeof(U);
                const unsigned char* from = source[mask[runs_[r].segment] != 0];
                const bool slack = e + detail::run_slack <= plane;  // the next run, in this plane, rewrites it
                for (std::size_t c = 0; c < std::size_t(channels_); ++c)
                    detail::copy_run(dst + c * plane + b, from + c * plane + b, e - b, slack);
            }
        }
    }

private:
    struct run {
        std::int64_t begin;    // first pixel, raster order
        std::int32_t segment;  // -1 for the end sentinel
    };

    int width_, height_, channels_, segments_ = 0;
    pixlime::layout layout_;
    const U* image_ = nullptr;
    std::vector<U> image_copy_, fill_;
    std::vector<run> runs_;
};

}  // namespace pixlime
