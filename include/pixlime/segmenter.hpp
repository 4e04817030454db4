#pragma once
/// \file pixlime/segmenter.hpp
/// pixlime::segmenter: any segmentation algorithm behind one non-template type, so that
/// explain_options can name the segmenter to use without templates getting in the way:
///
///     opt.segmenter = pixlime::slic_options{};                       // SLIC (the default)
///     opt.segmenter = [](auto img) { return my_segments(img); };     // any callable
///
/// A callable must take pixlime::image_view<const std::uint8_t> and/or
/// pixlime::image_view<const float> and return a pixlime::segmentation of the image's size.

#include <pixlime/error.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>
#include <pixlime/slic.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <type_traits>
#include <utility>

namespace pixlime {

class segmenter {
public:
    using u8_view = image_view<const std::uint8_t>;
    using f32_view = image_view<const float>;

    /// SLIC with default slic_options (pixlime's default; lime_image's is quickshift).
    segmenter() : segmenter(slic_options{}) {}

    /// SLIC with these options.
    segmenter(const slic_options& options)  // NOLINT(google-explicit-constructor)
        : name_("slic"),
          u8_([options](u8_view v) { return slic(v, options); }),
          f32_([options](f32_view v) { return slic(v, options); }) {}

    /// Any callable over uint8 and/or float image views returning a segmentation.
    template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, segmenter> &&
                                                (std::is_invocable_r_v<segmentation, F&, u8_view> ||
                                                 std::is_invocable_r_v<segmentation, F&, f32_view>)>>
    segmenter(F f, std::string name = "custom")  // NOLINT(google-explicit-constructor)
        : name_(std::move(name)) {
        if constexpr (std::is_invocable_r_v<segmentation, F&, u8_view>) u8_ = f;
        if constexpr (std::is_invocable_r_v<segmentation, F&, f32_view>) f32_ = f;
    }

    /// Segments `img`. Throws pixlime::invalid_argument when this segmenter does not accept
    /// the image's pixel type, or returns a segmentation of another size.
    segmentation operator()(u8_view img) const { return run(u8_, img, "std::uint8_t"); }
    segmentation operator()(f32_view img) const { return run(f32_, img, "float"); }

    /// "slic", or the name given with a callable.
    const std::string& name() const { return name_; }

private:
    template <class View>
    segmentation run(const std::function<segmentation(View)>& f, View img, const char* type) const {
        if (!f) throw invalid_argument::make("explain_options.segmenter (" + name_ + ")", "a callable without a " + std::string(type) + " overload",
                                             std::string("a segmenter accepting image_view<const ") + type + ">");
        segmentation s = f(img);
        if (s.width() != img.width() || s.height() != img.height())
            throw invalid_argument::make("explain_options.segmenter (" + name_ + ") result size",
                                         std::to_string(s.width()) + "x" + std::to_string(s.height()),
                                         "the image's size " + std::to_string(img.width()) + "x" + std::to_string(img.height()));
        return s;
    }

    std::string name_;
    std::function<segmentation(u8_view)> u8_;
    std::function<segmentation(f32_view)> f32_;
};

}  // namespace pixlime
