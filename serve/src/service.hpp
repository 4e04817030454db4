#pragma once
/// \file service.hpp
/// `pixlime serve`: the pieces of the service (docs/serve.md).
///   - api_error: every error answer, made by named factories;
///   - served_model / model_set: the deployed models (a backend per thread that calls it);
///   - store: the database's rows (transactions, images, explainability, tasks, panes, tokens);
///   - worker_pool: the explanation workers (the database is the queue);
///   - metrics and run_server: the HTTP API and the dashboard.

#include "db.hpp"

#include <pixlime_app/backend.hpp>
#include <pixlime_app/preprocess.hpp>
#include <pixlime_app/settings.hpp>

#include <pixlime/model_input.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace pixlime::serve {

using json = nlohmann::ordered_json;

// ---------------------------------------------------------------------------------------------
// Errors

/// An error answer: `{"error": {"code", "parameter", "value", "expected", "message"}}` with `status`.
struct api_error : std::runtime_error {
    api_error(int status, std::string code, std::string parameter, std::string value, std::string expected, const std::string& message);
    int status;
    std::string code, parameter, value, expected;
    int retry_after = 0;  ///< seconds, for 429 / 503 (0: no Retry-After header)
    json to_json() const;

    static api_error bad_request(const std::string& parameter, const std::string& value, const std::string& expected);
    static api_error invalid_json(const std::string& parameter, const std::string& problem);
    static api_error unauthorized(const std::string& why);
    static api_error forbidden(const std::string& scope, const std::string& why);
    static api_error not_found(const std::string& parameter, const std::string& value, const std::string& expected);
    static api_error conflict(const std::string& parameter, const std::string& value, const std::string& expected);
    static api_error too_large(const std::string& parameter, const std::string& value, const std::string& expected);
    static api_error unsupported_media_type(const std::string& value, const std::string& expected);
    static api_error invalid_image(const std::string& parameter, const std::string& reason);
    static api_error invalid_setting(const std::string& parameter, const std::string& value, const std::string& expected,
                                     const std::string& message);
    static api_error queue_full(int depth, int cap);
    static api_error unavailable(const std::string& why, int retry_after = 1);
};

/// Whether `id` is a safe id: 1 to 128 of [A-Za-z0-9._:-] (no path separators, no SQL, no spaces).
bool valid_id(const std::string& id);
/// Throws api_error::bad_request naming `parameter` unless valid_id(id).
void check_id(const std::string& parameter, const std::string& id);

// ---------------------------------------------------------------------------------------------
// Models

/// How a deployed model takes images and what its outputs mean (kept in the database, so that
/// a workers-only process loads the same model the same way).
struct model_config {
    std::string name, file, backend, digest;
    pixlime::app::input_shape shape{224, 224, 3};
    std::string resize = "stretch";  ///< or "none"
    pixlime::model_input input;      ///< the tensor form the backend takes
    bool softmax = false;
    std::vector<std::string> classes;
    int outputs = 0;                 ///< output columns (found by scoring a blank image at deploy)
    json preprocessing;              ///< recorded in each explanation's settings

    json to_json() const;
    static model_config from_json(const json& j);
    /// The class name of output `index` (its number when unnamed).
    std::string class_name(int index) const;
};

/// A loaded model. classify is serialized per loaded instance (backends are not all
/// thread-safe); each worker thread loads its own instance, so explanations never wait for scoring.
class served_model {
public:
    /// Loads config.file (or takes `loaded`, the same file already open).
    explicit served_model(model_config config, std::unique_ptr<pixlime::app::model_backend> loaded = nullptr);
    const model_config& config() const { return config_; }
    /// One row of outputs per image of the batch (softmax applied when configured).
    Eigen::MatrixXf classify(pixlime::batch_view<const float> batch);
    /// The model's outputs for one standardized image.
    Eigen::RowVectorXf score(const pixlime::image<float>& img);

private:
    model_config config_;
    std::unique_ptr<pixlime::app::model_backend> backend_;
    std::mutex mu_;
};

/// Loads a model file as `pixlime serve --model` does: the backend by its extension (or `backend`),
/// the input shape and class names from the file when it carries them (.pxm), else from the flags.
model_config configure_model(const std::string& name, const std::string& file, const std::string& backend,
                             const pixlime::app::input_shape& shape, const std::string& resize, const pixlime::model_input& input,
                             bool softmax, std::vector<std::string> classes, const json& preprocessing);

// ---------------------------------------------------------------------------------------------
// Explainability

/// A model's explainability settings (GET|PUT /v1/models/{name}/explainability).
struct explainability {
    bool enabled = true;
    pixlime::app::explain_settings settings;
    double deadline_seconds = 300;

    json to_json() const;
    /// These settings with the fields of `j` set (others kept). Throws api_error (422
    /// invalid_setting) naming the field, for a wrong type, an unknown field or a value the
    /// library refuses.
    explainability merged(const json& j) const;
    /// The defaults of `pixlime serve` for a model of this input shape: the `pixlime explain`
    /// command's for photos, the workflow demo's for small gray images.
    static explainability defaults_for(const pixlime::app::input_shape& shape);
};

// ---------------------------------------------------------------------------------------------
// The service

struct serve_config {
    std::string db_path;
    std::string host = "127.0.0.1";
    int port = 8080;
    int workers = 1;
    bool http = true;
    std::size_t max_body = 16u << 20;
    int max_queue = 1000;
    int lease_seconds = 30;
    int max_attempts = 3;
    int http_threads = 48;
};

/// Counters for /metrics.
struct metrics {
    struct route_stats {
        std::map<int, std::int64_t> by_status;
        double seconds = 0;
        std::int64_t count = 0;
    };
    std::mutex mu;
    std::map<std::string, route_stats> routes;
    std::atomic<std::int64_t> model_calls{0};
    std::atomic<std::int64_t> explanation_ms{0};
    std::atomic<std::int64_t> transactions{0};
    void request(const std::string& route, int status, double seconds);
};

class service;

/// The explanation workers of one process.
class worker_pool {
public:
    worker_pool(service& s, int count);
    ~worker_pool();
    /// Wakes the workers (a task was queued by this process).
    void notify();
    /// Stops after the batch in hand: running tasks are put back in the queue (attempt not counted).
    void stop();
    int running() const { return running_.load(); }

private:
    void run(int index);
    service& s_;
    std::vector<std::thread> threads_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::atomic<bool> stop_{false};
    std::atomic<int> running_{0};
};

/// What every part of the service shares.
class service {
public:
    serve_config config;
    metrics stats;
    std::string process_id;  ///< lease owner prefix of this process's workers
    std::map<std::string, std::shared_ptr<served_model>> models;  ///< set at start, then read-only
    std::atomic<bool> stopping{false};
    worker_pool* workers = nullptr;

    /// This thread's connection to the database.
    database& db();
    /// The model `name` or api_error::not_found.
    served_model& model(const std::string& name);
};

/// Serves HTTP until SIGINT / SIGTERM (service::stopping). Returns the exit status.
int run_server(service& s);

/// A token's scopes check: throws api_error (401 / 403) unless the request's Authorization header
/// carries a valid, unrevoked token with `scope` (or admin). No token in the database: open.
void authorize(database& db, const std::string& authorization_header, const std::string& scope);
/// Adds a token; returns its text (shown once). Throws std::invalid_argument for an unknown scope.
std::string add_token(database& db, const std::vector<std::string>& scopes, const std::string& note);
/// Whether any unrevoked token exists.
bool has_tokens(database& db);

}  // namespace pixlime::serve
