#include "model_flags.hpp"

#include <pixlime/slic.hpp>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace pixlime::cli {

void add_model_flags(CLI::App& app, model_flags& f) {
    app.add_option("--backend", f.backend, "auto (by the file's extension), torch, onnx or pxm")
        ->check(CLI::IsMember({"auto", "torch", "onnx", "pxm"}))
        ->capture_default_str();
    app.add_option("--input", f.input, "the model's input size WIDTHxHEIGHT; images are resized to it")->capture_default_str();
    app.add_option("--resize", f.resize, "stretch (to --input) or none (an image of another size fails)")
        ->check(CLI::IsMember({"stretch", "none"}))
        ->capture_default_str();
    app.add_option("--channel-order", f.channel_order, "rgb or bgr, the order the model wants")
        ->check(CLI::IsMember({"rgb", "bgr"}))
        ->capture_default_str();
    app.add_option("--layout", f.layout, "nchw (PyTorch, ONNX) or nhwc")->check(CLI::IsMember({"nchw", "nhwc"}))->capture_default_str();
    app.add_option("--scale", f.scale, "each 0..255 pixel is multiplied by this, then (v - mean) / std")->capture_default_str();
    app.add_option("--mean", f.mean, "per-channel means, e.g. 0.485,0.456,0.406 (default 0)");
    app.add_option("--std", f.stddev, "per-channel standard deviations, e.g. 0.229,0.224,0.225 (default 1)");
    app.add_flag("--softmax", f.softmax, "apply softmax to the model's outputs (for a model that returns logits)");
    app.add_option("--labels", f.labels_file, "class names, one per line in the model's output order");
}

std::vector<double> parse_list(const std::string& text, const std::string& flag) {
    std::vector<double> v;
    std::stringstream ss(text);
    for (std::string item; std::getline(ss, item, ',');) {
        try {
            std::size_t used = 0;
            v.push_back(std::stod(item, &used));
            if (used != item.size()) throw std::invalid_argument("");
        } catch (const std::exception&) {
            throw usage_error(flag + " '" + text + "': expected numbers separated by commas, e.g. 0.485,0.456,0.406");
        }
    }
    return v;
}

pixlime::app::input_shape parse_size(const std::string& text, const std::string& flag) {
    const auto x = text.find('x');
    int w = 0, h = 0;
    try {
        std::size_t a = 0, b = 0;
        if (x == std::string::npos) throw std::invalid_argument("");
        w = std::stoi(text.substr(0, x), &a);
        h = std::stoi(text.substr(x + 1), &b);
        if (a != x || b != text.size() - x - 1) throw std::invalid_argument("");
    } catch (const std::exception&) {
        throw usage_error(flag + " '" + text + "': expected WIDTHxHEIGHT, e.g. 224x224");
    }
    if (w < 1 || h < 1 || w > 16384 || h > 16384) throw usage_error(flag + " '" + text + "': expected sides of 1..16384 pixels");
    return {w, h, 3};
}

std::vector<std::string> read_labels(const std::string& path) {
    std::vector<std::string> names;
    if (path.empty()) return names;
    std::ifstream in(path);
    if (!in) throw usage_error("--labels '" + path + "': cannot be read");
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r')) line.pop_back();
        names.push_back(line);
    }
    return names;
}

pixlime::model_input model_input_for(const model_flags& f) {
    pixlime::model_input m;
    m.to_float = true;
    m.layout = f.layout == "nhwc" ? pixlime::layout::nhwc : pixlime::layout::nchw;
    if (f.channel_order == "bgr") m.channels = {2, 1, 0};
    // The images are standardized to [0, 1] (pixel / 255) before explaining; --scale is per
    // 0..255 pixel value, as the model was trained.
    m.scale = f.scale * 255.0;
    m.mean = f.mean.empty() ? std::vector<double>{} : parse_list(f.mean, "--mean");
    m.stddev = f.stddev.empty() ? std::vector<double>{} : parse_list(f.stddev, "--std");
    m.validate(3);
    return m;
}

nlohmann::ordered_json preprocessing_json(const model_flags& f, const std::string& model_file, const std::string& model_digest,
                                          const std::vector<std::string>& names) {
    nlohmann::ordered_json j;
    j["model_file"] = model_file;
    j["model_digest"] = model_digest;
    j["input_size"] = f.input;
    j["resize"] = f.resize;
    j["channel_order"] = f.channel_order;
    j["layout"] = f.layout;
    j["scale"] = f.scale;
    j["mean"] = f.mean;
    j["std"] = f.stddev;
    j["softmax"] = f.softmax;
    j["labels"] = names;
    return j;
}

pixlime::app::explain_settings photo_settings() {
    pixlime::app::explain_settings s;
    s.segments = 100;
    s.merge_background = -1;  // natural photos: keep every segment
    s.compactness = pixlime::slic_options{}.compactness;
    s.top_labels = 1;
    s.seed = 0;
    return s;
}

std::string file_digest(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::uint64_t h = 1469598103934665603ull;
    std::vector<char> buf(1 << 16);
    while (in) {
        in.read(buf.data(), std::streamsize(buf.size()));
        for (std::streamsize i = 0; i < in.gcount(); ++i) h = (h ^ static_cast<unsigned char>(buf[std::size_t(i)])) * 1099511628211ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return hex;
}

Eigen::MatrixXf softmax_rows(Eigen::MatrixXf y) {
    for (Eigen::Index i = 0; i < y.rows(); ++i) {
        const float m = y.row(i).maxCoeff();
        y.row(i) = (y.row(i).array() - m).exp().matrix();
        y.row(i) /= y.row(i).sum();
    }
    return y;
}

}  // namespace pixlime::cli
