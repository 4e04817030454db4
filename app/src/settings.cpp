#include <pixlime_app/settings.hpp>

#include <CLI/CLI.hpp>

#include <pixlime/explain_options.hpp>
#include <pixlime/slic.hpp>

#include <algorithm>
#include <cmath>
#include <iostream>

namespace pixlime::app {

namespace {

/// The apps' fill names: "black" and "mean" (what the records have always said), and the
/// library's own names (pixlime::parse_fill_kind) for the rest.
pixlime::fill fill_for(const std::string& name) {
    if (name == "black") return pixlime::constant_fill{{0.0}};
    if (name == "mean") return pixlime::segment_mean_fill{};
    try {
        return pixlime::fill(pixlime::parse_fill_kind(name, "fill"));
    } catch (const pixlime::invalid_argument&) {  // the apps' names first, then the library's
        throw pixlime::invalid_argument("fill", name, "black, mean or blur (or pixlime's names: " +
                                                          pixlime::detail::quoted_names(pixlime::fill_kinds) + ")");
    }
}

/// A flag's check by the library's parser of its names (`parse` throws
/// pixlime::invalid_argument), so that a flag accepts exactly what the library does and a bad
/// value's message lists every accepted name.
template <class Parse>
CLI::Validator by(Parse parse) {
    return CLI::Validator(
        [parse](std::string& v) -> std::string {
            try {
                parse(v);
            } catch (const pixlime::invalid_argument& e) {
                return e.what();
            }
            return {};
        },
        "NAME");
}

/// Throws pixlime::invalid_argument naming `parameter` unless `task` is one of app_tasks().
void check_task(const std::string& task, const std::string& parameter) {
    const std::vector<std::string>& names = app_tasks();
    if (std::find(names.begin(), names.end(), task) != names.end()) return;
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "'" : ", '") + n + "'";
    throw pixlime::invalid_argument(parameter, task, "one of " + list);
}

}  // namespace

nlohmann::ordered_json explain_settings::to_json() const {
    nlohmann::ordered_json j = {{"segmenter", segmenter}, {"segments", segments},       {"compactness", compactness},
                                {"merge_background", merge_background}, {"fill", fill}, {"sampler", sampler},
                                {"num_samples", num_samples}, {"target_stability", target_stability}, {"top_labels", top_labels},
                                {"seed", seed}, {"num_features", num_features}};
    // Only when not the default: the records written before --task existed stay this work's.
    if (task != "classification") j["task"] = task;
    return j;
}

void explain_settings::validate() const {
    pixlime::parse_segmenter_kind(segmenter, "segmenter");
    pixlime::parse_sampling(sampler, "sampler");
    check_task(task, "task");
    fill_for(fill);
    if (segments < 1) throw pixlime::invalid_argument("segments", segments, "at least 1");
    if (!(compactness > 0) || !std::isfinite(compactness)) throw pixlime::invalid_argument("compactness", compactness, "a finite number > 0");
    if (num_samples < 2) throw pixlime::invalid_argument("num_samples", num_samples, "at least 2");
    if (!(target_stability >= 0 && target_stability <= 1))
        throw pixlime::invalid_argument("target_stability", target_stability, "0 (off) or a value in (0, 1]");
    if (top_labels < 1) throw pixlime::invalid_argument("top_labels", top_labels, "at least 1");
    if (num_features < 1) throw pixlime::invalid_argument("num_features", num_features, "at least 1");
}

std::vector<char> background_segments(pixlime::image_view<const float> img, const pixlime::segmentation& seg, double threshold) {
    std::vector<double> sum(std::size_t(seg.count()), 0.0);
    std::vector<std::int64_t> n(std::size_t(seg.count()), 0);
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) {
            const auto l = std::size_t(seg.label(x, y));
            double v = 0;
            for (int c = 0; c < img.channels(); ++c) v = std::max(v, double(img.at(x, y, c)));
            sum[l] += v;
            ++n[l];
        }
    std::vector<char> background(std::size_t(seg.count()), 0);
    for (std::size_t l = 0; l < background.size(); ++l) background[l] = sum[l] <= threshold * double(n[l]);
    return background;
}

pixlime::segmenter segmenter_for(const explain_settings& s) {
    if (s.segments < 1) throw pixlime::invalid_argument("segments", s.segments, "at least 1");
    switch (pixlime::parse_segmenter_kind(s.segmenter, "segmenter")) {
        case pixlime::segmenter_kind::grid: {
            const int n = int(std::ceil(std::sqrt(double(s.segments)) - 1e-9));
            return pixlime::grid_options{n, n};
        }
        case pixlime::segmenter_kind::quickshift: return pixlime::quickshift_options{};  // lime_image's default segmenter
        case pixlime::segmenter_kind::felzenszwalb: return pixlime::felzenszwalb_options{};
        case pixlime::segmenter_kind::slic: break;
    }
    pixlime::slic_options so;
    so.num_segments = s.segments;
    so.compactness = s.compactness;
    if (s.merge_background < 0) return so;
    // Background segments become one: on Fashion-MNIST's black background hiding them changes
    // nothing, so they would only dilute the samples.
    return pixlime::segmenter(
        [so, threshold = s.merge_background](pixlime::image_view<const float> img) {
            const pixlime::segmentation seg = pixlime::slic(img, so);
            const std::vector<char> background = background_segments(img, seg, threshold);
            std::vector<int> labels(seg.labels().begin(), seg.labels().end());
            for (auto& l : labels)
                if (background[std::size_t(l)]) l = -1;
            return pixlime::segmentation::from_labels(img.width(), img.height(), labels);
        },
        "slic");
}

pixlime::explain_options explain_options_for(const explain_settings& s) {
    s.validate();
    pixlime::explain_options o;
    o.segmenter = segmenter_for(s);
    o.sampler = pixlime::parse_sampling(s.sampler, "sampler");
    o.fill = fill_for(s.fill);
    o.num_samples = s.num_samples;
    o.target_stability = s.target_stability;
    o.seed = s.seed;
    o.top_labels = s.top_labels;
    o.task = is_target_task(s.task) ? pixlime::task::classification : pixlime::parse_task(s.task, "task");
    o.batch_size = 250;
    return o;
}

void add_explain_flags(CLI::App& app, explain_settings& s, bool segmenter_only) {
    app.add_option("--segmenter", s.segmenter, "slic, quickshift (lime's default), felzenszwalb or grid")
        ->check(by([](const std::string& v) { pixlime::parse_segmenter_kind(v, "--segmenter"); }))
        ->capture_default_str();
    app.add_option("--segments", s.segments, "about how many segments (slic; grid: ceil(sqrt(N)) cells a side)")
        ->check(CLI::Range(1, 100000))
        ->capture_default_str();
    app.add_option("--compactness", s.compactness, "SLIC compactness (higher: squarer segments)")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    if (segmenter_only) return;
    app.add_option("--samples", s.num_samples, "perturbed images per explanation (the model calls' cap)")
        ->check(CLI::Range(2, 10000000))
        ->capture_default_str();
    app.add_option("--target-stability", s.target_stability,
                   "stop drawing samples once the top-5 segments would come out the same in a rerun with this "
                   "probability (0 = off, e.g. 0.95; --samples stays the cap)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--fill", s.fill, "what hidden segments show: black, mean (their mean colour) or blur")
        ->check(by([](const std::string& v) { fill_for(v); }))
        ->capture_default_str();
    // Deprecated for one release (CHANGELOG): the fill stage's old name.
    app.add_option_function<std::string>(
           "--hide",
           [&s](const std::string& v) {
               std::cerr << "pixlime: --hide is deprecated, use --fill (same values)\n";
               s.fill = v;
           },
           "deprecated: --fill")
        ->check(by([](const std::string& v) { fill_for(v); }))
        ->group("");
    app.add_option("--sampler", s.sampler, "how masks are drawn: orthogonal (pixlime's default), paired, balanced, shapley, "
                                           "bernoulli or lime_compatible")
        ->check(by([](const std::string& v) { pixlime::parse_sampling(v, "--sampler"); }))
        ->capture_default_str();
    app.add_option("--top-labels", s.top_labels, "explain the model's N highest classes")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--features", s.num_features, "segments shown on each pane")->check(CLI::Range(1, 100000))->capture_default_str();
    app.add_option("--seed", s.seed, "random seed (same seed, same explanation)")->capture_default_str();
}

const std::vector<std::string>& app_tasks() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (pixlime::task t : pixlime::tasks) v.push_back(pixlime::to_string(t));
        v.push_back("detection");
        v.push_back("segmentation");
        return v;
    }();
    return names;
}

bool is_target_task(const std::string& task) { return task == "detection" || task == "segmentation"; }

void add_task_flag(CLI::App& app, explain_settings& s) {
    app.add_option("--task", s.task,
                   "what the model returns: classification (a score per class, or one column P(class 1)), regression "
                   "(one value of any size, explained as 'value'; no --labels needed), detection (boxes: see --detections) "
                   "or segmentation (per-pixel class scores: see --target-class)")
        ->check(by([](const std::string& v) { check_task(v, "--task"); }))
        ->capture_default_str();
}

}  // namespace pixlime::app
