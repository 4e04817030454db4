// pixlime_workflow: the image-model workflow on Fashion-MNIST (or any folder of
// <split>/<class>/*.png), end to end or step by step:
//
//   pixlime_workflow prepare     Fashion-MNIST IDX files -> data/{train,validation}/<class>/*.png
//   pixlime_workflow train       standardize, train an Eigen MLP, store model/model.pxm
//   pixlime_workflow score       deploy the stored model, score validation images -> transactions.jsonl
//   pixlime_workflow explain     pixlime explanations of transactions (--id, --first N, --all, --mixed N)
//   pixlime_workflow report      report/index.html
//   pixlime_workflow all         every step, for the 10-class model and the binary one
//
// Add --binary to train/score/explain for the two-class task (footwear vs the rest by default).

#include "dataset.hpp"
#include "faithfulness.hpp"
#include "model.hpp"
#include "report.hpp"
#include "transactions.hpp"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace {

struct config {
    std::string work = "workflow-out";
    std::string data;  // default <work>/data
    bool binary = false;
    std::vector<std::string> positive = {"sandal", "sneaker", "ankle_boot"};
    std::string binary_name = "footwear";

    wf::prepare_options prepare;

    wf::train_options train;
    std::vector<int> binary_hidden = {128, 32};
    int binary_epochs = 3;
    int width = 28, height = 28, channels = 1;
    int train_limit = 0;
    bool retrain = false;

    int score_limit = 0;

    std::vector<std::string> ids;
    int first = 0;
    bool all_tx = false;
    int mixed = 0;
    wf::explain_settings explain;

    int explain_count = 24, binary_explain_count = 12;
    int faithfulness_images = 60;
    bool skip_binary = false;

    std::string data_dir() const { return data.empty() ? (fs::path(work) / "data").string() : data; }
    std::string task_dir(bool bin) const { return bin ? (fs::path(work) / "binary").string() : work; }
    std::string model_path(bool bin) const { return (fs::path(task_dir(bin)) / "model" / "model.pxm").string(); }
    std::string log_path(bool bin) const { return (fs::path(task_dir(bin)) / "transactions.jsonl").string(); }
    std::string explanations_dir(bool bin) const { return (fs::path(task_dir(bin)) / "explanations").string(); }
    std::string faithfulness_path(bool bin) const { return (fs::path(task_dir(bin)) / "faithfulness.json").string(); }
    std::string report_dir() const { return (fs::path(work) / "report").string(); }
};

const bool tty = isatty(fileno(stdout)) != 0;

void say(const std::string& s) { std::cout << s << std::endl; }

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string fixed(double v, int digits) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", digits, v);
    return b;
}

/// Binary task: the label of a multi-class folder name.
std::string binary_label(const config& c, const std::string& cls) {
    return std::find(c.positive.begin(), c.positive.end(), cls) != c.positive.end() ? c.binary_name : "other";
}

void check_positive(const config& c, const std::vector<std::string>& classes) {
    for (const auto& p : c.positive)
        if (std::find(classes.begin(), classes.end(), p) == classes.end())
            throw std::runtime_error("--positive class '" + p + "' is not a class folder of the data");
}

int run_prepare(const config& c) {
    say("[prepare] Fashion-MNIST from " + c.prepare.idx_dir + " -> " + c.data_dir());
    wf::prepare_options o = c.prepare;
    o.data_dir = c.data_dir();
    const wf::prepare_result r = wf::prepare_fashion_mnist(o, say);
    if (r.skipped)
        say("[prepare] already laid out (" + std::to_string(r.train) + " train, " + std::to_string(r.validation) +
            " validation images): skipped");
    else
        say("[prepare] " + std::to_string(r.train) + " train and " + std::to_string(r.validation) +
            " validation PNGs written in " + fixed(r.seconds, 1) + " s");
    return 0;
}

/// Loads a split as a matrix (one image per column) and its labels.
struct loaded_split {
    wf::folder_dataset files;
    std::vector<float> pixels;
    std::vector<int> labels;
};
loaded_split load_split(const std::string& dir, const wf::input_shape& shape, const std::vector<std::string>& classes,
                        int limit) {
    loaded_split s;
    s.files = wf::scan_folder(dir, classes);
    if (limit > 0 && std::size_t(limit) < s.files.files.size()) {  // evenly spaced subset over the classes
        std::vector<wf::labelled_file> sub;
        for (int i = 0; i < limit; ++i) sub.push_back(s.files.files[std::size_t(i) * s.files.files.size() / std::size_t(limit)]);
        s.files.files = std::move(sub);
    }
    std::vector<std::string> skipped;
    s.pixels = wf::load_all(s.files, shape, {}, &skipped);
    if (!skipped.empty())
        say("  skipped " + std::to_string(skipped.size()) + " unreadable file(s) in " + dir + ", e.g. " + skipped.front());
    if (s.files.files.empty()) throw std::runtime_error("no readable image in '" + dir + "'");
    for (const auto& f : s.files.files) s.labels.push_back(f.label);
    return s;
}

int run_train(const config& c, bool bin) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string task = bin ? "train --binary" : "train";
    const wf::input_shape shape{c.width, c.height, c.channels};
    say("[" + task + "] loading " + c.data_dir() + "/{train,validation}, standardizing to " + std::to_string(shape.width) +
        "x" + std::to_string(shape.height) + "x" + std::to_string(shape.channels) + " in [0, 1]");
    loaded_split tr = load_split((fs::path(c.data_dir()) / "train").string(), shape, {}, c.train_limit);
    loaded_split va = load_split((fs::path(c.data_dir()) / "validation").string(), shape, tr.files.classes, 0);
    say("[" + task + "] " + std::to_string(tr.labels.size()) + " training and " + std::to_string(va.labels.size()) +
        " validation images, " + std::to_string(tr.files.classes.size()) + " classes (" + fixed(seconds_since(t0), 1) + " s)");

    std::vector<std::string> classes = tr.files.classes;
    wf::train_options o = c.train;
    wf::output_kind kind = wf::output_kind::softmax;
    int outputs = int(classes.size());
    if (bin) {
        check_positive(c, classes);
        for (auto* s : {&tr, &va})
            for (int& l : s->labels) l = binary_label(c, classes[std::size_t(l)]) == c.binary_name ? 1 : 0;
        classes = {"other", c.binary_name};
        kind = wf::output_kind::sigmoid;
        outputs = 1;
        o.hidden = c.binary_hidden;
        o.epochs = c.binary_epochs;
    }
    if (classes.size() < 2) throw std::runtime_error("need at least two classes to train");
    wf::mlp model = wf::mlp::make(shape, o.hidden, outputs, kind, classes, o.seed);
    std::string arch = std::to_string(shape.size());
    for (int h : o.hidden) arch += "-" + std::to_string(h);
    arch += "-" + std::to_string(outputs) + " MLP, ReLU, " + (bin ? "sigmoid output" : "softmax output") +
            ", Adam, minibatch " + std::to_string(o.batch_size);
    say("[" + task + "] model: " + arch + "; " + std::to_string(o.epochs) + " epochs");

    Eigen::Map<const Eigen::MatrixXf> x(tr.pixels.data(), shape.size(), Eigen::Index(tr.labels.size()));
    Eigen::Map<const Eigen::MatrixXf> xv(va.pixels.data(), shape.size(), Eigen::Index(va.labels.size()));
    const auto tt = std::chrono::steady_clock::now();
    int epoch_now = 1;
    auto on_batch = [&](int done, int total) {
        if (!tty) return;
        const int w = 30, filled = done * w / total;
        std::cout << "\r  epoch " << epoch_now << "/" << o.epochs << " [" << std::string(std::size_t(filled), '#')
                  << std::string(std::size_t(w - filled), '.') << "] " << (100 * done / total) << "%  " << fixed(seconds_since(tt), 0)
                  << " s" << std::flush;
    };
    auto on_epoch = [&](const wf::epoch_report& r) {
        if (tty) std::cout << "\r" << std::string(70, ' ') << "\r";
        say("  epoch " + std::to_string(r.epoch) + "/" + std::to_string(o.epochs) + "  loss " + fixed(r.loss, 4) +
            "  train acc " + fixed(100 * r.train_accuracy, 2) + "%  validation acc " + fixed(100 * r.validation_accuracy, 2) +
            "%  (" + fixed(r.seconds, 1) + " s, " + fixed(seconds_since(tt), 0) + " s total)");
        ++epoch_now;
    };
    const auto history = wf::train(model, x, tr.labels, xv, va.labels, o, on_epoch, on_batch);
    const double train_seconds = seconds_since(tt);

    nlohmann::ordered_json meta;
    meta["task"] = bin ? "binary" : "multiclass";
    meta["architecture"] = arch;
    meta["classes"] = classes;
    if (bin) meta["positive_classes"] = c.positive;
    meta["epochs"] = o.epochs;
    meta["learning_rate"] = o.learning_rate;
    meta["seed"] = o.seed;
    meta["train_images"] = tr.labels.size();
    meta["validation_images"] = va.labels.size();
    meta["validation_accuracy"] = history.empty() ? wf::accuracy(model, xv, va.labels) : history.back().validation_accuracy;
    meta["train_seconds"] = train_seconds;
    nlohmann::ordered_json hist = nlohmann::ordered_json::array();
    for (const auto& h : history)
        hist.push_back({{"epoch", h.epoch}, {"loss", h.loss}, {"train_accuracy", h.train_accuracy},
                        {"validation_accuracy", h.validation_accuracy}, {"seconds", h.seconds}});
    meta["history"] = hist;
    meta["created"] = wf::utc_now();
    model.metadata = meta.dump();
    model.save(c.model_path(bin));
    say("[" + task + "] validation accuracy " + fixed(100 * meta["validation_accuracy"].get<double>(), 2) + "% after " +
        fixed(train_seconds, 1) + " s of training; model stored: " + c.model_path(bin) + " (format v" +
        std::to_string(wf::mlp::format_version) + ", id " + model.id() + ")");
    return 0;
}

int run_score(const config& c, bool bin) {
    const std::string task = bin ? "score --binary" : "score";
    const auto t0 = std::chrono::steady_clock::now();
    const wf::deployed_model m = wf::deploy(c.model_path(bin));  // deploy: load the stored model back
    say("[" + task + "] deployed " + c.model_path(bin) + " (id " + m.id + ")");
    const std::vector<std::string> folder_classes = bin ? std::vector<std::string>{} : m.classes;
    const wf::folder_dataset data = wf::scan_folder((fs::path(c.data_dir()) / "validation").string(), folder_classes);
    std::vector<wf::score_input> inputs = wf::score_inputs(data, c.score_limit);
    if (bin) {
        check_positive(c, data.classes);
        for (auto& in : inputs) in.true_label = binary_label(c, in.true_label);
    }
    const wf::score_summary s = wf::score(inputs, m, c.log_path(bin), [&](int done, int total) {
        if (tty) std::cout << "\r  scored " << done << "/" << total << std::flush;
    });
    if (tty) std::cout << "\r" << std::string(40, ' ') << "\r";
    say("[" + task + "] " + std::to_string(s.total) + " transactions (" + std::to_string(s.failed) + " failed), accuracy " +
        fixed(100 * s.accuracy(), 2) + "% (" + std::to_string(s.correct) + "/" + std::to_string(s.labelled) + ") in " +
        fixed(seconds_since(t0), 1) + " s -> " + c.log_path(bin));
    return 0;
}

int run_explain(const config& c, bool bin, int default_mixed) {
    const std::string task = bin ? "explain --binary" : "explain";
    const auto t0 = std::chrono::steady_clock::now();
    const wf::deployed_model m = wf::deploy(c.model_path(bin));
    const std::vector<wf::transaction> log = wf::read_log(c.log_path(bin));
    std::vector<wf::transaction> sel;
    std::string how;
    if (!c.ids.empty()) {
        sel = wf::select_ids(log, c.ids);
        how = "by id";
    } else if (c.all_tx) {
        sel = log;
        how = "all";
    } else if (c.first > 0) {
        sel = wf::select_first(log, c.first);
        how = "first " + std::to_string(c.first);
    } else {
        const int n = c.mixed > 0 ? c.mixed : default_mixed;
        sel = wf::select_mixed(log, n);
        how = std::to_string(n) + " mixed correct/wrong over the classes";
    }
    say("[" + task + "] " + std::to_string(sel.size()) + " transactions (" + how + "), " + std::to_string(c.explain.num_samples) +
        " samples each, " + c.explain.segmenter + " ~" + std::to_string(c.explain.segments) + " segments");
    int done = 0, skipped = 0, failed = 0;
    const auto outcomes = wf::explain_transactions(sel, m, c.explanations_dir(bin), c.explain,
                                                   [&](const wf::explain_outcome& o, int i, int total) {
                                                       if (o.status == "failed")
                                                           say("  " + o.id + " FAILED: " + o.reason);
                                                       else if (tty)
                                                           std::cout << "\r  " << i << "/" << total << " " << o.id << " "
                                                                     << o.status << "      " << std::flush;
                                                   });
    if (tty) std::cout << "\r" << std::string(50, ' ') << "\r";
    for (const auto& o : outcomes) (o.status == "done" ? done : o.status == "skipped" ? skipped : failed)++;
    say("[" + task + "] " + std::to_string(done) + " explained, " + std::to_string(skipped) + " already done (skipped), " +
        std::to_string(failed) + " failed, in " + fixed(seconds_since(t0), 1) + " s -> " + c.explanations_dir(bin) + "/<id>/");
    return failed ? 3 : 0;
}

int run_faithfulness(const config& c, bool bin) {
    const std::string task = bin ? "faithfulness --binary" : "faithfulness";
    const auto t0 = std::chrono::steady_clock::now();
    const wf::deployed_model m = wf::deploy(c.model_path(bin));
    const wf::folder_dataset data = wf::scan_folder((fs::path(c.data_dir()) / "validation").string(), bin ? std::vector<std::string>{} : m.classes);
    std::vector<pixlime::image<float>> images;
    for (const auto& in : wf::score_inputs(data, c.faithfulness_images)) images.push_back(wf::load_standardized(in.path, m.shape));
    const wf::faithfulness_result r = wf::faithfulness(m, images, c.explain, 5, 20);
    nlohmann::ordered_json j = {{"model", m.id},          {"images", r.images},          {"k", 5},
                                {"random_draws", 20},     {"top_drop", r.top_drop},      {"random_drop", r.random_drop},
                                {"ratio", r.ratio()},     {"top_beats_random", r.top_beats_random},
                                {"settings", c.explain.to_json()}, {"seconds", seconds_since(t0)}};
    std::ofstream(c.faithfulness_path(bin)) << j.dump(2) << "\n";
    say("[" + task + "] " + std::to_string(r.images) + " validation images: hiding the top-5 positive segments lowers the "
        "predicted class's probability by " + fixed(r.top_drop, 3) + ", hiding 5 random object segments by " +
        fixed(r.random_drop, 3) + " (ratio " + fixed(r.ratio(), 2) + "; top beats random on " + std::to_string(r.top_beats_random) +
        "/" + std::to_string(r.images) + ") in " + fixed(seconds_since(t0), 1) + " s");
    return 0;
}

std::vector<wf::report_task> report_tasks(const config& c) {
    std::vector<wf::report_task> tasks;
    tasks.push_back({"multiclass", "Multi-class model: the 10 Fashion-MNIST classes",
                     "A multi-layer perceptron trained with Eigen on the 60,000 training images, scored on validation images; "
                     "each transaction below is explained for its predicted class.",
                     c.task_dir(false)});
    if (fs::exists(c.model_path(true)) && fs::exists(c.log_path(true))) {
        std::string pos;
        for (const auto& p : c.positive) pos += (pos.empty() ? "" : ", ") + p;
        tasks.push_back({"binary", "Binary model: " + c.binary_name + " vs. the rest",
                         "The same steps for a two-class task on the same data: " + c.binary_name + " (" + pos +
                             ") against every other class, one sigmoid output (P(" + c.binary_name +
                             ")), explained through the same pixlime API, which treats a single output as the classes {other, " +
                             c.binary_name + "}.",
                         c.task_dir(true)});
    }
    return tasks;
}

int run_report(const config& c) {
    const wf::report_result r = wf::write_report(c.report_dir(), report_tasks(c));
    say("[report] " + std::to_string(r.cards) + " transactions (" + std::to_string(r.failed) + " failed), " +
        std::to_string(r.images) + " images");
    say("Report: " + fs::absolute(r.path).lexically_normal().string());
    return 0;
}

int run_all(const config& c) {
    const auto t0 = std::chrono::steady_clock::now();
    run_prepare(c);
    for (bool bin : {false, true}) {
        if (bin && c.skip_binary) break;
        if (!c.retrain && fs::exists(c.model_path(bin))) {
            const wf::mlp m = wf::mlp::load(c.model_path(bin));
            say(std::string("[train") + (bin ? " --binary" : "") + "] model exists: " + c.model_path(bin) + " (id " + m.id() +
                "): skipped (--retrain to train again)");
        } else {
            run_train(c, bin);
        }
        run_score(c, bin);
        run_explain(c, bin, bin ? c.binary_explain_count : c.explain_count);  // failures are reported, not fatal
        if (c.faithfulness_images > 0) run_faithfulness(c, bin);
    }
    say("[all] finished in " + fixed(seconds_since(t0), 1) + " s");
    return run_report(c);
}

}  // namespace

int main(int argc, char** argv) {
    config c;
    CLI::App app{"pixlime_workflow: the image-model workflow on Fashion-MNIST, explained with pixlime"};
    app.require_subcommand(1);
    app.add_option("--work", c.work, "work folder for every output")->capture_default_str();
    app.add_option("--data", c.data, "data folder with train/<class>/ and validation/<class>/ (default <work>/data)");
    app.fallthrough();  // the options above may also follow the subcommand
    app.add_option("--positive", c.positive, "classes that form the binary task's positive class")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--binary-name", c.binary_name, "name of the binary task's positive class")->capture_default_str();

    auto add_prepare = [&](CLI::App* s) {
        s->add_option("--idx-dir", c.prepare.idx_dir, "folder with the Fashion-MNIST IDX files (.gz or plain)")->capture_default_str();
        s->add_option("--train-images", c.prepare.train_limit, "lay out only the first N training images (0 = all)");
        s->add_option("--validation-images", c.prepare.validation_limit, "lay out only the first N validation images (0 = all)");
    };
    auto add_train = [&](CLI::App* s) {
        s->add_option("--epochs", c.train.epochs, "training epochs (multi-class)")->capture_default_str();
        s->add_option("--hidden", c.train.hidden, "hidden layer sizes (multi-class)")->delimiter(',')->capture_default_str();
        s->add_option("--binary-epochs", c.binary_epochs, "training epochs (binary)")->capture_default_str();
        s->add_option("--binary-hidden", c.binary_hidden, "hidden layer sizes (binary)")->delimiter(',')->capture_default_str();
        s->add_option("--batch-size", c.train.batch_size, "minibatch size")->capture_default_str();
        s->add_option("--learning-rate", c.train.learning_rate, "Adam learning rate")->capture_default_str();
        s->add_option("--seed", c.train.seed, "initialization and shuffling seed")->capture_default_str();
        s->add_option("--width", c.width, "model input width")->capture_default_str();
        s->add_option("--height", c.height, "model input height")->capture_default_str();
        s->add_option("--channels", c.channels, "model input channels (1 gray, 3 RGB)")->capture_default_str();
        s->add_option("--train-limit", c.train_limit, "train on N images spread over the classes (0 = all)");
    };
    auto add_score = [&](CLI::App* s) {
        s->add_option("--score-limit", c.score_limit, "score N validation images spread over the classes (0 = all)");
    };
    auto add_explain = [&](CLI::App* s) {
        s->add_option("--samples", c.explain.num_samples, "perturbed samples per explanation")->capture_default_str();
        s->add_option("--segmenter", c.explain.segmenter, "slic or grid")->capture_default_str();
        s->add_option("--segments", c.explain.segments, "SLIC target segment count, or grid cells")->capture_default_str();
        s->add_option("--compactness", c.explain.compactness, "SLIC compactness")->capture_default_str();
        s->add_option("--hide", c.explain.hide, "hidden segments become black (the background) or their mean")->capture_default_str();
        s->add_option("--top-labels", c.explain.top_labels, "labels explained per transaction")->capture_default_str();
        s->add_option("--explain-seed", c.explain.seed, "sampling seed")->capture_default_str();
    };

    CLI::App* prepare = app.add_subcommand("prepare", "lay Fashion-MNIST out as data/{train,validation}/<class>/*.png");
    add_prepare(prepare);
    CLI::App* train = app.add_subcommand("train", "standardize the images, train the model, store it");
    add_train(train);
    train->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    CLI::App* score = app.add_subcommand("score", "deploy the stored model and score validation images into the transaction log");
    add_score(score);
    score->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    CLI::App* explain = app.add_subcommand("explain", "explain transactions of the log");
    explain->add_option("--id", c.ids, "transaction ids (tx-000042 ...)")->delimiter(',');
    explain->add_option("--first", c.first, "the first N transactions");
    explain->add_flag("--all", c.all_tx, "every transaction");
    explain->add_option("--mixed", c.mixed, "N transactions mixing correct and wrong predictions over the classes (default 24)");
    explain->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    add_explain(explain);
    CLI::App* faith = app.add_subcommand("faithfulness", "deletion check of the explanations on validation images");
    faith->add_option("--images", c.faithfulness_images, "validation images (spread over the classes)")->capture_default_str();
    faith->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    add_explain(faith);
    CLI::App* report = app.add_subcommand("report", "write <work>/report/index.html");
    CLI::App* all = app.add_subcommand("all", "every step, for the multi-class and the binary model, then the report");
    add_prepare(all);
    add_train(all);
    add_score(all);
    add_explain(all);
    all->add_option("--explain", c.explain_count, "transactions explained (multi-class)")->capture_default_str();
    all->add_option("--binary-explain", c.binary_explain_count, "transactions explained (binary)")->capture_default_str();
    all->add_option("--faithfulness-images", c.faithfulness_images, "images of the faithfulness check (0 = skip it)")
        ->capture_default_str();
    all->add_flag("--retrain", c.retrain, "train even when a model file exists");
    all->add_flag("--no-binary", c.skip_binary, "skip the binary task");

    CLI11_PARSE(app, argc, argv);
    try {
        if (*prepare) return run_prepare(c);
        if (*train) return run_train(c, c.binary);
        if (*score) return run_score(c, c.binary);
        if (*explain) return run_explain(c, c.binary, 24);
        if (*faith) return run_faithfulness(c, c.binary);
        if (*report) return run_report(c);
        if (*all) return run_all(c);
    } catch (const std::exception& e) {
        std::cerr << "pixlime_workflow: error: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
