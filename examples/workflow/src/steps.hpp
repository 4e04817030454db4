#pragma once
/// \file steps.hpp
/// The workflow's steps as functions of one configuration (what `pixlime_workflow` parses
/// from its command line): prepare, train, score, explain, faithfulness, report, all. Each
/// prints its progress on standard output and returns the process exit status; errors throw.

#include "dataset.hpp"
#include "model.hpp"
#include "transactions.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace wf {

struct workflow_config {
    std::string work = "workflow-out";
    std::string data;  // the user's own data folder (input only); empty: <work>/data, laid out by prepare
    /// `pixlime serve`'s URL: score, explain and report go through the service (its database is the
    /// transaction log); empty: the local steps (transactions.jsonl, explanations made in process)
    std::string server;
    bool train_only = false;  // all: prepare and train, then stop (what scripts/main.sh deploys)
    bool binary = false;
    std::vector<std::string> positive = {"sandal", "sneaker", "ankle_boot"};
    std::string binary_name = "footwear";

    wf::prepare_options prepare;

    wf::train_options train;
    std::vector<int> binary_hidden = {128, 32};
    int binary_epochs = 3;
    int width = 28, height = 28, channels = 1;
    int train_limit = 0;
    bool retrain = false;

    int score_limit = 0;
    bool new_log = false;  // score: keep an existing log under a dated name and start a new one

    std::vector<std::string> ids;
    int first = 0;
    bool all_tx = false;
    int mixed = 0;
    wf::explain_settings explain;

    int explain_count = 24, binary_explain_count = 12;
    int faithfulness_images = 60;
    bool skip_binary = false;

    std::string data_dir() const { return data.empty() ? (std::filesystem::path(work) / "data").string() : data; }
    std::string task_dir(bool bin) const { return bin ? (std::filesystem::path(work) / "binary").string() : work; }
    std::string model_path(bool bin) const { return (std::filesystem::path(task_dir(bin)) / "model" / "model.pxm").string(); }
    std::string log_path(bool bin) const { return (std::filesystem::path(task_dir(bin)) / "transactions.jsonl").string(); }
    std::string explanations_dir(bool bin) const { return (std::filesystem::path(task_dir(bin)) / "explanations").string(); }
    std::string faithfulness_path(bool bin) const { return (std::filesystem::path(task_dir(bin)) / "faithfulness.json").string(); }
    std::string report_dir() const { return (std::filesystem::path(work) / "report").string(); }
};

/// Throws std::runtime_error when the outputs of the steps and the folder given with --data
/// overlap (the work folder inside the data folder, or the data folder inside an output
/// folder such as <work>/report): no step writes into a folder the user gave as input.
/// Every step below checks it first.
void check_data_folder(const workflow_config& c);

/// Lays Fashion-MNIST out under <work>/data (see prepare_fashion_mnist). Refused with --data:
/// that names the user's own input folder.
int run_prepare(const workflow_config& c);
int run_train(const workflow_config& c, bool bin);
/// Exit status of a step stopped by SIGINT or SIGTERM (128 + SIGINT, as a shell reports it).
constexpr int interrupted_status = 130;

/// Scores the validation images into the task's log, continuing a log of the same model and
/// inputs (see wf::score; with a server wf::score_via_service, the service's log). SIGINT /
/// SIGTERM stop it after the transaction (with a server: the request) in hand: returns
/// interrupted_status.
int run_score(const workflow_config& c, bool bin);
int run_explain(const workflow_config& c, bool bin, int default_mixed);
int run_faithfulness(const workflow_config& c, bool bin);
int run_report(const workflow_config& c);
/// Every step for the multi-class and the binary task, then the report. With --data the
/// user's folders are used as they are (prepare is not run). A model trained by this run
/// (none yet, or --retrain) is scored into a new log: an existing one is kept under a dated name.
/// With train_only: prepare and train, nothing else. With a server: the models must exist (they
/// are the files the service serves; nothing is trained) and the service scores and explains.
int run_all(const workflow_config& c);

}  // namespace wf
