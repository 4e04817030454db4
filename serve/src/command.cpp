// `pixlime serve` on the command line (command.hpp).
#include "command.hpp"

#include "service.hpp"
#include "sha256.hpp"
#include "store.hpp"

#include <pixlime_app/record.hpp>
#include <pixlime_app/report.hpp>

#include <pixlime/io.hpp>

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;

namespace pixlime::serve {

void add_serve_commands(CLI::App& cli, serve_command& c) {
    CLI::App* s = cli.add_subcommand("serve", "serve models over HTTP: score, log transactions, explain them in the background (docs/serve.md)");
    c.serve = s;
    s->add_option("--model", c.models, "a model file (TorchScript .pt, ONNX .onnx, the workflow's .pxm), or NAME=FILE; repeatable");
    s->add_option("--name", c.name, "the model's name in the API (one --model; default: the file's stem)");
    pixlime::cli::add_model_flags(*s, c.m);
    s->add_option("--db", c.db, "the SQLite database file (made when missing)");
    s->add_option("--host", c.host, "address to listen on (beyond loopback only once a token exists)")->capture_default_str();
    s->add_option("--port", c.port, "port (0: any free port, printed)")->check(CLI::Range(0, 65535))->capture_default_str();
    s->add_option("--workers", c.workers, "explanation threads of this process")->check(CLI::Range(0, 256))->capture_default_str();
    s->add_flag("--no-http", c.no_http, "run workers only (beside a server sharing --db)");
    s->add_option("--max-body", c.max_body, "largest request body in bytes (413 beyond)")->check(CLI::Range(1024.0, 4.0e9))->capture_default_str();
    s->add_option("--max-queue", c.max_queue, "queued explanations before 429")->check(CLI::Range(1, 10000000))->capture_default_str();
    s->add_option("--lease", c.lease, "seconds a worker holds a task between renewals")->check(CLI::Range(2, 3600))->capture_default_str();
    s->add_option("--max-attempts", c.max_attempts, "claims of a task before it fails (a task that keeps stopping its workers)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    s->footer("Example:\n  pixlime serve --model cnn.pt --input 224x224 --labels labels.txt --db pixlime.db\n"
              "  curl -s -H 'Content-Type: image/png' --data-binary @cat.png http://127.0.0.1:8080/v1/models/cnn:predict");

    CLI::App* token = s->add_subcommand("token", "API tokens (once one exists, every /v1 route needs one)");
    token->require_subcommand(1);
    c.token_add = token->add_subcommand("add", "make a token; it is printed once (the database keeps only its hash)");
    c.token_add->add_option("--db", c.db, "the database file")->required();
    c.token_add->add_option("--scope", c.scopes, "score, explain, read, admin (comma-separated)")->delimiter(',')->required();
    c.token_add->add_option("--note", c.note, "what the token is for");
    c.token_list = token->add_subcommand("list", "list tokens (ids, scopes, notes; never the secrets)");
    c.token_list->add_option("--db", c.db, "the database file")->required();
    c.token_revoke = token->add_subcommand("revoke", "revoke a token at once");
    c.token_revoke->add_option("--db", c.db, "the database file")->required();
    c.token_revoke->add_option("id", c.token_id, "the token's id (pixlime serve token list)")->required();

    c.export_ = s->add_subcommand("export", "write the finished explanations as record folders and index.html (pixlime report's)");
    c.export_->add_option("--db", c.db, "the database file")->required();
    c.export_->add_option("--out", c.out, "the folder to write (one subfolder per transaction)")->required();
    c.export_->add_option("--model", c.only_model, "only this model's explanations");
    c.export_->add_option("--title", c.title, "the page's heading")->capture_default_str();
}

namespace {

using pixlime::cli::usage_error;

std::string read_existing_db(const std::string& db) {
    if (db.empty()) throw usage_error("--db: expected the database file");
    if (!fs::exists(db)) throw usage_error("--db '" + db + "': no such file");
    return db;
}

int run_export(serve_command& c) {
    database db(read_existing_db(c.db));
    fs::create_directories(c.out);
    // The newest finished explanation of each transaction.
    statement q = db.prepare("SELECT t.id, t.transaction_id, t.record FROM tasks t WHERE t.status = 'finished' AND (?1 = '' OR t.model = ?1) "
                             "AND t.seq = (SELECT max(u.seq) FROM tasks u WHERE u.transaction_id = t.transaction_id AND u.status = 'finished') "
                             "ORDER BY t.seq");
    q.bind(1, c.only_model);
    int n = 0;
    while (q.step()) {
        const std::string task = q.text(0), tx = q.text(1);
        const json record = json::parse(q.text(2));
        const fs::path dir = fs::path(c.out) / pixlime::app::record_name(tx);
        fs::create_directories(dir);
        std::error_code ec;
        fs::remove(dir / "explanation.json", ec);  // a half-written folder is never taken as done
        fs::remove(dir / "error.json", ec);
        const int label = record.value("predicted_index", 0);
        for (const char* kind : {"input", "positive", "negative", "heatmap"}) {
            statement p = db.prepare("SELECT png FROM panes WHERE task = ? AND label = ? AND kind = ?");
            p.bind(1, task).bind(2, label).bind(3, std::string(kind));
            if (!p.step()) throw std::runtime_error("explanation " + task + " has no " + kind + " pane for label " + std::to_string(label));
            const std::vector<std::uint8_t> png = p.blob(0);
            pixlime::write_file((dir / (std::string(kind) + ".png")).string(), png.data(), png.size());
        }
        pixlime::write_file((dir / "explanation.json").string(), record.dump(2) + "\n");
        ++n;
    }
    const pixlime::app::folder_report_result r = pixlime::app::write_folder_report(c.out, c.title);
    std::cout << "exported " << n << " explanation" << (n == 1 ? "" : "s") << " to " << c.out << "; wrote " << r.path << "\n";
    return 0;
}

int run_tokens(serve_command& c) {
    database db(c.db);
    if (c.token_add->parsed()) {
        std::string token;
        try {
            token = add_token(db, c.scopes, c.note);
        } catch (const std::invalid_argument& e) {
            throw usage_error(e.what());
        }
        std::cerr << "pixlime serve: a token with the scopes";
        for (const auto& s : c.scopes) std::cerr << " " << s;
        std::cerr << " (shown once; the database keeps only its hash):\n";
        std::cout << token << "\n";
        return 0;
    }
    if (c.token_list->parsed()) {
        statement q = db.prepare("SELECT id, scopes, coalesce(note, ''), created, revoked FROM tokens ORDER BY created");
        std::cout << "id        scopes                      revoked  note\n";
        while (q.step()) {
            char line[512];
            std::snprintf(line, sizeof line, "%-9s %-27s %-8s %s\n", q.text(0).c_str(), q.text(1).c_str(), q.is_null(4) ? "no" : "yes",
                          q.text(2).c_str());
            std::cout << line;
        }
        return 0;
    }
    write_transaction w(db);
    db.prepare("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL").bind(1, now_ms()).bind(2, c.token_id).run();
    const int changed = db.changes();
    w.commit();
    if (!changed) throw usage_error("token '" + c.token_id + "': no such unrevoked token (pixlime serve token list)");
    std::cout << "revoked " << c.token_id << "\n";
    return 0;
}

int run_serve(serve_command& c) {
    if (c.db.empty()) throw usage_error("--db: expected the database file (made when missing)");
    if (!c.name.empty() && c.models.size() != 1) throw usage_error("--name: applies to exactly one --model (else use NAME=FILE)");
    service s;
    s.config.db_path = c.db;
    s.config.host = c.host;
    s.config.port = c.port;
    s.config.workers = c.workers;
    s.config.http = !c.no_http;
    s.config.max_body = c.max_body;
    s.config.max_queue = c.max_queue;
    s.config.lease_seconds = c.lease;
    s.config.max_attempts = c.max_attempts;
    database& db = s.db();
    for (const std::string& spec : c.models) {
        const auto eq = spec.find('=');
        const std::string file = eq == std::string::npos ? spec : spec.substr(eq + 1);
        std::string name = eq == std::string::npos ? (c.name.empty() ? fs::path(file).stem().string() : c.name) : spec.substr(0, eq);
        if (!valid_id(name)) throw usage_error("--model '" + spec + "': the name '" + name + "' should be 1 to 128 of A-Z a-z 0-9 . _ : -");
        if (s.models.count(name)) throw usage_error("--model '" + spec + "': a second model named '" + name + "'");
        if (!fs::is_regular_file(file)) throw usage_error("--model '" + file + "': no such file");
        const std::vector<std::string> classes = pixlime::cli::read_labels(c.m.labels_file);
        const std::string digest = pixlime::cli::file_digest(file);
        model_config cfg;
        try {
            cfg = configure_model(name, fs::absolute(file).string(), c.m.backend, pixlime::cli::parse_size(c.m.input), c.m.resize,
                                  pixlime::cli::model_input_for(c.m), c.m.softmax, classes,
                                  pixlime::cli::preprocessing_json(c.m, file, digest, classes));
        } catch (const usage_error&) {
            throw;
        } catch (const std::exception& e) {
            throw usage_error("--model '" + file + "': " + e.what());
        }
        cfg.digest = digest;
        if (cfg.backend == "pxm")  // the file carries its input and classes; the flags do not apply
            cfg.preprocessing = {{"model_file", file},
                                 {"model_digest", digest},
                                 {"input_size", std::to_string(cfg.shape.width) + "x" + std::to_string(cfg.shape.height)},
                                 {"labels", cfg.classes}};
        register_model(db, cfg);
        s.models[name] = std::make_shared<served_model>(cfg);
    }
    if (c.models.empty()) {  // the models registered in the database (a workers-only process, a restart)
        for (const model_config& cfg : registered_models(db)) {
            try {
                s.models[cfg.name] = std::make_shared<served_model>(cfg);
            } catch (const std::exception& e) {
                std::cerr << "pixlime serve: model '" << cfg.name << "' (" << cfg.file << ") not loaded: " << e.what() << "\n";
            }
        }
        if (s.models.empty()) throw usage_error("no model: give --model FILE (or --db of a server that has models)");
    }
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    s.process_id = std::string(host) + ":" + std::to_string(::getpid()) + ":" + random_hex(3);
    return run_server(s);
}

}  // namespace

int run_serve_commands(serve_command& c) {
    if (!c.serve || !c.serve->parsed()) return -1;
    if (c.export_->parsed()) return run_export(c);
    if (c.token_add->parsed() || c.token_list->parsed() || c.token_revoke->parsed()) return run_tokens(c);
    return run_serve(c);
}

}  // namespace pixlime::serve
