#pragma once
/// \file settings.hpp
/// What an app explains with: the settings every app records and compares (one struct, one
/// JSON form), the segmenter and explain options they stand for, and the command-line flags
/// that set them (the same names, validation and help text in every command).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

// Declared only: a file that includes this header (a service's request handling, say) does not
// compile the explanation pipeline; the callers of segmenter_for and explain_options_for include
// <pixlime/explain.hpp> themselves.
namespace pixlime {
struct explain_options;
class segmenter;
class segmentation;
template <class T>
class image_view;
}  // namespace pixlime

namespace pixlime::app {

/// An app's explanation settings. The defaults are the workflow demo's (Fashion-MNIST); each
/// app sets its own before adding the flags, and the flags show them.
struct explain_settings {
    /// "slic", "quickshift", "felzenszwalb" or "grid" (pixlime::parse_segmenter_kind's names).
    /// segments and compactness apply to slic; grid uses ceil(sqrt(segments)) cells a side;
    /// quickshift and felzenszwalb take their option structs' defaults (quickshift's are
    /// lime_image's: kernel_size 4, max_dist 200, ratio 0.2).
    std::string segmenter = "slic";
    int segments = 50;        ///< SLIC: target count; grid: cells per side = ceil(sqrt(segments))
    double compactness = 5;   ///< SLIC compactness (CIELAB scale)
    /// SLIC: segments whose mean (max over channels, [0, 1]) is at most this are merged into one
    /// background segment; < 0 keeps every segment.
    double merge_background = 0.05;
    /// The fill stage: what hidden segments show, "black" (constant 0: the background) or "mean"
    /// (each segment's mean colour, lime's default).
    std::string fill = "black";
    /// The sampler (pixlime::parse_sampling's names; pixlime's default "orthogonal").
    std::string sampler = "orthogonal";
    int num_samples = 1000;
    /// Stop drawing samples once the top-5 would come out the same in a rerun with this
    /// probability (0: off; num_samples is the cap).
    double target_stability = 0;
    int top_labels = 3;
    std::uint64_t seed = 7;
    int num_features = 5;  ///< segments shown on a pane
    /// What the model's output is (app_tasks()): "classification" (one column per class, or
    /// P(class 1)), "regression" (one column, any value, explained as "value"), or a target
    /// task, "detection" or "segmentation" (the app wraps the model in pixlime::detection_target
    /// or pixlime::segmentation_target and explains its targets).
    std::string task = "classification";

    /// The recorded form (a record's `settings`, compared by reruns). `task` is recorded only
    /// when it is not "classification", so that the settings of the records made before it
    /// existed are still these.
    nlohmann::ordered_json to_json() const;
    /// Throws pixlime::invalid_argument naming the setting, its value and what is expected.
    void validate() const;
};

/// Which segments of `img` are background: per segment 1 when the mean over its pixels of the
/// per-pixel maximum over channels is at most `threshold`, else 0.
std::vector<char> background_segments(pixlime::image_view<const float> img, const pixlime::segmentation& seg, double threshold);

/// The segmenter these settings choose (see explain_settings::segmenter); SLIC's background
/// segments (background_segments with merge_background, when >= 0) become one segment.
pixlime::segmenter segmenter_for(const explain_settings& s);
/// pixlime::explain_options for these settings (segmenter, fill, sampler, samples, target
/// stability, top labels, seed, task; batches of 250). Validates first.
pixlime::explain_options explain_options_for(const explain_settings& s);

/// Adds the explanation flags to a command line: --samples, --target-stability, --segmenter,
/// --segments, --compactness, --fill, --sampler, --top-labels, --features, --seed (and, for one
/// release, --hide as a deprecated name of --fill). Defaults shown are `s`'s current values.
/// `segmenter_only`: just --segmenter, --segments and --compactness (a segments preview).
void add_explain_flags(CLI::App& app, explain_settings& s, bool segmenter_only = false);

/// The names explain_settings::task takes: pixlime::task's (classification, regression), then the
/// target tasks detection and segmentation.
const std::vector<std::string>& app_tasks();
/// Whether `task` is a target task: "detection" or "segmentation" (explain_options_for leaves
/// pixlime::task::classification; the app sets the targets with pixlime::target_options).
bool is_target_task(const std::string& task);

/// Adds --task (one of app_tasks(); the default shown is s.task) to a command line whose app
/// handles them all (the `pixlime explain` command).
void add_task_flag(CLI::App& app, explain_settings& s);

}  // namespace pixlime::app
