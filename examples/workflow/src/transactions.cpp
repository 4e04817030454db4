#include "transactions.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace wf {

namespace {

using clock_type = std::chrono::steady_clock;
double ms_since(clock_type::time_point t0) {
    return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

using pixlime::app::round6;

}  // namespace

deployed_model deploy(mlp model) {
    auto shared = std::make_shared<const mlp>(std::move(model));
    deployed_model d;
    d.id = shared->id();
    d.shape = shared->shape;
    d.classes = shared->classes;
    d.binary = shared->output == output_kind::sigmoid;
    d.classify = [shared](pixlime::batch_view<const float> batch) { return (*shared)(batch); };
    return d;
}

deployed_model deploy(const std::string& model_path) { return deploy(mlp::load(model_path)); }

double transaction::probability(const std::string& label) const {
    for (const auto& [name, p] : probabilities)
        if (name == label) return p;
    return 0.0;
}

nlohmann::ordered_json to_json(const transaction& t) {
    nlohmann::ordered_json j;
    j["id"] = t.id;
    j["input"] = t.input;
    j["true_label"] = t.true_label.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(t.true_label);
    if (t.ok()) {
        nlohmann::ordered_json p = nlohmann::ordered_json::object();
        for (const auto& [name, v] : t.probabilities) p[name] = round6(v);
        j["probabilities"] = p;
        j["predicted"] = t.predicted;
        j["predicted_index"] = t.predicted_index;
    } else {
        j["error"] = t.error;
    }
    j["model"] = t.model;
    j["time"] = t.time;
    j["latency_ms"] = round6(t.latency_ms);
    return j;
}

transaction transaction_from_json(const nlohmann::json& j) {
    transaction t;
    try {
        t.id = j.at("id").get<std::string>();
        t.input = j.at("input").get<std::string>();
        if (j.contains("true_label") && !j.at("true_label").is_null()) t.true_label = j.at("true_label").get<std::string>();
        t.model = j.at("model").get<std::string>();
        t.time = j.at("time").get<std::string>();
        t.latency_ms = j.at("latency_ms").get<double>();
        if (j.contains("error")) {
            t.error = j.at("error").get<std::string>();
            if (t.error.empty()) throw std::runtime_error("empty error");
        } else {
            for (const auto& [name, v] : j.at("probabilities").items()) t.probabilities.emplace_back(name, v.get<double>());
            t.predicted = j.at("predicted").get<std::string>();
            t.predicted_index = j.at("predicted_index").get<int>();
        }
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(std::string("bad transaction record: ") + e.what());
    }
    return t;
}

std::vector<score_input> score_inputs(const folder_dataset& data, int limit) {
    std::vector<score_input> out;
    const std::size_t n = data.files.size();
    if (limit <= 0 || std::size_t(limit) >= n) {
        for (const auto& f : data.files) out.push_back({f.path, data.classes[std::size_t(f.label)]});
        return out;
    }
    for (int i = 0; i < limit; ++i) {  // evenly spaced: the files are sorted by class
        const auto& f = data.files[std::size_t(i) * n / std::size_t(limit)];
        out.push_back({f.path, data.classes[std::size_t(f.label)]});
    }
    return out;
}

namespace {

/// Scores one standardized image; throws on a classifier failure or a bad output.
std::vector<double> classify_one(const deployed_model& m, const pixlime::image<float>& img) {
    pixlime::batch_view<const float> batch(img.data(), 1, img.width(), img.height(), img.channels());
    Eigen::MatrixXf out;
    try {
        out = m.classify(batch);
    } catch (const std::exception& e) {
        throw std::runtime_error("model error: " + describe(e));
    } catch (...) {
        throw std::runtime_error("model error: unknown exception");
    }
    const Eigen::Index want = m.binary ? 1 : Eigen::Index(m.classes.size());
    if (out.rows() != 1 || out.cols() != want)
        throw std::runtime_error("model error: output is " + std::to_string(out.rows()) + "x" + std::to_string(out.cols()) +
                                 ", expected 1x" + std::to_string(want));
    if (!out.allFinite()) throw std::runtime_error("model error: output is not finite (NaN or Inf)");
    if (m.binary) return {1.0 - double(out(0, 0)), double(out(0, 0))};
    std::vector<double> p(std::size_t(out.cols()));
    for (Eigen::Index c = 0; c < out.cols(); ++c) p[std::size_t(c)] = out(0, c);
    return p;
}

}  // namespace

namespace {

std::string tx_id(int n) {
    char id[32];
    std::snprintf(id, sizeof id, "tx-%06d", n);
    return id;
}

/// An open transaction log: appended to, one write per line; locked against a second writer.
class log_file {
public:
    explicit log_file(const fs::path& p) : path_(p) {
        fd_ = ::open(p.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd_ < 0) throw std::runtime_error("cannot open transaction log '" + p.string() + "': " + std::strerror(errno));
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd_);
            throw std::runtime_error("transaction log '" + p.string() + "' is in use by another process (a score step still running?)");
        }
    }
    ~log_file() {
        if (fd_ >= 0) ::close(fd_);  // also releases the lock
    }
    log_file(const log_file&) = delete;
    log_file& operator=(const log_file&) = delete;

    std::string read_all() const {
        std::string text;
        char buf[1 << 16];
        for (off_t at = 0;;) {
            const ssize_t n = ::pread(fd_, buf, sizeof buf, at);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("read");
            if (n == 0) return text;
            text.append(buf, std::size_t(n));
            at += n;
        }
    }
    void truncate(std::size_t size) const {
        if (::ftruncate(fd_, off_t(size)) != 0) fail("truncate");
    }
    /// Appends `line` with one write (repeated only if the system writes part of it).
    void append(const std::string& line) const {
        for (std::size_t done = 0; done < line.size();) {
            const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("write");
            done += std::size_t(n);
        }
    }
    void sync() const { ::fdatasync(fd_); }

private:
    [[noreturn]] void fail(const char* what) const {
        throw std::runtime_error(std::string("cannot ") + what + " transaction log '" + path_.string() + "': " + std::strerror(errno));
    }
    fs::path path_;
    int fd_ = -1;
};

/// The complete lines of a log's text and what follows the last newline.
struct split_log {
    std::vector<std::string> lines;  ///< without their newlines
    std::string tail;                ///< after the last newline (empty when the text ends with one)
};
split_log split_lines(const std::string& text) {
    split_log r;
    std::size_t a = 0;
    for (std::size_t b; (b = text.find('\n', a)) != std::string::npos; a = b + 1) r.lines.push_back(text.substr(a, b - a));
    r.tail = text.substr(a);
    return r;
}

bool blank(const std::string& line) { return line.find_first_not_of(" \t\r") == std::string::npos; }

/// A dated name next to `p` that does not exist yet: transactions.2024-05-01T12-34-56Z.jsonl.
fs::path rotated_name(const fs::path& p) {
    std::string stamp = utc_now().substr(0, 19) + "Z";
    std::replace(stamp.begin(), stamp.end(), ':', '-');
    for (int k = 1;; ++k) {
        const fs::path q = p.parent_path() / (p.stem().string() + "." + stamp + (k > 1 ? "-" + std::to_string(k) : "") +
                                              p.extension().string());
        if (!fs::exists(fs::symlink_status(q))) return q;
    }
}

void count(score_summary& s, const transaction& t) {
    ++s.total;
    if (!t.ok()) {
        ++s.failed;
        return;
    }
    ++s.ok;
    if (!t.true_label.empty()) {
        ++s.labelled;
        s.correct += t.correct();
    }
}

}  // namespace

score_summary score(const std::vector<score_input>& inputs, const deployed_model& model, const std::string& log_path,
                    const std::function<void(int, int)>& progress, const score_options& options) {
    const auto t0 = clock_type::now();
    score_summary s;
    const fs::path p(log_path);
    if (p.has_parent_path()) fs::create_directories(p.parent_path());
    auto log = std::make_unique<log_file>(p);

    // What the log already holds: complete lines, then perhaps an interrupted write.
    const std::string raw = log->read_all();
    split_log text = split_lines(raw);
    std::vector<transaction> have;
    for (std::size_t i = 0; i < text.lines.size(); ++i) {
        if (blank(text.lines[i])) throw std::runtime_error("transaction log '" + log_path + "' line " + std::to_string(i + 1) + " is empty");
        try {
            have.push_back(transaction_from_json(nlohmann::ordered_json::parse(text.lines[i])));
        } catch (const std::exception& e) {
            throw std::runtime_error("transaction log '" + log_path + "' line " + std::to_string(i + 1) + ": " + e.what() +
                                     " (not an interrupted write, which can only cut the last line: fix or move the log)");
        }
    }
    bool complete_tail = false;  // the last line is whole but for its newline
    if (!text.tail.empty()) {
        try {
            have.push_back(transaction_from_json(nlohmann::ordered_json::parse(text.tail)));
            complete_tail = true;
        } catch (const std::exception&) {
            // cut short by an interrupted write: dropped below, its input scored again
        }
    }
    // The log must be this model's transactions of the first inputs, in order.
    std::string mismatch;
    for (std::size_t i = 0; i < have.size() && mismatch.empty(); ++i) {
        const transaction& t = have[i];
        const std::string line = "line " + std::to_string(i + 1) + ": ";
        if (t.model != model.id)
            mismatch = line + "transactions of model " + t.model + ", this is model " + model.id;
        else if (i >= inputs.size() || t.input != inputs[i].path || t.true_label != inputs[i].true_label)
            mismatch = line + "scored other inputs (" + t.input + ") than this run's input " + std::to_string(i + 1) +
                       (i < inputs.size() ? " (" + inputs[i].path + ")" : " (there are only " + std::to_string(inputs.size()) + ")");
        else if (t.id != tx_id(int(i) + 1))
            mismatch = line + "id " + t.id + ", expected " + tx_id(int(i) + 1);
    }
    if (options.new_log && (!have.empty() || !text.tail.empty())) {
        const fs::path old = rotated_name(p);
        fs::rename(p, old);  // under the lock; the old file is kept whole
        s.rotated = old.string();
        log = std::make_unique<log_file>(p);
        have.clear();
        text = {};
        complete_tail = false;
    } else if (!mismatch.empty()) {
        throw std::runtime_error("transaction log '" + log_path + "' " + mismatch +
                                 ": a log belongs to one model and one list of inputs. Pass --new-log to keep it as a dated "
                                 "file next to it and start a new one");
    }
    if (complete_tail) {
        log->append("\n");
        s.repaired = true;
    } else if (!text.tail.empty()) {
        log->truncate(raw.size() - text.tail.size());
        s.torn_bytes = int(text.tail.size());
    }
    for (const auto& t : have) count(s, t);
    s.resumed = int(have.size());
    if (options.started) options.started(s);

    const int total = int(inputs.size());
    for (int i = s.resumed; i < total; ++i) {
        if (options.stop && options.stop(i)) {
            s.stopped = true;
            break;
        }
        const auto ti = clock_type::now();
        transaction t;
        t.id = tx_id(i + 1);
        t.input = inputs[std::size_t(i)].path;
        t.true_label = inputs[std::size_t(i)].true_label;
        t.model = model.id;
        t.time = utc_now();
        try {
            const pixlime::image<float> img = load_standardized(t.input, model.shape);
            const std::vector<double> pr = classify_one(model, img);
            for (std::size_t c = 0; c < pr.size(); ++c) t.probabilities.emplace_back(model.classes[c], pr[c]);
            t.predicted_index = int(std::max_element(pr.begin(), pr.end()) - pr.begin());
            t.predicted = model.classes[std::size_t(t.predicted_index)];
        } catch (const std::exception& e) {
            t.error = e.what();
            t.probabilities.clear();
        }
        t.latency_ms = ms_since(ti);
        log->append(to_json(t).dump() + "\n");  // on disk before the next input
        count(s, t);
        ++s.scored;
        if (progress && ((i + 1) % 1000 == 0 || i + 1 == total)) progress(i + 1, total);
    }
    log->sync();
    s.seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    return s;
}

std::vector<transaction> read_log(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open transaction log '" + path + "' (run the score step first)");
    const split_log text = split_lines(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    std::vector<transaction> out;
    for (std::size_t i = 0; i < text.lines.size(); ++i) {
        if (blank(text.lines[i])) continue;
        try {
            out.push_back(transaction_from_json(nlohmann::ordered_json::parse(text.lines[i])));
        } catch (const std::exception& e) {
            throw std::runtime_error("transaction log '" + path + "' line " + std::to_string(i + 1) + ": " + e.what());
        }
    }
    if (!blank(text.tail)) {
        try {  // a last line without its newline: whole, or cut short by an interrupted write (left out)
            out.push_back(transaction_from_json(nlohmann::ordered_json::parse(text.tail)));
        } catch (const std::exception&) {
        }
    }
    return out;
}

std::vector<transaction> select_ids(const std::vector<transaction>& log, const std::vector<std::string>& ids) {
    std::vector<transaction> out;
    for (const auto& id : ids) {
        const auto it = std::find_if(log.begin(), log.end(), [&](const transaction& t) { return t.id == id; });
        if (it != log.end()) {
            out.push_back(*it);
        } else {
            transaction missing;  // reported as a failed explanation, the others go on
            missing.id = id;
            missing.error = "no transaction with id '" + id + "' in the log";
            out.push_back(missing);
        }
    }
    return out;
}

std::vector<transaction> select_first(const std::vector<transaction>& log, int n) {
    return std::vector<transaction>(log.begin(), log.begin() + std::min<std::ptrdiff_t>(std::max(n, 0), std::ptrdiff_t(log.size())));
}

std::vector<transaction> select_mixed(const std::vector<transaction>& log, int n) {
    std::vector<std::string> classes;  // true classes in order of first appearance
    for (const auto& t : log)
        if (t.ok() && !t.true_label.empty() && std::find(classes.begin(), classes.end(), t.true_label) == classes.end())
            classes.push_back(t.true_label);
    std::vector<char> used(log.size(), 0);
    std::vector<std::size_t> picked;
    auto pick = [&](const std::string* cls, int want_correct) {  // want_correct: 1, 0, or -1 (either)
        for (std::size_t i = 0; i < log.size(); ++i) {
            const transaction& t = log[i];
            if (used[i] || !t.ok()) continue;
            if (cls && t.true_label != *cls) continue;
            if (want_correct >= 0 && (t.true_label.empty() || int(t.correct()) != want_correct)) continue;
            used[i] = 1;
            picked.push_back(i);
            return true;
        }
        return false;
    };
    for (int k = 0; int(picked.size()) < n; ++k) {
        const bool wrong = k % 3 == 2;
        const std::string* cls = classes.empty() ? nullptr : &classes[std::size_t(k) % classes.size()];
        if (pick(cls, wrong ? 0 : 1) || pick(nullptr, wrong ? 0 : 1) || pick(cls, -1) || pick(nullptr, -1)) continue;
        break;  // nothing left
    }
    std::sort(picked.begin(), picked.end());
    std::vector<transaction> out;
    for (std::size_t i : picked) out.push_back(log[i]);
    return out;
}

pixlime::explanation explain_image(const pixlime::image<float>& img, const deployed_model& model, const explain_settings& s) {
    return pixlime::explain(img, model.classify, explain_options_for(s));
}

namespace {

void explain_one(const transaction& t, const deployed_model& m, const fs::path& dir, const explain_settings& s) {
    const auto t0 = clock_type::now();
    if (t.input.empty()) throw std::runtime_error(t.error.empty() ? "transaction has no input file" : t.error);
    const pixlime::image<float> img = load_standardized(t.input, m.shape);
    const double load_ms = ms_since(t0);
    const pixlime::explanation ex = explain_image(img, m, s);
    pixlime::app::record_head head;
    head.fields["id"] = t.id;
    head.fields["input"] = t.input;
    head.fields["true_label"] = t.true_label.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(t.true_label);
    head.model = m.id;
    head.settings = s.to_json();
    head.segmenter = s.segmenter;
    head.num_features = s.num_features;
    head.classes = m.classes;
    head.load_ms = load_ms;
    head.start = t0;
    pixlime::app::write_explanation(dir, img, ex, head);
}

}  // namespace

std::vector<explain_outcome> explain_transactions(const std::vector<transaction>& selected, const deployed_model& model,
                                                  const std::string& out_dir, const explain_settings& settings,
                                                  const std::function<void(const explain_outcome&, int, int)>& progress) {
    explain_options_for(settings);  // bad settings fail here, before any transaction
    std::vector<explain_outcome> outcomes;
    const int total = int(selected.size());
    for (int i = 0; i < total; ++i) {
        const transaction& t = selected[std::size_t(i)];
        const fs::path dir = fs::path(out_dir) / t.id;
        explain_outcome o;
        o.id = t.id;
        const auto t0 = clock_type::now();
        const bool safe_id = !t.id.empty() && t.id.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == std::string::npos;
        if (!safe_id) {
            o.status = "failed";  // never used as a folder name
            o.reason = "transaction id '" + t.id + "' is not of letters, digits, - and _";
        } else if (pixlime::app::record_done(dir, t.id, t.input, model.id, settings.to_json())) {
            o.status = "skipped";
        } else {
            try {
                explain_one(t, model, dir, settings);
                o.status = "done";
            } catch (const std::exception& e) {
                o.status = "failed";
                o.reason = describe(e);
                try {
                    const nlohmann::ordered_json fields = {{"id", t.id}, {"input", t.input}};
                    pixlime::app::write_record(dir, pixlime::app::error_record(fields, model.id, o.reason));
                } catch (const std::exception& e2) {
                    o.reason += " (and the error record could not be written: " + std::string(e2.what()) + ")";
                }
            }
        }
        o.ms = ms_since(t0);
        outcomes.push_back(o);
        if (progress) progress(o, i + 1, total);
    }
    return outcomes;
}

}  // namespace wf
