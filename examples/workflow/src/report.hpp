#pragma once
/// \file report.hpp
/// Step 8 of the workflow: a static HTML report (no network needed) of the explained
/// transactions of one or more tasks, with every image copied next to it, scaled up with
/// nearest neighbour so that 28 x 28 inputs are seen at >= 224 px.

#include "transactions.hpp"

#include <optional>
#include <string>
#include <vector>

namespace wf {

struct report_task {
    std::string key;          ///< short name, used for image folders ("multiclass", "binary")
    std::string title;        ///< section heading
    std::string description;  ///< one paragraph under the heading (plain text)
    std::string task_dir;     ///< holds model/model.pxm, transactions.jsonl (unless `log`), explanations/
    /// The transactions (the service's log); unset: read from task_dir/transactions.jsonl.
    std::optional<std::vector<transaction>> log;
    std::string log_name;     ///< where the log is, shown when set (plain text)
};

struct report_result {
    std::string path;  ///< the index.html written
    int cards = 0;     ///< transactions shown
    int failed = 0;    ///< of which failed
    int images = 0;    ///< <img> elements
};

/// Writes `<report_dir>/index.html` and `<report_dir>/img/...`, replacing the images of an
/// earlier report. Throws std::runtime_error when a task has no model or transaction log, or
/// when `<report_dir>/img` holds anything the report did not write (it is left as it is).
report_result write_report(const std::string& report_dir, const std::vector<report_task>& tasks);

}  // namespace wf
