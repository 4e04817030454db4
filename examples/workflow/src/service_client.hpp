#pragma once
/// \file service_client.hpp
/// The workflow as a client of `pixlime serve` (docs/serve.md), over HTTP only: steps 5 and 6
/// through the service. Scoring posts the validation images (KServe v1 JSON, 100 per request,
/// each with its own transaction id and metadata {input, true_label}) and the service's database
/// is the transaction log; explanations are requested through the API and each finished one is
/// written as a record folder, as the local explain step writes them, for the report.

#include "transactions.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace httplib {
class Client;
}

namespace wf {

/// No answer from the service, or an error answer (its status and message).
struct service_error : std::runtime_error {
    service_error(int status, const std::string& what) : std::runtime_error(what), status(status) {}
    int status;  ///< the HTTP status; 0: no answer
};

/// A connection to `pixlime serve` at `url` ("http://127.0.0.1:8080").
class service_client {
public:
    explicit service_client(const std::string& url);
    ~service_client();
    service_client(const service_client&) = delete;
    service_client& operator=(const service_client&) = delete;

    const std::string& url() const { return url_; }
    /// The JSON answer of a GET; throws service_error for an error answer or none.
    nlohmann::json get(const std::string& path);
    /// The JSON answer of a POST or PUT of `body`; throws service_error.
    nlohmann::json send(const std::string& method, const std::string& path, const nlohmann::json& body);
    /// The bytes of a GET (an image); throws service_error.
    std::string get_bytes(const std::string& path);

private:
    std::string url_;
    std::unique_ptr<httplib::Client> http_;
};

/// A model the service serves.
struct served_model {
    std::string name;
    std::vector<std::string> classes;
};
/// The model the service serves from `model_file` (the same file, by its canonical path), or
/// std::runtime_error naming the models it serves.
served_model find_served_model(service_client& s, const std::string& model_file);

/// The transaction ids of a model file's transactions: "tx-<the model id's first 8 hex digits>-"
/// then the input's number (tx-2e2902cf-000001, ...). Chosen by the workflow, so that a rerun, or
/// a run cut short, continues (a retried id answers from the log) and a retrained model gets its own.
std::string transaction_prefix(const std::string& model_id);

/// The service's transactions of model `m` whose id starts with `prefix`, in id order.
std::vector<transaction> service_log(service_client& s, const served_model& m, const std::string& prefix);

/// Step 5 through the service: scores the inputs not yet logged (input i is transaction
/// prefix + i, numbered from 1), 100 per request; a request the service refuses for an image
/// is sent again image by image, and an image it refuses (or a file that cannot be read) is
/// counted as failed, with its reason in `failures`, and not logged. Refuses (std::runtime_error)
/// a log whose transaction of an id names another input. options.stop is asked before each
/// request; options.new_log is not used (a retrained model has ids of its own). The counts
/// are over the service's log of these ids, plus the failures of this call.
struct service_score_summary : score_summary {
    std::vector<std::string> failures;  ///< "<file>: <reason>"
};
service_score_summary score_via_service(const std::vector<score_input>& inputs, service_client& s, const served_model& m,
                                        const std::string& prefix, const std::function<void(int done, int total)>& progress = {},
                                        const score_options& options = {});

/// Step 6 through the service: sets the model's explainability settings to `settings` (PUT),
/// requests the explanation of every selected transaction (POST /v1/explanations), waits for
/// each task and writes `<out_dir>/<id>/` from its record and panes (pixlime::app::write_record:
/// the same files as explain_transactions writes), or error.json with the task's error. A folder
/// already holding this task's record is skipped (the service itself answers a repeated request
/// with the finished task).
std::vector<explain_outcome> explain_via_service(const std::vector<transaction>& selected, service_client& s, const served_model& m,
                                                 const std::string& out_dir, const explain_settings& settings,
                                                 const std::function<void(const explain_outcome&, int, int)>& progress = {});

}  // namespace wf
