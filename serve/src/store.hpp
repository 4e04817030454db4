#pragma once
/// \file store.hpp
/// The rows of the service's database, as the HTTP API and the workers read and write them.

#include "service.hpp"

#include <pixlime/image.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace pixlime::serve {

/// Decodes an image body, checking its header's dimensions against the library's limits before
/// decoding. Throws api_error: 413 too_large (dimensions or bytes over the limits), 422 invalid_image.
pixlime::image<std::uint8_t> decode_body(const std::string& bytes, const std::string& parameter);
/// Stores an image once by its SHA-256 (a second copy is not written); returns the SHA-256.
std::string put_image(database& db, const std::string& bytes, const std::string& content_type, const pixlime::image<std::uint8_t>& img);

/// A transaction to log.
struct new_transaction {
    std::string id, model, image;  ///< image: its SHA-256
    std::vector<float> outputs;
    std::string label;
    int label_index = -1;
    double probability = 0, latency_ms = 0;
    std::string source = "predict";  ///< or "payload"
    std::string id_parameter = "X-Transaction-Id";  ///< where the id came from (named by a 409)
    json metadata;                   ///< null or an object
};
/// The predicted class of a row of outputs (one column: P(class 1), the class at 0.5).
void label_outputs(const model_config& m, new_transaction& t);
/// Logs it, inside the caller's write_transaction (one commit for a request's images). The same id
/// again with the same model and image returns false (a retry: nothing written); with another model
/// or image it throws 409 conflict.
bool insert_transaction(database& db, const new_transaction& t);
/// A transaction's JSON (docs/serve.md) or api_error::not_found.
json transaction_json(database& db, const std::string& id);
/// A new transaction id: "tx_" and 20 random hex digits.
std::string new_transaction_id();

/// A task's JSON (docs/serve.md), with the record when finished and the panes' URLs.
json task_json(database& db, const std::string& id);
/// Queues (or finds) the explanation of each transaction with these settings; returns the task
/// ids. Throws 404 for an unknown transaction, 409 when its model's explainability is off, 422 for
/// a refused override, 429 when the queue would pass `max_queue`.
std::vector<std::string> queue_explanations(database& db, const std::vector<std::string>& transactions, const json& overrides, int max_queue);
/// Cancels a queued task at once; marks a running one for cancellation (its worker stops after the
/// batch in hand). Returns false when the task had already ended.
bool cancel_task(database& db, const std::string& id);

/// A model's explainability settings (defaults when never set).
explainability model_explainability(database& db, const std::string& model);
/// Registers a model (keeping its explainability when already registered).
void register_model(database& db, const model_config& m);
/// Every registered model's configuration.
std::vector<model_config> registered_models(database& db);

/// The number of queued tasks.
int queue_depth(database& db);

}  // namespace pixlime::serve
