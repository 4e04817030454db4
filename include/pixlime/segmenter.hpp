#pragma once
/// \file pixlime/segmenter.hpp
/// pixlime::segmenter: any segmentation algorithm behind one non-template type, so that
/// explain_options can name the segmenter without templates getting in the way:
///
///     opt.segmenter = pixlime::slic_options{};                 // SLIC (pixlime's default)
///     opt.segmenter = pixlime::quickshift_options{};           // lime_image's default segmenter
///     opt.segmenter = pixlime::felzenszwalb_options{};         // Felzenszwalb-Huttenlocher
///     opt.segmenter = pixlime::grid_options{8, 8};             // a fixed grid
///     opt.segmenter = [](auto img) { return my_segments(img); };  // any callable
///     opt.segmenter = pixlime::parse_segmenter_kind("quickshift");  // by name, default options
///
/// A callable must take pixlime::image_view<const std::uint8_t> and/or
/// pixlime::image_view<const float> and return a pixlime::segmentation of the image's size.
/// Only the algorithm chosen for the pixel type actually used is compiled and run.

#include <pixlime/detail/names.hpp>
#include <pixlime/detail/stage.hpp>
#include <pixlime/error.hpp>
#include <pixlime/felzenszwalb.hpp>
#include <pixlime/grid.hpp>
#include <pixlime/image.hpp>
#include <pixlime/quickshift.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/slic.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace pixlime {

/// The built-in segmentation algorithms, by name: what Python's segmenter="..." and the
/// command lines' --segmenter take. Each stands for its options struct with its defaults.
enum class segmenter_kind {
    slic,          ///< slic_options{} (pixlime's default)
    quickshift,    ///< quickshift_options{} (lime_image's default)
    felzenszwalb,  ///< felzenszwalb_options{}
    grid,          ///< grid_options{}
};

/// "slic", "quickshift", "felzenszwalb" or "grid" (segmenter::name() of the same algorithm).
inline std::string to_string(segmenter_kind kind) {
    switch (kind) {
        case segmenter_kind::slic: return "slic";
        case segmenter_kind::quickshift: return "quickshift";
        case segmenter_kind::felzenszwalb: return "felzenszwalb";
        case segmenter_kind::grid: return "grid";
    }
    return "segmenter_kind(" + std::to_string(int(kind)) + ")";
}

/// Every segmenter_kind, in declaration order: what parse_segmenter_kind accepts.
inline constexpr std::array<segmenter_kind, 4> segmenter_kinds = {segmenter_kind::slic, segmenter_kind::quickshift,
                                                                  segmenter_kind::felzenszwalb, segmenter_kind::grid};

/// The kind whose to_string is `name` ("quickshift" -> segmenter_kind::quickshift): the one
/// parser of segmenter names. Throws pixlime::invalid_argument naming `parameter` (the
/// caller's name for it, e.g. "segmenter"), `name` and every accepted name.
inline segmenter_kind parse_segmenter_kind(std::string_view name, const std::string& parameter = "parse_segmenter_kind name") {
    return detail::parse_name(name, segmenter_kinds, parameter);
}

namespace detail {
/// The segmenter callable's type for pixel type T.
template <class T>
using segmenter_signature = segmentation(image_view<const T>);
}  // namespace detail

/// The segmenter stage of pixlime::explain (explain_options::segmenter): a built-in algorithm
/// with its options (default slic_options{}) or any callable over `image_view<const
/// std::uint8_t>` and/or `image_view<const float>` returning a segmentation of the image's size.
/// A detail::stage (see detail/stage.hpp): is_builtin(), builtin<B>() for B = slic_options,
/// quickshift_options, felzenszwalb_options or grid_options, name().
class segmenter : public detail::stage<detail::pixel_callables<detail::segmenter_signature>, slic_options, quickshift_options,
                                       felzenszwalb_options, grid_options> {
public:
    /// The view a custom callable of 8-bit images takes.
    using u8_view = image_view<const std::uint8_t>;
    /// The view a custom callable of float images takes.
    using f32_view = image_view<const float>;

    /// SLIC with default slic_options (pixlime's default; lime_image's is quickshift).
    segmenter() : segmenter(slic_options{}) {}
    /// SLIC with the options `o`, named "slic".
    segmenter(const slic_options& o) : stage(o, "slic") {}  // NOLINT(google-explicit-constructor)
    /// Quickshift with the options `o`, named "quickshift".
    segmenter(const quickshift_options& o) : stage(o, "quickshift") {}  // NOLINT(google-explicit-constructor)
    /// Felzenszwalb-Huttenlocher with the options `o`, named "felzenszwalb".
    segmenter(const felzenszwalb_options& o) : stage(o, "felzenszwalb") {}  // NOLINT(google-explicit-constructor)
    /// A fixed grid with the options `o`, named "grid".
    segmenter(const grid_options& o) : stage(o, "grid") {}  // NOLINT(google-explicit-constructor)
    /// The built-in algorithm `kind` with its options' defaults (as a name picks it), named
    /// to_string(kind). Throws pixlime::invalid_argument when `kind` is not a segmenter_kind value.
    segmenter(segmenter_kind kind) : segmenter(of_kind(kind)) {}  // NOLINT(google-explicit-constructor)

    /// Any callable over uint8 and/or float image views returning a segmentation, named `name`.
    template <class F, class = std::enable_if_t<std::is_invocable_r_v<segmentation, F&, u8_view> ||
                                                std::is_invocable_r_v<segmentation, F&, f32_view>>>
    segmenter(F f, std::string name = "custom") : stage(callables(std::move(f)), std::move(name)) {}  // NOLINT(google-explicit-constructor)

    /// Segments `img` (T: std::uint8_t or float). Throws pixlime::invalid_argument when a
    /// custom segmenter does not accept the pixel type or returns a segmentation of another size.
    template <class T>
    segmentation operator()(image_view<const T> img) const {
        static_assert(std::is_same_v<T, std::uint8_t> || std::is_same_v<T, float>,
                      "pixlime::segmenter: images must hold std::uint8_t or float");
        segmentation s = std::visit([&](const auto& a) { return run(a, img); }, alternative());
        if (s.width() != img.width() || s.height() != img.height())
            throw invalid_argument("segmenter (" + name() + ") result size",
                                   std::to_string(s.width()) + "x" + std::to_string(s.height()),
                                   "the image's size " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
        return s;
    }
    /// Segments an owning image; see the operator() over a view.
    template <class T>
    segmentation operator()(const image<T>& img) const {
        return (*this)(img.view());
    }

private:
    using custom_type = detail::pixel_callables<detail::segmenter_signature>;

    template <class F>
    static custom_type callables(F f) {
        custom_type c;
        if constexpr (std::is_invocable_r_v<segmentation, F&, u8_view>) c.u8 = f;
        if constexpr (std::is_invocable_r_v<segmentation, F&, f32_view>) c.f32 = f;
        return c;
    }
    static segmenter of_kind(segmenter_kind kind) {
        switch (kind) {
            case segmenter_kind::slic: return slic_options{};
            case segmenter_kind::quickshift: return quickshift_options{};
            case segmenter_kind::felzenszwalb: return felzenszwalb_options{};
            case segmenter_kind::grid: return grid_options{};
        }
        throw invalid_argument("segmenter kind", int(kind), "a pixlime::segmenter_kind value");
    }

    template <class T>
    static segmentation run(const slic_options& o, image_view<const T> img) { return slic(img, o); }
    template <class T>
    static segmentation run(const quickshift_options& o, image_view<const T> img) { return quickshift(img, o); }
    template <class T>
    static segmentation run(const felzenszwalb_options& o, image_view<const T> img) { return felzenszwalb(img, o); }
    template <class T>
    static segmentation run(const grid_options& o, image_view<const T> img) { return grid(img.width(), img.height(), o); }
    template <class T>
    segmentation run(const custom_type& c, image_view<const T> img) const { return c.overload<T>("segmenter", name())(img); }
};

}  // namespace pixlime
