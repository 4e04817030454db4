#pragma once
/// \file pixlime/segmentation_target.hpp
/// Explaining a semantic segmentation model's output over a region: the model (one row of
/// per-pixel class scores per image) is turned into a model with one output per target, so that
/// explain, every sampler, kernel and surrogate, the uncertainty and the adaptive stop work
/// unchanged.
///
/// A target is a class c and a region of the score map; its score on an image is
///
///     mean over the pixels p of the region of score(c, p)
///
/// the class's mean score over the region. The region is either a mask the user draws (read in
/// the image's pixels, resize_region brings it to the score map's size) or the pixels the model
/// assigns to c on the original image (predicted_region: where c has the largest score). Hiding
/// the segments that made the model see c there drops the score, so they get the largest
/// weights. Every target is scored from the same perturbed images, so explaining several
/// classes or regions of an image costs one set of model calls.
///
/// The score map (pixel_scores) is width x height pixels of `classes` scores each, laid out
/// nchw (one plane per class, most runtimes' output) or nhwc (interleaved); its size may
/// differ from the input image's (a network's output stride).
///
///     pixlime::region_target road{1, pixlime::predicted_region(scores_of_original, shape, 1)};
///     pixlime::segmentation_target model(my_segmenter, shape, {road});
///     auto ex = pixlime::explain(img, model, pixlime::target_options({}, 1));   // ex.weights(0)

#include <pixlime/error.hpp>
#include <pixlime/explain_options.hpp>
#include <pixlime/image.hpp>
#include <pixlime/target.hpp>
#include <pixlime/task.hpp>

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// How a segmentation model lays out one image's per-pixel class scores in its output row:
/// width x height pixels of `classes` scores, width * height * classes values in all.
struct pixel_scores {
    int width = 0;    ///< the score map's width in pixels (may differ from the input image's)
    int height = 0;   ///< the score map's height in pixels (may differ from the input image's)
    int classes = 0;  ///< scores per pixel (the model's classes)
    /// layout::nchw: class c's score at pixel (x, y) is value c * height * width + y * width + x
    /// (one plane per class); layout::nhwc: value (y * width + x) * classes + c (interleaved).
    pixlime::layout layout = pixlime::layout::nchw;
};

/// One target: class `class_index`'s mean score over the pixels where `region` is nonzero.
/// `region` is one channel of the score map's width x height (see resize_region and
/// predicted_region) with at least one nonzero pixel.
struct region_target {
    int class_index = 0;            ///< the class explained, 0 to pixel_scores::classes - 1
    image<std::uint8_t> region;     ///< width x height x 1 of the score map: nonzero = in the region
};

namespace detail {

/// Throws pixlime::invalid_argument for a width, height or class count below 1 or a layout
/// other than nchw and nhwc, pixlime::size_limit_error over limits' max_pixels (width x height)
/// or max_classes.
inline void check_pixel_scores(const pixel_scores& shape) {
    if (shape.width < 1) throw invalid_argument("pixel_scores width", shape.width, "at least 1");
    if (shape.height < 1) throw invalid_argument("pixel_scores height", shape.height, "at least 1");
    if (shape.classes < 1) throw invalid_argument("pixel_scores classes", shape.classes, "at least 1");
    if (shape.layout != layout::nchw && shape.layout != layout::nhwc)
        throw invalid_argument("pixel_scores layout", int(shape.layout), "pixlime::layout::nchw or nhwc");
    const limits lim;
    if (std::int64_t(shape.width) * shape.height > lim.max_pixels)
        throw size_limit_error("pixel_scores size", std::to_string(shape.width) + "x" + std::to_string(shape.height),
                               "at most limits.max_pixels = " + std::to_string(lim.max_pixels) + " pixels");
    if (shape.classes > lim.max_classes)
        throw size_limit_error("pixel_scores classes", shape.classes, "at most limits.max_classes = " + std::to_string(lim.max_classes));
}

/// width * height * classes of a checked shape.
inline Eigen::Index score_count(const pixel_scores& shape) {
    return Eigen::Index(shape.width) * Eigen::Index(shape.height) * Eigen::Index(shape.classes);
}

/// Throws pixlime::invalid_argument, naming `what`, unless `scores` holds score_count(shape)
/// finite values.
inline void check_score_row(const std::string& what, const Eigen::Ref<const Eigen::RowVectorXd>& scores, const pixel_scores& shape) {
    if (scores.size() != score_count(shape))
        throw invalid_argument(what + " size", scores.size(),
                               "pixel_scores width x height x classes = " + std::to_string(shape.width) + " x " +
                                   std::to_string(shape.height) + " x " + std::to_string(shape.classes) + " = " +
                                   std::to_string(score_count(shape)));
    if (!scores.allFinite()) throw invalid_argument(what, "NaN or Inf", "finite scores");
}

/// Throws pixlime::invalid_argument, naming `what`, unless 0 <= class_index < shape.classes.
inline void check_class_index(const std::string& what, int class_index, const pixel_scores& shape) {
    if (class_index < 0 || class_index >= shape.classes)
        throw invalid_argument(what, class_index, "a class of the score map, 0 to " + std::to_string(shape.classes - 1));
}

/// The index of each pixel of target `t`'s region (y * width + x where region is nonzero), in
/// row order. Throws pixlime::invalid_argument for a class outside the shape, a region that is not
/// width x height x 1, or one with no nonzero pixel (naming the target and its class).
inline std::vector<Eigen::Index> region_pixels(const region_target& target, std::size_t t, const pixel_scores& shape) {
    const std::string which = "target " + std::to_string(t) + " (class " + std::to_string(target.class_index) + ")";
    check_class_index("region_target class_index", target.class_index, shape);
    const image<std::uint8_t>& r = target.region;
    if (r.empty() || r.width() != shape.width || r.height() != shape.height || r.channels() != 1)
        throw invalid_argument("region_target region size",
                               which + ": " + (r.empty() ? std::string("empty") : std::to_string(r.width()) + "x" +
                                                                                        std::to_string(r.height()) + "x" +
                                                                                        std::to_string(r.channels())),
                               "the score map's " + std::to_string(shape.width) + "x" + std::to_string(shape.height) +
                                   " with 1 channel (resize_region brings a mask to it)");
    std::vector<Eigen::Index> pixels;
    for (int y = 0; y < r.height(); ++y)
        for (int x = 0; x < r.width(); ++x)
            if (r.at(x, y) != 0) pixels.push_back(Eigen::Index(y) * shape.width + x);
    if (pixels.empty())
        throw invalid_argument("region_target region", which + ": no nonzero pixel",
                               "at least one pixel in the region (a class the model does not predict on the image has an "
                               "empty predicted_region)");
    return pixels;
}

/// Class `c`'s mean score over `pixels` in a checked score row.
inline double mean_score(const Eigen::Ref<const Eigen::RowVectorXd>& scores, const pixel_scores& shape, int c,
                         const std::vector<Eigen::Index>& pixels) {
    const Eigen::Index plane = Eigen::Index(shape.width) * shape.height;
    double sum = 0;
    if (shape.layout == layout::nchw) {
        const Eigen::Index base = Eigen::Index(c) * plane;
        for (const Eigen::Index p : pixels) sum += scores[base + p];
    } else {
        for (const Eigen::Index p : pixels) sum += scores[p * shape.classes + c];
    }
    return sum / double(pixels.size());
}

}  // namespace detail

/// The pixels where class `class_index` has the largest of the `shape.classes` scores (ties: the
/// lowest class index wins), for one image's score row (`scores`: width * height * classes
/// values in shape.layout order). Returns a shape.width x shape.height 1-channel image, 255 in
/// the region and 0 elsewhere (all 0 when the model assigns no pixel to the class). Throws
/// pixlime::invalid_argument (naming the parameter, the value and what was expected) for a
/// width, height or class count <= 0, a class_index outside [0, classes), a row of another
/// length than width * height * classes, or a score that is NaN or Inf.
inline image<std::uint8_t> predicted_region(const Eigen::Ref<const Eigen::RowVectorXd>& scores, const pixel_scores& shape,
                                            int class_index) {
    detail::check_pixel_scores(shape);
    detail::check_class_index("predicted_region class_index", class_index, shape);
    detail::check_score_row("predicted_region scores", scores, shape);
    image<std::uint8_t> out(shape.width, shape.height, 1);
    const Eigen::Index plane = Eigen::Index(shape.width) * shape.height;
    const bool nchw = shape.layout == layout::nchw;
    for (Eigen::Index p = 0; p < plane; ++p) {
        const auto at = [&](int c) { return nchw ? scores[Eigen::Index(c) * plane + p] : scores[p * shape.classes + c]; };
        int best = 0;
        double best_score = at(0);
        for (int c = 1; c < shape.classes; ++c) {
            const double s = at(c);
            if (s > best_score) {  // strictly larger: on a tie the lower class keeps the pixel
                best = c;
                best_score = s;
            }
        }
        out.data()[p] = std::uint8_t(best == class_index ? 255 : 0);
    }
    return out;
}

/// Each target's mean score of its class over its region, for one image's score row (`scores`:
/// width * height * classes values in shape.layout order). Returns #targets values, in the
/// targets' order. Throws pixlime::invalid_argument for a bad shape (see predicted_region), a row
/// of another length or with a NaN or Inf, a target whose class is outside [0, classes), whose
/// region is not width x height x 1 or has no nonzero pixel.
inline Eigen::RowVectorXd region_scores(const std::vector<region_target>& targets, const Eigen::Ref<const Eigen::RowVectorXd>& scores,
                                        const pixel_scores& shape) {
    detail::check_pixel_scores(shape);
    detail::check_score_row("region_scores scores", scores, shape);
    Eigen::RowVectorXd out(Eigen::Index(targets.size()));
    for (std::size_t t = 0; t < targets.size(); ++t)
        out[Eigen::Index(t)] = detail::mean_score(scores, shape, targets[t].class_index, detail::region_pixels(targets[t], t, shape));
    return out;
}

/// A mask in the image's pixels (`mask`: any size, any channel count; a pixel is in the region
/// when any of its channels is nonzero) brought to the score map's `width` x `height` by nearest
/// neighbour (output pixel x reads mask column floor((x + 0.5) * mask.width() / width), rows
/// alike). Returns a width x height 1-channel image, 255 in the region and 0 elsewhere; a region
/// thinner than the scale factor may vanish. Throws pixlime::invalid_argument for an empty mask
/// or a width or height below 1, pixlime::size_limit_error over limits' max_pixels, before
/// allocating.
inline image<std::uint8_t> resize_region(image_view<const std::uint8_t> mask, int width, int height) {
    if (mask.empty()) throw invalid_argument("resize_region mask", "empty", "a mask image");
    if (width < 1) throw invalid_argument("resize_region width", width, "at least 1");
    if (height < 1) throw invalid_argument("resize_region height", height, "at least 1");
    image<std::uint8_t> out(width, height, 1);  // checks limits' max_pixels before allocating
    std::vector<int> column(static_cast<std::size_t>(width));
    for (int x = 0; x < width; ++x)
        column[std::size_t(x)] = int((2 * std::int64_t(x) + 1) * mask.width() / (2 * std::int64_t(width)));
    for (int y = 0; y < height; ++y) {
        const int sy = int((2 * std::int64_t(y) + 1) * mask.height() / (2 * std::int64_t(height)));
        for (int x = 0; x < width; ++x) {
            bool in = false;
            for (int c = 0; c < mask.channels() && !in; ++c) in = mask.at(column[std::size_t(x)], sy, c) != 0;
            out.at(x, y) = std::uint8_t(in ? 255 : 0);
        }
    }
    return out;
}

/// A segmentation model as a model for explain, one output per target: called with a batch, it
/// runs `model` (any callable over batch_view<const V> returning an Eigen matrix of float or
/// double, batch.size() rows by width * height * classes columns: each image's score row in
/// shape.layout order) and returns the batch's region_scores (batch.size() by #targets). Explain
/// every target at once with target_options(opt, targets().size()): each target's weights say
/// which segments made the model see its class over its region.
template <class Model>
class segmentation_target {
public:
    /// Throws pixlime::invalid_argument for a bad `shape` (see predicted_region), no target, or a
    /// target whose class_index is outside [0, shape.classes), whose region is not shape.width x
    /// shape.height x 1, or has no nonzero pixel ("region_target region", naming the target and
    /// its class).
    segmentation_target(Model model, pixel_scores shape, std::vector<region_target> targets)
        : model_(std::move(model)), shape_(shape), targets_(std::move(targets)) {
        detail::check_pixel_scores(shape_);
        if (targets_.empty()) throw invalid_argument("segmentation_target targets", "none", "at least one region_target");
        for (std::size_t t = 0; t < targets_.size(); ++t) pixels_.push_back(detail::region_pixels(targets_[t], t, shape_));
    }
    /// The targets' scores on each image of `batch` (batch.size() by #targets). Throws
    /// pixlime::invalid_argument ("segmentation model result") when the model returns another
    /// number of rows than images, another number of columns than width * height * classes, or
    /// a NaN or Inf.
    template <class V, std::enable_if_t<std::is_invocable_v<Model&, batch_view<const V>>, int> = 0>
    Eigen::MatrixXd operator()(batch_view<const V> batch) {
        // Row-major: each image's score row is contiguous, read in place by mean_score.
        const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> scores = model_(batch).template cast<double>();
        if (scores.rows() != batch.size())
            throw invalid_argument("segmentation model result rows", scores.rows(), "one per image of the batch: " + std::to_string(batch.size()));
        if (scores.cols() != detail::score_count(shape_))
            throw invalid_argument("segmentation model result columns", scores.cols(),
                                   "pixel_scores width x height x classes = " + std::to_string(detail::score_count(shape_)));
        if (!scores.allFinite()) throw invalid_argument("segmentation model result", "NaN or Inf", "finite scores");
        Eigen::MatrixXd out(batch.size(), Eigen::Index(targets_.size()));
        for (Eigen::Index i = 0; i < scores.rows(); ++i)
            for (std::size_t t = 0; t < targets_.size(); ++t)
                out(i, Eigen::Index(t)) = detail::mean_score(scores.row(i), shape_, targets_[t].class_index, pixels_[t]);
        return out;
    }
    /// The targets, in output order.
    const std::vector<region_target>& targets() const { return targets_; }
    /// The layout of the model's score rows.
    const pixel_scores& shape() const { return shape_; }

private:
    Model model_;
    pixel_scores shape_;
    std::vector<region_target> targets_;
    std::vector<std::vector<Eigen::Index>> pixels_;  // each target's region, as pixel indices
};

}  // namespace pixlime
