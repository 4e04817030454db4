#include "db.hpp"

#include <chrono>

namespace pixlime::serve {

namespace {

const char* const schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT OR IGNORE INTO meta(key, value) VALUES('schema_version', '1');
CREATE TABLE IF NOT EXISTS models(
  name TEXT PRIMARY KEY, file TEXT NOT NULL, backend TEXT NOT NULL, digest TEXT NOT NULL,
  config TEXT NOT NULL, explainability TEXT NOT NULL, updated INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS images(
  sha256 TEXT PRIMARY KEY, content_type TEXT NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
  channels INTEGER NOT NULL, bytes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS transactions(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, model TEXT NOT NULL,
  image TEXT NOT NULL REFERENCES images(sha256), outputs TEXT NOT NULL, label TEXT, label_index INTEGER,
  probability REAL, latency_ms REAL, created INTEGER NOT NULL, source TEXT NOT NULL, metadata TEXT);
CREATE INDEX IF NOT EXISTS transactions_model ON transactions(model, seq);
CREATE INDEX IF NOT EXISTS transactions_created ON transactions(created);
CREATE TABLE IF NOT EXISTS tasks(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
  transaction_id TEXT NOT NULL REFERENCES transactions(id), model TEXT NOT NULL,
  settings TEXT NOT NULL, settings_key TEXT NOT NULL, status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, lease_owner TEXT, lease_until INTEGER,
  samples INTEGER NOT NULL DEFAULT 0, samples_of INTEGER NOT NULL DEFAULT 0, cancel INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL, started INTEGER, finished INTEGER, error TEXT, last_error TEXT, record TEXT, worker TEXT,
  UNIQUE(transaction_id, settings_key));
CREATE INDEX IF NOT EXISTS tasks_status ON tasks(status, seq);
CREATE TABLE IF NOT EXISTS panes(
  task TEXT NOT NULL REFERENCES tasks(id), label INTEGER NOT NULL, kind TEXT NOT NULL, png BLOB NOT NULL,
  PRIMARY KEY(task, label, kind));
CREATE TABLE IF NOT EXISTS tokens(
  id TEXT PRIMARY KEY, hash TEXT NOT NULL, scopes TEXT NOT NULL, note TEXT, created INTEGER NOT NULL, revoked INTEGER);
CREATE TABLE IF NOT EXISTS idempotency(
  key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL, created INTEGER NOT NULL);
)sql";

[[noreturn]] void fail(sqlite3* db, int rc, const std::string& what) {
    const bool busy = rc == SQLITE_BUSY || rc == SQLITE_LOCKED || (rc & 0xff) == SQLITE_BUSY;
    throw db_error(what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)), busy);
}

}  // namespace

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

database::database(const std::string& path, int busy_timeout_ms) : path_(path) {
    const int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        db_ = nullptr;
        throw db_error("cannot open the database '" + path + "': " + msg, false);
    }
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    try {
        // WAL: readers never block the writer; FULL: a commit is on disk before it is acknowledged.
        exec("PRAGMA journal_mode=WAL");
        exec("PRAGMA synchronous=FULL");
        exec("PRAGMA foreign_keys=ON");
        exec(schema);
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
}

database::~database() { sqlite3_close(db_); }

statement database::prepare(const std::string& sql) { return statement(db_, sql); }

void database::exec(const std::string& sql) {
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        const std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw db_error("database '" + path_ + "': " + msg, rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    }
}

int database::changes() const { return sqlite3_changes(db_); }

statement::statement(sqlite3* db, const std::string& sql) : db_(db) {
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), int(sql.size()), &s_, nullptr);
    if (rc != SQLITE_OK) fail(db, rc, "prepare");
}

statement::~statement() { sqlite3_finalize(s_); }

statement& statement::bind(int i, const std::string& v) {
    if (const int rc = sqlite3_bind_text(s_, i, v.data(), int(v.size()), SQLITE_TRANSIENT); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind(int i, std::int64_t v) {
    if (const int rc = sqlite3_bind_int64(s_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind(int i, double v) {
    if (const int rc = sqlite3_bind_double(s_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind_blob(int i, const void* data, std::size_t size) {
    if (const int rc = sqlite3_bind_blob64(s_, i, data, sqlite3_uint64(size), SQLITE_TRANSIENT); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind_null(int i) {
    if (const int rc = sqlite3_bind_null(s_, i); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}

bool statement::step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "query");
}

bool statement::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
std::string statement::text(int col) const {
    const auto* p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), std::size_t(sqlite3_column_bytes(s_, col))) : std::string();
}
std::int64_t statement::integer(int col) const { return sqlite3_column_int64(s_, col); }
double statement::real(int col) const { return sqlite3_column_double(s_, col); }
std::vector<std::uint8_t> statement::blob(int col) const {
    const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s_, col));
    const int n = sqlite3_column_bytes(s_, col);
    return p ? std::vector<std::uint8_t>(p, p + n) : std::vector<std::uint8_t>();
}

namespace {
std::mutex& writers() {
    static std::mutex m;
    return m;
}
}  // namespace

write_transaction::write_transaction(database& db) : db_(db), lock_(writers()) { db_.exec("BEGIN IMMEDIATE"); }
write_transaction::~write_transaction() {
    if (!done_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
        }
    }
}
void write_transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
    lock_.unlock();
}

}  // namespace pixlime::serve
