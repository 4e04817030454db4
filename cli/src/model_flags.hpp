#pragma once
/// \file model_flags.hpp
/// The `pixlime` command's model-file flags, shared by `pixlime explain` and `pixlime serve`: the
/// model's input size and preprocessing (resize, channel order, layout, scale, mean, std), softmax
/// and class names; what they make of an image (pixlime::model_input) and how they are recorded.

#include <pixlime_app/preprocess.hpp>
#include <pixlime_app/settings.hpp>

#include <pixlime/model_input.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pixlime::cli {

/// A command-line mistake: the command prints it and exits 2.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// How a TorchScript or ONNX model takes its input (the flags' values).
struct model_flags {
    std::string backend = "auto";       ///< auto (by the file's extension), torch, onnx or pxm
    std::string input = "224x224";      ///< WIDTHxHEIGHT the images are resized to
    std::string resize = "stretch";     ///< stretch, or none (an image of another size fails)
    std::string channel_order = "rgb";  ///< rgb or bgr
    std::string layout = "nchw";        ///< nchw or nhwc
    double scale = 1.0 / 255;           ///< each 0..255 pixel times this, then (v - mean) / std
    std::string mean, stddev;           ///< per-channel, comma-separated (empty: 0 and 1)
    std::string labels_file;            ///< class names, one per line
    bool softmax = false;               ///< softmax over the model's outputs (logits)
};

/// Adds --backend, --input, --resize, --channel-order, --layout, --scale, --mean, --std, --softmax
/// and --labels (defaults shown are `f`'s).
void add_model_flags(CLI::App& app, model_flags& f);
/// "WIDTHxHEIGHT" as a 3-channel input shape; throws usage_error naming `flag`.
pixlime::app::input_shape parse_size(const std::string& text, const std::string& flag = "--input");
/// Comma-separated numbers; throws usage_error naming `flag`.
std::vector<double> parse_list(const std::string& text, const std::string& flag);
/// Class names, one per line (none for an empty path); throws usage_error.
std::vector<std::string> read_labels(const std::string& path);
/// The classifier's input form for images standardized to [0, 1] (--scale is per 0..255 value,
/// as the model was trained): float, the layout, channel order, mean and std. Validated.
pixlime::model_input model_input_for(const model_flags& f);
/// What a result depends on besides the explanation settings: the model file and its digest,
/// the preprocessing and the class names (recorded, compared by reruns).
nlohmann::ordered_json preprocessing_json(const model_flags& f, const std::string& model_file, const std::string& model_digest,
                                          const std::vector<std::string>& names);
/// The explanation settings of `pixlime explain` and `pixlime serve` for photos: SLIC with 100
/// segments at the library's compactness, every segment kept, the top label, seed 0.
pixlime::app::explain_settings photo_settings();
/// FNV-1a over the model file's bytes: a changed model makes every record stale.
std::string file_digest(const std::string& path);
/// Softmax of each row.
Eigen::MatrixXf softmax_rows(Eigen::MatrixXf y);

}  // namespace pixlime::cli
