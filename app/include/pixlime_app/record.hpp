#pragma once
/// \file record.hpp
/// The one record schema of every app (the workflow demo, the `pixlime` command, pixlime.dask,
/// the service): an explanation record (`explanation.json`, beside its panes) or an error
/// record (`error.json`), version `record_schema_version`, specified by
/// app/schema/record.schema.json and docs/records.md. Written here, once; read back and
/// validated here, so that a report renders records from any writer.

#include <pixlime/detection.hpp>
#include <pixlime/explanation.hpp>
#include <pixlime/render.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pixlime::app {

/// The records' `schema_version` (app/schema/record.schema.json's).
constexpr int record_schema_version = 1;

/// The folder name of a record for the id `id` (a path, a transaction id, ...): the id's last 48
/// characters, anything but letters, digits, '.', '_' and '-' as '_' (no leading '.'), then '-'
/// and 16 hex digits of the id's FNV-1a hash, so that two ids never share a folder and none
/// reaches outside the results folder ("a/b.png" -> "b.png-<hash>"). The one record-name
/// function of every writer (pixlime.dask binds it).
std::string record_name(const std::string& id);

/// The target a record explains when the model's outputs are targets (pixlime::detection_target's
/// detections, pixlime::segmentation_target's regions): one record per target, its weights those
/// of the target's output, its panes showing the target's box or outlining its region.
struct record_target {
    std::string task;                      ///< "detection" or "segmentation": recorded as the record's `task`
    int label = 0;                         ///< the target's output in the explanation (its label)
    std::string class_name;                ///< the target's class: recorded as `predicted` and target.class
    int class_index = 0;                   ///< its index in the model's classes: target.class_index
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();  ///< also recorded in `target`: box and score, or region, mask and pixels
    std::optional<pixlime::box> box;       ///< drawn on every pane: in the explained image's pixels
    pixlime::image<std::uint8_t> region;   ///< outlined on every pane: the explained image's size, 1 channel, nonzero = in (empty: none)
};

/// What an explanation record holds besides the explanation.
struct record_head {
    /// The record's identity: `id` (a string or an integer), `input` (a path or null) and any
    /// other fields that come first (the workflow's `true_label`, pixlime.dask's `seed`).
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    std::string model;                ///< the model's id or digest
    nlohmann::ordered_json settings;  ///< what the explanation was made with (compared by reruns)
    std::string segmenter;            ///< recorded as segments.method
    std::vector<std::string> classes; ///< label names; a label past the end is named by its number
    int num_features = 5;             ///< segments shown on a pane
    bool overlay = false;             ///< also render overlay.png (lime's look)
    double load_ms = 0;               ///< recorded as timings_ms.load
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();  ///< timings_ms.total runs from here
    std::optional<record_target> target;  ///< set: a target's record (its task, class, value and `target`; panes of its label)
};

/// The images of a record's folder, for the top label: input.png, positive.png, negative.png,
/// heatmap.png and, when asked, overlay.png (empty otherwise).
struct record_panes {
    pixlime::image<std::uint8_t> input, positive, negative, heatmap, overlay;
    int scale = 1;                ///< nearest-neighbour factor of the panes (display size >= 224 px)
    double min_relative_weight = 0.05;
    bool hatched = false;         ///< segments whose 95% interval contains 0 are hatched
    double render_ms = 0;
};

/// Renders the panes of `ex` for `label` (-1: head.target's label, or else its top label; else one of ex.labels(), or
/// pixlime::invalid_argument) on `img` (the explained image: 8-bit, or floats
/// in [0, 1]): up to head.num_features segments, those under 5% of the strongest left out, at
/// display size, the segments within noise of 0 hatched (none with a custom surrogate), and
/// head.target's box or region drawn on each (cyan).
record_panes render_record_panes(pixlime::image_view<const float> img, const pixlime::explanation& ex, const record_head& head,
                                 int label = -1);
record_panes render_record_panes(pixlime::image_view<const std::uint8_t> img, const pixlime::explanation& ex, const record_head& head,
                                 int label = -1);

/// The explanation record of `ex` (schema_version, kind "explanation", head.fields, task,
/// predicted, predicted_index, value (a regression's predicted value), model, settings,
/// segments, panes_label, panes, model_calls, target_reached, labels with names, weights,
/// standard errors, 95% intervals and top-5 stability, timings_ms, time). With
/// pixlime::task::regression (ex.task()) the one label is named "value" (head.classes is not
/// used): predicted "value", predicted_index 0. With head.target, a target's record: task
/// "detection" or "segmentation", predicted the target's class, predicted_index its output (label),
/// value its score on the image, one label (the target's), and `target` (index, class,
/// class_index and the target's fields).
/// `panes`: what render_record_panes made
/// (nullptr: a record without panes).
nlohmann::ordered_json explanation_record(const pixlime::explanation& ex, const record_head& head, const record_panes* panes);

/// An error record: schema_version, kind "error", `fields` (id, input, ...), model, error (the
/// reason), error_type when given, time.
nlohmann::ordered_json error_record(const nlohmann::ordered_json& fields, const std::string& model, const std::string& error,
                                    const std::string& error_type = "");

/// Writes a record's folder `dir` (made when missing): an explanation record's panes, then the
/// record as explanation.json, last and atomically, removing an earlier error.json; or an error
/// record as error.json, removing an earlier explanation.json and panes (they belong to
/// another run). explanation.json is removed first, so that a half-written folder is never
/// taken as done.
void write_record(const std::filesystem::path& dir, const nlohmann::ordered_json& record, const record_panes* panes = nullptr);

/// Removes the record of folder `dir`: the files write_record writes there (explanation.json,
/// error.json, the panes), then `dir` itself only when nothing else is left in it. A record of
/// work no longer done (a detection a rerun no longer finds); no other file is touched.
void remove_record(const std::filesystem::path& dir);

/// render_record_panes, explanation_record and write_record in one: the folder of one explanation.
void write_explanation(const std::filesystem::path& dir, const pixlime::image<float>& img, const pixlime::explanation& ex,
                       const record_head& head);

/// A record that does not follow the schema: the file, the field (a JSON pointer such as
/// "/labels/0/weights") and what is wrong.
struct record_error : std::runtime_error {
    record_error(std::string file, std::string field, const std::string& problem);
    std::string file, field;
};

/// Checks a parsed record against the schema (the same rules as app/schema/record.schema.json);
/// throws record_error naming `file` and the first field that is wrong.
void validate_record(const nlohmann::json& record, const std::string& file);
/// Reads and validates a record file. Throws record_error (unreadable, truncated or invalid JSON,
/// wrong version, missing or mistyped field).
nlohmann::json read_record(const std::filesystem::path& file);

/// Whether `dir` holds a complete, valid explanation record of this very work: its panes and an
/// explanation.json whose id, input, model and settings are these (a rerun skips it).
bool record_done(const std::filesystem::path& dir, const nlohmann::json& id, const nlohmann::json& input, const std::string& model,
                 const nlohmann::json& settings);

}  // namespace pixlime::app
