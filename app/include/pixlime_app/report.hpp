#pragma once
/// \file report.hpp
/// The report: static HTML (no network needed) showing records as cards: the input, the
/// positive and negative panes, the heatmap, the explained labels and how sure the explanation
/// is. `pixlime report DIR` writes a folder's page; the workflow demo builds its page from the
/// same cards and page.

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace pixlime::app {

/// `s` with HTML's special characters escaped.
std::string esc(const std::string& s);
/// `v` with `digits` decimals.
std::string fmt(double v, int digits = 3);

/// An image as the page shows it.
struct img_ref {
    std::string src;  ///< relative to the page
    int w = 0, h = 0;
};

/// One explanation's card.
struct card {
    std::string anchor, title, badge, meta_html, file, true_label, extra_html;
    bool wrong = false;
    img_ref input, positive, negative, heatmap;
};
/// The card of a valid explanation record `record` (validate_record's rules), its images `c`.
std::string card_html(const nlohmann::json& record, const card& c);
/// The card of an image that failed, or of a record that cannot be read: `reason` says why.
std::string failed_card(const std::string& title, const std::string& meta_html, const std::string& reason);

/// Writes `<dir>/index.html` atomically: the page around `body` (cards), marked as the report's
/// so that a later report replaces only its own page. Returns its path.
std::string write_page(const std::filesystem::path& dir, const std::string& title, const std::string& lead_html, const std::string& body);
/// Whether `<dir>/index.html` may be (re)written: it does not exist or the report wrote it.
bool page_is_ours(const std::filesystem::path& dir);

struct folder_report_result {
    std::string path;  ///< the index.html written
    int cards = 0;     ///< results shown
    int failed = 0;    ///< of which failed (error records and records that cannot be read)
    int images = 0;    ///< <img> elements
};
/// Writes `<dir>/index.html` for a folder of record folders (any writer's: the command,
/// pixlime.dask, the workflow), one card per subfolder with explanation.json or error.json, the
/// images referenced where they are (nothing copied), failed ones last. A record that cannot be
/// read (truncated, wrong version, missing or mistyped field, a missing pane) becomes a failed
/// card naming the file and the field; the rest of the report is written. Throws
/// std::runtime_error when `dir` is not a folder, or its index.html is not the report's.
folder_report_result write_folder_report(const std::string& dir, const std::string& title);

}  // namespace pixlime::app
