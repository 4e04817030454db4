// The HTTP API and the dashboard (docs/serve.md), on cpp-httplib.
#include "service.hpp"
#include "sha256.hpp"
#include "store.hpp"
#include "web_assets.hpp"

#include <pixlime_app/common.hpp>

#include <pixlime/error.hpp>

#include <httplib.h>

#include <csignal>
#include <cstring>
#include <ctime>
#include <iostream>
#include <sstream>

namespace pixlime::serve {

// ---------------------------------------------------------------------------------------------
// The service's shared parts

database& service::db() {
    // One connection per thread (SQLite connections are not shared), opened on first use.
    thread_local std::map<std::string, std::unique_ptr<database>> connections;
    auto& c = connections[config.db_path];
    if (!c) c = std::make_unique<database>(config.db_path);
    return *c;
}

served_model& service::model(const std::string& name) {
    const auto it = models.find(name);
    if (it == models.end()) throw api_error::not_found("model", name, "the name of a deployed model (GET /v1/models)");
    return *it->second;
}

void metrics::request(const std::string& route, int status, double seconds) {
    std::lock_guard<std::mutex> lock(mu);
    auto& r = routes[route];
    ++r.by_status[status];
    r.seconds += seconds;
    ++r.count;
}

namespace {

std::atomic<bool>* stop_flag = nullptr;
extern "C" void on_stop_signal(int) {
    if (stop_flag) *stop_flag = true;
}

using clock_type = std::chrono::steady_clock;
using request = httplib::Request;
using response = httplib::Response;

void send_json(response& res, int status, const json& j) {
    res.status = status;
    res.set_content(j.dump(), "application/json");
}

void send_error(response& res, const api_error& e) {
    if (e.retry_after > 0) res.set_header("Retry-After", std::to_string(e.retry_after));
    send_json(res, e.status, e.to_json());
}

std::string media_type(const request& req) {
    std::string ct = req.get_header_value("Content-Type");
    const auto semi = ct.find(';');
    if (semi != std::string::npos) ct = ct.substr(0, semi);
    while (!ct.empty() && ct.back() == ' ') ct.pop_back();
    for (char& ch : ct) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    return ct;
}

/// Nesting deeper than this is refused before parsing (a deeply nested body would otherwise cost
/// the parser's and the destructor's stack).
constexpr int max_json_depth = 64;

json parse_json(const std::string& body, const std::string& what) {
    int depth = 0;
    bool in_string = false, escaped = false;
    for (char ch : body) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (ch == '\\') escaped = true;
            else if (ch == '"') in_string = false;
        } else if (ch == '"') in_string = true;
        else if (ch == '[' || ch == '{') {
            if (++depth > max_json_depth)
                throw api_error::invalid_json(what, "nested deeper than " + std::to_string(max_json_depth) + " levels");
        } else if (ch == ']' || ch == '}') --depth;
    }
    try {
        return json::parse(body);
    } catch (const json::exception& e) {
        throw api_error::invalid_json(what, std::string("not valid JSON: ") + e.what());
    }
}

json json_body(const request& req) {
    const std::string ct = media_type(req);
    if (ct != "application/json") throw api_error::unsupported_media_type(ct, "application/json");
    return parse_json(req.body, "body");
}

int base64_value(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

std::string base64_decode(const std::string& in, const std::string& parameter) {
    std::string out;
    out.reserve(in.size() / 4 * 3);
    unsigned int acc = 0;
    int bits = 0;
    std::size_t i = 0;
    for (; i < in.size() && in[i] != '='; ++i) {
        const unsigned char c = static_cast<unsigned char>(in[i]);
        if (c == '\n' || c == '\r') continue;
        const int v = base64_value(c);
        if (v < 0) throw api_error::bad_request(parameter, in.substr(i, 16), "base64 (A-Z a-z 0-9 + /, = padding)");
        acc = (acc << 6) | unsigned(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(char((acc >> bits) & 0xff));
        }
    }
    for (; i < in.size(); ++i)
        if (in[i] != '=') throw api_error::bad_request(parameter, in.substr(i, 16), "base64 with padding only at the end");
    return out;
}

std::string sniff_type(const std::string& b) {
    const auto starts = [&](const char* m, std::size_t n) { return b.size() >= n && std::memcmp(b.data(), m, n) == 0; };
    if (starts("\x89PNG", 4)) return "image/png";
    if (starts("\xff\xd8", 2)) return "image/jpeg";
    if (starts("BM", 2)) return "image/bmp";
    if (starts("GIF8", 4)) return "image/gif";
    if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '7') return "image/x-portable-anymap";
    return "application/octet-stream";
}

const std::set<std::string> image_types = {"image/png", "image/jpeg", "image/jpg", "image/bmp", "image/x-ms-bmp", "image/gif",
                                           "image/x-portable-anymap", "image/x-portable-pixmap", "image/x-portable-graymap",
                                           "application/octet-stream"};

std::int64_t parse_time(const std::string& parameter, const std::string& text) {
    std::string v = text;
    if (v.size() > 6 && v.compare(v.size() - 6, 6, "+00:00") == 0) v = v.substr(0, v.size() - 6) + "Z";  // UTC either way
    if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) && v.size() < 16)
        return std::stoll(v);
    std::tm tm{};
    int ms = 0;
    char z = 0;
    // Fractions of a second beyond milliseconds are dropped.
    if (const auto dot = v.find('.'); dot != std::string::npos && v.size() > dot + 5 && v.back() == 'Z') v = v.substr(0, dot + 4) + "Z";
    const int n = std::sscanf(v.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
                              &tm.tm_sec, &ms, &z);
    const int m = n >= 7 ? n : std::sscanf(v.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                                             &tm.tm_min, &tm.tm_sec, &z);
    if (!((n == 8 && z == 'Z') || (n < 7 && m == 7 && z == 'Z')))
        throw api_error::bad_request(parameter, text, "unix milliseconds or an ISO 8601 UTC time such as 2026-12-07T10:00:00Z");
    if (n < 7) ms = 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return std::int64_t(timegm(&tm)) * 1000 + ms;
}

int parse_limit(const request& req, int fallback, int max) {
    if (!req.has_param("limit")) return fallback;
    const std::string v = req.get_param_value("limit");
    int n = 0;
    try {
        std::size_t used = 0;
        n = std::stoi(v, &used);
        if (used != v.size()) throw std::invalid_argument("");
    } catch (const std::exception&) {
        n = 0;
    }
    if (n < 1 || n > max) throw api_error::bad_request("limit", v, "an integer in 1.." + std::to_string(max));
    return n;
}

std::optional<std::int64_t> parse_cursor(const request& req) {
    if (!req.has_param("cursor") || req.get_param_value("cursor").empty()) return std::nullopt;
    const std::string v = req.get_param_value("cursor");
    if (v.size() < 2 || v.size() > 20 || v[0] != 'c' ||
        !std::all_of(v.begin() + 1, v.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        throw api_error::bad_request("cursor", v, "a next_cursor value from an earlier page");
    return std::stoll(v.substr(1));
}

/// An image to score: its bytes and content type.
struct image_in {
    std::string bytes, content_type;
    json metadata;   ///< the instance's own (KServe JSON), else the request's
    std::string id;  ///< the instance's own transaction id (KServe JSON), else none
};

/// The images of a :predict or :explain body: an image, or KServe v1 JSON {"instances": [{"b64"}]}.
std::vector<image_in> images_of(const request& req, json& metadata) {
    const std::string ct = media_type(req);
    std::vector<image_in> images;
    if (ct == "application/json") {
        const json body = parse_json(req.body, "body");
        if (!body.is_object() || !body.contains("instances") || !body["instances"].is_array())
            throw api_error::bad_request("instances", body.is_object() ? "missing" : body.dump(), "KServe v1 JSON: {\"instances\": [{\"b64\": \"...\"}]}");
        if (body["instances"].empty()) throw api_error::bad_request("instances", "[]", "one or more images");
        std::size_t k = 0;
        for (const json& inst : body["instances"]) {
            const std::string p = "instances[" + std::to_string(k++) + "]";
            const json* b64 = inst.is_object() && inst.contains("b64") ? &inst["b64"] : (inst.is_string() ? &inst : nullptr);
            if (!b64 || !b64->is_string()) throw api_error::bad_request(p, inst.dump(), "{\"b64\": \"<base64 image>\"}");
            std::string bytes = base64_decode(b64->get<std::string>(), p + ".b64");
            image_in in{bytes, sniff_type(bytes), json(), ""};
            if (inst.is_object() && inst.contains("metadata")) {
                in.metadata = inst["metadata"];
                if (!in.metadata.is_object()) throw api_error::bad_request(p + ".metadata", in.metadata.dump(), "a JSON object");
            }
            if (inst.is_object() && inst.contains("transaction_id")) {
                if (!inst["transaction_id"].is_string()) throw api_error::bad_request(p + ".transaction_id", inst["transaction_id"].dump(), "a string id");
                in.id = inst["transaction_id"].get<std::string>();
                check_id(p + ".transaction_id", in.id);
            }
            images.push_back(std::move(in));
        }
        if (body.contains("metadata")) metadata = body["metadata"];
    } else if (image_types.count(ct)) {
        images.push_back({req.body, ct == "application/octet-stream" ? sniff_type(req.body) : ct, json(), ""});
    } else {
        throw api_error::unsupported_media_type(ct.empty() ? "(none)" : ct,
                                                "an image (image/png, image/jpeg, image/bmp, image/gif, image/x-portable-anymap, "
                                                "application/octet-stream) or application/json (KServe v1 instances)");
    }
    if (req.has_header("X-Metadata")) metadata = parse_json(req.get_header_value("X-Metadata"), "X-Metadata");
    if (!metadata.is_null() && !metadata.is_object()) throw api_error::bad_request("metadata", metadata.dump(), "a JSON object");
    return images;
}

class api {
public:
    explicit api(service& s) : s_(s) {}

    void routes(httplib::Server& svr) {
        const std::string name = "([A-Za-z0-9._:-]+)";
        on(svr, "GET", "/healthz", "healthz", [](const request&, response& res) { send_json(res, 200, {{"status", "ok"}}); });
        on(svr, "GET", "/readyz", "readyz", [this](const request& q, response& r) { readyz(q, r); });
        on(svr, "GET", "/metrics", "metrics", [this](const request& q, response& r) { metrics_text(q, r); });
        on(svr, "GET", "/v1/models", "models", [this](const request& q, response& r) { list_models(q, r); });
        on(svr, "GET", "/v1/models/" + name, "model", [this](const request& q, response& r) { get_model(q, r); });
        on(svr, "POST", "/v1/models/" + name + ":predict", "predict", [this](const request& q, response& r) { predict(q, r); });
        on(svr, "POST", "/v1/models/" + name + ":explain", "explain", [this](const request& q, response& r) { explain_now(q, r); });
        on(svr, "POST", "/v1/models/" + name + "/payloads", "payloads", [this](const request& q, response& r) { payloads(q, r); });
        on(svr, "GET", "/v1/models/" + name + "/explainability", "explainability",
           [this](const request& q, response& r) { get_explainability(q, r); });
        on(svr, "PUT", "/v1/models/" + name + "/explainability", "explainability",
           [this](const request& q, response& r) { put_explainability(q, r); });
        on(svr, "GET", "/v1/transactions", "transactions", [this](const request& q, response& r) { list_transactions(q, r); });
        on(svr, "GET", "/v1/transactions/([^/]+)", "transaction", [this](const request& q, response& r) { get_transaction(q, r); });
        on(svr, "GET", "/v1/transactions/([^/]+)/image", "transaction_image",
           [this](const request& q, response& r) { get_image(q, r); });
        on(svr, "POST", "/v1/explanations", "explanations", [this](const request& q, response& r) { post_explanations(q, r); });
        on(svr, "GET", "/v1/explanations", "explanations", [this](const request& q, response& r) { list_explanations(q, r); });
        on(svr, "GET", "/v1/explanations/([^/]+)", "explanation", [this](const request& q, response& r) { get_task(q, r); });
        on(svr, "DELETE", "/v1/explanations/([^/]+)", "explanation", [this](const request& q, response& r) { delete_task(q, r); });
        on(svr, "GET", "/v1/explanations/([^/]+)/panes/([0-9]+)/(positive|negative|heatmap|input)\\.png", "pane",
           [this](const request& q, response& r) { get_pane(q, r); });
        for (std::size_t i = 0; i < web_asset_count; ++i) {
            const web_asset& a = web_assets[i];
            on(svr, "GET", a.path, "dashboard", [&a](const request&, response& res) {
                res.set_content(reinterpret_cast<const char*>(a.data), a.size, std::string(a.type) + "; charset=utf-8");
                res.set_header("Cache-Control", "no-cache");
            });
        }
        // What httplib answers itself (no route, a body over --max-body, a malformed request) as JSON too.
        svr.set_error_handler([this](const request& req, response& res) {
            if (!res.body.empty()) return;
            if (res.status == 404)
                send_error(res, api_error::not_found("path", req.method + " " + req.path, "a route of the API (docs/serve.md)"));
            else if (res.status == 413 && media_type(req) == "application/x-www-form-urlencoded")
                // (httplib refuses such a body over 8 KiB itself; no route takes forms)
                send_error(res, api_error::unsupported_media_type(media_type(req), "an image or application/json"));
            else if (res.status == 413)
                send_error(res, api_error::too_large("body", req.get_header_value("Content-Length") + " bytes",
                                                     "at most " + std::to_string(s_.config.max_body) + " bytes (--max-body)"));
            else
                send_json(res, res.status, api_error(res.status, "bad_request", "", "", "", "the request was refused").to_json());
            s_.stats.request("unmatched", res.status, 0);
        });
    }

private:
    service& s_;

    using fn = std::function<void(const request&, response&)>;

    void on(httplib::Server& svr, const std::string& method, const std::string& pattern, const std::string& route, fn f) {
        httplib::Server::Handler h = [this, route, f](const request& req, response& res) {
            const auto t0 = clock_type::now();
            try {
                if (s_.stopping) throw api_error::unavailable("the server is shutting down");
                f(req, res);
            } catch (const api_error& e) {
                send_error(res, e);
            } catch (const db_error& e) {
                send_error(res, e.busy ? api_error::unavailable(std::string("the database is busy: ") + e.what())
                                       : api_error(500, "internal", "", "", "", std::string("database: ") + e.what()));
            } catch (const std::exception& e) {
                send_error(res, api_error(500, "internal", "", "", "", pixlime::app::describe(e)));
            }
            s_.stats.request(route, res.status, std::chrono::duration<double>(clock_type::now() - t0).count());
        };
        if (method == "GET") svr.Get(pattern, h);
        else if (method == "POST") svr.Post(pattern, h);
        else if (method == "PUT") svr.Put(pattern, h);
        else if (method == "DELETE") svr.Delete(pattern, h);
    }

    void auth(const request& req, const std::string& scope) { authorize(s_.db(), req.get_header_value("Authorization"), scope); }

    void readyz(const request&, response& res) {
        database& db = s_.db();
        statement q = db.prepare("SELECT count(*) FROM models");
        q.step();
        json models = json::array();
        for (const auto& m : s_.models) models.push_back(m.first);
        send_json(res, 200, {{"status", "ready"}, {"models", models}, {"workers", s_.config.workers}});
    }

    void metrics_text(const request& req, response& res) {
        auth(req, "read");
        database& db = s_.db();
        std::string out;
        out += "# HELP pixlime_http_requests_total HTTP requests by route and status.\n# TYPE pixlime_http_requests_total counter\n";
        std::string seconds =
            "# HELP pixlime_http_request_seconds HTTP request latency by route.\n# TYPE pixlime_http_request_seconds summary\n";
        {
            std::lock_guard<std::mutex> lock(s_.stats.mu);
            for (const auto& [route, r] : s_.stats.routes) {
                for (const auto& [status, n] : r.by_status)
                    out += "pixlime_http_requests_total{route=\"" + route + "\",status=\"" + std::to_string(status) + "\"} " +
                           std::to_string(n) + "\n";
                seconds += "pixlime_http_request_seconds_sum{route=\"" + route + "\"} " + std::to_string(r.seconds) + "\n";
                seconds += "pixlime_http_request_seconds_count{route=\"" + route + "\"} " + std::to_string(r.count) + "\n";
            }
        }
        out += seconds;
        out += "# HELP pixlime_queue_depth Queued explanation tasks.\n# TYPE pixlime_queue_depth gauge\npixlime_queue_depth " +
               std::to_string(queue_depth(db)) + "\n";
        out += "# HELP pixlime_tasks Explanation tasks by status.\n# TYPE pixlime_tasks gauge\n";
        std::map<std::string, std::int64_t> by_status = {{"queued", 0}, {"running", 0}, {"finished", 0}, {"failed", 0}, {"cancelled", 0}};
        statement q = db.prepare("SELECT status, count(*) FROM tasks GROUP BY status");
        while (q.step()) by_status[q.text(0)] = q.integer(1);
        for (const auto& [st, n] : by_status) out += "pixlime_tasks{status=\"" + st + "\"} " + std::to_string(n) + "\n";
        out += "# HELP pixlime_model_calls_total Images scored by the models (predictions and explanations) in this process.\n"
               "# TYPE pixlime_model_calls_total counter\npixlime_model_calls_total " +
               std::to_string(s_.stats.model_calls.load()) + "\n";
        out += "# HELP pixlime_explanation_seconds_total Seconds the workers of this process spent explaining.\n"
               "# TYPE pixlime_explanation_seconds_total counter\npixlime_explanation_seconds_total " +
               std::to_string(double(s_.stats.explanation_ms.load()) / 1000) + "\n";
        out += "# HELP pixlime_transactions_total Transactions logged by this process.\n# TYPE pixlime_transactions_total counter\n"
               "pixlime_transactions_total " +
               std::to_string(s_.stats.transactions.load()) + "\n";
        res.status = 200;
        res.set_content(out, "text/plain; version=0.0.4");
    }

    json model_json(const served_model& m) {
        const model_config& c = m.config();
        return {{"name", c.name},
                {"backend", c.backend},
                {"file", c.file},
                {"digest", c.digest},
                {"input", {{"width", c.shape.width}, {"height", c.shape.height}, {"channels", c.shape.channels}}},
                {"classes", c.classes},
                {"outputs", c.outputs}};
    }

    void list_models(const request& req, response& res) {
        auth(req, "read");
        json a = json::array();
        for (const auto& m : s_.models) a.push_back(model_json(*m.second));
        send_json(res, 200, {{"models", a}});
    }

    void get_model(const request& req, response& res) {
        auth(req, "read");
        send_json(res, 200, model_json(s_.model(req.matches[1])));
    }

    /// Scores and logs the images; returns the predictions.
    json score_and_log(const request& req, served_model& model, int max_images) {
        json metadata;
        std::vector<image_in> images = images_of(req, metadata);
        if (int(images.size()) > max_images)
            throw api_error::bad_request("instances", std::to_string(images.size()) + " images", "at most " + std::to_string(max_images));
        std::string given;
        if (req.has_header("X-Transaction-Id")) {
            given = req.get_header_value("X-Transaction-Id");
            check_id("X-Transaction-Id", given);
        }
        // Every image decoded (and its size checked) before anything is scored or logged.
        std::vector<pixlime::image<std::uint8_t>> decoded;
        std::vector<double> decode_ms;  // part of each transaction's latency
        for (std::size_t i = 0; i < images.size(); ++i) {
            const auto t0 = clock_type::now();
            decoded.push_back(decode_body(images[i].bytes, images.size() == 1 ? "body" : "instances[" + std::to_string(i) + "]"));
            decode_ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
        }
        const model_config& cfg = model.config();
        std::vector<new_transaction> logged;
        for (std::size_t i = 0; i < images.size(); ++i) {
            const auto t0 = clock_type::now();
            const auto& raw = decoded[i];
            if (cfg.resize == "none" && (raw.width() != cfg.shape.width || raw.height() != cfg.shape.height))
                throw api_error::invalid_image("body", "the image is " + std::to_string(raw.width()) + "x" + std::to_string(raw.height()) +
                                                           ", the model takes " + std::to_string(cfg.shape.width) + "x" +
                                                           std::to_string(cfg.shape.height) + " (--resize none)");
            const Eigen::RowVectorXf y = model.score(pixlime::app::standardize(raw, cfg.shape));
            ++s_.stats.model_calls;
            new_transaction t;
            t.id = !images[i].id.empty() ? images[i].id
                   : given.empty()       ? new_transaction_id()
                   : images.size() == 1  ? given
                                         : given + "." + std::to_string(i);
            t.model = cfg.name;
            t.outputs.assign(y.data(), y.data() + y.size());
            label_outputs(cfg, t);
            t.latency_ms = decode_ms[i] + std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
            t.metadata = images[i].metadata.is_null() ? metadata : images[i].metadata;
            if (!images[i].id.empty()) t.id_parameter = "instances[" + std::to_string(i) + "].transaction_id";
            logged.push_back(std::move(t));
        }
        // The request's transactions in one commit, before the answer.
        database& db = s_.db();
        {
            write_transaction w(db);
            for (std::size_t i = 0; i < logged.size(); ++i) {
                logged[i].image = put_image(db, images[i].bytes, images[i].content_type, decoded[i]);
                if (insert_transaction(db, logged[i])) ++s_.stats.transactions;
            }
            w.commit();
        }
        json predictions = json::array();
        for (const new_transaction& t : logged) {
            const json row = transaction_json(db, t.id);  // a retry answers what was logged the first time
            predictions.push_back({{"transaction_id", t.id},
                                   {"label", row["label"]},
                                   {"label_index", row["label_index"]},
                                   {"probability", row["probability"]},
                                   {"outputs", row["outputs"]}});
        }
        return predictions;
    }

    void predict(const request& req, response& res) {
        auth(req, "score");
        served_model& m = s_.model(req.matches[1]);
        send_json(res, 200, {{"model", m.config().name}, {"predictions", score_and_log(req, m, 1000)}});
    }

    void payloads(const request& req, response& res) {
        auth(req, "score");
        served_model& m = s_.model(req.matches[1]);
        const json body = json_body(req);
        if (!body.is_object() || !body.contains("payloads") || !body["payloads"].is_array() || body["payloads"].empty())
            throw api_error::bad_request("payloads", body.is_object() && body.contains("payloads") ? body["payloads"].dump() : "missing",
                                         "{\"payloads\": [{\"b64\": \"<image>\", \"outputs\": [numbers]}, ...]}");
        struct item {
            std::string bytes, type;
            pixlime::image<std::uint8_t> img;
            new_transaction t;
        };
        std::vector<item> items;
        std::size_t k = 0;
        for (const json& p : body["payloads"]) {
            const std::string at = "payloads[" + std::to_string(k++) + "]";
            if (!p.is_object()) throw api_error::bad_request(at, p.dump(), "an object with b64 and outputs");
            if (!p.contains("b64") || !p["b64"].is_string()) throw api_error::bad_request(at + ".b64", "missing", "a base64 image");
            item it;
            it.bytes = base64_decode(p["b64"].get<std::string>(), at + ".b64");
            it.type = sniff_type(it.bytes);
            it.img = decode_body(it.bytes, at + ".b64");
            if (!p.contains("outputs") || !p["outputs"].is_array() || p["outputs"].empty() || p["outputs"].size() > 65536)
                throw api_error::bad_request(at + ".outputs", p.value("outputs", json()).dump(), "an array of 1 to 65536 numbers");
            for (const json& v : p["outputs"]) {
                if (!v.is_number() || !std::isfinite(v.get<double>()))
                    throw api_error::bad_request(at + ".outputs", v.dump(), "finite numbers");
                it.t.outputs.push_back(v.get<float>());
            }
            if (m.config().outputs > 0 && int(it.t.outputs.size()) != m.config().outputs)
                throw api_error::bad_request(at + ".outputs", std::to_string(it.t.outputs.size()) + " values",
                                             std::to_string(m.config().outputs) + " values, one per output of the model " + m.config().name);
            if (p.contains("transaction_id")) {
                if (!p["transaction_id"].is_string()) throw api_error::bad_request(at + ".transaction_id", p["transaction_id"].dump(), "a string id");
                it.t.id = p["transaction_id"].get<std::string>();
                check_id(at + ".transaction_id", it.t.id);
                it.t.id_parameter = at + ".transaction_id";
            } else {
                it.t.id = new_transaction_id();
            }
            if (p.contains("metadata")) {
                if (!p["metadata"].is_object()) throw api_error::bad_request(at + ".metadata", p["metadata"].dump(), "a JSON object");
                it.t.metadata = p["metadata"];
            }
            if (p.contains("latency_ms")) {
                if (!p["latency_ms"].is_number()) throw api_error::bad_request(at + ".latency_ms", p["latency_ms"].dump(), "a number");
                it.t.latency_ms = p["latency_ms"].get<double>();
            }
            it.t.model = m.config().name;
            it.t.source = "payload";
            label_outputs(m.config(), it.t);
            items.push_back(std::move(it));
        }
        database& db = s_.db();
        json ids = json::array();
        write_transaction w(db);
        for (item& it : items) {
            it.t.image = put_image(db, it.bytes, it.type, it.img);
            if (insert_transaction(db, it.t)) ++s_.stats.transactions;
            ids.push_back(it.t.id);
        }
        w.commit();
        send_json(res, 201, {{"transactions", ids}});
    }

    void list_transactions(const request& req, response& res) {
        auth(req, "read");
        const int limit = parse_limit(req, 50, 1000);
        const auto cursor = parse_cursor(req);
        std::optional<std::string> model, label;
        std::optional<std::int64_t> since, until;
        if (req.has_param("model") && !req.get_param_value("model").empty()) model = req.get_param_value("model");
        if (req.has_param("label") && !req.get_param_value("label").empty()) label = req.get_param_value("label");
        if (req.has_param("since") && !req.get_param_value("since").empty()) since = parse_time("since", req.get_param_value("since"));
        if (req.has_param("until") && !req.get_param_value("until").empty()) until = parse_time("until", req.get_param_value("until"));
        database& db = s_.db();
        statement q = db.prepare(
            "SELECT id, seq FROM transactions WHERE (?1 IS NULL OR model = ?1) AND (?2 IS NULL OR label = ?2) AND "
            "(?3 IS NULL OR created >= ?3) AND (?4 IS NULL OR created < ?4) AND (?5 IS NULL OR seq < ?5) ORDER BY seq DESC LIMIT ?6");
        q.bind(1, model).bind(2, label).bind(3, since).bind(4, until).bind(5, cursor).bind(6, limit + 1);
        std::vector<std::pair<std::string, std::int64_t>> rows;
        while (q.step()) rows.emplace_back(q.text(0), q.integer(1));
        json next = nullptr;
        if (int(rows.size()) > limit) {
            rows.pop_back();
            next = "c" + std::to_string(rows.back().second);
        }
        json a = json::array();
        for (const auto& r : rows) a.push_back(transaction_json(db, r.first));
        send_json(res, 200, {{"transactions", a}, {"next_cursor", next}});
    }

    void get_transaction(const request& req, response& res) {
        auth(req, "read");
        const std::string id = req.matches[1];
        check_id("transaction", id);
        send_json(res, 200, transaction_json(s_.db(), id));
    }

    void get_image(const request& req, response& res) {
        auth(req, "read");
        const std::string id = req.matches[1];
        check_id("transaction", id);
        statement q = s_.db().prepare("SELECT i.bytes, i.content_type FROM transactions t JOIN images i ON i.sha256 = t.image WHERE t.id = ?");
        q.bind(1, id);
        if (!q.step()) throw api_error::not_found("transaction", id, "the id of a logged transaction");
        const std::vector<std::uint8_t> b = q.blob(0);
        res.status = 200;
        res.set_content(std::string(b.begin(), b.end()), q.text(1));
    }

    void get_explainability(const request& req, response& res) {
        auth(req, "read");
        const std::string name = req.matches[1];
        s_.model(name);
        send_json(res, 200, model_explainability(s_.db(), name).to_json());
    }

    void put_explainability(const request& req, response& res) {
        auth(req, "admin");
        const std::string name = req.matches[1];
        s_.model(name);
        const json body = json_body(req);
        database& db = s_.db();
        write_transaction w(db);
        const explainability e = model_explainability(db, name).merged(body);
        db.prepare("UPDATE models SET explainability = ? WHERE name = ?").bind(1, e.to_json().dump()).bind(2, name).run();
        w.commit();
        send_json(res, 200, e.to_json());
    }

    std::vector<std::string> string_list(const json& body, const std::string& key) {
        if (!body.is_object() || !body.contains(key) || !body[key].is_array())
            throw api_error::bad_request(key, body.is_object() && body.contains(key) ? body[key].dump() : "missing", "an array of ids");
        std::vector<std::string> v;
        for (const json& x : body[key]) {
            if (!x.is_string()) throw api_error::bad_request(key + "[]", x.dump(), "a string id");
            v.push_back(x.get<std::string>());
        }
        if (v.size() > 10000) throw api_error::bad_request(key, std::to_string(v.size()) + " ids", "at most 10000 per request");
        return v;
    }

    json tasks_json(const std::vector<std::string>& ids) {
        json a = json::array();
        for (const std::string& id : ids) a.push_back(task_json(s_.db(), id));
        return a;
    }

    void post_explanations(const request& req, response& res) {
        auth(req, "explain");
        database& db = s_.db();
        std::string key, fingerprint;
        if (req.has_header("Idempotency-Key")) {
            key = req.get_header_value("Idempotency-Key");
            check_id("Idempotency-Key", key);
            fingerprint = sha256_hex(req.path + "\n" + req.body);
            statement q = db.prepare("SELECT fingerprint, status, body FROM idempotency WHERE key = ?");
            q.bind(1, key);
            if (q.step()) {
                if (q.text(0) != fingerprint)
                    throw api_error::conflict("Idempotency-Key", key, "a new key for a different request (this one was used for another body)");
                res.status = int(q.integer(1));
                res.set_content(q.text(2), "application/json");
                return;
            }
        }
        const json body = json_body(req);
        const std::vector<std::string> txs = string_list(body, "transactions");
        const json overrides = body.contains("overrides") ? body["overrides"] : json();
        const std::vector<std::string> ids = queue_explanations(db, txs, overrides, s_.config.max_queue);
        if (s_.workers) s_.workers->notify();
        const json out = {{"tasks", tasks_json(ids)}};
        if (!key.empty())
            db.prepare("INSERT OR IGNORE INTO idempotency(key, fingerprint, status, body, created) VALUES(?,?,?,?,?)")
                .bind(1, key)
                .bind(2, fingerprint)
                .bind(3, 202)
                .bind(4, out.dump())
                .bind(5, now_ms())
                .run();
        send_json(res, 202, out);
    }

    void list_explanations(const request& req, response& res) {
        auth(req, "read");
        const int limit = parse_limit(req, 50, 1000);
        const auto cursor = parse_cursor(req);
        std::optional<std::string> tx, status;
        if (req.has_param("transaction") && !req.get_param_value("transaction").empty()) {
            tx = req.get_param_value("transaction");
            check_id("transaction", *tx);
        }
        if (req.has_param("status") && !req.get_param_value("status").empty()) {
            status = req.get_param_value("status");
            static const std::set<std::string> known = {"queued", "running", "finished", "failed", "cancelled"};
            if (!known.count(*status)) throw api_error::bad_request("status", *status, "queued, running, finished, failed or cancelled");
        }
        statement q = s_.db().prepare("SELECT id, seq FROM tasks WHERE (?1 IS NULL OR transaction_id = ?1) AND (?2 IS NULL OR status = ?2) "
                                      "AND (?3 IS NULL OR seq < ?3) ORDER BY seq DESC LIMIT ?4");
        q.bind(1, tx).bind(2, status).bind(3, cursor).bind(4, limit + 1);
        std::vector<std::pair<std::string, std::int64_t>> rows;
        while (q.step()) rows.emplace_back(q.text(0), q.integer(1));
        json next = nullptr;
        if (int(rows.size()) > limit) {
            rows.pop_back();
            next = "c" + std::to_string(rows.back().second);
        }
        std::vector<std::string> ids;
        for (const auto& r : rows) ids.push_back(r.first);
        send_json(res, 200, {{"explanations", tasks_json(ids)}, {"next_cursor", next}});
    }

    void get_task(const request& req, response& res) {
        auth(req, "read");
        const std::string id = req.matches[1];
        check_id("explanation", id);
        send_json(res, 200, task_json(s_.db(), id));
    }

    void delete_task(const request& req, response& res) {
        auth(req, "explain");
        const std::string id = req.matches[1];
        check_id("explanation", id);
        cancel_task(s_.db(), id);
        send_json(res, 200, task_json(s_.db(), id));
    }

    void get_pane(const request& req, response& res) {
        auth(req, "read");
        const std::string id = req.matches[1], label = req.matches[2], kind = req.matches[3];
        check_id("explanation", id);
        if (label.size() > 9) throw api_error::not_found("label", label, "an explained label of the task");
        statement q = s_.db().prepare("SELECT png FROM panes WHERE task = ? AND label = ? AND kind = ?");
        q.bind(1, id).bind(2, std::int64_t(std::stoll(label))).bind(3, kind);
        if (!q.step()) {
            task_json(s_.db(), id);  // 404 for an unknown task first
            throw api_error::not_found("label", label, "an explained label of a finished task (see its panes)");
        }
        const std::vector<std::uint8_t> b = q.blob(0);
        res.status = 200;
        res.set_content(std::string(b.begin(), b.end()), "image/png");
        res.set_header("Cache-Control", "max-age=86400");  // a finished task's panes never change
    }

    void explain_now(const request& req, response& res) {
        auth(req, "score");
        auth(req, "explain");
        served_model& m = s_.model(req.matches[1]);
        double wait = 0;
        if (req.has_param("wait")) {
            const std::string v = req.get_param_value("wait");
            try {
                std::size_t used = 0;
                wait = std::stod(v, &used);
                if (used != v.size()) wait = -1;
            } catch (const std::exception&) {
                wait = -1;
            }
            if (!(wait >= 0 && wait <= 60)) throw api_error::bad_request("wait", v, "seconds from 0 to 60");
        }
        const json predictions = score_and_log(req, m, 1);
        const std::string tx = predictions[0]["transaction_id"];
        const std::vector<std::string> ids = queue_explanations(s_.db(), {tx}, json(), s_.config.max_queue);
        if (s_.workers) s_.workers->notify();
        const auto until = clock_type::now() + std::chrono::milliseconds(std::int64_t(wait * 1000));
        json task = task_json(s_.db(), ids[0]);
        while (clock_type::now() < until && !s_.stopping) {
            const std::string st = task["status"];
            if (st == "finished" || st == "failed" || st == "cancelled") break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            task = task_json(s_.db(), ids[0]);
        }
        const std::string st = task["status"];
        const bool ended = st == "finished" || st == "failed" || st == "cancelled";
        send_json(res, ended ? 200 : 202, {{"prediction", predictions[0]}, {"task", task}});
    }
};

bool is_loopback(const std::string& host) {
    return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

}  // namespace

int run_server(service& s) {
    std::atomic<bool> stop{false};
    stop_flag = &stop;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGPIPE, SIG_IGN);

    if (s.config.http && !is_loopback(s.config.host) && !has_tokens(s.db())) {
        std::cerr << "pixlime serve: --host " << s.config.host
                  << ": listening beyond this machine needs a token first (pixlime serve token add --db " << s.config.db_path
                  << " --scope admin)\n";
        return 2;
    }
    worker_pool workers(s, s.config.workers);
    s.workers = &workers;

    std::unique_ptr<httplib::Server> svr;
    std::unique_ptr<api> routes;  // the handlers point into it: it lives as long as the server
    std::thread http;
    if (s.config.http) {
        svr = std::make_unique<httplib::Server>();
        const int threads = s.config.http_threads;
        svr->new_task_queue = [threads] { return new httplib::ThreadPool(std::size_t(threads)); };
        svr->set_payload_max_length(s.config.max_body);
        svr->set_read_timeout(30, 0);
        svr->set_write_timeout(30, 0);
        svr->set_keep_alive_max_count(1000);
        // An answer is written in pieces (headers, body): without TCP_NODELAY the client's delayed
        // ACK holds each one back about 40 ms (measured: p50 56 ms with one client).
        svr->set_tcp_nodelay(true);
        routes = std::make_unique<api>(s);
        routes->routes(*svr);
        int port = s.config.port;
        if (port == 0) {
            port = svr->bind_to_any_port(s.config.host);
            if (port < 0) port = 0;
        } else if (!svr->bind_to_port(s.config.host, port)) {
            port = 0;
        }
        if (port == 0) {
            std::cerr << "pixlime serve: cannot listen on " << s.config.host << ":" << s.config.port << " (in use, or not an address here)\n";
            workers.stop();
            return 1;
        }
        // One write: std::cerr is unbuffered, and scripts wait for this whole line.
        std::ostringstream line;
        line << "pixlime serve: listening on http://" << (s.config.host.find(':') != std::string::npos ? "[" + s.config.host + "]" : s.config.host)
             << ":" << port << " (database " << s.config.db_path << ", " << s.models.size() << " model"
             << (s.models.size() == 1 ? "" : "s") << ", " << s.config.workers << " worker" << (s.config.workers == 1 ? "" : "s")
             << ")\n";
        std::cerr << line.str() << std::flush;
        http = std::thread([&] { svr->listen_after_bind(); });
    } else {
        std::cerr << "pixlime serve: " << s.config.workers << " worker" << (s.config.workers == 1 ? "" : "s") << " on " << s.config.db_path
                  << " (no HTTP)" << std::endl;
    }
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::cerr << "pixlime serve: stopping (running explanations go back to the queue)" << std::endl;
    s.stopping = true;
    workers.stop();
    if (svr) {
        svr->stop();
        http.join();
    }
    s.workers = nullptr;
    std::cerr << "pixlime serve: stopped" << std::endl;
    return 0;
}

}  // namespace pixlime::serve
