// pixlime_workflow: the image-model workflow on Fashion-MNIST (or any folder of
// <split>/<class>/*.png), end to end or step by step:
//
//   pixlime_workflow prepare     Fashion-MNIST IDX files -> data/{train,validation}/<class>/*.png
//   pixlime_workflow train       standardize, train an Eigen MLP, store model/model.pxm
//   pixlime_workflow score       deploy the stored model, score validation images -> transactions.jsonl
//   pixlime_workflow explain     pixlime explanations of transactions (--id, --first N, --all, --mixed N)
//   pixlime_workflow report      report/index.html
//   pixlime_workflow all         every step, for the 10-class model and the binary one
//
// With --server URL (a `pixlime serve` serving the trained model files), score, explain and
// report go through the service: its database is the transaction log (scripts/main.sh).
// Add --binary to train/score/explain for the two-class task (footwear vs the rest by default).

#include "steps.hpp"

#include <pixlime_app/settings.hpp>

#include <CLI/CLI.hpp>

#include <exception>
#include <cstdint>
#include <iostream>

int main(int argc, char** argv) {
    wf::workflow_config c;
    CLI::App app{"pixlime_workflow: the image-model workflow on Fashion-MNIST, explained with pixlime"};
    app.require_subcommand(1);
    app.add_option("--work", c.work, "work folder for every output")->capture_default_str();
    app.add_option("--data", c.data,
                   "your own data folder with train/<class>/ and validation/<class>/, used as it is: no step writes "
                   "into it (default <work>/data, laid out by prepare)");
    app.add_option("--server", c.server,
                   "pixlime serve's URL (http://127.0.0.1:PORT) serving the trained model files: score, explain and report go "
                   "through the service, whose database is the transaction log (as scripts/main.sh runs it)");
    app.fallthrough();  // the options above may also follow the subcommand
    app.add_option("--positive", c.positive, "classes that form the binary task's positive class")
        ->delimiter(',')
        ->capture_default_str();
    app.add_option("--binary-name", c.binary_name, "name of the binary task's positive class")->capture_default_str();

    auto add_prepare = [&](CLI::App* s) {
        s->add_option("--idx-dir", c.prepare.idx_dir, "folder with the Fashion-MNIST IDX files (.gz or plain)")->capture_default_str();
        s->add_option("--train-images", c.prepare.train_limit, "lay out only the first N training images (0 = all)");
        s->add_option("--validation-images", c.prepare.validation_limit, "lay out only the first N validation images (0 = all)");
    };
    auto add_train = [&](CLI::App* s) {
        s->add_option("--epochs", c.train.epochs, "training epochs (multi-class)")->capture_default_str();
        s->add_option("--hidden", c.train.hidden, "hidden layer sizes (multi-class)")->delimiter(',')->capture_default_str();
        s->add_option("--binary-epochs", c.binary_epochs, "training epochs (binary)")->capture_default_str();
        s->add_option("--binary-hidden", c.binary_hidden, "hidden layer sizes (binary)")->delimiter(',')->capture_default_str();
        s->add_option("--batch-size", c.train.batch_size, "minibatch size")->capture_default_str();
        s->add_option("--learning-rate", c.train.learning_rate, "Adam learning rate")->capture_default_str();
        s->add_option("--train-seed", c.train.seed, "initialization and shuffling seed")->capture_default_str();
        s->add_option("--width", c.width, "model input width")->capture_default_str();
        s->add_option("--height", c.height, "model input height")->capture_default_str();
        s->add_option("--channels", c.channels, "model input channels (1 gray, 3 RGB)")->capture_default_str();
        s->add_option("--train-limit", c.train_limit, "train on N images spread over the classes (0 = all)");
    };
    auto add_score = [&](CLI::App* s) {
        s->add_option("--score-limit", c.score_limit, "score N validation images spread over the classes (0 = all)");
        s->add_flag("--new-log", c.new_log,
                    "start a new transaction log, keeping the existing one as <stem>.<UTC time>.jsonl (needed to score "
                    "another model or other inputs; without it an interrupted log is continued)");
    };
    auto add_explain = [&](CLI::App* s) {
        // The same explanation flags as the pixlime command's (names, validation, help).
        pixlime::app::add_explain_flags(*s, c.explain);
        // Deprecated for one release (CHANGELOG): the explanation seed's old name.
        s->add_option_function<std::uint64_t>(
             "--explain-seed",
             [&c](std::uint64_t v) {
                 std::cerr << "pixlime_workflow: --explain-seed is deprecated, use --seed\n";
                 c.explain.seed = v;
             },
             "deprecated: --seed")
            ->group("");
    };
    CLI::App* prepare = app.add_subcommand("prepare", "lay Fashion-MNIST out as data/{train,validation}/<class>/*.png");
    add_prepare(prepare);
    CLI::App* train = app.add_subcommand("train", "standardize the images, train the model, store it");
    add_train(train);
    // Deprecated for one release (CHANGELOG): train's seed is --train-seed (--seed is the
    // explanation's, as in the pixlime command).
    train->add_option_function<std::uint64_t>(
             "--seed",
             [&c](std::uint64_t v) {
                 std::cerr << "pixlime_workflow: train --seed is deprecated, use --train-seed\n";
                 c.train.seed = v;
             },
             "deprecated: --train-seed")
        ->group("");
    train->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    CLI::App* score = app.add_subcommand("score", "deploy the stored model and score validation images into the transaction log");
    add_score(score);
    score->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    CLI::App* explain = app.add_subcommand("explain", "explain transactions of the log");
    explain->add_option("--id", c.ids, "transaction ids (tx-000042 ...)")->delimiter(',');
    explain->add_option("--first", c.first, "the first N transactions");
    explain->add_flag("--all", c.all_tx, "every transaction");
    explain->add_option("--mixed", c.mixed, "N transactions mixing correct and wrong predictions over the classes (default 24)");
    explain->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    add_explain(explain);
    CLI::App* faith = app.add_subcommand("faithfulness", "deletion and insertion curves (RISE) of the explanations on validation images");
    faith->add_option("--images", c.faithfulness_images, "validation images (spread over the classes)")->capture_default_str();
    faith->add_flag("--binary", c.binary, "the two-class task (outputs in <work>/binary)");
    add_explain(faith);
    CLI::App* report = app.add_subcommand("report", "write <work>/report/index.html");
    CLI::App* all = app.add_subcommand("all", "every step, for the multi-class and the binary model, then the report");
    add_prepare(all);
    add_train(all);
    add_score(all);
    add_explain(all);
    all->add_option("--explain", c.explain_count, "transactions explained (multi-class)")->capture_default_str();
    all->add_option("--binary-explain", c.binary_explain_count, "transactions explained (binary)")->capture_default_str();
    all->add_option("--faithfulness-images", c.faithfulness_images, "images of the faithfulness check (0 = skip it)")
        ->capture_default_str();
    all->add_flag("--retrain", c.retrain, "train even when a model file exists");
    all->add_flag("--no-binary", c.skip_binary, "skip the binary task");
    all->add_flag("--train-only", c.train_only, "prepare and train (the models to deploy on pixlime serve), then stop");

    CLI11_PARSE(app, argc, argv);
    try {
        if (*prepare) return wf::run_prepare(c);
        if (*train) return wf::run_train(c, c.binary);
        if (*score) return wf::run_score(c, c.binary);
        if (*explain) return wf::run_explain(c, c.binary, 24);
        if (*faith) return wf::run_faithfulness(c, c.binary);
        if (*report) return wf::run_report(c);
        if (*all) return wf::run_all(c);
    } catch (const std::exception& e) {
        std::cerr << "pixlime_workflow: error: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
