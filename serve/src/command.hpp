#pragma once
/// \file command.hpp
/// `pixlime serve` and its subcommands (token add | list | revoke, export) on the pixlime
/// command line (docs/serve.md).

#include "../../cli/src/model_flags.hpp"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace pixlime::serve {

struct serve_command {
    pixlime::cli::model_flags m;
    std::vector<std::string> models;  ///< FILE or NAME=FILE
    std::string name, db;
    std::string host = "127.0.0.1";
    int port = 8080, workers = 1, max_queue = 1000, lease = 30, max_attempts = 3;
    std::size_t max_body = 16u << 20;
    bool no_http = false;
    std::vector<std::string> scopes;
    std::string note, token_id, out, only_model, title = "pixlime serve: explanations";
    CLI::App *serve = nullptr, *token_add = nullptr, *token_list = nullptr, *token_revoke = nullptr, *export_ = nullptr;
};

/// Adds `serve` (with `token add|list|revoke` and `export`) to the command line.
void add_serve_commands(CLI::App& cli, serve_command& c);
/// Runs the serve command that was parsed; -1 when none was. Throws cli::usage_error for a bad
/// argument.
int run_serve_commands(serve_command& c);

}  // namespace pixlime::serve
