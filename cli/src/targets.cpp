#include "targets.hpp"

#include "model_flags.hpp"

#include <pixlime/detection.hpp>
#include <pixlime/io.hpp>
#include <pixlime/segmentation_target.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace pixlime::cli {
namespace {

/// The class --target-class names: its line in --labels, or else a class number.
int class_index(const std::string& name, const std::vector<std::string>& names) {
    const auto at = std::find(names.begin(), names.end(), name);
    if (at != names.end()) return int(at - names.begin());
    std::size_t used = 0;
    int k = -1;
    try {
        k = std::stoi(name, &used);
    } catch (const std::exception&) {
    }
    if (used != name.size() || k < 0 || (!names.empty() && std::size_t(k) >= names.size()))
        throw usage_error("--target-class '" + name + "': expected " +
                          (names.empty() ? std::string("a class number (or give --labels to name classes)")
                                         : "a name from --labels (" + std::to_string(names.size()) + " classes) or a class number below " +
                                               std::to_string(names.size())));
    return k;
}

std::string class_name(int k, const std::vector<std::string>& names) {
    return k >= 0 && std::size_t(k) < names.size() ? names[std::size_t(k)] : std::to_string(k);
}

pixlime::box parse_box(const std::string& text) {
    const std::vector<double> v = parse_list(text, "--target-box");
    if (v.size() != 4 || !(v[2] > 0) || !(v[3] > 0))
        throw usage_error("--target-box '" + text + "': expected x,y,w,h (the top-left corner, width and height in the image's pixels, w and h > 0)");
    return {v[0], v[1], v[2], v[3]};
}

/// The image as the model's input: a batch of one.
struct one_image_batch {
    std::vector<float> values;
    pixlime::batch_view<const float> view;
    one_image_batch(const pixlime::image<float>& img, const pixlime::model_input& input)
        : values(pixlime::detail::to_model_input<float>(img.view(), input)),
          view(values.data(), 1, img.width(), img.height(), input.output_channels(img.channels()), input.layout) {}
};

image_targets detection_targets(const target_flags& f, pixlime::app::model_backend& model, const std::vector<std::string>& names,
                                const pixlime::image<float>& img, double sx, double sy, const pixlime::model_input& input) {
    const one_image_batch original(img, input);
    const std::vector<pixlime::detection> found = model.detect(original.view, f.detections, 0).at(0);
    std::vector<pixlime::detection> targets;
    image_targets out;
    if (!f.target_box.empty()) {  // the one the flags name, in the image's pixels
        const pixlime::box b = parse_box(f.target_box);
        pixlime::detection t;
        t.box = {b.x * sx, b.y * sy, b.w * sx, b.h * sy};
        t.class_id = class_index(f.target_class, names);
        targets.push_back(t);
    } else {  // every detection of the image scoring --min-score (of --target-class when given), one per object
        const int only = f.target_class.empty() ? -1 : class_index(f.target_class, names);
        targets = pixlime::detections_to_explain(found, f.min_score, only);
        double best = 0;
        for (const pixlime::detection& d : found) best = std::max(best, pixlime::detection_confidence(d));
        if (targets.empty())
            throw std::runtime_error("no detection of the image" + (only < 0 ? std::string() : " of class " + class_name(only, names)) +
                                     " scores at least --min-score " + pixlime::detail::to_text(f.min_score) + " (" + std::to_string(found.size()) +
                                     " detections, the best scoring " + pixlime::detail::to_text(best) + ")");
        out.every_detection = true;
    }
    for (std::size_t k = 0; k < targets.size(); ++k) {
        const pixlime::detection& t = targets[k];
        pixlime::app::record_target r;
        r.task = "detection";
        r.label = int(k);
        r.class_index = pixlime::detection_class(t);
        r.class_name = class_name(r.class_index, names);
        r.box = t.box;
        r.fields["box"] = {t.box.x / sx, t.box.y / sy, t.box.w / sx, t.box.h / sy};
        if (out.every_detection) r.fields["score"] = pixlime::detection_confidence(t);
        out.records.push_back(std::move(r));
    }
    const std::string layout = f.detections;
    auto detector = [&model, layout](pixlime::batch_view<const float> b) { return model.detect(b, layout, 0); };
    auto scored = std::make_shared<pixlime::detection_target<decltype(detector)>>(detector, std::move(targets));
    out.model = [scored](pixlime::batch_view<const float> b) -> Eigen::MatrixXd { return (*scored)(b); };
    return out;
}

image_targets segmentation_targets(const target_flags& f, pixlime::app::model_backend& model, const std::vector<std::string>& names,
                                   const pixlime::image<float>& img, const pixlime::model_input& input) {
    const one_image_batch original(img, input);
    const pixlime::app::output_tensor y = model.forward(original.view);
    const bool nchw = input.layout == pixlime::layout::nchw;
    if (y.shape.size() != 4)
        throw std::runtime_error("--task segmentation: the model's output has shape " + pixlime::app::shape_text(y.shape) + ": expected " +
                                 (nchw ? "N x classes x height x width (--layout nchw)" : "N x height x width x classes (--layout nhwc)"));
    pixlime::pixel_scores shape;
    shape.layout = input.layout;
    shape.classes = int(nchw ? y.shape[1] : y.shape[3]);
    shape.height = int(nchw ? y.shape[2] : y.shape[1]);
    shape.width = int(nchw ? y.shape[3] : y.shape[2]);
    const int c = class_index(f.target_class, names);
    if (c >= shape.classes)
        throw std::runtime_error("--target-class " + f.target_class + " (class " + std::to_string(c) + "): the model scores " +
                                 std::to_string(shape.classes) + " classes");
    const Eigen::RowVectorXd row = Eigen::Map<const Eigen::RowVectorXf>(y.values.data(), Eigen::Index(y.values.size())).cast<double>();
    pixlime::region_target target;
    target.class_index = c;
    pixlime::app::record_target r;
    r.task = "segmentation";
    r.class_index = c;
    r.class_name = class_name(c, names);
    if (!f.target_mask.empty()) {  // the user's region, in the image's pixels: to the score map's size
        const pixlime::image<std::uint8_t> mask = pixlime::load_image(f.target_mask);
        target.region = pixlime::resize_region(mask.view(), shape.width, shape.height);
        r.fields["region"] = "mask";
        r.fields["mask"] = f.target_mask;
    } else {  // the pixels the model gives to the class
        target.region = pixlime::predicted_region(row, shape, c);
        r.fields["region"] = "model";
    }
    int pixels = 0;
    for (int yy = 0; yy < target.region.height(); ++yy)
        for (int xx = 0; xx < target.region.width(); ++xx) pixels += target.region.at(xx, yy, 0) != 0;
    if (pixels == 0)
        throw std::runtime_error(f.target_mask.empty() ? "the model gives no pixel of the image to --target-class " + f.target_class +
                                                             " (give the region with --target-mask)"
                                                       : "--target-mask '" + f.target_mask + "' has no nonzero pixel");
    r.fields["pixels"] = pixels;
    r.region = pixlime::resize_region(target.region.view(), img.width(), img.height());
    image_targets out;
    out.records.push_back(std::move(r));
    auto scores = [&model](pixlime::batch_view<const float> b) -> Eigen::MatrixXf {
        const pixlime::app::output_tensor t = model.forward(b);
        const Eigen::Index n = b.size(), per = n > 0 ? Eigen::Index(t.values.size()) / n : 0;
        return Eigen::Map<const Eigen::Matrix<float, -1, -1, Eigen::RowMajor>>(t.values.data(), n, per);
    };
    auto scored = std::make_shared<pixlime::segmentation_target<decltype(scores)>>(scores, shape, std::vector<pixlime::region_target>{std::move(target)});
    out.model = [scored](pixlime::batch_view<const float> b) -> Eigen::MatrixXd { return (*scored)(b); };
    return out;
}

}  // namespace

void add_target_flags(CLI::App& app, target_flags& f) {
    app.add_option("--detections", f.detections,
                   "--task detection: the detector's output layout: torchvision (per image a dict of boxes x1,y1,x2,y2, labels, "
                   "scores) or yolo (N x rows x (x_center, y_center, w, h, objectness, class scores...) in the input's pixels)")
        ->check(CLI::IsMember(pixlime::app::detection_layouts()))
        ->capture_default_str();
    app.add_option("--target-box", f.target_box,
                   "--task detection: the detection to explain, x,y,w,h (top-left corner, width, height in the image's pixels), "
                   "with --target-class (default: every detection scoring --min-score)");
    app.add_option("--target-class", f.target_class,
                   "the class of --target-box, or of the region of --task segmentation: a name from --labels or a class number "
                   "(detection without --target-box: only detections of this class)");
    app.add_option("--min-score", f.min_score, "--task detection without --target-box: explain the detections scoring at least this")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--target-mask", f.target_mask,
                   "--task segmentation: a PNG of the image's size, nonzero = the region whose class score is explained "
                   "(default: the pixels the model gives to --target-class)");
}

void check_target_flags(const target_flags& f, const std::string& task, const std::vector<std::string>& names) {
    const bool detection = task == "detection", segmentation = task == "segmentation";
    if (!detection && !f.target_box.empty()) throw usage_error("--target-box with --task " + task + ": it names a detection (--task detection)");
    if (!segmentation && !f.target_mask.empty())
        throw usage_error("--target-mask with --task " + task + ": it names a segmentation region (--task segmentation)");
    if (!detection && !segmentation && !f.target_class.empty())
        throw usage_error("--target-class with --task " + task + ": it names a detection's or a region's class (--task detection or segmentation)");
    if (detection && !f.target_box.empty()) {
        parse_box(f.target_box);
        if (f.target_class.empty()) throw usage_error("--target-box without --target-class: name the box's class (from --labels, or its number)");
    }
    if (segmentation && f.target_class.empty())
        throw usage_error("--task segmentation without --target-class: name the class whose score over the region is explained");
    if (!f.target_class.empty()) class_index(f.target_class, names);
    if (!f.target_mask.empty() && !std::filesystem::is_regular_file(f.target_mask))
        throw usage_error("--target-mask '" + f.target_mask + "': no such file");
}

nlohmann::ordered_json target_settings_json(const target_flags& f, const std::string& task) {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (task == "detection") {
        j["detections"] = f.detections;
        if (!f.target_box.empty()) j["target_box"] = f.target_box;
        else j["min_score"] = f.min_score;
        if (!f.target_class.empty()) j["target_class"] = f.target_class;
    } else if (task == "segmentation") {
        j["target_class"] = f.target_class;
        if (!f.target_mask.empty()) j["target_mask"] = {{"file", f.target_mask}, {"digest", file_digest(f.target_mask)}};
    }
    return j;
}

image_targets targets_for(const std::string& task, const target_flags& f, pixlime::app::model_backend& model,
                          const std::vector<std::string>& names, const pixlime::image<float>& img, int raw_width, int raw_height,
                          const pixlime::model_input& input) {
    if (task == "detection")
        return detection_targets(f, model, names, img, double(img.width()) / raw_width, double(img.height()) / raw_height, input);
    return segmentation_targets(f, model, names, img, input);
}

}  // namespace pixlime::cli
