// Tokens (service.hpp): `pxl_<id>_<secret>`; the database keeps the id and the SHA-256 of the
// secret, compared in constant time.
#include "service.hpp"
#include "sha256.hpp"

#include <set>
#include <sstream>

namespace pixlime::serve {

namespace {
const std::set<std::string> known_scopes = {"score", "explain", "read", "admin"};
}

bool has_tokens(database& db) {
    statement q = db.prepare("SELECT 1 FROM tokens WHERE revoked IS NULL LIMIT 1");
    return q.step();
}

std::string add_token(database& db, const std::vector<std::string>& scopes, const std::string& note) {
    if (scopes.empty()) throw std::invalid_argument("--scope: expected one or more of score, explain, read, admin");
    std::string joined;
    for (const std::string& s : scopes) {
        if (!known_scopes.count(s)) throw std::invalid_argument("--scope '" + s + "': expected score, explain, read or admin");
        joined += (joined.empty() ? "" : ",") + s;
    }
    const std::string id = random_hex(4), secret = random_hex(16);
    write_transaction w(db);
    db.prepare("INSERT INTO tokens(id, hash, scopes, note, created) VALUES(?,?,?,?,?)")
        .bind(1, id)
        .bind(2, sha256_hex(secret))
        .bind(3, joined)
        .bind(4, note)
        .bind(5, now_ms())
        .run();
    w.commit();
    return "pxl_" + id + "_" + secret;
}

void authorize(database& db, const std::string& header, const std::string& scope) {
    {
        // No token was ever made: the service is open (and bound to loopback, see run_server).
        statement any = db.prepare("SELECT 1 FROM tokens LIMIT 1");
        if (!any.step()) return;
    }
    const std::string bearer = "Bearer ";
    if (header.compare(0, bearer.size(), bearer) != 0)
        throw api_error::unauthorized("this server needs a token: send 'Authorization: Bearer <token>'");
    const std::string token = header.substr(bearer.size());
    // pxl_ + 8 hex id + _ + 32 hex secret
    if (token.size() != 4 + 8 + 1 + 32 || token.compare(0, 4, "pxl_") != 0 || token[12] != '_')
        throw api_error::unauthorized("the token is not a pixlime token (pxl_<id>_<secret>)");
    const std::string id = token.substr(4, 8), secret = token.substr(13);
    statement q = db.prepare("SELECT hash, scopes, revoked FROM tokens WHERE id = ?");
    q.bind(1, id);
    // An unknown id still costs a hash and a comparison, as a known one does.
    const std::string stored = q.step() ? q.text(0) : std::string(64, '0');
    const bool found = !stored.empty() && stored != std::string(64, '0');
    if (!equal_constant_time(sha256_hex(secret), stored) || !found) throw api_error::unauthorized("unknown token");
    if (!q.is_null(2)) throw api_error::forbidden(scope, "the token was revoked");
    std::stringstream ss(q.text(1));
    for (std::string s; std::getline(ss, s, ',');)
        if (s == scope || s == "admin") return;
    throw api_error::forbidden(scope, "the token's scopes (" + q.text(1) + ") do not include " + scope);
}

}  // namespace pixlime::serve
