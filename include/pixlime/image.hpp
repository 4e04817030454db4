#pragma once
/// \file pixlime/image.hpp
/// Images: pixlime::image<T> (owning) and pixlime::image_view<T> (non-owning, also over user
/// memory with a row stride); pixlime::batch_view<T>, the batch of perturbed images a classifier
/// receives; and pixlime::limits, the sizes every pixlime function checks before allocating.
///
/// Layout is interleaved HWC: pixel (x, y) channel c of a packed image is
/// data()[(y * width + x) * channels + c]. T is std::uint8_t or float (float images are taken
/// to hold values in [0, 1] where a scale matters, e.g. rendering).

#include <pixlime/error.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace pixlime {

/// Largest channel count accepted (gray = 1, gray+alpha = 2, RGB = 3, RGBA = 4, and
/// multi-spectral images up to this).
constexpr int max_channels = 64;

/// Sizes pixlime refuses before allocating anything, with a pixlime::size_limit_error that
/// names the limit. Every value can be raised (or lowered) where a function takes a limits
/// argument or option (image, load_image / decode_image, explain_options::limits).
struct limits {
    /// Pixels of one image, width x height: 2^28 (e.g. 16384 x 16384).
    std::int64_t max_pixels = std::int64_t{1} << 28;
    /// Bytes of one image's values, width x height x channels x sizeof(T): 2^32 (4 GiB, e.g.
    /// 16384 x 16384 RGBA float). 16384 x 16384 x 64 floats would be 64 GiB.
    std::int64_t max_image_bytes = std::int64_t{1} << 32;
    /// Perturbed samples of one explanation (explain_options::num_samples): 2^20.
    int max_samples = 1 << 20;
    /// Segments of one explanation (columns of the #samples by #segments masks): 2^16.
    int max_segments = 1 << 16;
    /// Output columns of the classifier: 2^16.
    int max_classes = 1 << 16;
    /// Size of the surrogate's linear system, min(#samples, #segments): 8192. Solving costs
    /// about size^3 / 3 operations (8192: ~30 s; lime's 1000 samples: ~0.1 s).
    int max_surrogate_size = 8192;
    /// Bytes of one explanation's arrays (masks, classifier outputs, batch buffer, surrogate
    /// system): 2^33 (8 GiB). num_samples = 2^31 - 1 would ask 32 GiB for 16 segments' masks.
    std::int64_t max_explanation_bytes = std::int64_t{1} << 33;
};

namespace detail {
/// Tag of the constructors that pixlime's own code calls with arguments it has already checked
/// (so that no check is done twice); not for user code.
struct trusted_t {};

template <class T>
constexpr bool is_pixel_type_v =
    std::is_same_v<std::remove_const_t<T>, std::uint8_t> || std::is_same_v<std::remove_const_t<T>, float>;

/// Throws pixlime::invalid_argument unless 1 <= width, height and 1 <= channels <= max_channels.
/// `what` names the image in the message ("image", "load_image 'cat.png'", ...).
inline void check_shape(const std::string& what, std::int64_t width, std::int64_t height, std::int64_t channels) {
    if (width < 1) throw invalid_argument(what + " width", width, "at least 1 (an empty image cannot be explained)");
    if (height < 1) throw invalid_argument(what + " height", height, "at least 1 (an empty image cannot be explained)");
    if (channels < 1 || channels > max_channels)
        throw invalid_argument(what + " channels", channels, "1 to " + std::to_string(max_channels));
}

/// check_shape, then throws pixlime::size_limit_error unless width * height <= lim.max_pixels
/// and width * height * channels * value_size <= lim.max_image_bytes.
inline void check_dimensions(const std::string& what, std::int64_t width, std::int64_t height, std::int64_t channels,
                             std::size_t value_size, const limits& lim) {
    check_shape(what, width, height, channels);
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    if (width > lim.max_pixels / height)
        throw size_limit_error(what + " size", size,
                               "at most limits.max_pixels = " + std::to_string(lim.max_pixels) + " pixels");
    const std::int64_t bytes_per_pixel = channels * std::int64_t(value_size);
    if (width * height > lim.max_image_bytes / bytes_per_pixel)
        throw size_limit_error(what + " size", size + "x" + std::to_string(channels) + " of " + std::to_string(value_size) +
                                                   "-byte values",
                               "at most limits.max_image_bytes = " + std::to_string(lim.max_image_bytes) + " bytes");
}
}  // namespace detail

/// A non-owning view of an image: `height` rows of `width * channels` values of T, row y
/// starting at data() + y * row_stride(). T may be const. Copying a view is cheap.
template <class T>
class image_view {
    static_assert(detail::is_pixel_type_v<T>, "pixlime::image_view<T>: T must be std::uint8_t or float (optionally const)");

public:
    /// The pixel type without const: std::uint8_t or float.
    using value_type = std::remove_const_t<T>;

    /// An empty view (data() null, 0 x 0); empty() is true.
    image_view() = default;
    /// View `width` x `height` pixels of `channels` interleaved values at `data`.
    /// `row_stride` is the distance between rows in elements of T; 0 means packed
    /// (width * channels). Throws pixlime::invalid_argument on bad dimensions or a null
    /// pointer, and when row_stride is smaller than width * channels.
    image_view(T* data, int width, int height, int channels, std::ptrdiff_t row_stride = 0)
        : data_(data), width_(width), height_(height), channels_(channels),
          stride_(row_stride == 0 ? std::ptrdiff_t(width) * channels : row_stride) {
        detail::check_shape("image_view", width, height, channels);  // a view allocates nothing: no limits
        if (data == nullptr) throw invalid_argument("image_view data", "null", "a pointer to the pixels");
        if (stride_ < std::ptrdiff_t(width) * channels)
            throw invalid_argument("image_view row_stride", row_stride,
                                   "0 (packed) or at least width * channels = " +
                                       std::to_string(std::ptrdiff_t(width) * channels));
    }
    /// A view of mutable pixels converts to a view of const pixels.
    template <class U, class = std::enable_if_t<std::is_same_v<const U, T> && !std::is_same_v<U, T>>>
    image_view(const image_view<U>& other)  // NOLINT(google-explicit-constructor)
        : data_(other.data()), width_(other.width()), height_(other.height()),
          channels_(other.channels()), stride_(other.row_stride()) {}

    /// Width in pixels.
    int width() const { return width_; }
    /// Height in pixels.
    int height() const { return height_; }
    /// Values per pixel (1 to pixlime::max_channels).
    int channels() const { return channels_; }
    /// Distance from one row's first value to the next row's, in elements of T.
    std::ptrdiff_t row_stride() const { return stride_; }
    /// True when rows follow each other with no gap (row_stride == width * channels).
    bool is_packed() const { return stride_ == std::ptrdiff_t(width_) * channels_; }
    /// True for a default-constructed view (no pixels).
    bool empty() const { return data_ == nullptr; }
    /// width() * height().
    std::int64_t pixel_count() const { return std::int64_t(width_) * height_; }
    /// The first value of row 0 (null when empty()).
    T* data() const { return data_; }
    /// The first value of row y (0 <= y < height(); no bounds check).
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
    /// The pixel type, std::uint8_t or float.
    using value_type = T;

    /// An empty image (0 x 0, no values); empty() is true.
    image() = default;
    /// A width x height image of `channels` channels, every value `fill`. Throws
    /// pixlime::invalid_argument on bad dimensions and pixlime::size_limit_error over `lim`,
    /// before allocating.
    image(int width, int height, int channels, T fill = T{}, const limits& lim = {})
        : width_(width), height_(height), channels_(channels) {
        detail::check_dimensions("image", width, height, channels, sizeof(T), lim);
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

    /// Width in pixels.
    int width() const { return width_; }
    /// Height in pixels.
    int height() const { return height_; }
    /// Values per pixel (1 to pixlime::max_channels).
    int channels() const { return channels_; }
    /// True when the image holds no values (default-constructed).
    bool empty() const { return pixels_.empty(); }
    /// width() * height().
    std::int64_t pixel_count() const { return std::int64_t(width_) * height_; }
    /// Number of values (width * height * channels).
    std::size_t size() const { return pixels_.size(); }
    /// The first value; the size() values follow packed, HWC.
    T* data() { return pixels_.data(); }
    /// The first value; the size() values follow packed, HWC.
    const T* data() const { return pixels_.data(); }
    /// Value of channel c of pixel (x, y); no bounds check.
    T& at(int x, int y, int c = 0) { return pixels_[index(x, y, c)]; }
    /// Value of channel c of pixel (x, y); no bounds check.
    const T& at(int x, int y, int c = 0) const { return pixels_[index(x, y, c)]; }

    /// A view of the pixels (an empty view when empty()); valid while the image lives.
    image_view<T> view() { return empty() ? image_view<T>() : image_view<T>(data(), width_, height_, channels_); }
    /// A read-only view of the pixels (an empty view when empty()).
    image_view<const T> view() const {
        return empty() ? image_view<const T>() : image_view<const T>(data(), width_, height_, channels_);
    }
    /// An image converts to a read-only view of itself, so functions taking views take images.
    operator image_view<const T>() const { return view(); }  // NOLINT(google-explicit-constructor)

    /// Same width, height, channels and values.
    friend bool operator==(const image& a, const image& b) {
        return a.width_ == b.width_ && a.height_ == b.height_ && a.channels_ == b.channels_ && a.pixels_ == b.pixels_;
    }
    /// Not operator==.
    friend bool operator!=(const image& a, const image& b) { return !(a == b); }

private:
    std::size_t index(int x, int y, int c) const {
        return (std::size_t(y) * std::size_t(width_) + std::size_t(x)) * std::size_t(channels_) + std::size_t(c);
    }

    int width_ = 0, height_ = 0, channels_ = 0;
    std::vector<T> pixels_;
};

/// How the values of a batch of images are ordered in memory.
enum class layout {
    /// Image, row, column, channel (interleaved pixels, pixlime's own layout).
    nhwc,
    /// Image, channel, row, column (one plane per channel: what most CNN runtimes take).
    nchw,
};

/// A batch of same-sized images stored contiguously, image i starting at
/// data() + i * image_size(), in layout() order. This is what a classifier receives.
template <class T>
class batch_view {
    static_assert(detail::is_pixel_type_v<T>, "pixlime::batch_view<T>: T must be std::uint8_t or float (optionally const)");

public:
    /// The value type without const: std::uint8_t or float.
    using value_type = std::remove_const_t<T>;

    /// An empty batch (no images).
    batch_view() = default;
    /// `size` images of width x height x channels at `data` (not null when size > 0).
    /// Throws pixlime::invalid_argument on bad dimensions.
    batch_view(T* data, int size, int width, int height, int channels, pixlime::layout order = pixlime::layout::nhwc)
        : data_(data), size_(size), width_(width), height_(height), channels_(channels), layout_(order) {
        detail::check_shape("batch_view", width, height, channels);
        if (size < 0) throw invalid_argument("batch_view size", size, "at least 0");
        if (data == nullptr && size > 0) throw invalid_argument("batch_view data", "null", "a pointer to the images");
    }

    /// Number of images in the batch.
    int size() const { return size_; }
    /// Width of every image, in pixels.
    int width() const { return width_; }
    /// Height of every image, in pixels.
    int height() const { return height_; }
    /// Values per pixel of every image.
    int channels() const { return channels_; }
    /// How each image's values are ordered: layout::nhwc (interleaved) or layout::nchw (planes).
    pixlime::layout layout() const { return layout_; }
    /// Values in one image (width * height * channels).
    std::size_t image_size() const { return std::size_t(width_) * std::size_t(height_) * std::size_t(channels_); }
    /// The first value of image 0; all images follow contiguously.
    T* data() const { return data_; }
    /// The first value of image i.
    T* image_data(int i) const { return data_ + std::size_t(i) * image_size(); }
    /// Image i as a packed view (layout nhwc only: throws pixlime::invalid_argument for nchw;
    /// use plane()).
    image_view<T> operator[](int i) const {
        if (layout_ != pixlime::layout::nhwc)
            throw invalid_argument("batch_view layout", "nchw", "nhwc for operator[] (use plane(i, c) for nchw batches)");
        return image_view<T>(image_data(i), width_, height_, channels_);
    }
    /// Channel c of image i as height rows of width values (layout nchw only: throws
    /// pixlime::invalid_argument for nhwc).
    T* plane(int i, int c) const {
        if (layout_ != pixlime::layout::nchw)
            throw invalid_argument("batch_view layout", "nhwc", "nchw for plane() (use operator[] for nhwc batches)");
        return image_data(i) + std::size_t(c) * std::size_t(width_) * std::size_t(height_);
    }

private:
    T* data_ = nullptr;
    int size_ = 0, width_ = 0, height_ = 0, channels_ = 0;
    pixlime::layout layout_ = pixlime::layout::nhwc;
};

}  // namespace pixlime
