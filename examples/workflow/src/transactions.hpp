#pragma once
/// \file transactions.hpp
/// Steps 4 to 6 of the workflow: deploy a stored model behind the callable interface
/// pixlime's explainer uses, score files into a transaction log (JSON lines), and explain
/// transactions (panes, heatmap and a JSON record per transaction), isolating failures and
/// skipping work already done.

#include "dataset.hpp"
#include "model.hpp"

#include <pixlime/pixlime.hpp>
#include <pixlime_app/common.hpp>
#include <pixlime_app/record.hpp>
#include <pixlime_app/settings.hpp>

#include <Eigen/Core>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace wf {

// Settings, records and their files are the app layer's (app/include/pixlime_app).
using pixlime::app::describe;
using pixlime::app::explain_options_for;
using pixlime::app::explain_settings;
using pixlime::app::segmenter_for;
using pixlime::app::utc_now;
using pixlime::app::write_atomic;

/// The classifier interface: a batch of standardized images (NHWC floats in [0, 1]) to one
/// row of outputs per image. It is exactly what pixlime::explain calls.
using classifier_fn = std::function<Eigen::MatrixXf(pixlime::batch_view<const float>)>;

/// A model ready to serve: the classifier plus what is needed to read its outputs.
struct deployed_model {
    std::string id;                    ///< recorded in every transaction and explanation
    input_shape shape;                 ///< inputs are standardized to this
    std::vector<std::string> classes;  ///< output names (binary: {negative, positive})
    bool binary = false;               ///< the classifier returns one column, P(classes[1])
    classifier_fn classify;
};

/// Step 4, deploy: loads a model file written by `train` (a separate step) and serves it.
deployed_model deploy(const std::string& model_path);
/// Serves an in-memory model (same classifier as deploy gives for its file).
deployed_model deploy(mlp model);

/// One scored input: a line of the transaction log.
struct transaction {
    std::string id;          ///< "tx-000001", ...
    std::string input;       ///< the input file
    std::string true_label;  ///< from the file's class folder; empty when unknown
    std::vector<std::pair<std::string, double>> probabilities;  ///< per class, in the model's order
    std::string predicted;   ///< class name with the highest probability
    int predicted_index = -1;
    std::string model;       ///< deployed_model::id
    std::string time;        ///< UTC, ISO 8601 with milliseconds
    double latency_ms = 0;   ///< load + standardize + score
    std::string error;       ///< why the transaction failed; empty when it succeeded

    bool ok() const { return error.empty(); }
    bool correct() const { return ok() && !true_label.empty() && predicted == true_label; }
    double probability(const std::string& label) const;
};

nlohmann::ordered_json to_json(const transaction& t);
/// Parses one log line's JSON. Throws std::runtime_error on a missing or mistyped field.
transaction transaction_from_json(const nlohmann::json& j);

/// An input to score: a file and, when known, its true class.
struct score_input {
    std::string path;
    std::string true_label;
};
/// The labelled files of a folder dataset as score inputs (first `limit` of them spread over
/// the classes when `limit` > 0: every k-th file).
std::vector<score_input> score_inputs(const folder_dataset& data, int limit = 0);

struct score_summary {
    /// Over the whole log (the transactions already in it included).
    int total = 0, ok = 0, failed = 0, labelled = 0, correct = 0;
    int resumed = 0;       ///< transactions found in the log and kept (a rerun continues after them)
    int scored = 0;        ///< transactions scored and appended by this call
    bool stopped = false;  ///< score_options::stop ended the run before the last input
    int torn_bytes = 0;    ///< an interrupted write's incomplete last line, dropped (its size)
    bool repaired = false; ///< a complete last line without its newline, completed
    std::string rotated;   ///< score_options::new_log: where the previous log was moved
    double seconds = 0;    ///< this call
    double accuracy() const { return labelled ? double(correct) / labelled : 0.0; }
};
struct score_options {
    /// Called before each input with the number of transactions in the log so far; true
    /// stops there (everything scored stays in the log; a rerun continues).
    std::function<bool(int done)> stop;
    /// Called once the existing log is checked and continued (score_summary::resumed, torn_bytes,
    /// repaired, rotated and the counts so far are set), before the first input is scored.
    std::function<void(const score_summary&)> started;
    /// Start a new log: an existing one is first renamed `<stem>.<UTC time>.jsonl` (never deleted).
    bool new_log = false;
};
/// Step 5: scores the inputs one at a time through model.classify and appends one JSON line
/// per input to `log_path`, written and flushed to the file before the next input (one
/// write per line, the file open in append mode and locked against a second writer), so an
/// interrupted or killed run keeps every transaction it finished.
///
/// A log belongs to one model and one list of inputs, in order: an existing log whose
/// transactions are the first k of these inputs, scored by this model with ids tx-000001 ..
/// tx-k, is continued from input k+1 (k = all: nothing to do). An incomplete last line (a
/// write cut short) is dropped and its input scored again; a complete last line that only
/// lacks its newline is completed. A log of another model or of other inputs is refused
/// (std::runtime_error, the file untouched) unless options.new_log. A malformed line before
/// the last one is refused too. An unreadable or corrupt file, or a classifier that throws or
/// returns NaN / a wrong shape, makes that transaction fail with its reason; the others go on.
score_summary score(const std::vector<score_input>& inputs, const deployed_model& model, const std::string& log_path,
                    const std::function<void(int done, int total)>& progress = {}, const score_options& options = {});

/// Reads a transaction log back. Throws std::runtime_error naming the line of a malformed entry;
/// an incomplete last line (no newline, not parseable: a write cut short) is left out.
std::vector<transaction> read_log(const std::string& path);

/// Which transactions to explain.
std::vector<transaction> select_ids(const std::vector<transaction>& log, const std::vector<std::string>& ids);
std::vector<transaction> select_first(const std::vector<transaction>& log, int n);
/// n transactions mixing correct and wrong predictions (about one in three wrong, when the
/// log has that many) over as many true classes as possible, deterministically.
std::vector<transaction> select_mixed(const std::vector<transaction>& log, int n);

/// pixlime::explain of one standardized image with these settings through model.classify:
/// pixlime::explain(img, model.classify, explain_options_for(s)), the image segmented by
/// the options' segmenter (the explanation's segments() are those segments).
pixlime::explanation explain_image(const pixlime::image<float>& img, const deployed_model& model, const explain_settings& s);

struct explain_outcome {
    std::string id;
    std::string status;  ///< "done", "skipped" (already done), "failed"
    std::string reason;  ///< for "failed"
    double ms = 0;
};
/// Step 6: explains each transaction into `<out_dir>/<id>/` with the app layer's record writer
/// (pixlime::app::write_explanation: input.png, positive.png, negative.png, heatmap.png for the
/// predicted class, then explanation.json; docs/records.md). A failure (missing or corrupt file,
/// a classifier that throws, ...) writes `<id>/error.json` with the reason and the rest go on. A
/// transaction whose record was made from the same input, model and settings is skipped
/// (pixlime::app::record_done).
std::vector<explain_outcome> explain_transactions(const std::vector<transaction>& selected, const deployed_model& model,
                                                  const std::string& out_dir, const explain_settings& settings,
                                                  const std::function<void(const explain_outcome&, int, int)>& progress = {});

}  // namespace wf
