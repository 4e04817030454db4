// pixlime: explain what an image classifier looked at, from the command line, with a TorchScript
// or ONNX model file and no code to write.
//
//   pixlime explain --model M.pt|M.onnx --input 224x224 [preprocessing] [explanation] [--task TASK [targets]] --out DIR IMAGES...
//   pixlime segments IMAGE --out seg.png       preview the superpixels an explanation would use
//   pixlime report DIR                         (re)build DIR/index.html from DIR's records
//
// Built on the app layer (app/include/pixlime_app): its backends, settings and flags,
// records, report, inputs and progress, shared with every other app, so a record means the
// same wherever it was made.

#include "model_flags.hpp"
#include "targets.hpp"
#ifdef PIXLIME_WITH_SERVE
#include "command.hpp"  // pixlime serve (serve/src)
#endif

#include <pixlime_app/backend.hpp>
#include <pixlime_app/common.hpp>
#include <pixlime_app/inputs.hpp>
#include <pixlime_app/preprocess.hpp>
#include <pixlime_app/progress.hpp>
#include <pixlime_app/record.hpp>
#include <pixlime_app/report.hpp>
#include <pixlime_app/settings.hpp>

#include <pixlime/pixlime.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace app = pixlime::app;

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
    interrupted = true;
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

using pixlime::cli::usage_error;

struct explain_command {
    pixlime::cli::model_flags m;
    pixlime::cli::target_flags t;
    std::string model, out = "pixlime-out", list_file, shard;
    bool overlay = true, force = false;
    int threads = 1, batch_size = 50;
    app::explain_settings s;
    std::vector<std::string> inputs;
};

/// The explanation's options: the app layer's for the settings, and the model's input form, so
/// that the perturbed batches are the model's input tensor.
pixlime::explain_options options_for(const explain_command& c) {
    pixlime::explain_options o = app::explain_options_for(c.s);
    o.batch_size = c.batch_size;
    o.num_threads = c.threads;
    o.model_input = pixlime::cli::model_input_for(c.m);
    return o;
}

/// Everything a result depends on, recorded and compared by a rerun (not threads or batch size,
/// which change no result).
nlohmann::ordered_json settings_json(const explain_command& c, const std::string& model_digest, const std::vector<std::string>& names) {
    nlohmann::ordered_json j = c.s.to_json();
    const nlohmann::ordered_json pre = pixlime::cli::preprocessing_json(c.m, c.model, model_digest, names);
    for (const auto& [k, v] : pre.items()) j[k] = v;  // (items() of a temporary would outlive it)
    const nlohmann::ordered_json targets = pixlime::cli::target_settings_json(c.t, c.s.task);
    if (!targets.empty()) j["targets"] = targets;
    return j;
}

/// Explains the targets of one image (--task detection or segmentation) from one set of model
/// calls and writes a record per target: INPUT's folder for the one target the flags name,
/// INPUT#k's for every detection found. Returns the number of targets, or -1 when every record
/// was done before (a rerun skips the image).
int explain_targets(const explain_command& c, app::model_backend& model, const std::vector<std::string>& names,
                    const pixlime::image<std::uint8_t>& raw, const pixlime::image<float>& img, app::record_head head,
                    const pixlime::explain_options& opt, const std::string& input, const nlohmann::ordered_json& settings) {
    const pixlime::cli::image_targets t =
        pixlime::cli::targets_for(c.s.task, c.t, model, names, img, raw.width(), raw.height(), opt.model_input);
    const int n = int(t.records.size());
    const auto id = [&](int k) { return t.every_detection ? input + "#" + std::to_string(k) : input; };
    const auto dir = [&](int k) { return fs::path(c.out) / app::record_name(fs::path(id(k)).lexically_normal().string()); };
    bool all_done = !c.force;
    for (int k = 0; k < n && all_done; ++k) all_done = app::record_done(dir(k), id(k), input, c.model, settings);
    if (all_done) return -1;
    const pixlime::explanation ex = pixlime::explain(img, t.model, pixlime::target_options(opt, n));
    for (int k = 0; k < n; ++k) {
        head.fields["id"] = id(k);
        head.target = t.records[std::size_t(k)];
        app::write_explanation(dir(k), img, ex, head);
    }
    // An earlier run that found more detections left records of targets no longer found: their
    // record files are removed (nothing else), so that the report shows only these.
    if (t.every_detection)
        for (int k = n; fs::exists(dir(k) / "explanation.json") || fs::exists(dir(k) / "error.json"); ++k) app::remove_record(dir(k));
    return n;
}

int run_explain(explain_command& c) {
    const app::input_shape shape = pixlime::cli::parse_size(c.m.input);
    pixlime::explain_options opt = options_for(c);  // bad options fail here, before the model loads
    const bool regression = opt.task == pixlime::task::regression;
    if (regression && !c.m.labels_file.empty())
        throw usage_error("--labels '" + c.m.labels_file + "' with --task regression: a regression model's one output is the value, "
                          "it has no class names (leave --labels out)");
    if (regression && c.m.softmax)
        throw usage_error("--softmax with --task regression: the softmax of one output is always 1 (leave --softmax out)");
    const std::vector<std::string> names = pixlime::cli::read_labels(c.m.labels_file);
    const bool targeted = app::is_target_task(c.s.task);
    pixlime::cli::check_target_flags(c.t, c.s.task, names);
    if (targeted && c.m.softmax)
        throw usage_error("--softmax with --task " + c.s.task + ": a target's score is read from the model's own output (leave --softmax out)");
    std::vector<std::string> all, inputs;
    try {
        all = app::expand_inputs(c.inputs, c.list_file, c.out);
        inputs = app::take_shard(all, c.shard);
    } catch (const app::input_error& e) {
        throw usage_error(e.what());
    }
    if (all.empty()) throw usage_error("no input images: give files or folders (searched for .png, .jpg, .bmp, ...), or --list FILE");

    std::unique_ptr<app::model_backend> model;
    try {
        model = app::open_model(c.model, c.m.backend, c.threads);
    } catch (const std::exception& e) {
        throw usage_error(e.what());
    }
    const std::string digest = pixlime::cli::file_digest(c.model);
    const nlohmann::ordered_json settings = settings_json(c, digest, names);
    auto classify = [&](pixlime::batch_view<const float> b) -> Eigen::MatrixXf {
        Eigen::MatrixXf y = model->classify(b);
        return c.m.softmax ? pixlime::cli::softmax_rows(std::move(y)) : y;
    };
    fs::create_directories(c.out);
    std::signal(SIGINT, on_interrupt);  // before the first line, which tells a caller the work started
    std::cerr << "pixlime: " << inputs.size() << " image" << (inputs.size() == 1 ? "" : "s")
              << (c.shard.empty() ? "" : " (shard " + c.shard + " of " + std::to_string(all.size()) + ")") << ", model "
              << c.model << " (" << model->name() << "), " << c.s.num_samples << " samples each, results in " << c.out << "\n";

    app::progress_display progress(int(inputs.size()));
    int done = 0, skipped = 0, failed = 0;
    bool stopped = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (interrupted) {
            stopped = true;
            break;
        }
        const std::string& input = inputs[i];
        // The record's id is the input's path as given; its folder is the id's record name.
        const fs::path dir = fs::path(c.out) / app::record_name(fs::path(input).lexically_normal().string());
        if (!targeted && !c.force && app::record_done(dir, input, input, c.model, settings)) {
            ++skipped;
            progress.finished(int(i), "skipped (done before) " + input);
            continue;
        }
        const auto t0 = clock_type::now();
        try {
            const pixlime::image<std::uint8_t> raw = pixlime::load_image(input);
            if (c.m.resize == "none" && (raw.width() != shape.width || raw.height() != shape.height))
                throw std::runtime_error("the image is " + std::to_string(raw.width()) + "x" + std::to_string(raw.height()) +
                                         ", the model takes " + c.m.input + " (--resize none)");
            const pixlime::image<float> img = app::standardize(raw, shape);
            app::record_head head;
            head.fields["id"] = input;
            head.fields["input"] = input;
            head.model = c.model;
            head.settings = settings;
            head.segmenter = c.s.segmenter;
            head.num_features = c.s.num_features;
            head.classes = names;
            head.overlay = c.overlay;
            head.load_ms = seconds_since(t0) * 1000;
            head.start = t0;
            opt.progress = [&](int s, int of) {
                progress.samples(int(i), s, of);
                return !interrupted.load();
            };
            if (targeted) {
                const int targets = explain_targets(c, *model, names, raw, img, head, opt, input, settings);
                if (targets < 0) {
                    ++skipped;
                    progress.finished(int(i), "skipped (done before) " + input);
                    continue;
                }
                ++done;
                char line[64];
                std::snprintf(line, sizeof line, " (%.1f s)", seconds_since(t0));
                progress.finished(int(i), "explained " + input + ": " + std::to_string(targets) + " " + c.s.task + " target" +
                                              (targets == 1 ? "" : "s") + line);
                continue;
            }
            const pixlime::explanation ex = pixlime::explain(img, classify, opt);
            app::write_explanation(dir, img, ex, head);
            ++done;
            const int top = ex.top_labels().at(0);
            std::string label = std::size_t(top) < names.size() ? names[std::size_t(top)] : std::to_string(top);
            char line[64];
            if (regression) {  // 6 significant digits, as the record has it
                std::snprintf(line, sizeof line, "value %.6g", ex.model_prediction(0));
                label = line;
            }
            std::snprintf(line, sizeof line, " (%.1f s, %d model calls)", seconds_since(t0), ex.model_calls());
            progress.finished(int(i), "explained " + input + ": " + label + line);
        } catch (const pixlime::cancelled&) {
            stopped = true;
            break;
        } catch (const std::exception& e) {
            ++failed;
            const std::string reason = app::describe(e);
            try {
                const nlohmann::ordered_json fields = {{"id", input}, {"input", input}};
                app::write_record(dir, app::error_record(fields, c.model, reason));
            } catch (const std::exception&) {
            }
            progress.finished(int(i), "FAILED " + input + ": " + reason);
        }
    }
    progress.end();
    const int left = int(inputs.size()) - done - skipped - failed;
    std::cerr << "pixlime: " << done << " explained, " << skipped << " skipped (done before), " << failed << " failed";
    if (stopped) std::cerr << "; interrupted with " << left << " left (a rerun continues)";
    std::cerr << "; results in " << c.out << " (pixlime report " << c.out << " makes index.html)\n";
    if (stopped) return 130;
    return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------

int run_segments(const std::string& image_path, const std::string& out, const std::string& size, app::explain_settings s) {
    const pixlime::image<std::uint8_t> raw = pixlime::load_image(image_path);
    const app::input_shape shape = size.empty() ? app::input_shape{raw.width(), raw.height(), 3} : pixlime::cli::parse_size(size);
    const pixlime::image<float> img = app::standardize(raw, shape);
    const pixlime::segmentation seg = app::segmenter_for(s)(pixlime::image_view<const float>(img));
    // Each segment outlined in yellow over the image, at display size.
    const int f = app::upscale_factor(img.width(), img.height());
    pixlime::image<std::uint8_t> u8 = app::to_u8(img), view(img.width() * f, img.height() * f, 3);
    for (int y = 0; y < view.height(); ++y)
        for (int x = 0; x < view.width(); ++x) {
            const int sx = x / f, sy = y / f;
            const int l = seg.label(sx, sy);
            const bool edge = (x + 1 < view.width() && seg.label((x + 1) / f, sy) != l) ||
                              (y + 1 < view.height() && seg.label(sx, (y + 1) / f) != l);
            for (int ch = 0; ch < 3; ++ch)
                view.at(x, y, ch) = edge ? std::uint8_t(ch == 2 ? 0 : 255) : u8.at(sx, sy, std::min(ch, u8.channels() - 1));
        }
    if (fs::exists(out) && fs::equivalent(out, image_path)) throw usage_error("--out '" + out + "' is the input image");
    pixlime::save_png(out, view);
    std::cout << seg.count() << " segments (" << s.segmenter << ") in " << image_path << "; wrote " << out << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App cli{"pixlime: which parts of an image made your classifier say what it said (LIME for images).\n"
                 "Give it a TorchScript (.pt) or ONNX (.onnx) model and images; it writes, per image, a positive pane\n"
                 "(what pushed the prediction up), a negative pane (what pushed it down), a heatmap and a JSON record.",
                 "pixlime"};
    std::string backends;
    for (const std::string& b : app::built_backends()) backends += (backends.empty() ? "" : ", ") + b;
    cli.set_version_flag("--version", std::string("pixlime ") + pixlime::version + " (backends: " + backends + ")");
    cli.require_subcommand(1);
    cli.footer("Example:\n  pixlime explain --model resnet18.pt --input 224x224 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 \\\n"
               "                  --labels imagenet.txt --softmax --out out/ photos/\n  pixlime report out/\n"
               "Exit status: 0 all done, 1 some image failed (see its error.json), 2 bad arguments, 130 interrupted.");

    explain_command c;
    c.s = pixlime::cli::photo_settings();
    CLI::App* ex = cli.add_subcommand("explain", "explain images with a model file");
    ex->add_option("--model", c.model, "TorchScript (.pt, .pth, .ts) or ONNX (.onnx) model file")->required();
    pixlime::cli::add_model_flags(*ex, c.m);
    app::add_explain_flags(*ex, c.s);  // the same explanation flags as every app's
    app::add_task_flag(*ex, c.s);
    pixlime::cli::add_target_flags(*ex, c.t);
    ex->add_option("--batch-size", c.batch_size, "images per model call")->check(CLI::Range(1, 100000))->capture_default_str();
    ex->add_option("--threads", c.threads, "threads for perturbing and for the model")->check(CLI::Range(1, 1024))->capture_default_str();
    ex->add_option("--out", c.out, "folder for the results (one subfolder per image)")->capture_default_str();
    ex->add_option("--list", c.list_file, "also explain the files listed in FILE, one per line");
    ex->add_option("--shard", c.shard, "I/N: only every N-th image from the I-th (0-based), for N machines or jobs");
    ex->add_flag("--force", c.force, "explain again images whose results are already in --out");
    ex->add_flag("--overlay,!--no-overlay", c.overlay, "also write overlay.png (lime's look)");
    ex->add_option("images", c.inputs, "image files or folders (searched recursively)");

    std::string seg_image, seg_out = "segments.png", seg_size;
    CLI::App* sg = cli.add_subcommand("segments", "preview the segments of an image (before explaining it)");
    sg->add_option("image", seg_image, "the image")->required();
    sg->add_option("--out", seg_out, "PNG to write (the segments outlined)")->capture_default_str();
    sg->add_option("--input", seg_size, "resize to WIDTHxHEIGHT first, as explain does (default: as it is)");
    app::add_explain_flags(*sg, c.s, /*segmenter_only=*/true);

    std::string report_dir, report_title = "pixlime explanations";
    CLI::App* rp = cli.add_subcommand("report", "(re)build DIR/index.html from the results in DIR");
    rp->add_option("dir", report_dir, "a folder written by pixlime explain")->required();
    rp->add_option("--title", report_title, "the page's heading")->capture_default_str();

#ifdef PIXLIME_WITH_SERVE
    pixlime::serve::serve_command serve;
    pixlime::serve::add_serve_commands(cli, serve);
#endif

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return cli.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0
    }
    try {
#ifdef PIXLIME_WITH_SERVE
        if (const int rc = pixlime::serve::run_serve_commands(serve); rc >= 0) return rc;
#endif
        if (ex->parsed()) return run_explain(c);
        if (sg->parsed()) return run_segments(seg_image, seg_out, seg_size, c.s);
        const app::folder_report_result r = app::write_folder_report(report_dir, report_title);
        std::cout << "wrote " << r.path << " (" << r.cards << " images, " << r.failed << " failed)\n";
        return 0;
    } catch (const usage_error& e) {
        std::cerr << "pixlime: " << e.what() << "\n";
        return 2;
    } catch (const pixlime::invalid_argument& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "pixlime: " << app::describe(e) << "\n";
        return 1;
    }
}
