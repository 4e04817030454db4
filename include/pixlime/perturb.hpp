#pragma once
/// \file pixlime/perturb.hpp
/// Perturbed images: a segment that a mask hides takes its pixels from a *fill* image
/// (lime_image's "fudged image"), a kept segment keeps the original pixels.
///
/// The fill stage (explain_options::fill, a pixlime::fill) is a built-in fill or any callable
/// `image<T>(image_view<const T> img, const segmentation& seg)` returning an image of img's
/// size and channels (for T = std::uint8_t and/or float):
///
///     opt.fill = pixlime::segment_mean_fill{};      // lime_image's hide_color=None (default)
///     opt.fill = pixlime::constant_fill{{0}};       // lime_image's hide_color=0: black
///     opt.fill = pixlime::blur_fill{5.0};           // a blurred copy
///     opt.fill = pixlime::image_fill{background};   // any replacement image
///     opt.fill = pixlime::parse_fill_kind("blur");  // by name, default parameters
///
/// (In 0.2 the stage was called `hide` / `filler`; those names still compile, deprecated, for
/// one release: see pixlime::filler and detail::renamed_hide below.)
///
/// The perturber precomputes the segmentation's runs (maximal stretches of one label in
/// raster order) once; each perturbed image is then one copy per run, from the image or the
/// fill as the mask says (picked without a branch; short runs in 16-byte blocks). lime_image
/// instead scans the whole label map once per hidden segment.

#include <pixlime/detail/blur.hpp>
#include <pixlime/detail/names.hpp>
#include <pixlime/detail/planes.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/model_input.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace pixlime {

namespace detail {

/// v in T's scale: uint8 rounded and clamped to 0..255, float as is.
template <class T>
T to_pixel(double v) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 255.0)));
    } else {
        return static_cast<T>(v);
    }
}

/// Throws unless v is a valid value of T's scale: 0..255 for uint8, finite (in float range)
/// for float.
template <class T>
void check_pixel_value(const std::string& name, double v) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        if (!(v >= 0 && v <= 255)) throw invalid_argument(name, v, "a value in 0..255 for a uint8 image");
    } else {
        if (!(std::abs(v) <= double(std::numeric_limits<float>::max())))
            throw invalid_argument(name, v, "a finite value within float range for a float image");
    }
}

/// Throws unless `fill` has img's size and channels (and, for float, finite values).
template <class T>
void check_fill(const std::string& name, image_view<const T> img, const image<T>& fill) {
    if (fill.width() != img.width() || fill.height() != img.height() || fill.channels() != img.channels())
        throw invalid_argument(name + " size",
                               std::to_string(fill.width()) + "x" + std::to_string(fill.height()) + "x" +
                                   std::to_string(fill.channels()),
                               "the image's " + std::to_string(img.width()) + "x" + std::to_string(img.height()) + "x" +
                                   std::to_string(img.channels()));
    if constexpr (std::is_same_v<T, float>)
        for (std::size_t i = 0; i < fill.size(); ++i)
            if (!std::isfinite(fill.data()[i])) throw invalid_argument(name + " value", fill.data()[i], "finite values");
}

}  // namespace detail

/// Hidden segments show their own per-channel mean colour (lime_image's default,
/// hide_color=None). For uint8 images the mean is truncated toward zero, as numpy does when
/// lime writes it back into the image.
struct segment_mean_fill {
    /// The fill of `img` over `seg` (the image's size).
    template <class T>
    image<T> operator()(image_view<const T> img, const segmentation& seg) const {
        if (seg.width() != img.width() || seg.height() != img.height())
            throw invalid_argument("segment_mean_fill segmentation size", std::to_string(seg.width()) + "x" + std::to_string(seg.height()),
                                   "the image's " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
        const std::size_t c = std::size_t(img.channels());
        std::vector<double> sum(std::size_t(seg.count()) * c, 0.0);
        std::vector<std::int64_t> n(std::size_t(seg.count()), 0);
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const auto l = std::size_t(seg.label(x, y));
                ++n[l];
                for (std::size_t ch = 0; ch < c; ++ch) sum[l * c + ch] += double(img.at(x, y, int(ch)));
            }
        std::vector<T> mean(sum.size());
        for (std::size_t l = 0; l < n.size(); ++l)
            for (std::size_t ch = 0; ch < c; ++ch)
                mean[l * c + ch] = static_cast<T>(sum[l * c + ch] / double(n[l]));  // uint8: truncation, like numpy
        image<T> fill(img.width(), img.height(), img.channels());
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x) {
                const auto l = std::size_t(seg.label(x, y));
                for (std::size_t ch = 0; ch < c; ++ch) fill.at(x, y, int(ch)) = mean[l * c + ch];
            }
        return fill;
    }
};

/// Hidden segments show one colour (lime_image's hide_color=value).
struct constant_fill {
    /// One value for every channel, or one per channel, in the image's scale (0..255 for
    /// uint8, as stored for float). Empty (default) means 0: black, as lime's hide_color=0.
    std::vector<double> color;

    template <class T>
    image<T> operator()(image_view<const T> img, const segmentation& = {}) const {
        const int c = img.channels();
        if (!color.empty() && color.size() != 1 && color.size() != std::size_t(c))
            throw invalid_argument("constant_fill.color size", color.size(), "0, 1 or the image's channel count " + std::to_string(c));
        std::vector<T> px(static_cast<std::size_t>(c));
        for (int ch = 0; ch < c; ++ch) {
            const double v = color.empty() ? 0.0 : color[color.size() == 1 ? 0 : std::size_t(ch)];
            detail::check_pixel_value<T>("constant_fill.color[" + std::to_string(color.size() == 1 ? 0 : ch) + "]", v);
            px[std::size_t(ch)] = detail::to_pixel<T>(v);
        }
        image<T> fill(img.width(), img.height(), c);
        T* d = fill.data();
        for (std::int64_t i = 0; i < fill.pixel_count(); ++i)
            for (int ch = 0; ch < c; ++ch) *d++ = px[std::size_t(ch)];
        return fill;
    }
};

/// Hidden segments show a Gaussian-blurred copy of the image, as in many LIME ports (kernel
/// truncated at 4 sigma, mirrored edges).
struct blur_fill {
    /// Standard deviation in pixels, in [0, 1000]; 0 (default) = max(width, height) / 50, at
    /// least 1 (pixlime).
    double sigma = 0;

    template <class T>
    image<T> operator()(image_view<const T> img, const segmentation& = {}) const {
        detail::check_blur_sigma("blur_fill.sigma", sigma, "0 = automatic");
        const double s = sigma > 0 ? sigma : std::max(1.0, std::max(img.width(), img.height()) / 50.0);
        detail::feature_planes p = detail::to_planes(img, img.channels(), [](T v) { return float(v); });
        detail::thread_pool one(1);
        detail::gaussian_blur(p, s, one);
        image<T> out(img.width(), img.height(), img.channels());
        for (int c = 0; c < img.channels(); ++c) {
            const float* plane = p.plane(c);
            for (int y = 0; y < img.height(); ++y)
                for (int x = 0; x < img.width(); ++x)
                    out.at(x, y, c) = detail::to_pixel<T>(double(plane[std::size_t(y) * std::size_t(img.width()) + std::size_t(x)]));
        }
        return out;
    }
};

/// Hidden segments show a user-supplied image (a background, an inpainted copy, ...).
struct image_fill {
    /// The same width, height and channels as the explained image, in its scale: values in
    /// 0..255 for a uint8 image (rounded), finite for a float image.
    image<float> replacement;

    template <class T>
    image<T> operator()(image_view<const T> img, const segmentation& = {}) const {
        const image<float>& h = replacement;
        if (h.width() != img.width() || h.height() != img.height() || h.channels() != img.channels())
            throw invalid_argument("image_fill.replacement size",
                                   std::to_string(h.width()) + "x" + std::to_string(h.height()) + "x" + std::to_string(h.channels()),
                                   "the image's " + std::to_string(img.width()) + "x" + std::to_string(img.height()) + "x" +
                                       std::to_string(img.channels()));
        image<T> fill(img.width(), img.height(), img.channels());
        for (std::size_t i = 0; i < fill.size(); ++i) {
            const double v = double(h.data()[i]);
            if (!(std::is_same_v<T, std::uint8_t> ? (v >= 0 && v <= 255) : std::isfinite(v))) {
                const std::size_t px = i / std::size_t(img.channels());
                detail::check_pixel_value<T>("image_fill.replacement pixel (" + std::to_string(px % std::size_t(img.width())) + ", " +
                                                 std::to_string(px / std::size_t(img.width())) + ")",
                                             v);
            }
            fill.data()[i] = detail::to_pixel<T>(v);
        }
        return fill;
    }
};

/// The built-in fills that need no data, by name: what Python's fill="..." and the command
/// lines take. Each stands for its fill struct with its defaults (image_fill needs an image,
/// so it has no name).
enum class fill_kind {
    segment_mean,  ///< segment_mean_fill{} (lime_image's hide_color=None; explain's default)
    constant,      ///< constant_fill{}: black (lime_image's hide_color=0)
    blur,          ///< blur_fill{}: sigma max(width, height) / 50
};

/// "segment_mean", "constant" or "blur" (fill::name() of the same fill).
inline std::string to_string(fill_kind kind) {
    switch (kind) {
        case fill_kind::segment_mean: return "segment_mean";
        case fill_kind::constant: return "constant";
        case fill_kind::blur: return "blur";
    }
    return "fill_kind(" + std::to_string(int(kind)) + ")";
}

/// Every fill_kind, in declaration order: what parse_fill_kind accepts (with "black").
inline constexpr std::array<fill_kind, 3> fill_kinds = {fill_kind::segment_mean, fill_kind::constant, fill_kind::blur};

/// The kind whose to_string is `name` ("blur" -> fill_kind::blur), or fill_kind::constant for
/// "black" (an alias Python has always accepted: constant_fill's default colour is black): the
/// one parser of fill names. Throws pixlime::invalid_argument naming `parameter` (the caller's
/// name for it, e.g. "fill"), `name` and every accepted name.
inline fill_kind parse_fill_kind(std::string_view name, const std::string& parameter = "parse_fill_kind name") {
    if (name == "black") return fill_kind::constant;
    return detail::parse_name(name, fill_kinds, parameter, "'black' = 'constant'");
}

/// The fill stage of pixlime::explain (explain_options::fill) and of the faithfulness curves:
/// a built-in fill (default segment_mean_fill, lime's) or any callable over
/// image_view<const std::uint8_t> and/or image_view<const float> (and the segmentation)
/// returning an image of the same size and channels. Only the fill for the pixel type actually
/// used is run.
class fill {
public:
    using u8_view = image_view<const std::uint8_t>;
    using f32_view = image_view<const float>;

    fill() = default;
    fill(const segment_mean_fill& f) : fill_(f) {}  // NOLINT(google-explicit-constructor)
    fill(const constant_fill& f) : fill_(f) {}      // NOLINT(google-explicit-constructor)
    fill(const blur_fill& f) : fill_(f) {}          // NOLINT(google-explicit-constructor)
    fill(const image_fill& f) : fill_(f) {}         // NOLINT(google-explicit-constructor)
    /// The built-in fill `kind` with its defaults (as a name picks it). Throws
    /// pixlime::invalid_argument when `kind` is not a fill_kind value.
    fill(fill_kind kind) : fill_(builtin_of(kind)) {}  // NOLINT(google-explicit-constructor)
    /// Any callable `image<T>(image_view<const T>, const segmentation&)`, T = std::uint8_t
    /// and/or float.
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, fill> &&
                                                (std::is_invocable_r_v<image<std::uint8_t>, F&, u8_view, const segmentation&> ||
                                                 std::is_invocable_r_v<image<float>, F&, f32_view, const segmentation&>)>>
    fill(F f, std::string name = "custom") {  // NOLINT(google-explicit-constructor)
        custom c;
        c.name = std::move(name);
        if constexpr (std::is_invocable_r_v<image<std::uint8_t>, F&, u8_view, const segmentation&>) c.u8 = f;
        if constexpr (std::is_invocable_r_v<image<float>, F&, f32_view, const segmentation&>) c.f32 = f;
        fill_ = std::move(c);
    }

    /// The fill of `img` over `seg`, checked: img's size and channels, finite values.
    template <class T>
    image<T> operator()(image_view<const T> img, const segmentation& seg) const {
        image<T> f = std::visit([&](const auto& a) { return run(a, img, seg); }, fill_);
        detail::check_fill("fill (" + name() + ") result", img, f);
        return f;
    }
    /// The built-in fill held, when it is a `Builtin` (segment_mean_fill, constant_fill,
    /// blur_fill or image_fill), else nullptr: what a default is made of, for those who show it.
    template <class Builtin>
    const Builtin* builtin() const {
        return std::get_if<Builtin>(&fill_);
    }
    /// True for a built-in fill, false for a callable (whose exceptions explain and the
    /// faithfulness curves pass on as a pixlime::stage_error, see error.hpp).
    bool is_builtin() const { return !std::holds_alternative<custom>(fill_); }
    /// "segment_mean", "constant", "blur", "image", or the name given with a callable.
    std::string name() const {
        switch (fill_.index()) {
            case 0: return "segment_mean";
            case 1: return "constant";
            case 2: return "blur";
            case 3: return "image";
            default: return std::get<custom>(fill_).name;
        }
    }

private:
    struct custom {
        std::string name;
        std::function<image<std::uint8_t>(u8_view, const segmentation&)> u8;
        std::function<image<float>(f32_view, const segmentation&)> f32;
    };

    using variant = std::variant<segment_mean_fill, constant_fill, blur_fill, image_fill, custom>;

    static variant builtin_of(fill_kind kind) {
        switch (kind) {
            case fill_kind::segment_mean: return segment_mean_fill{};
            case fill_kind::constant: return constant_fill{};
            case fill_kind::blur: return blur_fill{};
        }
        throw invalid_argument("fill kind", int(kind), "a pixlime::fill_kind value");
    }

    template <class Builtin, class T>
    static image<T> run(const Builtin& b, image_view<const T> img, const segmentation& seg) {
        return b(img, seg);
    }
    template <class T>
    static image<T> run(const custom& c, image_view<const T> img, const segmentation& seg) {
        const auto& f = [&]() -> const std::function<image<T>(image_view<const T>, const segmentation&)>& {
            if constexpr (std::is_same_v<T, std::uint8_t>) return c.u8; else return c.f32;
        }();
        if (!f)
            throw invalid_argument("fill (" + c.name + ")",
                                   std::string("a callable without an image_view<const ") +
                                       (std::is_same_v<T, float> ? "float" : "std::uint8_t") + "> overload",
                                   "a fill that accepts the image's pixel type");
        return f(img, seg);
    }

    variant fill_;
};

/// The fill stage's name in 0.2; deprecated, to be removed in the release after 0.3.
using filler [[deprecated("pixlime::filler is now pixlime::fill")]] = fill;

namespace detail {

/// A renamed fill member kept for one release (explain_options::hide, curve_options::removed,
/// curve_options::substrate): old code that assigns it still compiles, with a deprecation
/// warning at the assignment, and still works (the option's user reads `value` when set).
/// The warning is on the assignment rather than on the member because compilers warn about a
/// deprecated member wherever the struct holding it is copied, moved or value-initialised,
/// which every user of the options does; copying this type warns nothing.
#define PIXLIME_DETAIL_RENAMED_FILL(type_name, message)                                                        \
    struct type_name {                                                                                            \
        std::optional<pixlime::fill> value;                                                                       \
        type_name() = default;                                                                                    \
        template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, type_name> &&              \
                                                    std::is_constructible_v<pixlime::fill, F&&>>>                \
        [[deprecated(message)]] type_name(F&& f) : value(pixlime::fill(std::forward<F>(f))) {}                  \
        template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, type_name> &&              \
                                                    std::is_constructible_v<pixlime::fill, F&&>>>                \
        [[deprecated(message)]] type_name& operator=(F&& f) {                                                     \
            value = pixlime::fill(std::forward<F>(f));                                                            \
            return *this;                                                                                         \
        }                                                                                                         \
    };
PIXLIME_DETAIL_RENAMED_FILL(renamed_hide, "explain_options::hide is now explain_options::fill")
PIXLIME_DETAIL_RENAMED_FILL(renamed_removed, "curve_options::removed is now curve_options::deletion_fill")
PIXLIME_DETAIL_RENAMED_FILL(renamed_substrate, "curve_options::substrate is now curve_options::insertion_fill")
#undef PIXLIME_DETAIL_RENAMED_FILL

}  // namespace detail

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
    perturber(perturber&&) noexcept = default;
    perturber& operator=(perturber&&) noexcept = default;

    int width() const { return width_; }
    int height() const { return height_; }
    /// Channels of the images rendered (model_input::channels, or the image's).
    int channels() const { return channels_; }
    pixlime::layout layout() const { return layout_; }
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
