#include <pixlime_app/report.hpp>

#include <pixlime_app/common.hpp>
#include <pixlime_app/record.hpp>

#include <pixlime/io.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace pixlime::app {

std::string esc(const std::string& s) {
    std::string o;
    for (char c : s) {
        switch (c) {
            case '&': o += "&amp;"; break;
            case '<': o += "&lt;"; break;
            case '>': o += "&gt;"; break;
            case '"': o += "&quot;"; break;
            case '\'': o += "&#39;"; break;
            default: o += c;
        }
    }
    return o;
}

std::string fmt(double v, int digits) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

namespace {

std::string figure(const img_ref& im, const std::string& alt, const std::string& caption) {
    return "<figure><img src=\"" + esc(im.src) + "\" width=\"" + std::to_string(im.w) + "\" height=\"" +
           std::to_string(im.h) + "\" alt=\"" + esc(alt) + "\"><figcaption>" + caption + "</figcaption></figure>";
}

const char* style = R"css(
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; max-width: 1240px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 40px; border-bottom: 2px solid #ddd; padding-bottom: 4px; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #ddd; padding: 4px 10px; text-align: left; font-size: 14px; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.card { background: #fff; border: 1px solid #ddd; border-left: 6px solid #4caf50; border-radius: 4px; padding: 10px 14px; margin: 14px 0; }
.card.wrong { border-left-color: #e53935; } .card.failed { border-left-color: #757575; background: #f4f4f4; }
.card h3 { margin: 0 0 6px; font-size: 16px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; background: #4caf50; vertical-align: middle; }
.wrong .badge { background: #e53935; } .failed .badge { background: #757575; }
.panes { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; } figcaption { font-size: 12px; color: #444; max-width: 224px; }
img { image-rendering: pixelated; image-rendering: crisp-edges; border: 1px solid #ccc; display: block; }
.side { font-size: 12px; max-width: 260px; } .side table { margin: 0 0 6px; } .side th, .side td { font-size: 12px; padding: 2px 6px; }
.meta { font-size: 14px; margin: 4px 0 8px; } .reason { font-family: monospace; white-space: pre-wrap; color: #b00; }
.uncertainty { margin: 4px 0 6px; padding: 3px 6px; background: #e8f5e9; border-radius: 3px; } .uncertainty.noisy { background: #e3f2fd; }
.hatch { color: #1e90ff; font-weight: bold; }
#image-check { font-size: 13px; padding: 4px 8px; display: inline-block; border-radius: 4px; background: #eee; }
#image-check.ok { background: #e8f5e9; } #image-check.bad { background: #ffebee; }
)css";

/// Fills #image-check once the page has loaded: how many <img> decoded (naturalWidth > 0).
/// Runs locally; the report needs no network.
const char* image_check_script = R"js(
window.addEventListener('load', function () {
  var imgs = document.images, loaded = 0, broken = [];
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) loaded++; else broken.push(imgs[i].getAttribute('src'));
  }
  var el = document.getElementById('image-check');
  el.setAttribute('data-total', imgs.length);
  el.setAttribute('data-loaded', loaded);
  el.setAttribute('data-broken', broken.length);
  el.className = broken.length ? 'bad' : 'ok';
  el.textContent = broken.length ? (broken.length + ' of ' + imgs.length + ' images failed to load: ' + broken.join(', '))
                                 : ('All ' + imgs.length + ' images loaded.');
});
)js";

/// "segments 3 and 7" (HTML-safe: numbers only).
std::string segment_list(const std::vector<int>& v) {
    std::string o = v.size() == 1 ? "segment " : "segments ";
    for (std::size_t i = 0; i < v.size(); ++i)
        o += (i == 0 ? "" : i + 1 == v.size() ? " and " : ", ") + std::to_string(v[i]);
    return o;
}

/// The explained label's uncertainty from its record: top-5 stability and which of its top 5
/// segments by |weight| are within noise of 0 (95% interval contains 0). Empty when the record
/// has no standard errors (a custom surrogate).
std::string uncertainty_line(const nlohmann::json& label) {
    if (!label.contains("intervals") || !label.contains("stability_top5")) return "";
    const auto& w = label.at("weights");
    const auto& iv = label.at("intervals");
    std::vector<int> order(w.size());
    for (std::size_t k = 0; k < order.size(); ++k) order[k] = int(k);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return std::abs(w[std::size_t(a)].get<double>()) > std::abs(w[std::size_t(b)].get<double>());
    });
    order.resize(std::min<std::size_t>(5, order.size()));
    std::vector<int> noise;
    for (int k : order) {
        const auto& r = iv.at(std::size_t(k));
        if (r.at(0).get<double>() <= 0 && r.at(1).get<double>() >= 0) noise.push_back(k);
    }
    std::ostringstream o;
    const double stab = label.at("stability_top5").get<double>();
    o << "<div class=\"uncertainty" << (noise.empty() ? "" : " noisy") << "\">top-5 stability <b>" << fmt(stab, 2)
      << "</b> (expected overlap of the top 5 with a rerun's); ";
    if (noise.empty())
        o << "all top " << order.size() << " segments are distinguishable from 0 (95%)";
    else
        o << segment_list(noise) << (noise.size() == 1 ? " is" : " are") << " within noise of 0 (95% interval contains 0; hatched)";
    o << "</div>";
    return o.str();
}

/// Whether a record explains a regression model's value (task "regression"; records without a
/// task are classification ones).
bool is_regression(const nlohmann::json& record) { return record.value("task", std::string("classification")) == "regression"; }
/// Whether a record explains a target (task "detection" or "segmentation"): one detection's
/// score, or one class's mean score over a region.
bool is_target(const nlohmann::json& record) { return record.contains("target"); }

/// A target record's line: "detection red, box 8, 8, 16, 16 (score 0.93)", "segmentation red,
/// region: the model's (256 pixels)".
std::string target_text(const nlohmann::json& rec) {
    const nlohmann::json& t = rec.at("target");
    std::string s = rec.value("task", std::string()) + " <b>" + esc(t.at("class").get<std::string>()) + "</b>";
    if (t.contains("box")) {
        s += ", box";
        for (std::size_t i = 0; i < t.at("box").size(); ++i) {  // pixels: as recorded, no trailing zeros
            char v[32];
            std::snprintf(v, sizeof v, "%g", t.at("box").at(i).get<double>());
            s += (i ? ", " : " ") + std::string(v);
        }
    }
    if (t.contains("score")) s += " (detected with score " + fmt(t.at("score").get<double>()) + ")";
    if (t.contains("region"))
        s += t.at("region") == "mask" ? ", region " + esc(t.value("mask", std::string("a mask"))) : std::string(", region: the model's pixels of the class");
    if (t.contains("pixels")) s += " (" + std::to_string(t.at("pixels").get<long long>()) + " pixels)";
    return s;
}

/// One explanation's card: its images, the explained labels' table and how sure it is.
/// Marks a page as the report's, so that a later report replaces only its own index.html.
const char* generator_meta = "<meta name=\"generator\" content=\"pixlime report\">";

}  // namespace

std::string card_html(const nlohmann::json& ej, const card& c) {
    // A regression record explains one value (its panes: what raised and lowered it), not classes.
    const bool regression = is_regression(ej), target = is_target(ej);
    const std::string pane_label = regression ? "the value" : target ? "the target's score" : ej.at("panes_label").get<std::string>();
    // The explained labels are the model's top ones: probability (a regression's value), the
    // surrogate's local prediction and its R², in one table; the true class is marked.
    std::ostringstream lt;
    lt << (regression ? "<table><tr><th>output</th><th>model value</th>"
           : target   ? "<table><tr><th>target</th><th>model score</th>"
                      : "<table><tr><th>class</th><th>model p</th>")
       << "<th>surrogate</th><th>R&sup2;</th></tr>";
    for (const auto& l : ej.at("labels")) {
        const std::string name = l.at("name").get<std::string>();
        const bool is_true = !c.true_label.empty() && name == c.true_label;
        lt << "<tr><td>" << (is_true ? "<b>" + esc(name) + "</b> (true)" : esc(name)) << "</td><td class=\"num\">"
           << fmt(l.at("model_prediction").get<double>()) << "</td><td class=\"num\">"
           << fmt(l.at("local_prediction").get<double>()) << "</td><td class=\"num\">" << fmt(l.at("r2").get<double>())
           << "</td></tr>";
    }
    lt << "</table>" << c.extra_html;
    // How sure the explanation is: its top-5 stability and which of the pane label's top 5
    // segments (by |weight|) have a 95% interval containing 0 (hatched on the panes).
    const std::string uncertainty = uncertainty_line(ej.at("labels").at(0));
    const bool hatched = ej.at("panes").contains("hatched_level");
    std::ostringstream out;
    out << "<div class=\"" << (c.wrong ? "card wrong" : "card") << "\" id=\"" << esc(c.anchor) << "\"><h3>" << esc(c.title)
        << " <span class=\"badge\">" << esc(c.badge) << "</span></h3>"
        << "<p class=\"meta\">" << c.meta_html << "</p><div class=\"panes\">"
        << figure(c.input, "input " + c.title, "input (" + esc(c.file) + ")")
        << figure(c.positive, "positive pane " + c.title, "positive: the (up to 5) segments that most raised <b>" + esc(pane_label) + "</b>")
        << figure(c.negative, "negative pane " + c.title, "negative: the (up to 5) segments that most lowered <b>" + esc(pane_label) + "</b>")
        << figure(c.heatmap, "heatmap " + c.title, "heatmap: every segment's weight for " + esc(pane_label) +
                                                     " (green up, magenta down)" +
                                                     (hatched ? "; <span class=\"hatch\">blue hatching</span>: within noise of 0" : ""))
        << "<div class=\"side\">" << lt.str() << uncertainty << "<div>" << ej.at("segments").at("count").get<int>()
        << " segments &middot; explained in " << fmt(ej.at("timings_ms").at("total").get<double>(), 0) << " ms"
        << (ej.contains("model_calls") ? " &middot; " + std::to_string(ej.at("model_calls").get<int>()) + " model calls" : "")
        << "</div></div></div></div>\n";
    return out.str();
}

std::string failed_card(const std::string& title, const std::string& meta_html, const std::string& reason) {
    return "<div class=\"card failed\"><h3>" + esc(title) + " <span class=\"badge\">failed</span></h3><p class=\"meta\">" +
           meta_html + "</p><p class=\"reason\">" + esc(reason) + "</p></div>\n";
}


/// Writes `<dir>/index.html` (atomically): the page around `body`. Returns its path.
std::string write_page(const fs::path& dir, const std::string& title, const std::string& lead_html, const std::string& body) {
    std::ostringstream html;
    html << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">" << generator_meta
         << "<title>" << esc(title) << "</title><style>" << style << "</style></head><body>\n"
         << "<h1>" << esc(title) << "</h1>\n<p class=\"lead\">" << lead_html << " Segments whose weight is within noise of 0 "
         << "(its 95% interval contains 0) are <span class=\"hatch\">hatched in blue</span>; the <b>top-5 stability</b> is "
         << "the expected overlap (Jaccard) of the 5 strongest segments with those of a rerun with another seed.</p>\n"
         << "<p><span id=\"image-check\">Images not checked yet (JavaScript off?)</span></p>\n"
         << body << "<script>" << image_check_script << "</script>\n</body></html>\n";
    const fs::path index = dir / "index.html";
    write_atomic(index, html.str());
    return index.string();
}

bool page_is_ours(const fs::path& dir) {
    const fs::path index = dir / "index.html";
    if (!fs::exists(index)) return true;
    std::ifstream in(index);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return text.find(generator_meta) != std::string::npos;
}

folder_report_result write_folder_report(const std::string& dir, const std::string& title) {
    const fs::path root(dir);
    if (!fs::is_directory(root)) throw std::runtime_error("'" + dir + "' is not a folder of results");
    if (!page_is_ours(root))  // never replace a page the report did not write
        throw std::runtime_error("'" + (root / "index.html").string() +
                                 "' was not written by pixlime report: it is left as it is (move it away to write the report)");
    std::vector<fs::path> records;
    for (const auto& d : fs::directory_iterator(root))
        if (d.is_directory() && (fs::exists(d.path() / "explanation.json") || fs::exists(d.path() / "error.json"))) records.push_back(d.path());
    std::sort(records.begin(), records.end());
    folder_report_result r;
    std::vector<std::string> shown, failed;  // failed ones last
    int regression = 0;                      // cards of regression records
    int targets = 0;                         // cards of detection and segmentation targets
    const auto image = [&](const fs::path& file) {
        if (!fs::exists(file)) throw record_error(file.string(), "", "missing (the record's pane)");
        const pixlime::image<std::uint8_t> im = pixlime::load_image(file.string());
        return img_ref{fs::relative(file, root).generic_string(), im.width(), im.height()};
    };
    for (const fs::path& p : records) {
        ++r.cards;
        const std::string name = p.filename().string();
        const bool explained = fs::exists(p / "explanation.json");
        try {
            const nlohmann::json rec = read_record(p / (explained ? "explanation.json" : "error.json"));
            const std::string input = rec.at("input").is_string() ? rec.at("input").get<std::string>() : "(an array)";
            if (rec.at("kind") == "error") {
                ++r.failed;
                failed.push_back(failed_card(name, "input: " + esc(input) + " &middot; model " + esc(rec.at("model").get<std::string>()),
                                             rec.at("error").get<std::string>()));
                continue;
            }
            if (!rec.contains("panes_label"))
                throw record_error((p / "explanation.json").string(), "/panes_label", "missing (a record written without its panes)");
            card c;
            c.anchor = name;
            c.title = rec.at("input").is_string() ? fs::path(input).filename().string() : rec.at("id").dump();
            if (is_target(rec)) {  // one card per target: named by its id (INPUT#k for every detection)
                ++targets;
                c.title = rec.at("id").is_string() ? fs::path(rec.at("id").get<std::string>()).filename().string() : c.title;
                c.badge = rec.value("task", std::string()) + " " + rec.at("predicted").get<std::string>();
                c.meta_html = esc(input) + " &middot; " + target_text(rec) + " &middot; its score on the image: <b>" +
                              fmt(rec.at("value").get<double>()) + "</b> &middot; model " + esc(rec.at("model").get<std::string>());
            } else if (is_regression(rec)) {
                ++regression;
                const std::string value = fmt(rec.at("value").get<double>());
                c.badge = "value " + value;
                c.meta_html = esc(input) + " &middot; predicted value: <b>" + value + "</b> &middot; model " +
                              esc(rec.at("model").get<std::string>());
            } else {
                c.badge = rec.at("predicted").get<std::string>();
                c.meta_html = esc(input) + " &middot; predicted: <b>" + esc(c.badge) + "</b> (" +
                              fmt(rec.at("labels").at(0).at("model_prediction").get<double>()) + ") &middot; model " +
                              esc(rec.at("model").get<std::string>());
            }
            c.file = c.title;
            c.input = image(p / "input.png");
            c.positive = image(p / "positive.png");
            c.negative = image(p / "negative.png");
            c.heatmap = image(p / "heatmap.png");
            c.input.w = c.positive.w;  // input.png is at the model's size: shown as large as the panes
            c.input.h = c.positive.h;
            r.images += 4;
            shown.push_back(card_html(rec, c));
        } catch (const std::exception& e) {  // a record or pane that cannot be read: its card says why
            ++r.failed;
            failed.push_back(failed_card(name, "a record that cannot be shown", describe(e)));
        }
    }
    std::string cards;
    for (const auto& s : shown) cards += s;
    for (const auto& s : failed) cards += s;
    const int shown_cards = int(shown.size());
    const std::string what = regression + targets == 0   ? "the predicted class"
                             : regression == shown_cards ? "the predicted value"
                             : targets == shown_cards    ? "the target's score (a detection's, or a class's over a region, outlined in cyan)"
                             : targets == 0              ? "the predicted class (or value)"
                                                         : "the predicted class (or value, or target's score)";
    const std::string lead = std::to_string(r.cards) + " images (" + std::to_string(r.failed) + " failed), from " + esc(dir) +
                             ", generated " + esc(utc_now()) + ". For each image: the <b>positive pane</b> (the segments that "
                             "pushed " + what + " up), the <b>negative pane</b> (the segments that pushed it down) and a "
                             "heatmap of every segment's weight.";
    r.path = write_page(root, title, lead, cards);
    return r;
}

}  // namespace pixlime::app
