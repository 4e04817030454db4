#pragma once
/// \file pixlime/render.hpp
/// Pictures of an explanation, as 8-bit RGB images:
/// - render_positive: the positive pane, the segments that pushed the label's output up;
/// - render_negative: the negative pane, the segments that pushed it down;
/// - render_overlay: both signs at once, lime's look (green channel raised on positive segments,
///   red on negative ones);
/// - render_heatmap: every segment's signed weight as a diverging colour (green up, magenta
///   down) blended over a gray copy of the image.
/// The segments shown follow lime_image's ImageExplanation.get_image_and_mask. Each function
/// takes what it draws, the image, its segmentation and the segments' weights; overloads take
/// an explanation and a label instead (its segmentation and that label's weights).
/// draw_outline outlines a region (a segmentation target's) on a pane.
/// Segments whose weight is within noise of 0 (uncertain_segments: the weight's interval
/// contains 0) can be hatched on every picture (render_options::uncertain; off by default).
///
/// Input images of any channel count are shown as RGB: gray (1, 2 channels) is repeated,
/// RGB(A) keeps its first three channels, other counts show channel 0 as gray. Float images are
/// taken to hold [0, 1]. The overloads with an explanation draw on the image it explained and
/// refuse one of another size or channel count (invalid_argument "image size", "image channels").

#include <pixlime/error.hpp>
#include <pixlime/explanation.hpp>
#include <pixlime/image.hpp>
#include <pixlime/segmentation.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace pixlime {

/// An 8-bit RGB colour.
using rgb = std::array<std::uint8_t, 3>;

/// Options of the render functions. Defaults follow lime_image's get_image_and_mask unless
/// marked "pixlime".
struct render_options {
    /// Segments shown at most, in ranked order (lime: num_features=5). >= 0.
    int num_features = 5;
    /// Only segments with |weight| above this are shown (lime: min_weight=0). >= 0.
    double min_weight = 0.0;
    /// Only segments with |weight| at least this fraction of the label's largest |weight| are
    /// shown (pixlime: 0, off). In [0, 1]. Leaves out round-off and noise-level segments
    /// whatever the scale of the model's outputs.
    double min_relative_weight = 0.0;
    /// Draw the picture this many times larger, nearest neighbour, so that small images (e.g.
    /// 28x28) can be looked at and outlines stay one pixel thin at that size (pixlime: 1). >= 1.
    int scale = 1;
    /// Paint everything but the shown segments with rest_color (lime: hide_rest=False).
    bool hide_rest = false;
    /// When not hiding the rest, blend it this far toward rest_color, so the shown segments
    /// stand out (pixlime: 0.6; 0 gives lime's look). In [0, 1].
    double dim_rest = 0.6;
    rgb rest_color{0, 0, 0};  ///< what the rest is blended toward, or painted when hidden (pixlime: black)
    /// Outline the shown segments (pixlime: on; lime's examples call mark_boundaries).
    bool boundaries = true;
    /// Colour of outlines (scikit-image mark_boundaries' default yellow).
    rgb boundary_color{255, 255, 0};
    /// Overlay colours for positive and negative segments (lime: green, red).
    rgb positive_color{0, 255, 0};
    rgb negative_color{255, 0, 0};  ///< see positive_color
    /// Heatmap: opacity of the colour at the largest |weight| (pixlime: 0.7). In [0, 1].
    double heatmap_opacity = 0.7;
    /// Segments whose weight is within noise of 0, drawn with diagonal hatching (pixlime;
    /// empty, the default: none, and the pictures are as without it). One flag per segment,
    /// e.g. uncertain_segments(ex, label), whose 95% intervals contain 0. The panes hatch the
    /// shown segments that are flagged, the heatmap every flagged segment.
    std::vector<char> uncertain;
    /// Colour of the hatching lines (pixlime: a blue, unlike the panes' and heatmap's colours).
    rgb hatch_color{30, 144, 255};
    /// Distance between hatching lines in pixels of the drawn picture (after scale), lines one
    /// pixel wide running from bottom left to top right (pixlime: 6). >= 2.
    int hatch_spacing = 6;
};

namespace detail {

inline void check_render_options(const render_options& ro) {
    if (ro.num_features < 0) throw invalid_argument("render_options.num_features", ro.num_features, "at least 0");
    if (!(ro.min_weight >= 0)) throw invalid_argument("render_options.min_weight", ro.min_weight, "a value >= 0");
    if (!(ro.min_relative_weight >= 0 && ro.min_relative_weight <= 1))
        throw invalid_argument("render_options.min_relative_weight", ro.min_relative_weight, "a value in [0, 1]");
    if (ro.scale < 1) throw invalid_argument("render_options.scale", ro.scale, "at least 1");
    if (!(ro.dim_rest >= 0 && ro.dim_rest <= 1)) throw invalid_argument("render_options.dim_rest", ro.dim_rest, "a value in [0, 1]");
    if (!(ro.heatmap_opacity >= 0 && ro.heatmap_opacity <= 1))
        throw invalid_argument("render_options.heatmap_opacity", ro.heatmap_opacity, "a value in [0, 1]");
    if (ro.hatch_spacing < 2) throw invalid_argument("render_options.hatch_spacing", ro.hatch_spacing, "at least 2");
}

/// Throws pixlime::invalid_argument unless `img` and `seg` have the same size, `weights` has one
/// finite value per segment and ro.uncertain is empty or has one flag per segment.
template <class T>
void check_render_input(image_view<const T> img, const segmentation& seg, const Eigen::VectorXd& weights, const render_options& ro) {
    if (img.empty()) throw invalid_argument("image", "empty", "a non-empty image");
    if (img.width() != seg.width() || img.height() != seg.height())
        throw invalid_argument("image size", std::to_string(img.width()) + "x" + std::to_string(img.height()),
                               "the segmentation's " + std::to_string(seg.width()) + "x" + std::to_string(seg.height()));
    if (weights.size() != Eigen::Index(seg.count()))
        throw invalid_argument("weights size", weights.size(), "one per segment: " + std::to_string(seg.count()));
    if (!weights.allFinite()) throw invalid_argument("weights", "NaN or Inf", "finite values");
    if (!ro.uncertain.empty() && ro.uncertain.size() != std::size_t(seg.count()))
        throw invalid_argument("render_options.uncertain size", ro.uncertain.size(),
                               "one flag per segment: " + std::to_string(seg.count()) + ", or none (no hatching)");
}

template <class T>
std::uint8_t to_u8(T v) {
    if constexpr (std::is_same_v<T, std::uint8_t>) {
        return v;
    } else {
        const float f = std::isfinite(v) ? v : 0.0f;
        return static_cast<std::uint8_t>(std::lround(std::clamp(f, 0.0f, 1.0f) * 255.0f));
    }
}

}  // namespace detail

/// The image as 8-bit RGB (see the file comment for how channels map).
template <class T>
image<std::uint8_t> to_rgb8(image_view<const T> img) {
    if (img.empty()) throw invalid_argument("image", "empty", "a non-empty image");
    image<std::uint8_t> out(img.width(), img.height(), 3);
    const bool colour = img.channels() == 3 || img.channels() == 4;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x)
            for (int c = 0; c < 3; ++c) out.at(x, y, c) = detail::to_u8(img.at(x, y, colour ? c : 0));
    return out;
}
/// to_rgb8 of an owning image; see to_rgb8(image_view<const T>).
template <class T>
image<std::uint8_t> to_rgb8(const image<T>& img) { return to_rgb8(img.view()); }

/// Nearest-neighbour enlargement by an integer factor (for looking at small images).
/// Returns an image `factor` times wider and taller, of the same channels.
template <class T>
image<std::remove_const_t<T>> upscale_nearest(image_view<T> img, int factor) {
    if (factor < 1) throw invalid_argument("upscale_nearest factor", factor, "at least 1");
    if (img.empty()) throw invalid_argument("image", "empty", "a non-empty image");
    detail::check_dimensions("upscale_nearest result", std::int64_t(img.width()) * factor, std::int64_t(img.height()) * factor,
                             img.channels(), sizeof(T), limits{});
    image<std::remove_const_t<T>> out(img.width() * factor, img.height() * factor, img.channels());
    for (int y = 0; y < out.height(); ++y)
        for (int x = 0; x < out.width(); ++x)
            for (int c = 0; c < img.channels(); ++c) out.at(x, y, c) = img.at(x / factor, y / factor, c);
    return out;
}
/// upscale_nearest of an owning image; see upscale_nearest(image_view<T>, int).
template <class T>
image<T> upscale_nearest(const image<T>& img, int factor) { return upscale_nearest(img.view(), factor); }

/// The segmentation `factor` times wider and taller (each label repeated, nearest neighbour).
inline segmentation upscale_nearest(const segmentation& seg, int factor) {
    if (factor < 1) throw invalid_argument("upscale_nearest factor", factor, "at least 1");
    if (seg.empty()) throw invalid_argument("segmentation", "empty", "a non-empty segmentation");
    detail::check_dimensions("upscale_nearest result", std::int64_t(seg.width()) * factor, std::int64_t(seg.height()) * factor, 1,
                             sizeof(std::int32_t), limits{});
    const int w = seg.width() * factor, h = seg.height() * factor;
    std::vector<std::int32_t> labels(std::size_t(w) * std::size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) labels[std::size_t(y) * std::size_t(w) + std::size_t(x)] = seg.label(x / factor, y / factor);
    return detail::trusted_segmentation(w, h, std::move(labels), seg.count());
}

/// Paints `color` on every pixel of a segment in `shown` (#segments flags) that has a 4-neighbour
/// in another segment: the inner outline of each shown segment. `img`: RGB, the segmentation's size.
inline void draw_boundaries(image<std::uint8_t>& img, const segmentation& seg, const std::vector<char>& shown, rgb color) {
    const int w = seg.width(), h = seg.height();
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const std::int32_t l = seg.label(x, y);
            if (!shown[std::size_t(l)]) continue;
            const bool edge = (x > 0 && seg.label(x - 1, y) != l) || (x + 1 < w && seg.label(x + 1, y) != l) ||
                              (y > 0 && seg.label(x, y - 1) != l) || (y + 1 < h && seg.label(x, y + 1) != l);
            if (edge)
                for (int c = 0; c < 3; ++c) img.at(x, y, c) = color[std::size_t(c)];
        }
}

/// Paints `color` on the inner outline of a region: every pixel where `region` (1 channel, nonzero
/// = in the region) is nonzero and a 4-neighbour is zero or outside the image. `region` is drawn
/// `factor` times larger (nearest neighbour), so that a region of the explained image outlines the
/// same pixels on a pane drawn at render_options::scale = factor: `img` (RGB) is region.width() x
/// factor wide and region.height() x factor tall. Throws pixlime::invalid_argument for a region of
/// another channel count than 1, factor < 1 or an `img` of another size or channel count than 3.
inline void draw_outline(image<std::uint8_t>& img, image_view<const std::uint8_t> region, rgb color, int factor = 1) {
    if (region.channels() != 1) throw invalid_argument("draw_outline region channels", region.channels(), "1 (nonzero = in the region)");
    if (factor < 1) throw invalid_argument("draw_outline factor", factor, "at least 1");
    const int w = region.width() * factor, h = region.height() * factor;
    if (img.width() != w || img.height() != h || img.channels() != 3)
        throw invalid_argument("draw_outline image", std::to_string(img.width()) + "x" + std::to_string(img.height()) + "x" + std::to_string(img.channels()),
                               "RGB, the region's size times factor: " + std::to_string(w) + "x" + std::to_string(h) + "x3");
    const auto in = [&](int x, int y) { return x >= 0 && y >= 0 && x < w && y < h && region.at(x / factor, y / factor, 0) != 0; };
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            if (in(x, y) && !(in(x - 1, y) && in(x + 1, y) && in(x, y - 1) && in(x, y + 1)))
                for (int c = 0; c < 3; ++c) img.at(x, y, c) = color[std::size_t(c)];
}

/// Paints `color` on the pixels of the segments in `hatched` (#segments flags) that lie on
/// diagonal lines x + y = 0 (mod `spacing`): hatching, one pixel wide, from bottom left to top
/// right. `img`: RGB, the segmentation's size; spacing >= 2.
inline void draw_hatching(image<std::uint8_t>& img, const segmentation& seg, const std::vector<char>& hatched, rgb color,
                          int spacing) {
    if (spacing < 2) throw invalid_argument("draw_hatching spacing", spacing, "at least 2");
    if (hatched.size() != std::size_t(seg.count()))
        throw invalid_argument("draw_hatching flags size", hatched.size(), "one per segment: " + std::to_string(seg.count()));
    for (int y = 0; y < seg.height(); ++y)
        for (int x = 0; x < seg.width(); ++x)
            if ((x + y) % spacing == 0 && hatched[std::size_t(seg.label(x, y))])
                for (int c = 0; c < 3; ++c) img.at(x, y, c) = color[std::size_t(c)];
}

/// Which segments are within noise of 0: flag k is 1 when row k of `intervals` (#segments by 2,
/// low and high, e.g. explanation::weight_intervals) contains 0. For render_options::uncertain.
/// Throws pixlime::invalid_argument unless `intervals` has 2 columns of finite values, low <= high.
inline std::vector<char> uncertain_segments(const Eigen::MatrixXd& intervals) {
    if (intervals.cols() != 2)
        throw invalid_argument("intervals columns", intervals.cols(), "2 (low, high), as weight_intervals returns");
    if (!intervals.allFinite()) throw invalid_argument("intervals", "NaN or Inf", "finite values");
    std::vector<char> out(std::size_t(intervals.rows()), 0);
    for (Eigen::Index k = 0; k < intervals.rows(); ++k) {
        if (intervals(k, 0) > intervals(k, 1))
            throw invalid_argument("intervals row " + std::to_string(k), detail::to_text(intervals(k, 0)) + " > " + detail::to_text(intervals(k, 1)),
                                   "low <= high");
        out[std::size_t(k)] = intervals(k, 0) <= 0 && intervals(k, 1) >= 0;
    }
    return out;
}
/// The segments of `label` whose interval at `level` (explanation::weight_intervals) contains 0.
/// With enumerated masks the intervals have no width: only weights of exactly 0 are flagged.
/// Throws pixlime::invalid_argument for a custom surrogate (no standard errors), a label not
/// explained or a level outside (0, 1).
inline std::vector<char> uncertain_segments(const explanation& ex, int label, double level = 0.95) {
    return uncertain_segments(ex.weight_intervals(label, level));
}

/// The segments a pane shows, from the segments' `weights` (#segments values): sign +1 =
/// lime's positive_only list, -1 = negative_only, 0 = the top num_features by |weight| with
/// |weight| >= min_weight (lime's both-signs mask). Returns #segments flags.
inline std::vector<char> shown_segments(const Eigen::VectorXd& weights, int sign, const render_options& ro) {
    detail::check_render_options(ro);
    std::vector<char> shown(std::size_t(weights.size()), 0);
    int taken = 0;
    const auto order = ranked(weights);
    const double relative_floor = order.empty() ? 0.0 : ro.min_relative_weight * std::abs(order.front().second);
    for (std::size_t i = 0; i < order.size() && taken < ro.num_features; ++i) {
        const double w = order[i].second;
        const bool pick = sign > 0 ? (w > 0 && w > ro.min_weight)
                        : sign < 0 ? (w < 0 && std::abs(w) > ro.min_weight)
                                   : !(std::abs(w) < ro.min_weight);
        if (sign == 0) ++taken;  // lime walks exp[:num_features], skipping small ones
        if (!pick || std::abs(w) < relative_floor) continue;
        if (sign != 0) ++taken;
        shown[std::size_t(order[i].first)] = 1;
    }
    return shown;
}

namespace detail {

template <class T>
image<std::uint8_t> render_pane(image_view<const T> img, const segmentation& seg, const Eigen::VectorXd& w, int sign,
                                const render_options& ro) {
    check_render_input(img, seg, w, ro);
    const std::vector<char> shown = shown_segments(w, sign, ro);
    const segmentation seg_scaled = ro.scale > 1 ? upscale_nearest(seg, ro.scale) : segmentation();
    const segmentation& s = ro.scale > 1 ? seg_scaled : seg;
    image<std::uint8_t> out = ro.scale > 1 ? upscale_nearest(to_rgb8(img), ro.scale) : to_rgb8(img);
    const double keep = ro.hide_rest ? 0.0 : 1.0 - ro.dim_rest;
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < s.width(); ++x) {
            const std::int32_t l = s.label(x, y);
            if (!shown[std::size_t(l)]) {
                for (int c = 0; c < 3; ++c) {
                    const double v = keep * out.at(x, y, c) + (1.0 - keep) * ro.rest_color[std::size_t(c)];
                    out.at(x, y, c) = static_cast<std::uint8_t>(std::lround(v));
                }
            } else if (sign == 0) {  // lime: temp[segments == f, c] = np.max(image)
                const bool positive = w[l] >= 0;
                const rgb& col = positive ? ro.positive_color : ro.negative_color;
                for (int c = 0; c < 3; ++c)
                    if (col[std::size_t(c)] != 0) out.at(x, y, c) = col[std::size_t(c)];
            }
        }
    if (!ro.uncertain.empty()) {
        std::vector<char> hatched(shown.size(), 0);
        for (std::size_t l = 0; l < shown.size(); ++l) hatched[l] = shown[l] && ro.uncertain[l];
        draw_hatching(out, s, hatched, ro.hatch_color, ro.hatch_spacing);
    }
    if (ro.boundaries) draw_boundaries(out, s, shown, ro.boundary_color);
    return out;
}

/// Diverging colour for t in [-1, 1]: magenta-pink (-1), near white (0), green (+1)
/// (the end points and middle of ColorBrewer's PiYG).
inline rgb diverging(double t) {
    const rgb neg{197, 27, 125}, mid{247, 247, 247}, pos{77, 146, 33};
    const rgb& end = t < 0 ? neg : pos;
    const double a = std::min(1.0, std::abs(t));
    rgb c;
    for (int i = 0; i < 3; ++i) c[std::size_t(i)] = static_cast<std::uint8_t>(std::lround((1 - a) * mid[std::size_t(i)] + a * end[std::size_t(i)]));
    return c;
}

}  // namespace detail

/// The positive pane: the image with its top positive segments (weight > 0 and >
/// min_weight, at most num_features, in ranked order) as they are, the rest dimmed or hidden,
/// shown segments outlined.
/// \param img      the explained image (any channels; see the file comment).
/// \param seg      its segmentation (the image's size).
/// \param weights  #segments weights, e.g. explanation::weights(label).
/// \param ro       how to draw (render_options: features shown, dimming, outlines, scale).
/// \return         an RGB image of the image's size (times ro.scale).
/// Throws pixlime::invalid_argument for mismatched sizes, non-finite weights or bad options.
template <class T>
image<std::uint8_t> render_positive(image_view<const T> img, const segmentation& seg, const Eigen::VectorXd& weights,
                                    const render_options& ro = {}) {
    return detail::render_pane(img, seg, weights, +1, ro);
}

/// The negative pane: as render_positive, for the segments whose weight is < 0 and |weight| >
/// min_weight.
template <class T>
image<std::uint8_t> render_negative(image_view<const T> img, const segmentation& seg, const Eigen::VectorXd& weights,
                                    const render_options& ro = {}) {
    return detail::render_pane(img, seg, weights, -1, ro);
}

/// Both signs in one picture, as lime's get_image_and_mask(positive_only=False): among the top
/// num_features segments by |weight|, positive ones get positive_color's channels raised to 255,
/// negative ones negative_color's; the rest dimmed or hidden.
template <class T>
image<std::uint8_t> render_overlay(image_view<const T> img, const segmentation& seg, const Eigen::VectorXd& weights,
                                   const render_options& ro = {}) {
    return detail::render_pane(img, seg, weights, 0, ro);
}

/// Signed heatmap of every segment's weight over a gray copy of the image: a diverging colour
/// (green for positive, magenta for negative) whose opacity grows with |weight|, on a symmetric
/// scale where the largest |weight| gets full colour at heatmap_opacity. Outlines every segment
/// when boundaries is set.
template <class T>
image<std::uint8_t> render_heatmap(image_view<const T> img, const segmentation& seg, const Eigen::VectorXd& w,
                                   const render_options& ro = {}) {
    detail::check_render_options(ro);
    detail::check_render_input(img, seg, w, ro);
    const double largest = w.cwiseAbs().maxCoeff();
    const segmentation seg_scaled = ro.scale > 1 ? upscale_nearest(seg, ro.scale) : segmentation();
    const segmentation& s = ro.scale > 1 ? seg_scaled : seg;
    image<std::uint8_t> out = ro.scale > 1 ? upscale_nearest(to_rgb8(img), ro.scale) : to_rgb8(img);
    for (int y = 0; y < s.height(); ++y)
        for (int x = 0; x < s.width(); ++x) {
            const double t = largest > 0 ? w[s.label(x, y)] / largest : 0.0;
            const rgb col = detail::diverging(t);
            const double a = ro.heatmap_opacity * std::min(1.0, std::abs(t));
            const double gray = 0.299 * out.at(x, y, 0) + 0.587 * out.at(x, y, 1) + 0.114 * out.at(x, y, 2);
            for (int c = 0; c < 3; ++c)
                out.at(x, y, c) = static_cast<std::uint8_t>(std::lround((1 - a) * gray + a * col[std::size_t(c)]));
        }
    if (!ro.uncertain.empty()) draw_hatching(out, s, ro.uncertain, ro.hatch_color, ro.hatch_spacing);
    if (ro.boundaries) draw_boundaries(out, s, std::vector<char>(std::size_t(s.count()), 1), rgb{128, 128, 128});
    return out;
}

// The same four pictures from an explanation (its segmentation and the weights of `label`; the
// image must be the explained one, see the file comment), and for owning images.
#define PIXLIME_DETAIL_RENDER_OVERLOADS(name)                                                                                  \
    template <class T>                                                                                                         \
    image<std::uint8_t> name(const image<T>& img, const segmentation& seg, const Eigen::VectorXd& weights,                    \
                             const render_options& ro = {}) {                                                                  \
        return name(img.view(), seg, weights, ro);                                                                             \
    }                                                                                                                          \
    template <class T>                                                                                                         \
    image<std::uint8_t> name(image_view<const T> img, const explanation& ex, int label, const render_options& ro = {}) {      \
        if (!img.empty()) detail::check_explained_image(ex, img.width(), img.height(), img.channels());                        \
        return name(img, ex.segments(), ex.weights(label), ro);                                                                \
    }                                                                                                                          \
    template <class T>                                                                                                         \
    image<std::uint8_t> name(const image<T>& img, const explanation& ex, int label, const render_options& ro = {}) {          \
        return name(img.view(), ex, label, ro);                                                                                \
    }
PIXLIME_DETAIL_RENDER_OVERLOADS(render_positive)
PIXLIME_DETAIL_RENDER_OVERLOADS(render_negative)
PIXLIME_DETAIL_RENDER_OVERLOADS(render_overlay)
PIXLIME_DETAIL_RENDER_OVERLOADS(render_heatmap)
#undef PIXLIME_DETAIL_RENDER_OVERLOADS

/// RGB images placed left to right on a white background, `gap` pixels apart, tops aligned
/// (e.g. the image and its panes in one picture). Every image must have 3 channels.
inline image<std::uint8_t> side_by_side(const std::vector<image<std::uint8_t>>& images, int gap = 4) {
    if (images.empty()) throw invalid_argument("side_by_side images", "none", "at least one image");
    if (gap < 0) throw invalid_argument("side_by_side gap", gap, "at least 0");
    std::int64_t width = -std::int64_t(gap);
    int height = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto& im = images[i];
        if (im.empty()) throw invalid_argument("side_by_side images[" + std::to_string(i) + "]", "empty", "a non-empty image");
        if (im.channels() != 3)
            throw invalid_argument("side_by_side images[" + std::to_string(i) + "] channels", im.channels(), "3 (RGB)");
        width += std::int64_t(im.width()) + gap;
        height = std::max(height, im.height());
    }
    detail::check_dimensions("side_by_side result", width, height, 3, 1, limits{});
    image<std::uint8_t> out(int(width), height, 3, 255);
    int x0 = 0;
    for (const auto& im : images) {
        for (int y = 0; y < im.height(); ++y)
            std::copy(im.data() + std::size_t(y) * std::size_t(im.width()) * 3, im.data() + std::size_t(y + 1) * std::size_t(im.width()) * 3,
                      &out.at(x0, y, 0));
        x0 += im.width() + gap;
    }
    return out;
}

}  // namespace pixlime
