#pragma once
/// \file pixlime/fill.hpp
/// The fill stage: what a hidden segment shows in a perturbed image (lime_image's "fudged
/// image"). explain_options::fill, and the faithfulness curves' deletion_fill and
/// insertion_fill, take a built-in fill or any callable
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
/// one release: see pixlime::filler and detail::renamed_hide below.) perturb.hpp builds the
/// perturbed images from the fill.

#include <pixlime/detail/blur.hpp>
#include <pixlime/detail/names.hpp>
#include <pixlime/detail/planes.hpp>
#include <pixlime/detail/stage.hpp>
#include <pixlime/detail/thread_pool.hpp>
#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
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

    /// The replacement image for `img` (same size and channels); the segmentation is not used.
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

    /// The replacement image for `img` (same size and channels); the segmentation is not used.
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

    /// The replacement image for `img` (same size and channels); the segmentation is not used.
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

namespace detail {
/// The fill callable's type for pixel type T.
template <class T>
using fill_signature = image<T>(image_view<const T>, const segmentation&);
}  // namespace detail

/// The fill stage of pixlime::explain (explain_options::fill) and of the faithfulness curves:
/// a built-in fill (default segment_mean_fill, lime's) or any callable over
/// image_view<const std::uint8_t> and/or image_view<const float> (and the segmentation)
/// returning an image of the same size and channels. Only the fill for the pixel type actually
/// used is run. A detail::stage (see detail/stage.hpp): is_builtin(), builtin<B>() for B =
/// segment_mean_fill, constant_fill, blur_fill or image_fill, name().
class fill : public detail::stage<detail::pixel_callables<detail::fill_signature>, segment_mean_fill, constant_fill, blur_fill,
                                  image_fill> {
public:
    /// The view a custom callable of 8-bit images takes.
    using u8_view = image_view<const std::uint8_t>;
    /// The view a custom callable of float images takes.
    using f32_view = image_view<const float>;

    /// lime's segment_mean_fill, named "segment_mean".
    fill() : fill(segment_mean_fill{}) {}
    /// The built-in fill `f`, named "segment_mean".
    fill(const segment_mean_fill& f) : stage(f, "segment_mean") {}  // NOLINT(google-explicit-constructor)
    /// The built-in fill `f`, named "constant".
    fill(const constant_fill& f) : stage(f, "constant") {}  // NOLINT(google-explicit-constructor)
    /// The built-in fill `f`, named "blur".
    fill(const blur_fill& f) : stage(f, "blur") {}  // NOLINT(google-explicit-constructor)
    /// The built-in fill `f`, named "image".
    fill(const image_fill& f) : stage(f, "image") {}  // NOLINT(google-explicit-constructor)
    /// The built-in fill `kind` with its defaults (as a name picks it), named to_string(kind).
    /// Throws pixlime::invalid_argument when `kind` is not a fill_kind value.
    fill(fill_kind kind) : fill(of_kind(kind)) {}  // NOLINT(google-explicit-constructor)
    /// Any callable `image<T>(image_view<const T>, const segmentation&)`, T = std::uint8_t
    /// and/or float, named `name`.
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, fill> &&
                                                (std::is_invocable_r_v<image<std::uint8_t>, F&, u8_view, const segmentation&> ||
                                                 std::is_invocable_r_v<image<float>, F&, f32_view, const segmentation&>)>>
    fill(F f, std::string name = "custom") : stage(callables(std::move(f)), std::move(name)) {}  // NOLINT(google-explicit-constructor)

    /// The fill of `img` over `seg` (the image's size), checked: img's size and channels,
    /// finite values. Throws pixlime::invalid_argument otherwise, or when a callable has no
    /// overload for T.
    template <class T>
    image<T> operator()(image_view<const T> img, const segmentation& seg) const {
        image<T> f = std::visit([&](const auto& a) { return run(a, img, seg); }, alternative());
        detail::check_fill("fill (" + name() + ") result", img, f);
        return f;
    }

private:
    using custom_type = detail::pixel_callables<detail::fill_signature>;

    template <class F>
    static custom_type callables(F f) {
        custom_type c;
        if constexpr (std::is_invocable_r_v<image<std::uint8_t>, F&, u8_view, const segmentation&>) c.u8 = f;
        if constexpr (std::is_invocable_r_v<image<float>, F&, f32_view, const segmentation&>) c.f32 = f;
        return c;
    }
    static fill of_kind(fill_kind kind) {
        switch (kind) {
            case fill_kind::segment_mean: return segment_mean_fill{};
            case fill_kind::constant: return constant_fill{};
            case fill_kind::blur: return blur_fill{};
        }
        throw invalid_argument("fill kind", int(kind), "a pixlime::fill_kind value");
    }

    template <class Builtin, class T>
    image<T> run(const Builtin& b, image_view<const T> img, const segmentation& seg) const {
        return b(img, seg);
    }
    template <class T>
    image<T> run(const custom_type& c, image_view<const T> img, const segmentation& seg) const {
        return c.overload<T>("fill", name())(img, seg);
    }
};

namespace detail {
/// The fill of `img` over `seg` by `f`, the stage `where` (explain_options.fill, a curve_options
/// fill) called through call_stage: a custom fill's exceptions come back as a
/// pixlime::stage_error. Returns an image of img's size and channels.
template <class T>
image<T> call_fill(const char* where, const fill& f, image_view<const T> img, const segmentation& seg) {
    return call_stage(where, f, "an image of the image's size and channels", img, seg);
}
}  // namespace detail

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

}  // namespace pixlime
