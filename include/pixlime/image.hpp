#pragma once
/// \file pixlime/image.hpp
/// Images: pixlime::image<T> (owning) and pixlime::image_view<T> (non-owning, also over
/// user memory with a row stride), and pixlime::batch_view<T>, the batch of perturbed
/// images a classifier receives. Layout is interleaved HWC: pixel (x, y) channel c of a
/// packed image is data()[(y * width + x) * channels + c]. T is std::uint8_t or float
/// (float images are taken to hold values in [0, 1] where a scale matters, e.g. rendering).

#include <pixlime/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace pixlime {

/// Largest number of pixels (width * height) any pixlime image may have: 2^28
/// (e.g. 16384 x 16384). Checked before anything is allocated.
constexpr std::int64_t max_image_pixels = std::int64_t{1} << 28;
/// Largest channel count accepted (gray = 1, gray+alpha = 2, RGB = 3, RGBA = 4, and
/// multi-spectral images up to this).
constexpr int max_channels = 64;

namespace detail {
template <class T>
constexpr bool is_pixel_type_v =
    std::is_same_v<std::remove_const_t<T>, std::uint8_t> || std::is_same_v<std::remove_const_t<T>, float>;

/// Throws unless 1 <= width, height; width * height <= max_image_pixels; 1 <= channels <= max_channels.
inline void check_dimensions(const char* what, std::int64_t width, std::int64_t height,
                             std::int64_t channels) {
    const std::string w(what);
    if (width < 1) throw invalid_argument::make(w + " width", width, "at least 1 (an empty image cannot be explained)");
    if (height < 1) throw invalid_argument::make(w + " height", height, "at least 1 (an empty image cannot be explained)");
    if (channels < 1 || channels > max_channels)
        throw invalid_argument::make(w + " channels", channels, "1 to " + std::to_string(max_channels));
    if (width > max_image_pixels / height)
        throw size_limit_error(w + " size = " + std::to_string(width) + "x" + std::to_string(height) +
                               ": expected at most " + std::to_string(max_image_pixels) +
                               " pixels (pixlime::max_image_pixels)");
}
}  // namespace detail

/// A non-owning view of an image: `height` rows of `width * channels` values of T, row y
/// starting at data() + y * row_stride(). T may be const. Copying a view is cheap.
template <class T>
class image_view {
    static_assert(detail::is_pixel_type_v<T>, "pixlime::image_view<T>: T must be std::uint8_t or float (optionally const)");

public:
    using value_type = std::remove_const_t<T>;

    image_view() = default;
    /// View `width` x `height` pixels of `channels` interleaved values at `data`.
    /// `row_stride` is the distance between rows in elements of T; 0 means packed
    /// (width * channels). Throws pixlime::invalid_argument on bad dimensions or a null
    /// pointer, and when row_stride is smaller than width * channels.
    image_view(T* data, int width, int height, int channels, std::ptrdiff_t row_stride = 0)
        : data_(data), width_(width), height_(height), channels_(channels),
          stride_(row_stride == 0 ? std::ptrdiff_t(width) * channels : row_stride) {
        detail::check_dimensions("image_view", width, height, channels);
        if (data == nullptr) throw invalid_argument("image_view data = null: expected a pointer to pixels");
        if (stride_ < std::ptrdiff_t(width) * channels)
            throw invalid_argument::make("image_view row_stride", row_stride,
                                         "0 (packed) or at least width * channels = " +
                                             std::to_string(std::ptrdiff_t(width) * channels));
    }
    /// A view of mutable pixels converts to a view of const pixels.
    template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
    image_view(const image_view<U>& other)  // NOLINT(google-explicit-constructor)
        : data_(other.data()), width_(other.width()), height_(other.height()),
          channels_(other.channels()), stride_(other.row_stride()) {}

    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    std::ptrdiff_t row_stride() const { return stride_; }
    /// True when rows follow each other with no gap (row_stride == width * channels).
    bool is_packed() const { return stride_ == std::ptrdiff_t(width_) * channels_; }
    bool empty() const { return data_ == nullptr; }
    std::int64_t pixel_count() const { return std::int64_t(width_) * height_; }
    T* data() const { return data_; }
    T* row(int y) const { return data_ + std::ptrdiff_t(y) * stride_; }
    /// Value of channel c of pixel (x, y); no bounds check.
    T& at(int x, int y, int c = 0) const { return row(y)[std::ptrdiff_t(x) * channels_ + c]; }

private:
    T* data_ = nullptr;
    int width_ = 0, height_ = 0, channels_ = 0;
    std::ptrdiff_t stride_ = 0;
};

/// An owning, packed, interleaved HWC image of T (std::uint8_t or float).
template <class T>
class image {
    static_assert(detail::is_pixel_type_v<T> && !std::is_const_v<T>,
                  "pixlime::image<T>: T must be std::uint8_t or float");

public:
    using value_type = T;

    image() = default;
    /// A width x height image of `channels` channels, every value `fill`. Throws
    /// pixlime::invalid_argument / size_limit_error before allocating on bad dimensions.
    image(int width, int height, int channels, T fill = T{})
        : width_(width), height_(height), channels_(channels) {
        detail::check_dimensions("image", width, height, channels);
        pixels_.assign(std::size_t(width) * std::size_t(height) * std::size_t(channels), fill);
    }
    /// A packed copy of any view.
    template <class U, class = std::enable_if_t<std::is_same_v<std::remove_const_t<U>, T>>>
    explicit image(const image_view<U>& v) : image(v.width(), v.height(), v.channels()) {
        const std::size_t row_len = std::size_t(width_) * std::size_t(channels_);
        for (int y = 0; y < height_; ++y) {
            const U* src = v.row(y);
            std::copy(src, src + row_len, pixels_.begin() + std::ptrdiff_t(y) * std::ptrdiff_t(row_len));
        }
    }

    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    bool empty() const { return pixels_.empty(); }
    std::int64_t pixel_count() const { return std::int64_t(width_) * height_; }
    /// Number of values (width * height * channels).
    std::size_t size() const { return pixels_.size(); }
    T* data() { return pixels_.data(); }
    const T* data() const { return pixels_.data(); }
    T& at(int x, int y, int c = 0) { return pixels_[(std::size_t(y) * width_ + x) * channels_ + c]; }
    const T& at(int x, int y, int c = 0) const { return pixels_[(std::size_t(y) * width_ + x) * channels_ + c]; }

    image_view<T> view() { return empty() ? image_view<T>() : image_view<T>(data(), width_, height_, channels_); }
    image_view<const T> view() const {
        return empty() ? image_view<const T>() : image_view<const T>(data(), width_, height_, channels_);
    }
    operator image_view<const T>() const { return view(); }  // NOLINT(google-explicit-constructor)

    friend bool operator==(const image& a, const image& b) {
        return a.width_ == b.width_ && a.height_ == b.height_ && a.channels_ == b.channels_ && a.pixels_ == b.pixels_;
    }
    friend bool operator!=(const image& a, const image& b) { return !(a == b); }

private:
    int width_ = 0, height_ = 0, channels_ = 0;
    std::vector<T> pixels_;
};

/// A batch of same-sized packed images stored contiguously (NHWC): image i starts at
/// data() + i * width * height * channels. This is what a classifier receives.
template <class T>
class batch_view {
    static_assert(detail::is_pixel_type_v<T>, "pixlime::batch_view<T>: T must be std::uint8_t or float (optionally const)");

public:
    using value_type = std::remove_const_t<T>;

    batch_view() = default;
    batch_view(T* data, int size, int width, int height, int channels)
        : data_(data), size_(size), width_(width), height_(height), channels_(channels) {}

    /// Number of images in the batch.
    int size() const { return size_; }
    int width() const { return width_; }
    int height() const { return height_; }
    int channels() const { return channels_; }
    /// Values in one image (width * height * channels).
    std::size_t image_size() const { return std::size_t(width_) * std::size_t(height_) * std::size_t(channels_); }
    /// The first value of image 0; all images follow contiguously (NHWC).
    T* data() const { return data_; }
    /// Image i as a packed view.
    image_view<T> operator[](int i) const {
        return image_view<T>(data_ + std::size_t(i) * image_size(), width_, height_, channels_);
    }

private:
    T* data_ = nullptr;
    int size_ = 0, width_ = 0, height_ = 0, channels_ = 0;
};

}  // namespace pixlime
