// pixlime: explain what an image classifier looked at, from the command line, with a TorchScript
// or ONNX model file and no code to write.
//
//   pixlime explain --model M.pt|M.onnx --input 224x224 [preprocessing] [explanation] --out DIR IMAGES...
//   pixlime segments IMAGE --out seg.png       preview the superpixels an explanation would use
//   pixlime report DIR                         (re)build DIR/index.html from DIR's records
//
// The records, panes and report are the workflow's (examples/workflow: write_explanation,
// write_folder_report), so a record means the same wherever it was made.

#include "backend.hpp"

#include "dataset.hpp"
#include "report.hpp"
#include "transactions.hpp"

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

namespace {

std::atomic<bool> interrupted{false};

extern "C" void on_interrupt(int) {
    interrupted = true;
    std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the program at once
}

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) { return std::chrono::duration<double>(clock_type::now() - t0).count(); }

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// ---------------------------------------------------------------------------------------------
// Inputs

bool is_image_file(const fs::path& p) {
    std::string ext = p.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    static const std::set<std::string> known{".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".psd", ".pnm", ".ppm", ".pgm"};
    return known.count(ext) > 0;
}

/// Files as given, in order; folders expanded recursively to their image files, sorted, leaving
/// out anything under `out_dir` (results written inside an input folder are not inputs).
std::vector<std::string> expand_inputs(const std::vector<std::string>& args, const std::string& list_file,
                                       const std::string& out_dir) {
    std::error_code oec;
    const fs::path results = fs::weakly_canonical(out_dir, oec);
    const auto inside_out = [&](const fs::path& p) {
        std::error_code e;
        const fs::path c = fs::weakly_canonical(p, e);
        const auto o = std::mismatch(results.begin(), results.end(), c.begin(), c.end()).first;
        return !oec && !e && o == results.end();
    };
    std::vector<std::string> given = args;
    if (!list_file.empty()) {
        std::ifstream in(list_file);
        if (!in) throw usage_error("--list '" + list_file + "': cannot be read");
        for (std::string line; std::getline(in, line);) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
            if (!line.empty() && line[0] != '#') given.push_back(line);
        }
    }
    std::vector<std::string> out;
    for (const std::string& g : given) {
        std::error_code ec;
        if (fs::is_directory(g, ec)) {
            std::vector<std::string> found;
            for (auto it = fs::recursive_directory_iterator(g, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
                if (it->is_regular_file(ec) && is_image_file(it->path()) && !inside_out(it->path())) found.push_back(it->path().string());
            if (ec) throw usage_error("input folder '" + g + "': " + ec.message());
            std::sort(found.begin(), found.end());
            out.insert(out.end(), found.begin(), found.end());
        } else {
            out.push_back(g);  // a missing or unreadable file fails as that image, with its reason
        }
    }
    return out;
}

/// "I/N": every N-th input from the I-th (0-based), so shards 0/N .. N-1/N together are all.
std::vector<std::string> take_shard(const std::vector<std::string>& all, const std::string& shard) {
    if (shard.empty()) return all;
    const auto slash = shard.find('/');
    int i = -1, n = -1;
    try {
        if (slash == std::string::npos) throw std::invalid_argument("");
        std::size_t a = 0, b = 0;
        i = std::stoi(shard.substr(0, slash), &a);
        n = std::stoi(shard.substr(slash + 1), &b);
        if (a != slash || b != shard.size() - slash - 1) throw std::invalid_argument("");
    } catch (const std::exception&) {
        throw usage_error("--shard '" + shard + "': expected I/N, e.g. 0/4 (the first of 4 shards)");
    }
    if (n < 1 || i < 0 || i >= n) throw usage_error("--shard '" + shard + "': expected 0 <= I < N and N >= 1");
    std::vector<std::string> out;
    for (std::size_t k = std::size_t(i); k < all.size(); k += std::size_t(n)) out.push_back(all[k]);
    return out;
}

/// The folder of an input's results: its file name's last 48 characters (anything but letters,
/// digits, '.', '_' and '-' as '_'), '-' and 16 hex digits of the path's FNV-1a hash, so two
/// inputs never share a folder and none reaches outside --out.
std::string record_name(const std::string& input) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : fs::path(input).lexically_normal().string()) h = (h ^ c) * 1099511628211ull;
    std::string stem = fs::path(input).filename().string();
    for (char& c : stem)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
    if (stem.size() > 48) stem = stem.substr(stem.size() - 48);
    while (!stem.empty() && stem[0] == '.') stem.erase(0, 1);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return stem.empty() ? std::string(hex) : stem + "-" + hex;
}

// ---------------------------------------------------------------------------------------------
// Options

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

struct explain_command {
    std::string model, backend = "auto", input = "224x224", resize = "stretch", channel_order = "rgb", layout = "nchw";
    double scale = 1.0 / 255;
    std::string mean, stddev, labels_file, out = "pixlime-out", list_file, shard;
    bool softmax = false, overlay = true, force = false;
    int threads = 1, batch_size = 50;
    double target_stability = 0;
    wf::explain_settings s;
    std::vector<std::string> inputs;
};

wf::input_shape parse_size(const std::string& text) {
    const auto x = text.find('x');
    int w = 0, h = 0;
    try {
        std::size_t a = 0, b = 0;
        if (x == std::string::npos) throw std::invalid_argument("");
        w = std::stoi(text.substr(0, x), &a);
        h = std::stoi(text.substr(x + 1), &b);
        if (a != x || b != text.size() - x - 1) throw std::invalid_argument("");
    } catch (const std::exception&) {
        throw usage_error("--input '" + text + "': expected WIDTHxHEIGHT, e.g. 224x224");
    }
    if (w < 1 || h < 1 || w > 16384 || h > 16384) throw usage_error("--input '" + text + "': expected sides of 1..16384 pixels");
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

/// The explanation's options: the workflow's for the settings, and the model's input form, so
/// that the perturbed batches are the model's input tensor.
pixlime::explain_options options_for(const explain_command& c) {
    pixlime::explain_options o = wf::explain_options_for(c.s);
    o.batch_size = c.batch_size;
    o.num_threads = c.threads;
    o.target_stability = c.target_stability;
    o.model_input.to_float = true;
    o.model_input.layout = c.layout == "nhwc" ? pixlime::layout::nhwc : pixlime::layout::nchw;
    if (c.channel_order == "bgr") o.model_input.channels = {2, 1, 0};
    // The images are standardized to [0, 1] (pixel / 255) before explaining; --scale is per
    // 0..255 pixel value, as the model was trained.
    o.model_input.scale = c.scale * 255.0;
    o.model_input.mean = c.mean.empty() ? std::vector<double>{} : parse_list(c.mean, "--mean");
    o.model_input.stddev = c.stddev.empty() ? std::vector<double>{} : parse_list(c.stddev, "--std");
    o.model_input.validate(3);
    return o;
}

/// Everything a result depends on, recorded and compared by a rerun (not threads or batch size,
/// which change no result).
nlohmann::ordered_json settings_json(const explain_command& c, const std::string& model_digest, const std::vector<std::string>& names) {
    nlohmann::ordered_json j = c.s.to_json();
    j["model_file"] = c.model;
    j["model_digest"] = model_digest;
    j["input_size"] = c.input;
    j["resize"] = c.resize;
    j["channel_order"] = c.channel_order;
    j["layout"] = c.layout;
    j["scale"] = c.scale;
    j["mean"] = c.mean;
    j["std"] = c.stddev;
    j["softmax"] = c.softmax;
    j["labels"] = names;
    j["target_stability"] = c.target_stability;
    return j;
}

/// FNV-1a over the model file's bytes: a changed model makes every record stale.
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

bool already_done(const fs::path& dir, const std::string& input, const nlohmann::ordered_json& settings) {
    for (const char* f : {"explanation.json", "input.png", "positive.png", "negative.png", "heatmap.png"})
        if (!fs::exists(dir / f)) return false;
    std::ifstream in(dir / "explanation.json");
    const nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
    return j.is_object() && j.value("input", "") == input && j.contains("settings") && j["settings"] == nlohmann::json(settings);
}

// ---------------------------------------------------------------------------------------------
// Progress: a bar with rate and ETA on a terminal, plain lines otherwise.

class progress_display {
public:
    explicit progress_display(int total) : total_(total), tty_(isatty(STDERR_FILENO) != 0), t0_(clock_type::now()) {}
    void samples(int image, int done, int of) {
        if (!tty_) return;
        const auto now = clock_type::now();
        if (now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        bar(image + double(done) / std::max(of, 1), " image " + std::to_string(image + 1) + ": " + std::to_string(done) + "/" +
                                                        std::to_string(of) + " samples");
    }
    void finished(int image, const std::string& what) {
        if (tty_) {
            std::cerr << "\r\033[K" << what << "\n";
            bar(image + 1, "");
        } else {
            std::cerr << "pixlime: [" << image + 1 << "/" << total_ << "] " << what << "\n";
        }
    }
    void end() {
        if (tty_) std::cerr << "\r\033[K";
    }

private:
    /// `done`: images done, the current one's fraction of samples included, so that the rate and
    /// the ETA move during a long image.
    void bar(double done, const std::string& tail) {
        const int width = 30, filled = total_ ? int(width * std::min(done, double(total_)) / total_) : width;
        const double elapsed = seconds_since(t0_), rate = elapsed > 0 ? done / elapsed : 0;
        std::string eta = "--:--";
        if (rate > 0 && done > 0) {
            const int s = int((total_ - done) / rate + 0.5);
            char b[32];
            std::snprintf(b, sizeof b, "%d:%02d", s / 60, s % 60);
            eta = b;
        }
        char head[96];
        std::snprintf(head, sizeof head, "] %d/%d  %.2f img/s  ETA %s", int(done), total_, rate, eta.c_str());
        std::cerr << "\r\033[K[" << std::string(std::size_t(filled), '#') << std::string(std::size_t(width - filled), ' ') << head
                  << tail << std::flush;
    }
    int total_ = 0;
    bool tty_ = false;
    clock_type::time_point t0_, last_{};
};

Eigen::MatrixXf softmax_rows(Eigen::MatrixXf y) {
    for (Eigen::Index i = 0; i < y.rows(); ++i) {
        const float m = y.row(i).maxCoeff();
        y.row(i) = (y.row(i).array() - m).exp().matrix();
        y.row(i) /= y.row(i).sum();
    }
    return y;
}

int run_explain(explain_command& c) {
    const wf::input_shape shape = parse_size(c.input);
    if (c.resize != "stretch" && c.resize != "none") throw usage_error("--resize '" + c.resize + "': expected stretch or none");
    pixlime::explain_options opt = options_for(c);  // bad options fail here, before the model loads
    const std::vector<std::string> names = read_labels(c.labels_file);
    const std::vector<std::string> all = expand_inputs(c.inputs, c.list_file, c.out);
    const std::vector<std::string> inputs = take_shard(all, c.shard);
    if (all.empty()) throw usage_error("no input images: give files or folders (searched for .png, .jpg, .bmp, ...), or --list FILE");

    std::unique_ptr<pixcli::model_backend> model;
    try {
        model = pixcli::open_model(c.model, c.backend, c.threads);
    } catch (const std::exception& e) {
        throw usage_error(e.what());
    }
    const std::string digest = file_digest(c.model);
    const nlohmann::ordered_json settings = settings_json(c, digest, names);
    auto classify = [&](pixlime::batch_view<const float> b) -> Eigen::MatrixXf {
        Eigen::MatrixXf y = model->classify(b);
        return c.softmax ? softmax_rows(std::move(y)) : y;
    };
    fs::create_directories(c.out);
    std::signal(SIGINT, on_interrupt);  // before the first line, which tells a caller the work started
    std::cerr << "pixlime: " << inputs.size() << " image" << (inputs.size() == 1 ? "" : "s")
              << (c.shard.empty() ? "" : " (shard " + c.shard + " of " + std::to_string(all.size()) + ")") << ", model "
              << c.model << " (" << model->name() << "), " << c.s.num_samples << " samples each, results in " << c.out << "\n";

    progress_display progress(int(inputs.size()));
    int done = 0, skipped = 0, failed = 0;
    bool stopped = false;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (interrupted) {
            stopped = true;
            break;
        }
        const std::string& input = inputs[i];
        const fs::path dir = fs::path(c.out) / record_name(input);
        if (!c.force && already_done(dir, input, settings)) {
            ++skipped;
            progress.finished(int(i), "skipped (done before) " + input);
            continue;
        }
        const auto t0 = clock_type::now();
        try {
            fs::remove(dir / "explanation.json");
            const pixlime::image<std::uint8_t> raw = pixlime::load_image(input);
            if (c.resize == "none" && (raw.width() != shape.width || raw.height() != shape.height))
                throw std::runtime_error("the image is " + std::to_string(raw.width()) + "x" + std::to_string(raw.height()) +
                                         ", the model takes " + c.input + " (--resize none)");
            const pixlime::image<float> img = wf::standardize(raw, shape);
            wf::record_head head;
            head.fields["id"] = record_name(input);
            head.fields["input"] = input;
            head.model = c.model;
            head.settings = settings;
            head.segmenter = c.s.segmenter;
            head.num_features = c.s.num_features;
            head.overlay = c.overlay;
            head.load_ms = seconds_since(t0) * 1000;
            head.start = t0;
            opt.progress = [&](int s, int of) {
                progress.samples(int(i), s, of);
                return !interrupted.load();
            };
            const pixlime::explanation ex = pixlime::explain(img, classify, opt);
            wf::write_explanation(dir, img, ex, names, head);
            fs::remove(dir / "error.json");
            ++done;
            const int top = ex.top_labels().at(0);
            const std::string label = std::size_t(top) < names.size() ? names[std::size_t(top)] : std::to_string(top);
            char line[64];
            std::snprintf(line, sizeof line, " (%.1f s, %d model calls)", seconds_since(t0), ex.model_calls());
            progress.finished(int(i), "explained " + input + ": " + label + line);
        } catch (const pixlime::cancelled&) {
            stopped = true;
            break;
        } catch (const std::exception& e) {
            ++failed;
            const std::string reason = wf::describe(e);
            try {
                fs::create_directories(dir);
                const nlohmann::ordered_json j = {{"id", record_name(input)}, {"input", input}, {"model", c.model},
                                                  {"error", reason}, {"time", wf::utc_now()}};
                wf::write_atomic(dir / "error.json", j.dump(2) + "\n");
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

int run_segments(const std::string& image_path, const std::string& out, const std::string& size, wf::explain_settings s) {
    const pixlime::image<std::uint8_t> raw = pixlime::load_image(image_path);
    const wf::input_shape shape = size.empty() ? wf::input_shape{raw.width(), raw.height(), 3} : parse_size(size);
    const pixlime::image<float> img = wf::standardize(raw, shape);
    const pixlime::segmentation seg = wf::segmenter_for(s)(pixlime::image_view<const float>(img));
    // Each segment outlined in yellow over the image, at display size.
    const int f = wf::upscale_factor(img.width(), img.height());
    pixlime::image<std::uint8_t> u8 = wf::to_u8(img), view(img.width() * f, img.height() * f, 3);
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
    CLI::App app{"pixlime: which parts of an image made your classifier say what it said (LIME for images).\n"
                 "Give it a TorchScript (.pt) or ONNX (.onnx) model and images; it writes, per image, a positive pane\n"
                 "(what pushed the prediction up), a negative pane (what pushed it down), a heatmap and a JSON record.",
                 "pixlime"};
    std::string backends;
    for (const std::string& b : pixcli::built_backends()) backends += (backends.empty() ? "" : ", ") + b;
    app.set_version_flag("--version", std::string("pixlime ") + pixlime::version + " (backends: " + backends + ")");
    app.require_subcommand(1);
    app.footer("Example:\n  pixlime explain --model resnet18.pt --input 224x224 --mean 0.485,0.456,0.406 --std 0.229,0.224,0.225 \\\n"
               "                  --labels imagenet.txt --softmax --out out/ photos/\n  pixlime report out/\n"
               "Exit status: 0 all done, 1 some image failed (see its error.json), 2 bad arguments, 130 interrupted.");

    explain_command c;
    c.s.segments = 100;
    c.s.merge_background = -1;  // natural photos: keep every segment
    c.s.compactness = pixlime::slic_options{}.compactness;
    c.s.top_labels = 1;
    c.s.seed = 0;
    auto add_segmenter = [&](CLI::App* s) {
        s->add_option("--segmenter", c.s.segmenter, "slic, quickshift (lime's default), felzenszwalb or grid")
            ->check(CLI::IsMember({"slic", "quickshift", "felzenszwalb", "grid"}))
            ->capture_default_str();
        s->add_option("--segments", c.s.segments, "about how many segments (slic, grid)")->check(CLI::Range(1, 100000))->capture_default_str();
        s->add_option("--compactness", c.s.compactness, "SLIC compactness (higher: squarer segments)")->capture_default_str();
    };

    CLI::App* ex = app.add_subcommand("explain", "explain images with a model file");
    ex->add_option("--model", c.model, "TorchScript (.pt, .pth, .ts) or ONNX (.onnx) model file")->required();
    ex->add_option("--backend", c.backend, "auto (by the file's extension), torch or onnx")
        ->check(CLI::IsMember({"auto", "torch", "onnx"}))
        ->capture_default_str();
    ex->add_option("--input", c.input, "the model's input size WIDTHxHEIGHT; images are resized to it")->capture_default_str();
    ex->add_option("--resize", c.resize, "stretch (to --input) or none (an image of another size fails)")->capture_default_str();
    ex->add_option("--channel-order", c.channel_order, "rgb or bgr, the order the model wants")
        ->check(CLI::IsMember({"rgb", "bgr"}))
        ->capture_default_str();
    ex->add_option("--layout", c.layout, "nchw (PyTorch, ONNX) or nhwc")->check(CLI::IsMember({"nchw", "nhwc"}))->capture_default_str();
    ex->add_option("--scale", c.scale, "each 0..255 pixel is multiplied by this, then (v - mean) / std")->capture_default_str();
    ex->add_option("--mean", c.mean, "per-channel means, e.g. 0.485,0.456,0.406 (default 0)");
    ex->add_option("--std", c.stddev, "per-channel standard deviations, e.g. 0.229,0.224,0.225 (default 1)");
    ex->add_flag("--softmax", c.softmax, "apply softmax to the model's outputs (for a model that returns logits)");
    ex->add_option("--labels", c.labels_file, "class names, one per line in the model's output order");
    ex->add_option("--samples", c.s.num_samples, "perturbed images per explanation (the model calls' cap)")
        ->check(CLI::Range(1, 10000000))
        ->capture_default_str();
    ex->add_option("--target-stability", c.target_stability,
                   "stop drawing samples once the top-5 segments would come out the same in a rerun with this "
                   "probability (0 = off, e.g. 0.95; --samples stays the cap)")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    add_segmenter(ex);
    ex->add_option("--hide", c.s.hide, "what hidden segments become: black or mean (their mean colour)")
        ->check(CLI::IsMember({"black", "mean"}))
        ->capture_default_str();
    ex->add_option("--top-labels", c.s.top_labels, "explain the model's N highest classes")->check(CLI::Range(1, 100000))->capture_default_str();
    ex->add_option("--features", c.s.num_features, "segments shown on each pane")->check(CLI::Range(1, 100000))->capture_default_str();
    ex->add_option("--seed", c.s.seed, "random seed (same seed, same explanation)")->capture_default_str();
    ex->add_option("--batch-size", c.batch_size, "images per model call")->check(CLI::Range(1, 100000))->capture_default_str();
    ex->add_option("--threads", c.threads, "threads for perturbing and for the model")->check(CLI::Range(1, 1024))->capture_default_str();
    ex->add_option("--out", c.out, "folder for the results (one subfolder per image)")->capture_default_str();
    ex->add_option("--list", c.list_file, "also explain the files listed in FILE, one per line");
    ex->add_option("--shard", c.shard, "I/N: only every N-th image from the I-th (0-based), for N machines or jobs");
    ex->add_flag("--force", c.force, "explain again images whose results are already in --out");
    ex->add_flag("--overlay,!--no-overlay", c.overlay, "also write overlay.png (lime's look)");
    ex->add_option("images", c.inputs, "image files or folders (searched recursively)");

    std::string seg_image, seg_out = "segments.png", seg_size;
    CLI::App* sg = app.add_subcommand("segments", "preview the segments of an image (before explaining it)");
    sg->add_option("image", seg_image, "the image")->required();
    sg->add_option("--out", seg_out, "PNG to write (the segments outlined)")->capture_default_str();
    sg->add_option("--input", seg_size, "resize to WIDTHxHEIGHT first, as explain does (default: as it is)");
    add_segmenter(sg);

    std::string report_dir, report_title = "pixlime explanations";
    CLI::App* rp = app.add_subcommand("report", "(re)build DIR/index.html from the results in DIR");
    rp->add_option("dir", report_dir, "a folder written by pixlime explain")->required();
    rp->add_option("--title", report_title, "the page's heading")->capture_default_str();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;  // --help and --version exit 0
    }
    try {
        if (ex->parsed()) return run_explain(c);
        if (sg->parsed()) return run_segments(seg_image, seg_out, seg_size, c.s);
        const wf::folder_report_result r = wf::write_folder_report(report_dir, report_title);
        std::cout << "wrote " << r.path << " (" << r.cards << " images, " << r.failed << " failed)\n";
        return 0;
    } catch (const usage_error& e) {
        std::cerr << "pixlime: " << e.what() << "\n";
        return 2;
    } catch (const pixlime::invalid_argument& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "pixlime: " << wf::describe(e) << "\n";
        return 1;
    }
}
