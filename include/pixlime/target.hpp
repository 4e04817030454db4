#pragma once
/// \file pixlime/target.hpp
/// target_options: explain_options set up for a model with one output per target, the targets
/// of a wrapped model (detection_target's detections, segmentation_target's regions), so that
/// every target is explained from one set of perturbed images and model calls.
///
///     pixlime::detection_target model(my_detector, {red_car, blue_car});
///     auto ex = pixlime::explain(img, model, pixlime::target_options({}, 2));   // ex.weights(0), ex.weights(1)

#include <pixlime/error.hpp>
#include <pixlime/explain_options.hpp>
#include <pixlime/task.hpp>

namespace pixlime {

/// `opt` set up to explain all `count` (>= 1) outputs of a target model (one output per target):
/// with one target, explain_options::task = task::regression (its score is the one value
/// explained, label 0, with no [0, 1] check); with more, explain_options::labels = 0..count-1
/// (each target's score an output of its own, label k = target k). Throws
/// pixlime::invalid_argument for count < 1.
inline explain_options target_options(explain_options opt, int count) {
    if (count < 1) throw invalid_argument("target_options count", count, "at least 1 target");
    opt.labels.clear();
    if (count == 1) {
        opt.task = task::regression;
    } else {
        opt.task = task::classification;
        for (int i = 0; i < count; ++i) opt.labels.push_back(i);
    }
    return opt;
}

}  // namespace pixlime
