#pragma once
/// \file transactions.hpp
/// Steps 4 to 6 of the workflow: deploy a stored model behind the callable interface
/// pixlime's explainer uses, score files into a transaction log (JSON lines), and explain
/// transactions (panes, heatmap and a JSON record per transaction), isolating failures and
/// skipping work already done.

#include "dataset.hpp"
#include "model.hpp"

#include <pixlime/pixlime.hpp>

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

struct explain_settings {
    /// "slic", "grid", or "quickshift" / "felzenszwalb" with pixlime's defaults (quickshift:
    /// lime_image's kernel_size 4, max_dist 200, ratio 0.2); segments and compactness do not
    /// apply to them
    std::string segmenter = "slic";
    int segments = 50;               ///< SLIC: target count; grid: cells per side = ceil(sqrt(segments))
    double compactness = 5;          ///< SLIC compactness (CIELAB scale)
    /// SLIC: segments whose mean (max over channels, [0, 1]) is at most this are merged into one
    /// background segment; < 0 keeps every segment.
    double merge_background = 0.05;
    std::string hide = "black";      ///< hidden segments become "black" (0: the background) or their "mean"
    int num_samples = 1000;
    int top_labels = 3;
    std::uint64_t seed = 7;
    int num_features = 5;  ///< segments shown on a pane

    nlohmann::ordered_json to_json() const;
};

/// Which segments of `img` are background: per segment 1 when the mean over its pixels of the
/// per-pixel maximum over channels is at most `threshold`, else 0. (The one definition of
/// "background" the workflow has: merged by segmenter_for.)
std::vector<char> background_segments(pixlime::image_view<const float> img, const pixlime::segmentation& seg,
                                      double threshold);

/// The segmenter these settings choose, for pixlime::explain_options::segmenter: "grid" is
/// pixlime::grid with ceil(sqrt(segments)) cells per side; "slic" is pixlime::slic (segments,
/// compactness) whose background segments (background_segments with merge_background, when
/// that is >= 0) become one segment; "quickshift" and "felzenszwalb" are those segmenters with
/// their defaults. Throws std::invalid_argument for another name or
/// segments < 1.
pixlime::segmenter segmenter_for(const explain_settings& s);
/// pixlime::explain_options for these settings (segmenter, hide mode, samples, top labels, seed).
pixlime::explain_options explain_options_for(const explain_settings& s);

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
/// Step 6: explains each transaction into `<out_dir>/<id>/`: input.png (the standardized
/// input), positive.png, negative.png, heatmap.png (for the predicted class) and
/// explanation.json (written last; per label its weights' standard errors, 95% intervals and
/// top-5 stability, and the model calls; segments whose interval contains 0 are hatched on the
/// panes, see docs/workflow.md). A failure (missing or corrupt file, a classifier that
/// throws, ...) writes `<id>/error.json` with the reason and the rest go on. A transaction
/// whose explanation.json was made from the same input, model and settings is skipped.
std::vector<explain_outcome> explain_transactions(const std::vector<transaction>& selected, const deployed_model& model,
                                                  const std::string& out_dir, const explain_settings& settings,
                                                  const std::function<void(const explain_outcome&, int, int)>& progress = {});

/// What an explanation record holds besides the explanation (write_explanation).
struct record_head {
    /// The record's first fields, as given (the workflow: id, input, true_label).
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    std::string model;                                 ///< the model's id
    nlohmann::ordered_json settings;                   ///< what the explanation was made with
    std::string segmenter;                             ///< recorded as segments.method
    int num_features = 5;                              ///< segments shown on a pane
    bool overlay = false;                              ///< also write overlay.png (lime's look)
    double load_ms = 0;                                ///< recorded as timings_ms.load
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();  ///< timings_ms.total runs from here
};
/// Writes the files of one explanation into `dir` (made when missing): input.png (`img`),
/// positive.png, negative.png, heatmap.png (and overlay.png when head.overlay) for the top
/// label, the segments whose 95% interval contains 0 hatched, then explanation.json, written
/// last and atomically: head.fields, predicted, model, settings, segments, panes_label, panes,
/// model_calls, target_reached, per label (`classes` names them; a label past its end is
/// named by its number) the prediction, local prediction, intercept, R², top segments,
/// weights, their standard errors, 95% intervals and top-5 stability, timings_ms and time.
/// The one record schema of the workflow and the `pixlime` command (docs/workflow.md).
void write_explanation(const std::filesystem::path& dir, const pixlime::image<float>& img, const pixlime::explanation& ex,
                       const std::vector<std::string>& classes, const record_head& head);

/// Writes text to `path` atomically (a temporary file beside it, then renamed over it).
void write_atomic(const std::filesystem::path& path, const std::string& text);
/// An exception's message followed by those of the exceptions nested in it, ": "-separated.
std::string describe(const std::exception& e);

/// UTC now as "2024-05-01T12:34:56.789Z".
std::string utc_now();

}  // namespace wf
