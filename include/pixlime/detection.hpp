#pragma once
/// \file pixlime/detection.hpp
/// Explaining an object detector's detections (D-RISE: Petsiuk et al., "Black-box Explanation of
/// Object Detectors via Saliency Maps", CVPR 2021): the detector is turned into a model with one
/// output per target detection, so that explain, every sampler, kernel and surrogate, the
/// uncertainty and the adaptive stop work unchanged.
///
/// A target is one detection of the original image: its box and its class. Each perturbed image
/// scores, for each target, as the best match over that image's detections of
///
///     IoU(target box, box) x objectness x cosine(target class vector, class vector)
///
/// - IoU: the boxes' intersection over their union (0 when they do not overlap);
/// - objectness: the detector's confidence that the box holds an object (YOLO's objectness; a
///   post-NMS detector's score when it gives no objectness, as torchvision's do);
/// - cosine: of the class-probability vectors; with a class id only (torchvision's labels), the
///   target's class against the detection's: 1 for the same class, 0 otherwise.
/// No detection, or none overlapping, scores 0. Every target is scored from the same perturbed
/// images, so explaining every detection of an image costs one set of model calls.
///
/// draw_box draws a target's box on its panes.
///
/// Layouts: detections_from_yolo reads pre-NMS rows (x_center, y_center, w, h, objectness, class
/// scores...), detections_from_torchvision torchvision's (boxes x1, y1, x2, y2; labels; scores).
///
///     pixlime::detection_target model(my_detector, {red_car, blue_car});   // two targets
///     auto ex = pixlime::explain(img, model, pixlime::target_options({}, 2));
///     ex.weights(0);   // which segments made the detector find red_car; ex.weights(1): blue_car

#include <pixlime/error.hpp>
#include <pixlime/explain_options.hpp>
#include <pixlime/target.hpp>
#include <pixlime/image.hpp>
#include <pixlime/render.hpp>
#include <pixlime/task.hpp>

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace pixlime {

/// An axis-aligned box in pixels: top-left corner (x, y), width w and height h (>= 0).
struct box {
    double x = 0;  ///< left edge
    double y = 0;  ///< top edge
    double w = 0;  ///< width
    double h = 0;  ///< height
};

/// One detection: its box, the detector's objectness (or score) in [0, 1], and its class either
/// as a vector of class scores (`class_scores`, one per class; empty if the detector gives none)
/// or as a class id (`class_id`, -1 if none).
struct detection {
    pixlime::box box;              ///< where, in pixels
    double objectness = 1;         ///< the detector's objectness, or its score when it gives none
    Eigen::VectorXd class_scores;  ///< one score per class (empty: class_id is used)
    int class_id = -1;             ///< the class, when there are no class_scores (-1: none)
};

/// Intersection over union of `a` and `b` (0 when either is empty or they do not overlap).
inline double iou(const box& a, const box& b) {
    const double w = std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x);
    const double h = std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y);
    if (w <= 0 || h <= 0) return 0;
    const double inter = w * h, uni = a.w * a.h + b.w * b.h - inter;
    return uni > 0 ? inter / uni : 0;
}

/// A detection's confidence for ranking: objectness x its largest class score (objectness alone
/// with a class id only).
inline double detection_confidence(const detection& d) {
    return d.class_scores.size() > 0 ? d.objectness * d.class_scores.maxCoeff() : d.objectness;
}

/// The class a detection names: class_id, or else the largest of its class_scores (-1: neither).
inline int detection_class(const detection& d) {
    if (d.class_id >= 0 || d.class_scores.size() == 0) return d.class_id;
    return int(std::max_element(d.class_scores.data(), d.class_scores.data() + d.class_scores.size()) - d.class_scores.data());
}

/// D-RISE's similarity of `proposal` to `target` (see the file comment): IoU x objectness x the
/// cosine of the class vectors, or with a class id on either side [same class]. Throws
/// pixlime::invalid_argument when the two give class vectors of different lengths, or when
/// neither class vectors nor ids can be compared.
inline double drise_similarity(const detection& target, const detection& proposal) {
    const double overlap = iou(target.box, proposal.box);
    if (overlap == 0) return 0;
    double cls = 0;
    if (target.class_scores.size() > 0 && proposal.class_scores.size() > 0) {
        if (target.class_scores.size() != proposal.class_scores.size())
            throw invalid_argument("detection class_scores size", proposal.class_scores.size(),
                                   "the target's, " + std::to_string(target.class_scores.size()));
        const double norms = target.class_scores.norm() * proposal.class_scores.norm();
        cls = norms > 0 ? target.class_scores.dot(proposal.class_scores) / norms : 0;
    } else {
        const int a = detection_class(target), b = detection_class(proposal);
        if (a < 0 || b < 0)
            throw invalid_argument("detection class", "neither class_scores nor class_id", "class_scores or a class_id >= 0 on both sides");
        cls = a == b ? 1 : 0;
    }
    return overlap * proposal.objectness * cls;
}

/// The score of each of `targets` on one image: the largest drise_similarity over that image's
/// `detections` (0 with none). Returns #targets values.
inline Eigen::RowVectorXd drise_scores(const std::vector<detection>& targets, const std::vector<detection>& detections) {
    Eigen::RowVectorXd s = Eigen::RowVectorXd::Zero(Eigen::Index(targets.size()));
    for (std::size_t t = 0; t < targets.size(); ++t)
        for (const detection& d : detections) s[Eigen::Index(t)] = std::max(s[Eigen::Index(t)], drise_similarity(targets[t], d));
    return s;
}

/// Detections from YOLO-style pre-NMS rows (#rows by 5 + #classes): x_center, y_center, w, h in
/// the model input's pixels, objectness, then one score per class. Rows whose objectness is
/// below `min_objectness` are left out. Throws pixlime::invalid_argument for fewer than 6
/// columns or a value that is not finite.
inline std::vector<detection> detections_from_yolo(const Eigen::MatrixXd& rows, double min_objectness = 0) {
    if (rows.rows() > 0 && rows.cols() < 6)
        throw invalid_argument("YOLO rows columns", rows.cols(), "x_center, y_center, w, h, objectness and at least one class score (>= 6)");
    if (!rows.allFinite()) throw invalid_argument("YOLO rows", "NaN or Inf", "finite values");
    std::vector<detection> out;
    for (Eigen::Index i = 0; i < rows.rows(); ++i) {
        if (rows(i, 4) < min_objectness) continue;
        detection d;
        d.box = {rows(i, 0) - rows(i, 2) / 2, rows(i, 1) - rows(i, 3) / 2, rows(i, 2), rows(i, 3)};
        d.objectness = rows(i, 4);
        d.class_scores = rows.row(i).tail(rows.cols() - 5).transpose();
        out.push_back(std::move(d));
    }
    return out;
}

/// Detections from torchvision's output for one image: `boxes` (#detections by 4: x1, y1, x2,
/// y2), `labels` (class ids) and `scores` (each detection's score, taken as its objectness);
/// detections scoring below `min_score` are left out. Throws pixlime::invalid_argument when the
/// sizes disagree or a value is not finite.
inline std::vector<detection> detections_from_torchvision(const Eigen::MatrixXd& boxes, const std::vector<int>& labels,
                                                          const Eigen::VectorXd& scores, double min_score = 0) {
    if (boxes.rows() > 0 && boxes.cols() != 4) throw invalid_argument("torchvision boxes columns", boxes.cols(), "4: x1, y1, x2, y2");
    if (std::size_t(boxes.rows()) != labels.size() || boxes.rows() != scores.size())
        throw invalid_argument("torchvision detections", std::to_string(boxes.rows()) + " boxes, " + std::to_string(labels.size()) +
                                                             " labels, " + std::to_string(scores.size()) + " scores",
                               "as many labels and scores as boxes");
    if (!boxes.allFinite() || !scores.allFinite()) throw invalid_argument("torchvision detections", "NaN or Inf", "finite boxes and scores");
    std::vector<detection> out;
    for (Eigen::Index i = 0; i < boxes.rows(); ++i) {
        if (scores[i] < min_score) continue;
        detection d;
        d.box = {boxes(i, 0), boxes(i, 1), boxes(i, 2) - boxes(i, 0), boxes(i, 3) - boxes(i, 1)};
        d.objectness = scores[i];
        d.class_id = labels[std::size_t(i)];
        out.push_back(std::move(d));
    }
    return out;
}

/// Greedy non-maximum suppression, per class (detection_class): by decreasing
/// detection_confidence, each detection is kept unless it overlaps a kept one of its class with
/// IoU above `iou_threshold`. Returns the kept detections in their order in `found`. What picks
/// an image's detections to explain from YOLO's pre-NMS rows (one target per object, not one per
/// row). Throws pixlime::invalid_argument for a threshold outside [0, 1].
inline std::vector<detection> non_max_suppression(const std::vector<detection>& found, double iou_threshold = 0.5) {
    if (!(iou_threshold >= 0 && iou_threshold <= 1)) throw invalid_argument("non_max_suppression iou_threshold", iou_threshold, "a value in [0, 1]");
    std::vector<std::size_t> order(found.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return detection_confidence(found[a]) > detection_confidence(found[b]); });
    std::vector<char> kept(found.size(), 0);
    for (std::size_t i : order) {
        bool overlaps = false;
        for (std::size_t k = 0; k < found.size() && !overlaps; ++k)
            overlaps = kept[k] && detection_class(found[k]) == detection_class(found[i]) && iou(found[k].box, found[i].box) > iou_threshold;
        kept[i] = !overlaps;
    }
    std::vector<detection> out;
    for (std::size_t i = 0; i < found.size(); ++i)
        if (kept[i]) out.push_back(found[i]);
    return out;
}

/// An image's own detections worth explaining: those whose detection_confidence is at least
/// `min_score` (and whose detection_class is `only_class`, when >= 0), one per object
/// (non_max_suppression at `iou_threshold`), in their order in `found`. Empty when none is. How
/// the command's every-detection mode and Python's targets=None pick their targets.
inline std::vector<detection> detections_to_explain(const std::vector<detection>& found, double min_score, int only_class = -1,
                                                    double iou_threshold = 0.5) {
    std::vector<detection> kept;
    for (const detection& d : found)
        if (detection_confidence(d) >= min_score && (only_class < 0 || detection_class(d) == only_class)) kept.push_back(d);
    return non_max_suppression(kept, iou_threshold);
}

/// Paints `b` (in the explained image's pixels) as a rectangle `thickness` screen pixels wide on
/// a pane drawn `factor` times larger (render_options::scale): the box's edges x factor, inside
/// the box, clipped to `img` (RGB). The panes of a detection target show its box this way.
/// Throws pixlime::invalid_argument for an `img` that is not RGB, factor or thickness < 1, or a
/// box that is not finite or has a negative size.
inline void draw_box(image<std::uint8_t>& img, const box& b, rgb color, int factor = 1, int thickness = 2) {
    if (img.channels() != 3) throw invalid_argument("draw_box image channels", img.channels(), "3 (RGB)");
    if (factor < 1) throw invalid_argument("draw_box factor", factor, "at least 1");
    if (thickness < 1) throw invalid_argument("draw_box thickness", thickness, "at least 1");
    if (!std::isfinite(b.x) || !std::isfinite(b.y) || !(b.w >= 0) || !(b.h >= 0) || !std::isfinite(b.w) || !std::isfinite(b.h))
        throw invalid_argument("draw_box box", "x " + std::to_string(b.x) + ", y " + std::to_string(b.y) + ", w " + std::to_string(b.w) + ", h " + std::to_string(b.h),
                               "finite values, w and h >= 0");
    // The box's edges on the pane (a box reaching past the image keeps its edges out there: only
    // the edges inside the image are painted).
    const long x0 = std::lround(b.x * factor), x1 = std::lround((b.x + b.w) * factor);
    const long y0 = std::lround(b.y * factor), y1 = std::lround((b.y + b.h) * factor);
    const auto clip = [](long v, int limit) { return int(std::clamp(v, 0L, long(limit))); };
    for (int y = clip(y0, img.height()); y < clip(y1, img.height()); ++y)
        for (int x = clip(x0, img.width()); x < clip(x1, img.width()); ++x)
            if (x < x0 + thickness || x >= x1 - thickness || y < y0 + thickness || y >= y1 - thickness)
                for (int c = 0; c < 3; ++c) img.at(x, y, c) = color[std::size_t(c)];
}

/// A detector as a model for explain: called with a batch, it runs `detector` (any callable
/// `std::vector<std::vector<detection>> detector(batch_view<const V>)`, one list of detections
/// per image of the batch) and returns the batch's drise_scores (batch size by #targets), one
/// output per target. Explain all of them at once with target_options: each target's weights
/// say which segments made the detector find it.
template <class Detector>
class detection_target {
public:
    /// Throws pixlime::invalid_argument when `targets` is empty.
    detection_target(Detector detector, std::vector<detection> targets) : detector_(std::move(detector)), targets_(std::move(targets)) {
        if (targets_.empty()) throw invalid_argument("detection_target targets", "none", "at least one target detection");
    }
    /// The targets' scores on each image of `batch`. Throws pixlime::invalid_argument when the
    /// detector returns another number of lists than images.
    template <class V, std::enable_if_t<std::is_invocable_v<Detector&, batch_view<const V>>, int> = 0>
    Eigen::MatrixXd operator()(batch_view<const V> batch) {
        const std::vector<std::vector<detection>> found = detector_(batch);
        if (found.size() != std::size_t(batch.size()))
            throw invalid_argument("detector result", std::to_string(found.size()) + " lists of detections",
                                   "one per image of the batch: " + std::to_string(batch.size()));
        Eigen::MatrixXd out(batch.size(), Eigen::Index(targets_.size()));
        for (int i = 0; i < batch.size(); ++i) out.row(i) = drise_scores(targets_, found[std::size_t(i)]);
        return out;
    }
    /// The target detections, in output order.
    const std::vector<detection>& targets() const { return targets_; }

private:
    Detector detector_;
    std::vector<detection> targets_;
};

}  // namespace pixlime
