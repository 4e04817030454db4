#include <pixlime_app/record.hpp>

#include <pixlime_app/common.hpp>
#include <pixlime_app/preprocess.hpp>

#include <pixlime/io.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace pixlime::app {

namespace {

using clock_type = std::chrono::steady_clock;
double ms_since(clock_type::time_point t0) { return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count(); }

const char* const pane_files[] = {"input.png", "positive.png", "negative.png", "heatmap.png"};

nlohmann::ordered_json pairs_json(const std::vector<std::pair<int, double>>& v) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& [seg, w] : v) a.push_back({seg, round6(w)});
    return a;
}

template <class T>
record_panes render_panes(pixlime::image_view<const T> img, const pixlime::explanation& ex, const record_head& head, int which) {
    const auto t0 = clock_type::now();
    // By default the model's prediction on the unperturbed image.
    const int label = which >= 0 ? which : head.target ? head.target->label : ex.top_labels().at(0);
    if (which >= 0 && std::find(ex.labels().begin(), ex.labels().end(), which) == ex.labels().end())
        throw pixlime::invalid_argument("render_record_panes label", which, "a label the explanation explained");
    record_panes p;
    // Drawn at display size (>= 224 px, nearest neighbour) so that outlines stay one screen pixel thin.
    pixlime::render_options ro;
    ro.num_features = head.num_features;
    ro.scale = upscale_factor(img.width(), img.height());
    // Leave out segments whose weight is noise next to the strongest one (5% of it).
    ro.min_relative_weight = p.min_relative_weight;
    // Hatch the segments whose 95% interval contains 0 (the standard errors need the built-in
    // ridge surrogate; a custom one leaves the panes unhatched).
    p.hatched = ex.summary().ridge_alpha.has_value();
    if (p.hatched) ro.uncertain = pixlime::uncertain_segments(ex, label, 0.95);
    p.scale = ro.scale;
    if constexpr (std::is_same_v<T, float>) {
        pixlime::image<float> copy(img.width(), img.height(), img.channels());
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                for (int c = 0; c < img.channels(); ++c) copy.at(x, y, c) = img.at(x, y, c);
        p.input = to_u8(copy);
    } else {
        p.input = pixlime::image<std::uint8_t>(img.width(), img.height(), img.channels());
        for (int y = 0; y < img.height(); ++y)
            for (int x = 0; x < img.width(); ++x)
                for (int c = 0; c < img.channels(); ++c) p.input.at(x, y, c) = img.at(x, y, c);
    }
    p.positive = pixlime::render_positive(img, ex, label, ro);
    p.negative = pixlime::render_negative(img, ex, label, ro);
    p.heatmap = pixlime::render_heatmap(img, ex, label, ro);
    if (head.overlay) p.overlay = pixlime::render_overlay(img, ex, label, ro);
    if (head.target) {  // the target on every pane (the input at its own size): its box, or its region's outline
        const pixlime::rgb cyan{0, 210, 255};
        if (p.input.channels() != 3) p.input = pixlime::to_rgb8(pixlime::image_view<const std::uint8_t>(p.input.view()));
        for (pixlime::image<std::uint8_t>* pane : {&p.input, &p.positive, &p.negative, &p.heatmap, &p.overlay}) {
            if (pane->empty()) continue;
            const int factor = pane == &p.input ? 1 : ro.scale;
            if (head.target->box) pixlime::draw_box(*pane, *head.target->box, cyan, factor, pane == &p.input ? 1 : 2);
            if (!head.target->region.empty()) pixlime::draw_outline(*pane, head.target->region.view(), cyan, factor);
        }
    }
    p.render_ms = ms_since(t0);
    return p;
}

void remove_file(const fs::path& p) {
    std::error_code ec;
    fs::remove(p, ec);
}

}  // namespace

std::string record_name(const std::string& id) {
    std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bits: offset basis, then prime
    for (unsigned char c : id) h = (h ^ c) * 1099511628211ull;
    const std::size_t slash = id.find_last_of("/\\");
    std::string stem = slash == std::string::npos ? id : id.substr(slash + 1);
    for (char& c : stem)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    if (stem.size() > 48) stem = stem.substr(stem.size() - 48);
    while (!stem.empty() && stem[0] == '.') stem.erase(0, 1);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return stem.empty() ? std::string(hex) : stem + "-" + hex;
}

record_panes render_record_panes(pixlime::image_view<const float> img, const pixlime::explanation& ex, const record_head& head, int label) {
    return render_panes(img, ex, head, label);
}
record_panes render_record_panes(pixlime::image_view<const std::uint8_t> img, const pixlime::explanation& ex, const record_head& head,
                                 int label) {
    return render_panes(img, ex, head, label);
}

nlohmann::ordered_json explanation_record(const pixlime::explanation& ex, const record_head& head, const record_panes* panes) {
    const pixlime::segmentation& seg = ex.segments();
    const record_target* target = head.target ? &*head.target : nullptr;
    const int label = target ? target->label : ex.top_labels().at(0);
    const bool regression = !target && ex.task() == pixlime::task::regression;
    // A regression model's one output is "value" (class names do not apply); a target's is its class.
    const auto name = [&](int l) {
        if (regression) return std::string("value");
        if (target) return target->class_name;
        return std::size_t(l) < head.classes.size() ? head.classes[std::size_t(l)] : std::to_string(l);
    };
    const bool has_errors = ex.summary().ridge_alpha.has_value();

    nlohmann::ordered_json j;
    j["schema_version"] = record_schema_version;
    j["kind"] = "explanation";
    for (const auto& [k, v] : head.fields.items()) j[k] = v;
    j["task"] = target ? target->task : pixlime::to_string(ex.task());
    j["predicted"] = name(label);
    j["predicted_index"] = label;  // a target's record: its output (the target's index), its class in target.class_index
    if (regression || target) j["value"] = round6(ex.model_prediction(label));
    if (target) {
        nlohmann::ordered_json t = {{"index", target->label}, {"class", target->class_name}, {"class_index", target->class_index}};
        for (const auto& [k, v] : target->fields.items()) t[k] = v;
        j["target"] = t;
    }
    j["model"] = head.model;
    j["settings"] = head.settings.is_null() ? nlohmann::ordered_json::object() : head.settings;
    j["segments"] = {{"method", head.segmenter}, {"count", seg.count()}};
    if (panes) {
        j["panes_label"] = name(label);
        j["panes"] = {{"scale", panes->scale}, {"num_features", head.num_features}, {"min_relative_weight", panes->min_relative_weight}};
        if (panes->hatched) j["panes"]["hatched_level"] = 0.95;  // hatched: the 95% interval contains 0
    }
    j["model_calls"] = ex.model_calls();
    j["target_reached"] = ex.target_reached();
    nlohmann::ordered_json labels = nlohmann::ordered_json::array();
    for (int l : ex.labels()) {
        if (target && l != label) continue;  // a target's record: its own output only
        std::vector<std::pair<int, double>> top_pos, top_neg;
        for (const auto& r : ex.ranked(l)) {
            if (r.second > 0 && top_pos.size() < 5) top_pos.push_back(r);
            if (r.second < 0 && top_neg.size() < 5) top_neg.push_back(r);
        }
        nlohmann::ordered_json w = nlohmann::ordered_json::array();
        for (Eigen::Index k = 0; k < ex.weights(l).size(); ++k) w.push_back(round6(ex.weights(l)[k]));
        nlohmann::ordered_json entry = {{"label", l},
                                        {"name", name(l)},
                                        {"model_prediction", round6(ex.model_prediction(l))},
                                        {"local_prediction", round6(ex.local_prediction(l))},
                                        {"intercept", round6(ex.intercept(l))},
                                        {"r2", round6(ex.score(l))},
                                        {"top_positive", pairs_json(top_pos)},
                                        {"top_negative", pairs_json(top_neg)},
                                        {"weights", w}};
        if (has_errors) {  // omitted with a custom surrogate (no standard errors)
            const Eigen::VectorXd se = ex.standard_errors(l);
            const Eigen::MatrixXd iv = ex.weight_intervals(l, 0.95);
            nlohmann::ordered_json se_json = nlohmann::ordered_json::array(), iv_json = nlohmann::ordered_json::array();
            for (Eigen::Index k = 0; k < se.size(); ++k) {
                se_json.push_back(round6(se[k]));
                iv_json.push_back({round6(iv(k, 0)), round6(iv(k, 1))});
            }
            entry["standard_errors"] = se_json;
            entry["intervals"] = iv_json;
            entry["stability_top5"] = round6(ex.stability(l, 5));
        }
        labels.push_back(entry);
    }
    j["labels"] = labels;
    const auto& tm = ex.timings();
    j["timings_ms"] = {{"load", round6(head.load_ms)},
                       {"segmentation", round6(tm.segmentation_ms)},
                       {"perturbation", round6(tm.perturbation_ms)},
                       {"classifier", round6(tm.classifier_ms)},
                       {"surrogate", round6(tm.surrogate_ms)},
                       {"explain", round6(tm.total_ms - tm.segmentation_ms)},
                       {"render", round6(panes ? panes->render_ms : 0.0)},
                       {"total", round6(ms_since(head.start))}};
    j["time"] = utc_now();
    return j;
}

nlohmann::ordered_json error_record(const nlohmann::ordered_json& fields, const std::string& model, const std::string& error,
                                    const std::string& error_type) {
    nlohmann::ordered_json j;
    j["schema_version"] = record_schema_version;
    j["kind"] = "error";
    for (const auto& [k, v] : fields.items()) j[k] = v;
    j["model"] = model;
    j["error"] = error.empty() ? std::string("unknown error") : error;
    if (!error_type.empty()) j["error_type"] = error_type;
    j["time"] = utc_now();
    return j;
}

void write_record(const fs::path& dir, const nlohmann::ordered_json& record, const record_panes* panes) {
    fs::create_directories(dir);
    // First: a folder whose update is cut short is never taken for a complete one.
    remove_file(dir / "explanation.json");
    if (record.value("kind", "") == "explanation") {
        if (!panes) throw pixlime::invalid_argument("write_record panes", "none", "the panes of an explanation record");
        pixlime::save_png((dir / "input.png").string(), panes->input);
        pixlime::save_png((dir / "positive.png").string(), panes->positive);
        pixlime::save_png((dir / "negative.png").string(), panes->negative);
        pixlime::save_png((dir / "heatmap.png").string(), panes->heatmap);
        if (!panes->overlay.empty()) pixlime::save_png((dir / "overlay.png").string(), panes->overlay);
        write_atomic(dir / "explanation.json", record.dump(2) + "\n");
        remove_file(dir / "error.json");
    } else {
        for (const char* f : pane_files) remove_file(dir / f);  // an earlier run's panes do not belong to this failure
        remove_file(dir / "overlay.png");
        write_atomic(dir / "error.json", record.dump(2) + "\n");
    }
}

void remove_record(const fs::path& dir) {
    remove_file(dir / "explanation.json");  // first, as write_record: never a half-removed "done" folder
    remove_file(dir / "error.json");
    for (const char* f : pane_files) remove_file(dir / f);
    remove_file(dir / "overlay.png");
    std::error_code ec;
    fs::remove(dir, ec);  // only when nothing else is in it
}

void write_explanation(const fs::path& dir, const pixlime::image<float>& img, const pixlime::explanation& ex, const record_head& head) {
    const record_panes panes = render_record_panes(img.view(), ex, head);
    write_record(dir, explanation_record(ex, head, &panes), &panes);
}

// ---------------------------------------------------------------------------------------------
// Reading back

record_error::record_error(std::string f, std::string fld, const std::string& problem)
    : std::runtime_error(f + ": " + (fld.empty() ? std::string() : "field " + fld + ": ") + problem), file(std::move(f)),
      field(std::move(fld)) {}

namespace {

struct checker {
    const std::string& file;
    [[noreturn]] void fail(const std::string& where, const std::string& problem) const { throw record_error(file, where, problem); }
    const nlohmann::json& at(const nlohmann::json& obj, const std::string& where, const char* key) const {
        const auto it = obj.find(key);
        if (it == obj.end()) fail(where + "/" + key, "missing");
        return *it;
    }
    void type(const nlohmann::json& v, const std::string& where, const char* what, bool ok) const {
        if (!ok) fail(where, std::string("expected ") + what + ", found " + v.type_name() + (v.is_primitive() ? " " + v.dump() : ""));
    }
    const nlohmann::json& string(const nlohmann::json& o, const std::string& w, const char* k) const {
        const auto& v = at(o, w, k);
        type(v, w + "/" + k, "a string", v.is_string());
        return v;
    }
    const nlohmann::json& integer(const nlohmann::json& o, const std::string& w, const char* k) const {
        const auto& v = at(o, w, k);
        type(v, w + "/" + k, "an integer", v.is_number_integer());
        return v;
    }
    const nlohmann::json& number(const nlohmann::json& o, const std::string& w, const char* k) const {
        const auto& v = at(o, w, k);
        type(v, w + "/" + k, "a number", v.is_number());
        return v;
    }
    const nlohmann::json& object(const nlohmann::json& o, const std::string& w, const char* k) const {
        const auto& v = at(o, w, k);
        type(v, w + "/" + k, "an object", v.is_object());
        return v;
    }
    const nlohmann::json& array(const nlohmann::json& o, const std::string& w, const char* k) const {
        const auto& v = at(o, w, k);
        type(v, w + "/" + k, "an array", v.is_array());
        return v;
    }
    void numbers(const nlohmann::json& a, const std::string& w, std::size_t size) const {
        if (a.size() != size) fail(w, "expected " + std::to_string(size) + " entries (one per segment), found " + std::to_string(a.size()));
        for (std::size_t i = 0; i < a.size(); ++i) type(a[i], w + "/" + std::to_string(i), "a number", a[i].is_number());
    }
    void pairs(const nlohmann::json& a, const std::string& w, bool segment_first) const {
        for (std::size_t i = 0; i < a.size(); ++i) {
            const std::string wi = w + "/" + std::to_string(i);
            type(a[i], wi, "a [segment, weight] pair", a[i].is_array() && a[i].size() == 2);
            type(a[i][0], wi + "/0", segment_first ? "an integer" : "a number", segment_first ? a[i][0].is_number_integer() : a[i][0].is_number());
            type(a[i][1], wi + "/1", "a number", a[i][1].is_number());
        }
    }
};

}  // namespace

void validate_record(const nlohmann::json& r, const std::string& file) {
    const checker c{file};
    c.type(r, "", "a JSON object", r.is_object());
    const auto& version = c.integer(r, "", "schema_version");
    if (version.get<long long>() != record_schema_version)
        c.fail("/schema_version", "version " + version.dump() + ", this program reads version " + std::to_string(record_schema_version));
    const std::string kind = c.string(r, "", "kind").get<std::string>();
    const auto& id = c.at(r, "", "id");
    c.type(id, "/id", "a string or an integer", id.is_string() || id.is_number_integer());
    const auto& input = c.at(r, "", "input");
    c.type(input, "/input", "a string or null", input.is_string() || input.is_null());
    c.string(r, "", "model");
    c.string(r, "", "time");
    if (r.contains("true_label")) c.type(r["true_label"], "/true_label", "a string or null", r["true_label"].is_string() || r["true_label"].is_null());
    if (kind == "error") {
        c.string(r, "", "error");
        if (r.contains("error_type")) c.string(r, "", "error_type");
        return;
    }
    if (kind != "explanation") c.fail("/kind", "expected \"explanation\" or \"error\", found " + nlohmann::json(kind).dump());
    // task: absent in the records written before it existed, which are classification ones.
    bool regression = false, targeted = false;
    if (r.contains("task")) {
        const std::string task = c.string(r, "", "task").get<std::string>();
        if (task != "classification" && task != "regression" && task != "detection" && task != "segmentation")
            c.fail("/task", "expected \"classification\", \"regression\", \"detection\" or \"segmentation\", found " + nlohmann::json(task).dump());
        regression = task == "regression";
        targeted = task == "detection" || task == "segmentation";
    }
    const std::string predicted = c.string(r, "", "predicted").get<std::string>();
    const long long predicted_index = c.integer(r, "", "predicted_index").get<long long>();
    if (regression || targeted) {
        c.number(r, "", "value");
    } else if (r.contains("value")) {
        c.fail("/value", "a regression or target record's field, in a classification record");
    }
    if (regression) {
        if (predicted != "value") c.fail("/predicted", "expected \"value\" in a regression record, found " + nlohmann::json(predicted).dump());
        if (predicted_index != 0) c.fail("/predicted_index", "expected 0 in a regression record, found " + std::to_string(predicted_index));
    }
    if (targeted) {  // a detection's or a segmentation region's record: what its target is
        const auto& t = c.object(r, "", "target");
        if (c.integer(t, "/target", "index").get<long long>() != predicted_index)
            c.fail("/target/index", "expected the record's predicted_index (the target's output) " + std::to_string(predicted_index));
        if (c.string(t, "/target", "class").get<std::string>() != predicted)
            c.fail("/target/class", "expected the record's predicted class " + nlohmann::json(predicted).dump());
        c.integer(t, "/target", "class_index");
    } else if (r.contains("target")) {
        c.fail("/target", "a detection or segmentation record's field, in a record of task " + r.value("task", std::string("classification")));
    }
    c.object(r, "", "settings");
    const auto& seg = c.object(r, "", "segments");
    c.string(seg, "/segments", "method");
    const long long count = c.integer(seg, "/segments", "count").get<long long>();
    if (count < 1) c.fail("/segments/count", "expected at least 1, found " + std::to_string(count));
    if (r.contains("panes") || r.contains("panes_label")) {
        c.string(r, "", "panes_label");
        const auto& panes = c.object(r, "", "panes");
        c.integer(panes, "/panes", "scale");
        c.integer(panes, "/panes", "num_features");
        c.number(panes, "/panes", "min_relative_weight");
        if (panes.contains("hatched_level")) c.number(panes, "/panes", "hatched_level");
    }
    c.integer(r, "", "model_calls");
    const auto& reached = c.at(r, "", "target_reached");
    c.type(reached, "/target_reached", "true or false", reached.is_boolean());
    const auto& labels = c.array(r, "", "labels");
    if (labels.empty()) c.fail("/labels", "expected at least one explained label");
    if ((regression || targeted) && labels.size() != 1)
        c.fail("/labels", std::string("expected one entry in a ") + (regression ? "regression record (the value)" : "target's record (the target)") +
                              ", found " + std::to_string(labels.size()));
    for (std::size_t i = 0; i < labels.size(); ++i) {
        const std::string w = "/labels/" + std::to_string(i);
        const auto& l = labels[i];
        c.type(l, w, "an object", l.is_object());
        const long long label = c.integer(l, w, "label").get<long long>();
        if (i == 0 && label != predicted_index)
            c.fail(w + "/label", "the first explained label is the predicted one (" + std::to_string(predicted_index) + "), found " +
                                     std::to_string(label));
        c.string(l, w, "name");
        for (const char* k : {"model_prediction", "local_prediction", "intercept", "r2"}) c.number(l, w, k);
        c.pairs(c.array(l, w, "top_positive"), w + "/top_positive", true);
        c.pairs(c.array(l, w, "top_negative"), w + "/top_negative", true);
        c.numbers(c.array(l, w, "weights"), w + "/weights", std::size_t(count));
        if (l.contains("standard_errors") || l.contains("intervals") || l.contains("stability_top5")) {
            c.numbers(c.array(l, w, "standard_errors"), w + "/standard_errors", std::size_t(count));
            const auto& iv = c.array(l, w, "intervals");
            if (iv.size() != std::size_t(count))
                c.fail(w + "/intervals", "expected " + std::to_string(count) + " entries (one per segment), found " + std::to_string(iv.size()));
            c.pairs(iv, w + "/intervals", false);
            c.number(l, w, "stability_top5");
        }
    }
    const auto& tm = c.object(r, "", "timings_ms");
    c.number(tm, "/timings_ms", "total");
    for (const auto& [k, v] : tm.items()) c.type(v, "/timings_ms/" + k, "a number", v.is_number());
}

nlohmann::json read_record(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw record_error(file.string(), "", "cannot be read");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw record_error(file.string(), "", std::string("not valid JSON (truncated?): ") + e.what());
    }
    validate_record(j, file.string());
    return j;
}

bool record_done(const fs::path& dir, const nlohmann::json& id, const nlohmann::json& input, const std::string& model,
                 const nlohmann::json& settings) {
    for (const char* f : pane_files)
        if (!fs::exists(dir / f)) return false;
    try {
        const nlohmann::json j = read_record(dir / "explanation.json");
        return j.at("kind") == "explanation" && j.at("id") == id && j.at("input") == input && j.at("model") == model &&
               j.at("settings") == settings;
    } catch (const std::exception&) {
        return false;  // missing, unreadable, of another version or invalid: made again
    }
}

}  // namespace pixlime::app
