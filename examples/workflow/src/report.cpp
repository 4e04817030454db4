#include "report.hpp"

#include "dataset.hpp"
#include "model.hpp"
#include "transactions.hpp"

#include <pixlime/io.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace wf {

namespace {

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

std::string fmt(double v, int digits = 3) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}
std::string pct(double v) { return fmt(100.0 * v, 1) + "%"; }

struct img_out {
    std::string src;
    int w = 0, h = 0;
};

/// Copies `from` (a PNG) to `<report_dir>/<rel>`, upscaled with nearest neighbour.
img_out copy_upscaled(const fs::path& from, const fs::path& report_dir, const std::string& rel) {
    const pixlime::image<std::uint8_t> src = pixlime::load_image(from.string());
    const pixlime::image<std::uint8_t> big = upscale_nearest(src, upscale_factor(src.width(), src.height()));
    fs::create_directories((report_dir / rel).parent_path());
    pixlime::save_png((report_dir / rel).string(), big);
    return {rel, big.width(), big.height()};
}

std::string figure(const img_out& im, const std::string& alt, const std::string& caption) {
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

/// One explanation's card: its images, the explained labels' table and how sure it is.
struct card {
    std::string anchor, title, badge, meta_html, file, true_label, extra_html;
    bool wrong = false;
    img_out input, positive, negative, heatmap;
};

std::string card_html(const nlohmann::json& ej, const card& c) {
    const std::string pane_label = ej.at("panes_label").get<std::string>();
    // The explained labels are the model's top ones: probability, the surrogate's local
    // prediction and its R², in one table; the true class is marked.
    std::ostringstream lt;
    lt << "<table><tr><th>class</th><th>model p</th><th>surrogate</th><th>R&sup2;</th></tr>";
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

/// Marks a page as the report's, so that a later report replaces only its own index.html.
const char* generator_meta = "<meta name=\"generator\" content=\"pixlime report\">";

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

struct task_stats {
    int cards = 0, failed = 0, images = 0;
};

std::string task_section(const report_task& task, const fs::path& report_dir, task_stats& st) {
    const fs::path dir(task.task_dir);
    const mlp model = mlp::load((dir / "model" / "model.pxm").string());
    const nlohmann::json meta = nlohmann::json::parse(model.metadata.empty() ? "{}" : model.metadata, nullptr, false);
    const std::vector<transaction> log = read_log((dir / "transactions.jsonl").string());

    // Scoring summary from the log.
    int ok = 0, failed = 0, labelled = 0, correct = 0;
    double latency = 0;
    std::map<std::string, std::pair<int, int>> per_class;  // true label -> (correct, total)
    for (const auto& t : log) {
        if (!t.ok()) {
            ++failed;
            continue;
        }
        ++ok;
        latency += t.latency_ms;
        if (!t.true_label.empty()) {
            ++labelled;
            correct += t.correct();
            auto& pc = per_class[t.true_label];
            pc.first += t.correct();
            ++pc.second;
        }
    }

    // Explained transactions, the classes taking turns (the log is sorted by class), so that
    // the top of the page already shows several classes; failed ones last.
    std::vector<const transaction*> order;
    {
        std::vector<std::string> keys;
        std::map<std::string, std::vector<const transaction*>> by_class;
        std::vector<const transaction*> rest;
        for (const auto& t : log) {
            const fs::path edir = dir / "explanations" / t.id;
            if (!fs::exists(edir / "explanation.json") && !fs::exists(edir / "error.json")) continue;
            if (!t.ok()) {
                rest.push_back(&t);
                continue;
            }
            if (!by_class.count(t.true_label)) keys.push_back(t.true_label);
            by_class[t.true_label].push_back(&t);
        }
        std::size_t total = 0;
        for (const auto& kv : by_class) total += kv.second.size();
        // Class number c starts its turns at its c-th entry, so that the first rows already
        // mix correct and wrong predictions.
        for (std::size_t round = 0; order.size() < total; ++round)
            for (std::size_t c = 0; c < keys.size(); ++c) {
                const auto& v = by_class[keys[c]];
                if (round < v.size()) order.push_back(v[(round + c) % v.size()]);
            }
        order.insert(order.end(), rest.begin(), rest.end());
    }
    std::ostringstream cards;
    int done = 0, explain_failed = 0, shown_correct = 0, shown_wrong = 0;
    double explain_ms = 0, r2_sum = 0, stability_sum = 0;
    int with_stability = 0;
    std::map<std::string, int> shown_classes;
    nlohmann::json settings;
    for (const transaction* tp : order) {
        const transaction& t = *tp;
        const fs::path edir = dir / "explanations" / t.id;
        // Only records made for this very transaction (same input, same model): a folder left
        // from an earlier scoring run, whose ids named other inputs, is not shown.
        auto matches = [&](const fs::path& p) {
            if (!fs::exists(p)) return false;
            std::ifstream in(p);
            const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
            return j.is_object() && j.value("input", "") == t.input && j.value("model", "") == t.model;
        };
        const bool has_ok = matches(edir / "explanation.json"), has_err = !has_ok && matches(edir / "error.json");
        if (!has_ok && !has_err) continue;
        ++st.cards;
        const std::string file = fs::path(t.input).filename().string();
        if (!has_ok) {
            std::ifstream in(edir / "error.json");
            const nlohmann::json e = nlohmann::json::parse(in, nullptr, false);
            const std::string reason = e.is_object() ? e.value("error", "unknown") : "unreadable error record";
            ++explain_failed;
            ++st.failed;
            cards << failed_card(t.id, "input: " + esc(t.input) + (t.true_label.empty() ? "" : " &middot; true: <b>" + esc(t.true_label) + "</b>"),
                                 reason);
            continue;
        }
        std::ifstream in(edir / "explanation.json");
        const nlohmann::json ej = nlohmann::json::parse(in);
        ++done;
        settings = ej.at("settings");
        explain_ms += ej.at("timings_ms").at("total").get<double>();
        const nlohmann::json& top = ej.at("labels").at(0);
        r2_sum += top.at("r2").get<double>();
        if (top.contains("stability_top5")) {
            stability_sum += top.at("stability_top5").get<double>();
            ++with_stability;
        }
        const bool is_correct = t.correct();
        const bool known = !t.true_label.empty();
        (is_correct ? shown_correct : shown_wrong) += known ? 1 : 0;
        if (known) ++shown_classes[t.true_label];

        const std::string base = "img/" + task.key + "/" + t.id;
        const img_out in_img = copy_upscaled(edir / "input.png", report_dir, base + "-input.png");
        const img_out pos = copy_upscaled(edir / "positive.png", report_dir, base + "-positive.png");
        const img_out neg = copy_upscaled(edir / "negative.png", report_dir, base + "-negative.png");
        const img_out heat = copy_upscaled(edir / "heatmap.png", report_dir, base + "-heatmap.png");
        st.images += 4;

        std::string meta = esc(file) + " &middot; true: <b>" + (known ? esc(t.true_label) : "?") + "</b> &middot; predicted: <b>" +
                           esc(t.predicted) + "</b> (p = " + fmt(t.probability(t.predicted)) + ")";
        card c;
        c.anchor = task.key + "-" + t.id;
        c.title = t.id;
        c.badge = known ? (is_correct ? "correct" : "wrong") : "unlabelled";
        c.wrong = known && !is_correct;
        c.meta_html = meta;
        c.file = file;
        c.true_label = t.true_label;
        if (known && std::none_of(ej.at("labels").begin(), ej.at("labels").end(),
                                  [&](const nlohmann::json& l) { return l.at("name").get<std::string>() == t.true_label; }))
            c.extra_html = "<div>true class " + esc(t.true_label) + ": p = " + fmt(t.probability(t.true_label)) + "</div>";
        c.input = in_img;
        c.positive = pos;
        c.negative = neg;
        c.heatmap = heat;
        cards << card_html(ej, c);
    }

    std::ostringstream s;
    s << "<h2 id=\"" << esc(task.key) << "\">" << esc(task.title) << "</h2>\n<p>" << esc(task.description) << "</p>\n";
    s << "<table><tr><th colspan=\"2\">model</th></tr>";
    s << "<tr><td>file</td><td>" << esc((dir / "model" / "model.pxm").string()) << " (format v" << mlp::format_version
      << ", id " << esc(model.id()) << ")</td></tr>";
    if (meta.is_object()) {
        if (meta.contains("architecture")) s << "<tr><td>architecture</td><td>" << esc(meta["architecture"].get<std::string>()) << "</td></tr>";
        if (meta.contains("train_images"))
            s << "<tr><td>training</td><td>" << meta["train_images"].get<int>() << " images, " << meta.value("epochs", 0)
              << " epochs, " << fmt(meta.value("train_seconds", 0.0), 1) << " s</td></tr>";
        if (meta.contains("validation_accuracy"))
            s << "<tr><td>validation accuracy after training</td><td>" << pct(meta["validation_accuracy"].get<double>()) << " on "
              << meta.value("validation_images", 0) << " images</td></tr>";
    }
    s << "</table>\n";
    s << "<table><tr><th colspan=\"2\">transactions</th></tr>"
      << "<tr><td>scored</td><td class=\"num\">" << log.size() << "</td></tr>"
      << "<tr><td>failed at scoring</td><td class=\"num\">" << failed << "</td></tr>"
      << "<tr><td>accuracy of the scored</td><td class=\"num\">" << (labelled ? pct(double(correct) / labelled) : "n/a") << " ("
      << correct << " / " << labelled << ")</td></tr>"
      << "<tr><td>mean scoring latency</td><td class=\"num\">" << fmt(ok ? latency / ok : 0.0, 3) << " ms</td></tr>"
      << "<tr><td>explained (shown below)</td><td class=\"num\">" << done << " (" << shown_correct << " correct, "
      << shown_wrong << " wrong, " << shown_classes.size() << " true classes)</td></tr>"
      << "<tr><td>failed explanations</td><td class=\"num\">" << explain_failed << "</td></tr>"
      << "<tr><td>mean explanation time</td><td class=\"num\">" << fmt(done ? explain_ms / done : 0.0, 1) << " ms</td></tr>"
      << "<tr><td>mean R&sup2; (predicted label)</td><td class=\"num\">" << fmt(done ? r2_sum / done : 0.0) << "</td></tr>";
    if (with_stability)
        s << "<tr><td>mean top-5 stability (predicted label)</td><td class=\"num\">" << fmt(stability_sum / with_stability, 2)
          << "</td></tr>";
    if (!settings.is_null())
        s << "<tr><td>explanation settings</td><td>" << esc(settings.value("segmenter", "")) << ", ~" << settings.value("segments", 0)
          << " segments, " << settings.value("num_samples", 0) << " samples, hidden segments " << esc(settings.value("hide", ""))
          << ", top " << settings.value("top_labels", 0) << " labels, seed " << settings.value("seed", 0) << "</td></tr>";
    const fs::path fpath = dir / "faithfulness.json";
    if (fs::exists(fpath)) {
        std::ifstream fin(fpath);
        const nlohmann::json fj = nlohmann::json::parse(fin, nullptr, false);
        if (fj.is_object() && fj.value("model", "") == model.id() && fj.contains("deletion_auc")) {
            const std::string n = std::to_string(fj.value("images", 0));
            s << "<tr><td>faithfulness: deletion (RISE)</td><td>over " << n << " validation images, the predicted class's "
              << "probability as the explanation's segments are removed (black), most positive first: <b>AUC "
              << fmt(fj.value("deletion_auc", 0.0)) << "</b> vs " << fmt(fj.value("deletion_random_auc", 0.0)) << " for "
              << fj.value("random_rankings", 0) << " random orders (lower is better; lower on " << fj.value("deletion_beats_random", 0)
              << " of " << n << ")</td></tr>"
              << "<tr><td>faithfulness: insertion (RISE)</td><td>the same segments restored onto a blurred copy: <b>AUC "
              << fmt(fj.value("insertion_auc", 0.0)) << "</b> vs " << fmt(fj.value("insertion_random_auc", 0.0))
              << " for random orders (higher is better; higher on " << fj.value("insertion_beats_random", 0) << " of " << n
              << ")</td></tr>";
        }
    }
    s << "</table>\n";
    if (!per_class.empty()) {
        s << "<table><tr><th>true class</th>";
        for (const auto& [name, v] : per_class) s << "<th>" << esc(name) << "</th>";
        s << "</tr><tr><td>accuracy</td>";
        for (const auto& [name, v] : per_class) s << "<td class=\"num\">" << pct(double(v.first) / std::max(1, v.second)) << "</td>";
        s << "</tr></table>\n";
    }
    s << cards.str();
    return s.str();
}

/// Removes `<report>/img` (the images an earlier report copied there) after checking that
/// it holds only such copies, `<key>/<id>-{input,positive,negative,heatmap}.png`: a folder the
/// report did not write is never removed.
void remove_old_images(const fs::path& img) {
    if (!fs::exists(fs::symlink_status(img))) return;
    auto foreign = [&](const fs::path& p) {
        return std::runtime_error("'" + p.string() + "' was not written by the report: '" + img.string() +
                                  "' is left as it is (move it away to write the report)");
    };
    if (!fs::is_directory(fs::symlink_status(img))) throw foreign(img);
    std::vector<fs::path> files, dirs;
    for (const auto& d : fs::directory_iterator(img)) {
        if (!d.is_directory() || d.is_symlink()) throw foreign(d.path());
        for (const auto& f : fs::directory_iterator(d.path())) {
            const std::string n = f.path().filename().string();
            bool ours = f.is_regular_file() && !f.is_symlink();
            if (ours) {
                ours = false;
                for (const char* suffix : {"-input.png", "-positive.png", "-negative.png", "-heatmap.png"}) {
                    const std::string sfx = suffix;
                    ours = ours || (n.size() > sfx.size() && n.compare(n.size() - sfx.size(), sfx.size(), sfx) == 0);
                }
            }
            if (!ours) throw foreign(f.path());
            files.push_back(f.path());
        }
        dirs.push_back(d.path());
    }
    for (const auto& f : files) fs::remove(f);
    for (const auto& d : dirs) fs::remove(d);
    fs::remove(img);
}

}  // namespace

report_result write_report(const std::string& report_dir, const std::vector<report_task>& tasks) {
    const fs::path out(report_dir);
    remove_old_images(out / "img");
    fs::create_directories(out);
    task_stats st;
    std::ostringstream body;
    for (const auto& t : tasks) body << task_section(t, out, st);

    std::ostringstream sections;
    sections << "<p>Sections: ";
    for (std::size_t i = 0; i < tasks.size(); ++i)
        sections << (i ? " &middot; " : "") << "<a href=\"#" << esc(tasks[i].key) << "\">" << esc(tasks[i].title) << "</a>";
    sections << "</p>\n";
    const std::string index =
        write_page(out, "pixlime: why did the model say that?",
                   "LIME explanations of a model trained on Fashion-MNIST, generated " + esc(utc_now()) +
                       ". For each transaction: the input, the <b>positive pane</b> (the segments that pushed the predicted class "
                       "up), the <b>negative pane</b> (the segments that pushed it down) and a heatmap of every segment's weight.",
                   sections.str() + body.str());
    return {index, st.cards, st.failed, st.images};
}

folder_report_result write_folder_report(const std::string& dir, const std::string& title) {
    const fs::path root(dir);
    if (!fs::is_directory(root)) throw std::runtime_error("'" + dir + "' is not a folder of results");
    if (fs::exists(root / "index.html")) {  // never replace a page the report did not write
        std::ifstream in(root / "index.html");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.find(generator_meta) == std::string::npos)
            throw std::runtime_error("'" + (root / "index.html").string() +
                                     "' was not written by pixlime report: it is left as it is (move it away to write the report)");
    }
    std::vector<fs::path> records;
    for (const auto& d : fs::directory_iterator(root))
        if (d.is_directory() && (fs::exists(d.path() / "explanation.json") || fs::exists(d.path() / "error.json"))) records.push_back(d.path());
    std::sort(records.begin(), records.end());
    // The failed ones last.
    std::stable_partition(records.begin(), records.end(), [](const fs::path& p) { return fs::exists(p / "explanation.json"); });
    folder_report_result r;
    std::ostringstream cards;
    auto in_place = [&](const fs::path& file) {
        const pixlime::image<std::uint8_t> im = pixlime::load_image(file.string());
        ++r.images;
        return img_out{fs::relative(file, root).generic_string(), im.width(), im.height()};
    };
    auto parse = [](const fs::path& f) {
        std::ifstream in(f);
        return nlohmann::json::parse(in, nullptr, false);
    };
    for (const fs::path& p : records) {
        ++r.cards;
        const std::string name = p.filename().string();
        const nlohmann::json ej = fs::exists(p / "explanation.json") ? parse(p / "explanation.json") : nlohmann::json();
        if (!ej.is_object()) {
            const nlohmann::json e = parse(p / "error.json");
            ++r.failed;
            cards << failed_card(name, "input: " + esc(e.is_object() ? e.value("input", "?") : "?"),
                                 e.is_object() ? e.value("error", "unknown") : "unreadable record");
            continue;
        }
        const std::string input = ej.value("input", "");
        card c;
        c.anchor = name;
        c.title = fs::path(input).filename().string();
        c.badge = ej.value("predicted", "");
        c.meta_html = esc(input) + " &middot; predicted: <b>" + esc(ej.value("predicted", "")) + "</b> (" +
                      fmt(ej.at("labels").at(0).at("model_prediction").get<double>()) + ") &middot; model " + esc(ej.value("model", ""));
        c.file = c.title;
        c.input = in_place(p / "input.png");
        c.positive = in_place(p / "positive.png");
        c.negative = in_place(p / "negative.png");
        c.heatmap = in_place(p / "heatmap.png");
        c.input.w = c.positive.w;  // input.png is at the model's size: shown as large as the panes
        c.input.h = c.positive.h;
        cards << card_html(ej, c);
    }
    const std::string lead = std::to_string(r.cards) + " images (" + std::to_string(r.failed) + " failed), from " + esc(dir) +
                             ", generated " + esc(utc_now()) + ". For each image: the <b>positive pane</b> (the segments that "
                             "pushed the predicted class up), the <b>negative pane</b> (the segments that pushed it down) and a "
                             "heatmap of every segment's weight.";
    r.path = write_page(root, title, lead, cards.str());
    return r;
}

}  // namespace wf
