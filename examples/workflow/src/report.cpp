#include "report.hpp"

#include "dataset.hpp"
#include "model.hpp"
#include "transactions.hpp"

#include <pixlime_app/record.hpp>
#include <pixlime_app/report.hpp>

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

using pixlime::app::card;
using pixlime::app::esc;
using pixlime::app::fmt;
using pixlime::app::img_ref;

std::string pct(double v) { return fmt(100.0 * v, 1) + "%"; }


/// Copies `from` (a PNG) to `<report_dir>/<rel>`, upscaled with nearest neighbour.
img_ref copy_upscaled(const fs::path& from, const fs::path& report_dir, const std::string& rel) {
    const pixlime::image<std::uint8_t> src = pixlime::load_image(from.string());
    const pixlime::image<std::uint8_t> big = upscale_nearest(src, upscale_factor(src.width(), src.height()));
    fs::create_directories((report_dir / rel).parent_path());
    pixlime::save_png((report_dir / rel).string(), big);
    return {rel, big.width(), big.height()};
}

struct task_stats {
    int cards = 0, failed = 0, images = 0;
};

std::string task_section(const report_task& task, const fs::path& report_dir, task_stats& st) {
    const fs::path dir(task.task_dir);
    const mlp model = mlp::load((dir / "model" / "model.pxm").string());
    const nlohmann::json meta = nlohmann::json::parse(model.metadata.empty() ? "{}" : model.metadata, nullptr, false);
    const std::vector<transaction> log = task.log ? *task.log : read_log((dir / "transactions.jsonl").string());

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
            cards << pixlime::app::failed_card(t.id, "input: " + esc(t.input) + (t.true_label.empty() ? "" : " &middot; true: <b>" + esc(t.true_label) + "</b>"),
                                 reason);
            continue;
        }
        nlohmann::json ej;
        try {
            ej = pixlime::app::read_record(edir / "explanation.json");
        } catch (const std::exception& e) {  // a record that cannot be read: its card says why, the rest go on
            ++explain_failed;
            ++st.failed;
            cards << pixlime::app::failed_card(t.id, "input: " + esc(t.input), pixlime::app::describe(e));
            continue;
        }
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
        const img_ref in_img = copy_upscaled(edir / "input.png", report_dir, base + "-input.png");
        const img_ref pos = copy_upscaled(edir / "positive.png", report_dir, base + "-positive.png");
        const img_ref neg = copy_upscaled(edir / "negative.png", report_dir, base + "-negative.png");
        const img_ref heat = copy_upscaled(edir / "heatmap.png", report_dir, base + "-heatmap.png");
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
        cards << pixlime::app::card_html(ej, c);
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
    s << "<table><tr><th colspan=\"2\">transactions</th></tr>";
    if (!task.log_name.empty()) s << "<tr><td>transaction log</td><td>" << esc(task.log_name) << "</td></tr>";
    s << "<tr><td>scored</td><td class=\"num\">" << log.size() << "</td></tr>"
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
          << " segments, " << settings.value("num_samples", 0) << " samples, hidden segments " << esc(settings.value("fill", ""))
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
        pixlime::app::write_page(out, "pixlime: why did the model say that?",
                   "LIME explanations of a model trained on Fashion-MNIST, generated " + esc(utc_now()) +
                       ". For each transaction: the input, the <b>positive pane</b> (the segments that pushed the predicted class "
                       "up), the <b>negative pane</b> (the segments that pushed it down) and a heatmap of every segment's weight.",
                   sections.str() + body.str());
    return {index, st.cards, st.failed, st.images};
}

}  // namespace wf
