#include "steps.hpp"

#include "faithfulness.hpp"
#include "report.hpp"
#include "service_client.hpp"

#include <unistd.h>

#include <csignal>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace wf {

namespace {

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
std::string binary_label(const workflow_config& c, const std::string& cls) {
    return std::find(c.positive.begin(), c.positive.end(), cls) != c.positive.end() ? c.binary_name : "other";
}

void check_positive(const workflow_config& c, const std::vector<std::string>& classes) {
    for (const auto& p : c.positive)
        if (std::find(classes.begin(), classes.end(), p) == classes.end())
            throw std::runtime_error("--positive class '" + p + "' is not a class folder of the data");
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

/// Set by SIGINT / SIGTERM while a score step runs: scoring stops after the transaction in
/// hand (everything scored is in the log already; a rerun continues).
volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) { stop_requested = 1; }

/// Installs request_stop for SIGINT and SIGTERM; restores the previous handlers.
class stop_on_signals {
public:
    stop_on_signals() {
        stop_requested = 0;
        struct sigaction sa {};
        sa.sa_handler = request_stop;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int_);
        sigaction(SIGTERM, &sa, &old_term_);
    }
    ~stop_on_signals() {
        sigaction(SIGINT, &old_int_, nullptr);
        sigaction(SIGTERM, &old_term_, nullptr);
    }
    stop_on_signals(const stop_on_signals&) = delete;
    stop_on_signals& operator=(const stop_on_signals&) = delete;

private:
    struct sigaction old_int_ {}, old_term_ {};
};

/// Whether `inner` is `outer` or lies inside it (both absolute and normalized).
bool is_within(const fs::path& inner, const fs::path& outer) {
    auto i = inner.begin();
    for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
        if (o->empty()) continue;  // a trailing separator
        if (i == inner.end() || *i != *o) return false;
    }
    return true;
}

fs::path resolved(const std::string& p) { return fs::weakly_canonical(fs::absolute(p)).lexically_normal(); }

/// A task's model as the service at --server serves it: the client, the model's name there and
/// the ids of its transactions.
struct service_task {
    std::unique_ptr<wf::service_client> client;
    wf::served_model model;
    std::string prefix;
    std::string log_name() const { return "pixlime serve at " + client->url() + ", model " + model.name + ", ids " + prefix + "NNNNNN"; }
};
service_task connect(const workflow_config& c, bool bin) {
    service_task t;
    t.client = std::make_unique<wf::service_client>(c.server);
    t.model = wf::find_served_model(*t.client, c.model_path(bin));
    t.prefix = wf::transaction_prefix(wf::mlp::load(c.model_path(bin)).id());
    return t;
}

std::vector<wf::report_task> report_tasks(const workflow_config& c) {
    std::vector<wf::report_task> tasks;
    tasks.push_back({"multiclass", "Multi-class model: the 10 Fashion-MNIST classes",
                     "A multi-layer perceptron trained with Eigen on the 60,000 training images, scored on validation images; "
                     "each transaction below is explained for its predicted class.",
                     c.task_dir(false), std::nullopt, ""});
    if (fs::exists(c.model_path(true)) && (!c.server.empty() || fs::exists(c.log_path(true)))) {
        std::string pos;
        for (const auto& p : c.positive) pos += (pos.empty() ? "" : ", ") + p;
        tasks.push_back({"binary", "Binary model: " + c.binary_name + " vs. the rest",
                         "The same steps for a two-class task on the same data: " + c.binary_name + " (" + pos +
                             ") against every other class, one sigmoid output (P(" + c.binary_name +
                             ")), explained through the same pixlime API, which treats a single output as the classes {other, " +
                             c.binary_name + "}.",
                         c.task_dir(true), std::nullopt, ""});
    }
    if (!c.server.empty())  // the logs are the service's
        for (std::size_t i = 0; i < tasks.size(); ++i) {
            const service_task st = connect(c, i == 1);
            tasks[i].log = wf::service_log(*st.client, st.model, st.prefix);
            tasks[i].log_name = st.log_name();
        }
    return tasks;
}

}  // namespace

void check_data_folder(const workflow_config& c) {
    if (c.data.empty()) return;  // <work>/data: prepare's own layout
    const fs::path data = resolved(c.data), work = resolved(c.work);
    if (is_within(work, data))
        throw std::runtime_error("the work folder '" + work.string() + "' is inside the data folder '" + data.string() +
                                 "': the steps would write into your input folder; choose a --work outside it");
    for (const std::string& out : {c.model_path(false), c.log_path(false), c.explanations_dir(false), c.faithfulness_path(false),
                                   c.task_dir(true), c.report_dir()}) {
        const fs::path o = resolved(out);
        const fs::path dir = o.filename() == "model.pxm" ? o.parent_path() : o;
        if (is_within(data, dir))
            throw std::runtime_error("the data folder '" + data.string() + "' is inside '" + dir.string() +
                                     "', which the steps write: choose a --data outside the work folder's outputs");
    }
}

int run_prepare(const workflow_config& c) {
    if (!c.data.empty())
        throw std::runtime_error("prepare lays Fashion-MNIST out only under the work folder ('" +
                                 (fs::path(c.work) / "data").string() + "'); --data '" + c.data +
                                 "' names your own input folder, which no step writes into: drop --data (with --data, "
                                 "`all` uses that folder as it is)");
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


int run_train(const workflow_config& c, bool bin) {
    check_data_folder(c);
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
    wf::mlp model = wf::make_mlp(shape, o.hidden, outputs, kind, classes, o.seed);
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

namespace {

std::vector<wf::score_input> validation_inputs(const workflow_config& c, bool bin, const std::vector<std::string>& classes) {
    const std::vector<std::string> folder_classes = bin ? std::vector<std::string>{} : classes;
    const wf::folder_dataset data = wf::scan_folder((fs::path(c.data_dir()) / "validation").string(), folder_classes);
    std::vector<wf::score_input> inputs = wf::score_inputs(data, c.score_limit);
    if (bin) {
        check_positive(c, data.classes);
        for (auto& in : inputs) in.true_label = binary_label(c, in.true_label);
    }
    return inputs;
}

/// run_score through the service at --server.
int score_through_service(const workflow_config& c, bool bin) {
    const std::string task = bin ? "score --binary" : "score";
    const auto t0 = std::chrono::steady_clock::now();
    const service_task st = connect(c, bin);
    say("[" + task + "] " + c.model_path(bin) + " is deployed on " + st.client->url() + " as model " + st.model.name +
        " (transactions " + st.prefix + "NNNNNN)");
    const std::vector<wf::score_input> inputs = validation_inputs(c, bin, st.model.classes);
    wf::score_options so;
    so.stop = [](int) { return stop_requested != 0; };
    so.started = [&](const wf::score_summary& r) {
        if (r.resumed > 0)
            say("[" + task + "] the service's log already holds " + std::to_string(r.resumed) + " of " + std::to_string(inputs.size()) +
                " transactions of this model: " +
                (r.resumed == int(inputs.size()) ? std::string("nothing to score") : "scoring the other " + std::to_string(inputs.size() - std::size_t(r.resumed))));
    };
    const stop_on_signals guard;
    const wf::service_score_summary s = wf::score_via_service(inputs, *st.client, st.model, st.prefix, [&](int done, int total) {
        if (tty) std::cout << "\r  scored " << done << "/" << total << std::flush;
    }, so);
    if (tty) std::cout << "\r" << std::string(40, ' ') << "\r";
    for (std::size_t i = 0; i < s.failures.size() && i < 5; ++i) say("  not scored: " + s.failures[i]);
    say("[" + task + "] " + std::to_string(s.total) + " transactions (" + std::to_string(s.failed) + " failed), accuracy " +
        fixed(100 * s.accuracy(), 2) + "% (" + std::to_string(s.correct) + "/" + std::to_string(s.labelled) + ") in " +
        fixed(seconds_since(t0), 1) + " s -> the service's log (model " + st.model.name + ")");
    if (s.stopped) {
        say("[" + task + "] interrupted after " + std::to_string(s.total) + " of " + std::to_string(inputs.size()) +
            " transactions; every one of them is in the service's log, and a rerun continues from there");
        return interrupted_status;
    }
    return 0;
}

}  // namespace

int run_score(const workflow_config& c, bool bin) {
    check_data_folder(c);
    if (!c.server.empty()) return score_through_service(c, bin);
    const std::string task = bin ? "score --binary" : "score";
    const auto t0 = std::chrono::steady_clock::now();
    const wf::deployed_model m = wf::deploy(c.model_path(bin));  // deploy: load the stored model back
    say("[" + task + "] deployed " + c.model_path(bin) + " (id " + m.id + ")");
    const std::vector<wf::score_input> inputs = validation_inputs(c, bin, m.classes);
    const std::string log = c.log_path(bin);
    wf::score_options so;
    so.new_log = c.new_log;
    so.stop = [](int) { return stop_requested != 0; };
    so.started = [&](const wf::score_summary& r) {
        if (!r.rotated.empty()) say("[" + task + "] a new log: the previous one is kept as " + r.rotated);
        if (r.torn_bytes > 0)
            say("[" + task + "] dropped the incomplete last line (" + std::to_string(r.torn_bytes) +
                " bytes) an interrupted run left; its input is scored again");
        if (r.repaired) say("[" + task + "] completed the last line of the log (its newline was missing)");
        if (r.resumed > 0)
            say("[" + task + "] " + log + " already holds " + std::to_string(r.resumed) + " of " + std::to_string(inputs.size()) +
                " transactions of this model: " +
                (r.resumed == int(inputs.size()) ? std::string("nothing to score")
                                                 : "continuing from input " + std::to_string(r.resumed + 1)));
    };
    const stop_on_signals guard;
    const wf::score_summary s = wf::score(inputs, m, log, [&](int done, int total) {
        if (tty) std::cout << "\r  scored " << done << "/" << total << std::flush;
    }, so);
    if (tty) std::cout << "\r" << std::string(40, ' ') << "\r";
    say("[" + task + "] " + std::to_string(s.total) + " transactions (" + std::to_string(s.failed) + " failed), accuracy " +
        fixed(100 * s.accuracy(), 2) + "% (" + std::to_string(s.correct) + "/" + std::to_string(s.labelled) + ") in " +
        fixed(seconds_since(t0), 1) + " s -> " + log);
    if (s.stopped) {
        say("[" + task + "] interrupted after " + std::to_string(s.total) + " of " + std::to_string(inputs.size()) +
            " transactions; every one of them is in the log, and a rerun continues from there");
        return interrupted_status;
    }
    return 0;
}

int run_explain(const workflow_config& c, bool bin, int default_mixed) {
    check_data_folder(c);
    const std::string task = bin ? "explain --binary" : "explain";
    const auto t0 = std::chrono::steady_clock::now();
    std::optional<service_task> st;
    std::optional<wf::deployed_model> m;
    std::vector<wf::transaction> log;
    if (!c.server.empty()) {
        st = connect(c, bin);
        log = wf::service_log(*st->client, st->model, st->prefix);
    } else {
        m = wf::deploy(c.model_path(bin));
        log = wf::read_log(c.log_path(bin));
    }
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
        " samples each, " + c.explain.segmenter + " ~" + std::to_string(c.explain.segments) + " segments" +
        (st ? ", explained by the service (model " + st->model.name + ")" : std::string()));
    int done = 0, skipped = 0, failed = 0;
    const auto progress = [&](const wf::explain_outcome& o, int i, int total) {
        if (o.status == "failed")
            say("  " + o.id + " FAILED: " + o.reason);
        else if (tty)
            std::cout << "\r  " << i << "/" << total << " " << o.id << " " << o.status << "      " << std::flush;
    };
    const auto outcomes = st ? wf::explain_via_service(sel, *st->client, st->model, c.explanations_dir(bin), c.explain, progress)
                             : wf::explain_transactions(sel, *m, c.explanations_dir(bin), c.explain, progress);
    if (tty) std::cout << "\r" << std::string(50, ' ') << "\r";
    for (const auto& o : outcomes) (o.status == "done" ? done : o.status == "skipped" ? skipped : failed)++;
    say("[" + task + "] " + std::to_string(done) + " explained, " + std::to_string(skipped) + " already done (skipped), " +
        std::to_string(failed) + " failed, in " + fixed(seconds_since(t0), 1) + " s -> " + c.explanations_dir(bin) + "/<id>/");
    return failed ? 3 : 0;
}

int run_faithfulness(const workflow_config& c, bool bin) {
    check_data_folder(c);
    const std::string task = bin ? "faithfulness --binary" : "faithfulness";
    const auto t0 = std::chrono::steady_clock::now();
    const wf::deployed_model m = wf::deploy(c.model_path(bin));
    const wf::folder_dataset data = wf::scan_folder((fs::path(c.data_dir()) / "validation").string(), bin ? std::vector<std::string>{} : m.classes);
    std::vector<pixlime::image<float>> images;
    for (const auto& in : wf::score_inputs(data, c.faithfulness_images)) images.push_back(wf::load_standardized(in.path, m.shape));
    const wf::faithfulness_result r = wf::faithfulness(m, images, c.explain, 20);
    nlohmann::ordered_json j = {{"model", m.id},
                                {"images", r.images},
                                {"random_rankings", r.random_rankings},
                                {"deletion_auc", r.deletion_auc},
                                {"deletion_random_auc", r.deletion_random_auc},
                                {"deletion_beats_random", r.deletion_beats_random},
                                {"insertion_auc", r.insertion_auc},
                                {"insertion_random_auc", r.insertion_random_auc},
                                {"insertion_beats_random", r.insertion_beats_random},
                                {"settings", c.explain.to_json()},
                                {"seconds", seconds_since(t0)}};
    std::ofstream(c.faithfulness_path(bin)) << j.dump(2) << "\n";
    const std::string n = std::to_string(r.images);
    say("[" + task + "] " + n + " validation images, the predicted class's probability as the explanation's segments are "
        "removed: deletion AUC " + fixed(r.deletion_auc, 3) + " vs " + fixed(r.deletion_random_auc, 3) + " for random orders (lower on " +
        std::to_string(r.deletion_beats_random) + "/" + n + "); restored onto a blurred copy: insertion AUC " +
        fixed(r.insertion_auc, 3) + " vs " + fixed(r.insertion_random_auc, 3) + " (higher on " +
        std::to_string(r.insertion_beats_random) + "/" + n + ") in " + fixed(seconds_since(t0), 1) + " s");
    return 0;
}

int run_report(const workflow_config& c) {
    check_data_folder(c);
    const wf::report_result r = wf::write_report(c.report_dir(), report_tasks(c));
    say("[report] " + std::to_string(r.cards) + " transactions (" + std::to_string(r.failed) + " failed), " +
        std::to_string(r.images) + " images");
    say("Report: " + fs::absolute(r.path).lexically_normal().string());
    return 0;
}

int run_all(const workflow_config& c) {
    const auto t0 = std::chrono::steady_clock::now();
    check_data_folder(c);
    if (c.data.empty())
        run_prepare(c);
    else
        say("[prepare] --data " + c.data + ": your folders are used as they are (no Fashion-MNIST layout)");
    if (!c.server.empty() && (c.retrain || c.train_only))
        throw std::runtime_error(std::string(c.retrain ? "--retrain" : "--train-only") + " with --server: the service serves the model files "
                                 "it was started with; train first (all --train-only), then start the service");
    for (bool bin : {false, true}) {
        if (bin && c.skip_binary) break;
        workflow_config ct = c;
        if (!c.server.empty()) {
            if (!fs::exists(c.model_path(bin)))
                throw std::runtime_error("no model " + c.model_path(bin) + " to score through the service: train it first (all --train-only)");
            say(std::string("[deploy") + (bin ? " --binary" : "") + "] " + c.model_path(bin) + " (id " + wf::mlp::load(c.model_path(bin)).id() +
                ") is served by " + c.server);
        } else if (!c.retrain && fs::exists(c.model_path(bin))) {
            const wf::mlp m = wf::mlp::load(c.model_path(bin));
            say(std::string("[train") + (bin ? " --binary" : "") + "] model exists: " + c.model_path(bin) + " (id " + m.id() +
                "): skipped (--retrain to train again)");
        } else {
            run_train(c, bin);
            ct.new_log = true;  // a new model: its own log (an existing one is kept under a dated name)
        }
        if (c.train_only) continue;
        if (run_score(ct, bin) == interrupted_status) return interrupted_status;
        run_explain(c, bin, bin ? c.binary_explain_count : c.explain_count);  // failures are reported, not fatal
        if (c.faithfulness_images > 0) run_faithfulness(c, bin);
    }
    say("[all] finished in " + fixed(seconds_since(t0), 1) + " s");
    return c.train_only ? 0 : run_report(c);
}

}  // namespace wf
