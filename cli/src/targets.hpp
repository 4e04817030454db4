#pragma once
/// \file targets.hpp
/// `pixlime explain --task detection|segmentation`: the target flags, and per image the targets
/// (a detector's detections, a segmenter's class region) with the model that scores them
/// (pixlime::detection_target, pixlime::segmentation_target), one output per target, so that one
/// explanation serves them all.

#include <pixlime_app/backend.hpp>
#include <pixlime_app/record.hpp>

#include <pixlime/image.hpp>
#include <pixlime/model_input.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pixlime::cli {

/// The target flags' values (documented in docs/cli.md).
struct target_flags {
    std::string detections = "torchvision";  ///< the detector's output layout: yolo or torchvision
    std::string target_box;                  ///< "x,y,w,h" in the image's pixels (empty: every detection)
    std::string target_class;                ///< a name from --labels, or a class number
    double min_score = 0.5;                  ///< every-detection mode: the detections explained score at least this
    std::string target_mask;                 ///< segmentation: a PNG, nonzero = the region (empty: the model's own)
};

/// Adds --detections, --target-box, --target-class, --min-score and --target-mask.
void add_target_flags(CLI::App& app, target_flags& f);
/// Checks the flags against `task` (before the model loads); throws usage_error naming the flag.
void check_target_flags(const target_flags& f, const std::string& task, const std::vector<std::string>& names);
/// What the targets depend on, recorded in the records' settings (compared by reruns): nothing
/// for classification and regression.
nlohmann::ordered_json target_settings_json(const target_flags& f, const std::string& task);

/// One image's targets: one record per target (its label k = target k), the model scoring every
/// target on a batch (batch size x #targets), and whether the targets are every detection found
/// (records named INPUT#k) or the one the flags name (a record named INPUT).
struct image_targets {
    std::vector<pixlime::app::record_target> records;
    std::function<Eigen::MatrixXd(pixlime::batch_view<const float>)> model;
    bool every_detection = false;
};

/// The targets of `img` (the explained image, `raw_width` x `raw_height` before it was resized
/// to the model's input) for `task`, from one model call on the image. Throws std::runtime_error
/// when there is none (no detection scoring --min-score, an empty region) or the model's output
/// does not fit the task.
image_targets targets_for(const std::string& task, const target_flags& f, pixlime::app::model_backend& model,
                          const std::vector<std::string>& names, const pixlime::image<float>& img, int raw_width, int raw_height,
                          const pixlime::model_input& input);

}  // namespace pixlime::cli
