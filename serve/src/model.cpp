// The service's errors, models and explainability settings (service.hpp).
#include "service.hpp"

#include "../../cli/src/model_flags.hpp"

#include <pixlime/error.hpp>
#include <pixlime/explain.hpp>

#include <cmath>
#include <cctype>

namespace pixlime::serve {

// ---------------------------------------------------------------------------------------------
// Errors

api_error::api_error(int status, std::string code, std::string parameter, std::string value, std::string expected,
                     const std::string& message)
    : std::runtime_error(message), status(status), code(std::move(code)), parameter(std::move(parameter)), value(std::move(value)),
      expected(std::move(expected)) {}

json api_error::to_json() const {
    return {{"error", {{"code", code}, {"parameter", parameter}, {"value", value}, {"expected", expected}, {"message", what()}}}};
}

namespace {
std::string clip(const std::string& v) { return v.size() > 200 ? v.substr(0, 200) + "..." : v; }
std::string said(const std::string& parameter, const std::string& value, const std::string& expected) {
    return parameter + " = '" + clip(value) + "': expected " + expected;
}
}  // namespace

api_error api_error::bad_request(const std::string& p, const std::string& v, const std::string& e) {
    return {400, "bad_request", p, clip(v), e, said(p, v, e)};
}
api_error api_error::invalid_json(const std::string& p, const std::string& problem) {
    return {400, "invalid_json", p, "", "valid JSON", p + ": " + problem};
}
api_error api_error::unauthorized(const std::string& why) {
    return {401, "unauthorized", "Authorization", "", "Bearer <token> (pixlime serve token add)", why};
}
api_error api_error::forbidden(const std::string& scope, const std::string& why) {
    return {403, "forbidden", "Authorization", "", "a token with the scope " + scope + " (or admin)", why};
}
api_error api_error::not_found(const std::string& p, const std::string& v, const std::string& e) {
    return {404, "not_found", p, clip(v), e, said(p, v, e)};
}
api_error api_error::conflict(const std::string& p, const std::string& v, const std::string& e) {
    return {409, "conflict", p, clip(v), e, said(p, v, e)};
}
api_error api_error::too_large(const std::string& p, const std::string& v, const std::string& e) {
    return {413, "too_large", p, clip(v), e, said(p, v, e)};
}
api_error api_error::unsupported_media_type(const std::string& v, const std::string& e) {
    return {415, "unsupported_media_type", "Content-Type", clip(v), e, said("Content-Type", v, e)};
}
api_error api_error::invalid_image(const std::string& p, const std::string& reason) {
    return {422, "invalid_image", p, "", "an image pixlime decodes (PNG, JPEG, BMP, GIF, PNM)", reason};
}
api_error api_error::invalid_setting(const std::string& p, const std::string& v, const std::string& e, const std::string& message) {
    return {422, "invalid_setting", p, clip(v), e, message};
}
api_error api_error::queue_full(int depth, int cap) {
    api_error e{429, "queue_full", "queue", std::to_string(depth), "at most " + std::to_string(cap) + " queued explanations (--max-queue)",
                "the explanation queue is full (" + std::to_string(depth) + " queued); retry later"};
    e.retry_after = 5;
    return e;
}
api_error api_error::unavailable(const std::string& why, int retry_after) {
    api_error e{503, "unavailable", "", "", "", why};
    e.retry_after = retry_after;
    return e;
}

bool valid_id(const std::string& id) {
    if (id.empty() || id.size() > 128) return false;
    for (unsigned char c : id)
        if (!(std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) return false;
    return true;
}

void check_id(const std::string& parameter, const std::string& id) {
    if (!valid_id(id)) throw api_error::bad_request(parameter, id, "1 to 128 of the characters A-Z a-z 0-9 . _ : -");
}

// ---------------------------------------------------------------------------------------------
// Models

json model_config::to_json() const {
    json mi = {{"layout", input.layout == pixlime::layout::nchw ? "nchw" : "nhwc"},
               {"channels", input.channels},
               {"scale", input.scale},
               {"mean", input.mean},
               {"std", input.stddev}};
    return {{"name", name},         {"file", file},       {"backend", backend},
            {"digest", digest},     {"input", {{"width", shape.width}, {"height", shape.height}, {"channels", shape.channels}}},
            {"resize", resize},     {"model_input", mi},  {"softmax", softmax},
            {"classes", classes},   {"outputs", outputs},  {"preprocessing", preprocessing}};
}

model_config model_config::from_json(const json& j) {
    model_config c;
    c.name = j.at("name").get<std::string>();
    c.file = j.at("file").get<std::string>();
    c.backend = j.at("backend").get<std::string>();
    c.digest = j.at("digest").get<std::string>();
    c.shape = {j.at("input").at("width").get<int>(), j.at("input").at("height").get<int>(), j.at("input").at("channels").get<int>()};
    c.resize = j.at("resize").get<std::string>();
    const json& mi = j.at("model_input");
    c.input.to_float = true;
    c.input.layout = mi.at("layout").get<std::string>() == "nchw" ? pixlime::layout::nchw : pixlime::layout::nhwc;
    c.input.channels = mi.at("channels").get<std::vector<int>>();
    c.input.scale = mi.at("scale").get<double>();
    c.input.mean = mi.at("mean").get<std::vector<double>>();
    c.input.stddev = mi.at("std").get<std::vector<double>>();
    c.softmax = j.at("softmax").get<bool>();
    c.classes = j.at("classes").get<std::vector<std::string>>();
    c.outputs = j.at("outputs").get<int>();
    c.preprocessing = j.at("preprocessing");
    return c;
}

std::string model_config::class_name(int index) const {
    return index >= 0 && std::size_t(index) < classes.size() ? classes[std::size_t(index)] : std::to_string(index);
}

served_model::served_model(model_config config, std::unique_ptr<pixlime::app::model_backend> loaded)
    : config_(std::move(config)), backend_(std::move(loaded)) {
    if (!backend_) backend_ = pixlime::app::open_model(config_.file, config_.backend, 1);
}

Eigen::MatrixXf served_model::classify(pixlime::batch_view<const float> batch) {
    Eigen::MatrixXf y;
    {
        std::lock_guard<std::mutex> lock(mu_);
        y = backend_->classify(batch);
    }
    return config_.softmax ? pixlime::cli::softmax_rows(std::move(y)) : y;
}

Eigen::RowVectorXf served_model::score(const pixlime::image<float>& img) {
    const std::vector<float> tensor = pixlime::detail::to_model_input<float, float>(img.view(), config_.input);
    const int oc = config_.input.output_channels(img.channels());
    const pixlime::batch_view<const float> batch(tensor.data(), 1, img.width(), img.height(), oc, config_.input.layout);
    const Eigen::MatrixXf y = classify(batch);
    if (y.rows() != 1 || y.cols() < 1)
        throw std::runtime_error("the model returned " + std::to_string(y.rows()) + "x" + std::to_string(y.cols()) +
                                 " outputs for one image, expected one row");
    if (!y.allFinite()) throw std::runtime_error("the model returned a value that is not finite (NaN or infinity)");
    return y.row(0);
}

model_config configure_model(const std::string& name, const std::string& file, const std::string& backend,
                             const pixlime::app::input_shape& shape, const std::string& resize, const pixlime::model_input& input,
                             bool softmax, std::vector<std::string> classes, const json& preprocessing) {
    model_config c;
    c.name = name;
    c.file = file;
    c.backend = backend == "auto" ? pixlime::app::backend_for(file) : backend;
    if (c.backend.empty()) throw std::runtime_error("expected a .pt, .pth, .ts, .onnx or .pxm file (or --backend)");
    std::unique_ptr<pixlime::app::model_backend> probe = pixlime::app::open_model(file, c.backend, 1);
    c.shape = shape;
    c.resize = resize;
    c.input = input;
    c.softmax = softmax;
    c.classes = std::move(classes);
    if (const auto own = probe->input()) {
        // The file says how it takes images (the workflow's MLP: NHWC floats in [0, 1]).
        c.shape = *own;
        c.input = pixlime::model_input{};
        c.input.to_float = true;
        c.softmax = false;
    }
    if (c.classes.empty()) c.classes = probe->classes();
    c.input.validate(c.shape.channels);
    c.preprocessing = preprocessing;
    // The number of outputs, from one blank image (checks the model runs on this input at all).
    served_model probe_model(c, std::move(probe));
    c.outputs = int(probe_model.score(pixlime::image<float>(c.shape.width, c.shape.height, c.shape.channels)).size());
    return c;
}

// ---------------------------------------------------------------------------------------------
// Explainability

json explainability::to_json() const {
    json j = {{"enabled", enabled}};
    const json s = settings.to_json();  // items() of a temporary would outlive it
    for (const auto& [k, v] : s.items()) j[k] = v;
    j["deadline_seconds"] = deadline_seconds;
    return j;
}

explainability explainability::merged(const json& j) const {
    if (!j.is_object()) throw api_error::invalid_setting("explainability", j.dump(), "a JSON object of settings", "expected a JSON object");
    explainability e = *this;
    auto& s = e.settings;
    for (const auto& item : j.items()) {
        // (named copies, not structured bindings: clang 14 cannot capture those in the lambdas below)
        const std::string key = item.key();
        const json& v = item.value();
        const auto wrong = [&](const std::string& expected) {
            return api_error::invalid_setting(key, v.dump(), expected, key + " = " + v.dump() + ": expected " + expected);
        };
        const auto number = [&]() {
            if (!v.is_number()) throw wrong("a number");
            return v.get<double>();
        };
        const auto integer = [&]() {
            if (!v.is_number_integer() && !(v.is_number() && std::floor(v.get<double>()) == v.get<double>())) throw wrong("an integer");
            const double d = v.get<double>();
            if (d < -2147483647.0 || d > 2147483647.0) throw wrong("an integer of 32 bits");
            return int(d);
        };
        const auto text = [&]() {
            if (!v.is_string()) throw wrong("a string");
            return v.get<std::string>();
        };
        if (key == "enabled") {
            if (!v.is_boolean()) throw wrong("true or false");
            e.enabled = v.get<bool>();
        } else if (key == "segmenter") s.segmenter = text();
        else if (key == "segments") s.segments = integer();
        else if (key == "compactness") s.compactness = number();
        else if (key == "merge_background") s.merge_background = number();
        else if (key == "fill") s.fill = text();
        else if (key == "sampler") s.sampler = text();
        else if (key == "num_samples") s.num_samples = integer();
        else if (key == "target_stability") s.target_stability = number();
        else if (key == "top_labels") s.top_labels = integer();
        else if (key == "num_features") s.num_features = integer();
        else if (key == "seed") {
            if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) throw wrong("an integer >= 0");
            s.seed = v.get<std::uint64_t>();
        } else if (key == "deadline_seconds") {
            const double d = number();
            if (!(d > 0 && d <= 7 * 24 * 3600)) throw wrong("seconds in (0, 604800]");
            e.deadline_seconds = d;
        } else {
            throw api_error::invalid_setting(key, v.dump(), "one of enabled, num_samples, target_stability, segmenter, segments, "
                                             "compactness, merge_background, fill, sampler, top_labels, num_features, seed, deadline_seconds",
                                             "unknown setting '" + key + "'");
        }
    }
    try {
        s.validate();
        if (s.num_samples > 1000000) throw pixlime::invalid_argument("num_samples", s.num_samples, "at most 1000000");
        if (s.segments > 100000) throw pixlime::invalid_argument("segments", s.segments, "at most 100000");
    } catch (const pixlime::invalid_argument& x) {
        throw api_error::invalid_setting(x.parameter(), x.value(), x.expected(), x.what());
    }
    return e;
}

explainability explainability::defaults_for(const pixlime::app::input_shape& shape) {
    explainability e;
    // Photos: the pixlime command's explanation defaults; small gray images: the app layer's (the workflow's).
    if (shape.width > 64 || shape.height > 64 || shape.channels > 1) e.settings = pixlime::cli::photo_settings();
    return e;
}

}  // namespace pixlime::serve
