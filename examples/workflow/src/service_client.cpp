#include "service_client.hpp"

#include <pixlime_app/record.hpp>

#include <pixlime/explain_options.hpp>
#include <pixlime/io.hpp>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <thread>

namespace fs = std::filesystem;

namespace wf {

namespace {

using json = nlohmann::json;

std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16 | unsigned(static_cast<unsigned char>(in[i + 1])) << 8 |
                           unsigned(static_cast<unsigned char>(in[i + 2]));
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
    }
    if (i + 1 == in.size()) {
        const unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16;
        out += {t[v >> 18], t[(v >> 12) & 63], '=', '='};
    } else if (i + 2 == in.size()) {
        const unsigned v = unsigned(static_cast<unsigned char>(in[i])) << 16 | unsigned(static_cast<unsigned char>(in[i + 1])) << 8;
        out += {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], '='};
    }
    return out;
}

std::string url_encode(const std::string& s) {
    std::string out;
    for (unsigned char ch : s) {
        if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out += char(ch);
        } else {
            char b[4];
            std::snprintf(b, sizeof b, "%%%02X", ch);
            out += b;
        }
    }
    return out;
}

/// The answer's JSON, or service_error with the service's own message.
json answer(const httplib::Result& r, const std::string& what) {
    if (!r) throw service_error(0, what + ": no answer from the service (" + httplib::to_string(r.error()) + ")");
    if (r->status < 200 || r->status >= 300) {
        const json e = json::parse(r->body, nullptr, false);
        const std::string message = e.is_object() && e.contains("error") && e["error"].is_object()
                                        ? e["error"].value("message", r->body)
                                        : r->body.substr(0, 300);
        throw service_error(r->status, what + ": HTTP " + std::to_string(r->status) + ": " + message);
    }
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded()) throw service_error(r->status, what + ": the answer is not JSON");
    return j;
}

std::string canonical(const std::string& p) {
    std::error_code ec;
    const fs::path c = fs::weakly_canonical(fs::absolute(p), ec);
    return (ec ? fs::absolute(p) : c).lexically_normal().string();
}

std::string numbered(const std::string& prefix, std::size_t n) {
    char b[32];
    std::snprintf(b, sizeof b, "%06zu", n);
    return prefix + b;
}

transaction from_service(const json& j, const served_model& m) {
    transaction t;
    t.id = j.at("id").get<std::string>();
    const json& md = j.at("metadata");
    if (md.is_object()) {
        t.input = md.value("input", "");
        if (md.contains("true_label") && md["true_label"].is_string()) t.true_label = md["true_label"].get<std::string>();
    }
    const std::vector<double> out = j.at("outputs").get<std::vector<double>>();
    const std::vector<double> p = out.size() == 1 ? std::vector<double>{1.0 - out[0], out[0]} : out;  // one column: P(class 1)
    for (std::size_t c = 0; c < p.size(); ++c)
        t.probabilities.emplace_back(c < m.classes.size() ? m.classes[c] : std::to_string(c), p[c]);
    t.predicted = j.at("label").is_string() ? j["label"].get<std::string>() : "";
    t.predicted_index = j.at("label_index").is_number() ? j["label_index"].get<int>() : -1;
    t.model = j.at("model").get<std::string>();
    t.time = j.at("time").get<std::string>();
    t.latency_ms = j.at("latency_ms").is_number() ? j["latency_ms"].get<double>() : 0.0;
    return t;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read the file");
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

service_client::service_client(const std::string& url) : url_(url) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    if (url_.rfind("http://", 0) != 0) throw std::runtime_error("--server '" + url + "': expected http://HOST:PORT");
    http_ = std::make_unique<httplib::Client>(url_);
    http_->set_keep_alive(true);
    http_->set_connection_timeout(10, 0);
    http_->set_read_timeout(120, 0);
    http_->set_write_timeout(120, 0);
}

service_client::~service_client() = default;

json service_client::get(const std::string& path) { return answer(http_->Get(path), "GET " + path); }

json service_client::send(const std::string& method, const std::string& path, const json& body) {
    const std::string b = body.dump();
    if (method == "PUT") return answer(http_->Put(path, b, "application/json"), "PUT " + path);
    return answer(http_->Post(path, b, "application/json"), "POST " + path);
}

std::string service_client::get_bytes(const std::string& path) {
    const httplib::Result r = http_->Get(path);
    if (!r) throw service_error(0, "GET " + path + ": no answer from the service (" + httplib::to_string(r.error()) + ")");
    if (r->status != 200) throw service_error(r->status, "GET " + path + ": HTTP " + std::to_string(r->status));
    return r->body;
}

served_model find_served_model(service_client& s, const std::string& model_file) {
    const std::string want = canonical(model_file);
    std::string names;
    const json models = s.get("/v1/models");
    for (const json& m : models.at("models")) {
        if (canonical(m.at("file").get<std::string>()) == want)
            return {m.at("name").get<std::string>(), m.at("classes").get<std::vector<std::string>>()};
        names += (names.empty() ? "" : ", ") + m.at("name").get<std::string>() + " (" + m.at("file").get<std::string>() + ")";
    }
    throw std::runtime_error("the service at " + s.url() + " does not serve " + want + " (it serves " + (names.empty() ? "nothing" : names) +
                             "): start it with pixlime serve --model NAME=" + want);
}

std::string transaction_prefix(const std::string& model_id) { return "tx-" + model_id.substr(0, 8) + "-"; }

std::vector<transaction> service_log(service_client& s, const served_model& m, const std::string& prefix) {
    std::vector<transaction> out;
    std::string cursor;
    for (;;) {
        const json page = s.get("/v1/transactions?model=" + url_encode(m.name) + "&limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor));
        for (const json& t : page.at("transactions"))
            if (t.at("id").get<std::string>().rfind(prefix, 0) == 0) out.push_back(from_service(t, m));
        if (!page.at("next_cursor").is_string()) break;
        cursor = page["next_cursor"].get<std::string>();
    }
    std::sort(out.begin(), out.end(), [](const transaction& a, const transaction& b) { return a.id < b.id; });
    return out;
}

service_score_summary score_via_service(const std::vector<score_input>& inputs, service_client& s, const served_model& m,
                                        const std::string& prefix, const std::function<void(int, int)>& progress,
                                        const score_options& options) {
    const auto t0 = std::chrono::steady_clock::now();
    service_score_summary sum;
    std::set<std::string> logged;
    for (const transaction& t : service_log(s, m, prefix)) {
        const std::size_t n = std::size_t(std::atol(t.id.c_str() + prefix.size()));
        if (n < 1 || n > inputs.size() || t.input != inputs[n - 1].path)
            throw std::runtime_error("the service's transaction " + t.id + " of model " + m.name + " scored " + t.input + ", not this run's input " +
                                     std::to_string(n) + (n >= 1 && n <= inputs.size() ? " (" + inputs[n - 1].path + ")" : " (there are " +
                                     std::to_string(inputs.size()) + ")") + ": the model's log belongs to other inputs (--score-limit, --data)");
        logged.insert(t.id);
    }
    sum.resumed = int(logged.size());
    if (options.started) options.started(sum);

    const std::string path = "/v1/models/" + url_encode(m.name) + ":predict";
    auto instance = [&](std::size_t i, const std::string& bytes) {
        json md = {{"input", inputs[i].path}};
        if (!inputs[i].true_label.empty()) md["true_label"] = inputs[i].true_label;
        return json{{"b64", base64(bytes)}, {"transaction_id", numbered(prefix, i + 1)}, {"metadata", md}};
    };
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < inputs.size(); ++i)
        if (!logged.count(numbered(prefix, i + 1))) todo.push_back(i);
    const int total = int(inputs.size());
    int done = sum.resumed;
    constexpr std::size_t batch = 100;
    for (std::size_t k = 0; k < todo.size(); k += batch) {
        if (options.stop && options.stop(done)) {
            sum.stopped = true;
            break;
        }
        std::vector<std::pair<std::size_t, std::string>> files;  // input index, bytes
        for (std::size_t j = k; j < std::min(todo.size(), k + batch); ++j) {
            const std::size_t i = todo[j];
            try {
                files.emplace_back(i, read_file(inputs[i].path));
            } catch (const std::exception& e) {
                sum.failures.push_back(inputs[i].path + ": " + e.what());
            }
        }
        if (files.empty()) continue;
        json body = {{"instances", json::array()}};
        for (const auto& [i, bytes] : files) body["instances"].push_back(instance(i, bytes));
        try {
            s.send("POST", path, body);
            sum.scored += int(files.size());
        } catch (const service_error& e) {
            if (e.status != 413 && e.status != 422) throw;
            for (const auto& [i, bytes] : files) {  // the image the service refused: each on its own
                try {
                    s.send("POST", path, json{{"instances", json::array({instance(i, bytes)})}});
                    ++sum.scored;
                } catch (const service_error& e1) {
                    if (e1.status != 413 && e1.status != 422) throw;
                    sum.failures.push_back(inputs[i].path + ": " + e1.what());
                }
            }
        }
        done += int(files.size());
        if (progress) progress(done, total);
    }
    for (const transaction& t : service_log(s, m, prefix)) {
        ++sum.total;
        ++sum.ok;
        if (!t.true_label.empty()) {
            ++sum.labelled;
            sum.correct += t.correct();
        }
    }
    sum.failed = int(sum.failures.size());
    sum.total += sum.failed;
    sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return sum;
}

std::vector<explain_outcome> explain_via_service(const std::vector<transaction>& selected, service_client& s, const served_model& m,
                                                 const std::string& out_dir, const explain_settings& settings,
                                                 const std::function<void(const explain_outcome&, int, int)>& progress) {
    explain_options_for(settings);  // bad settings fail here, before any request
    std::vector<explain_outcome> outcomes;
    const int total = int(selected.size());
    const auto t0 = std::chrono::steady_clock::now();
    json ids = json::array();
    std::map<std::string, const transaction*> by_id;
    for (const transaction& t : selected) {
        if (t.ok() && !t.input.empty()) {
            ids.push_back(t.id);
            by_id[t.id] = &t;
            continue;
        }
        explain_outcome o;  // not in the log (an unknown --id): failed, the others go on
        o.id = t.id;
        o.status = "failed";
        o.reason = t.error.empty() ? "transaction has no input file" : t.error;
        outcomes.push_back(o);
        if (progress) progress(o, int(outcomes.size()), total);
    }
    if (ids.empty()) return outcomes;
    s.send("PUT", "/v1/models/" + url_encode(m.name) + "/explainability", settings.to_json());
    const json tasks = s.send("POST", "/v1/explanations", json{{"transactions", ids}}).at("tasks");

    std::vector<json> pending(tasks.begin(), tasks.end());
    while (!pending.empty()) {
        std::vector<json> still;
        for (json task : pending) {
            const std::string st = task.at("status").get<std::string>();
            if (st == "queued" || st == "running") {
                task = s.get("/v1/explanations/" + task.at("id").get<std::string>());
                const std::string now = task.at("status").get<std::string>();
                if (now == "queued" || now == "running") {
                    still.push_back(task);
                    continue;
                }
            }
            const transaction& t = *by_id.at(task.at("transaction_id").get<std::string>());
            const fs::path dir = fs::path(out_dir) / t.id;
            explain_outcome o;
            o.id = t.id;
            const std::string task_id = task.at("id").get<std::string>();
            try {
                if (task.at("status") == "finished") {
                    const json done = [&] {
                        try {
                            return pixlime::app::read_record(dir / "explanation.json");
                        } catch (const std::exception&) {
                            return json();
                        }
                    }();
                    static const char* const files[] = {"input.png", "positive.png", "negative.png", "heatmap.png"};
                    if (done.is_object() && done.value("task_id", "") == task_id &&
                        std::all_of(std::begin(files), std::end(files), [&](const char* f) { return fs::exists(dir / f); })) {
                        o.status = "skipped";
                    } else {
                        const nlohmann::ordered_json record = task.at("record");
                        const std::string label = record.value("panes_label", "");
                        const json* panes = nullptr;
                        for (const json& p : task.at("panes"))
                            if (!panes || p.value("name", "") == label) panes = &p;
                        if (!panes) throw std::runtime_error("the finished task " + task_id + " has no panes");
                        auto pane = [&](const char* kind) {
                            const std::string png = s.get_bytes(panes->at(kind).get<std::string>());
                            return pixlime::decode_image(reinterpret_cast<const std::uint8_t*>(png.data()), png.size());
                        };
                        pixlime::app::record_panes rp;
                        rp.input = pane("input");
                        rp.positive = pane("positive");
                        rp.negative = pane("negative");
                        rp.heatmap = pane("heatmap");
                        pixlime::app::write_record(dir, record, &rp);
                        o.status = "done";
                    }
                } else {
                    o.status = "failed";
                    o.reason = task.value("error", json()).is_string() ? task["error"].get<std::string>() : "the task was " + task["status"].get<std::string>();
                    pixlime::app::write_record(dir, pixlime::app::error_record({{"id", t.id}, {"input", t.input}}, m.name, o.reason));
                }
            } catch (const service_error&) {
                throw;
            } catch (const std::exception& e) {
                o.status = "failed";
                o.reason = describe(e);
            }
            o.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            outcomes.push_back(o);
            if (progress) progress(o, int(outcomes.size()), total);
        }
        pending.swap(still);
        if (!pending.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    // In the order asked.
    std::map<std::string, std::size_t> order;
    for (std::size_t i = 0; i < selected.size(); ++i) order[selected[i].id] = i;
    std::sort(outcomes.begin(), outcomes.end(), [&](const explain_outcome& a, const explain_outcome& b) { return order[a.id] < order[b.id]; });
    return outcomes;
}

}  // namespace wf
