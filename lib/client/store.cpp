// The client's SQLite store (lib/client/store.h).
#include "client/store.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <spdlog/spdlog.h>

namespace chorus::client {
namespace {

constexpr const char* schema = R"(
CREATE TABLE IF NOT EXISTS settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages(
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stanza_id TEXT UNIQUE,          -- NULL while an own message is pending
    origin_id TEXT,
    peer TEXT NOT NULL,
    from_jid TEXT NOT NULL,
    to_jid TEXT NOT NULL,
    body TEXT NOT NULL,
    stamp TEXT NOT NULL,
    outgoing INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_peer ON messages(peer, seq);
CREATE INDEX IF NOT EXISTS messages_origin ON messages(origin_id) WHERE stanza_id IS NULL;
)";

/// A prepared statement, finalized on scope exit.
class Stmt {
public:
    Stmt(sqlite3* db, const char* sql)
    {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
            spdlog::error("client store: {}: {}", sql, sqlite3_errmsg(db));
            s_ = nullptr;
        }
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    explicit operator bool() const { return s_ != nullptr; }
    Stmt& bind(int i, std::string_view v)
    {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind_null(int i)
    {
        sqlite3_bind_null(s_, i);
        return *this;
    }
    Stmt& bind(int i, int v)
    {
        sqlite3_bind_int(s_, i, v);
        return *this;
    }
    int step() { return s_ ? sqlite3_step(s_) : SQLITE_ERROR; }
    std::string text(int col) const
    {
        const auto* p = sqlite3_column_text(s_, col);
        return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    }
    int integer(int col) const { return sqlite3_column_int(s_, col); }

private:
    sqlite3_stmt* s_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Store>, std::string> Store::open(const std::string& path)
{
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        std::string why = db ? sqlite3_errmsg(db) : "out of memory";
        sqlite3_close(db);
        return unexpected("cannot open " + path + ": " + why);
    }
    ::chmod(path.c_str(), 0600);  // it holds the account's credentials
    std::unique_ptr<Store> store(new Store(db));
    sqlite3_busy_timeout(db, 5000);
    if (!store->exec("PRAGMA journal_mode=WAL") || !store->exec(schema)) {
        return unexpected("cannot set up " + path + ": " + sqlite3_errmsg(db));
    }
    return store;
}

Store::~Store()
{
    sqlite3_close(db_);
}

bool Store::exec(const char* sql) const
{
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        spdlog::error("client store: {}", err ? err : "?");
        sqlite3_free(err);
        return false;
    }
    return true;
}

std::optional<std::string> Store::get(std::string_view key) const
{
    Stmt s(db_, "SELECT value FROM settings WHERE key = ?");
    s.bind(1, key);
    if (s.step() != SQLITE_ROW) {
        return std::nullopt;
    }
    return s.text(0);
}

bool Store::set(std::string_view key, std::string_view value)
{
    Stmt s(db_,
           "INSERT INTO settings(key, value) VALUES(?, ?) "
           "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.bind(1, key).bind(2, value);
    return s.step() == SQLITE_DONE;
}

bool Store::erase(std::string_view key)
{
    Stmt s(db_, "DELETE FROM settings WHERE key = ?");
    s.bind(1, key);
    return s.step() == SQLITE_DONE;
}

bool Store::has_message(std::string_view stanza_id) const
{
    Stmt s(db_, "SELECT 1 FROM messages WHERE stanza_id = ?");
    s.bind(1, stanza_id);
    return s.step() == SQLITE_ROW;
}

bool Store::insert(const ChatMessage& m)
{
    if (m.outgoing && !m.origin_id.empty() && !m.stanza_id.empty()) {
        Stmt del(db_, "DELETE FROM messages WHERE stanza_id IS NULL AND origin_id = ?");
        del.bind(1, m.origin_id);
        if (del.step() != SQLITE_DONE) {
            return false;
        }
    }
    Stmt s(db_,
           "INSERT OR IGNORE INTO messages(stanza_id, origin_id, peer, from_jid, to_jid, "
           "body, stamp, outgoing) VALUES(?, ?, ?, ?, ?, ?, ?, ?)");
    if (m.stanza_id.empty()) {
        s.bind_null(1);
    } else {
        s.bind(1, m.stanza_id);
    }
    s.bind(2, m.origin_id).bind(3, m.peer).bind(4, m.from).bind(5, m.to).bind(6, m.body);
    s.bind(7, m.stamp).bind(8, m.outgoing ? 1 : 0);
    return s.step() == SQLITE_DONE;
}

bool Store::commit(const CommitBatch& batch,
                   const std::vector<std::pair<std::string, std::string>>& settings)
{
    if (!exec("BEGIN IMMEDIATE")) {
        return false;
    }
    bool ok = true;
    for (const auto& m : batch.messages) {
        ok = ok && insert(m);
    }
    if (batch.cursor) {
        ok = ok && set(keys::cursor, *batch.cursor);
    }
    for (const auto& [k, v] : settings) {
        ok = ok && set(k, v);
    }
    if (!ok) {
        exec("ROLLBACK");
        return false;
    }
    return exec("COMMIT");
}

bool Store::add_pending(const ChatMessage& message)
{
    ChatMessage m = message;
    m.stanza_id.clear();
    return insert(m);
}

std::vector<ChatMessage> Store::history(std::optional<std::string_view> peer,
                                        bool with_pending) const
{
    std::string sql =
        "SELECT stanza_id, origin_id, peer, from_jid, to_jid, body, stamp, "
        "outgoing FROM messages WHERE 1";
    if (peer) {
        sql += " AND peer = ?";
    }
    if (!with_pending) {
        sql += " AND stanza_id IS NOT NULL";
    }
    sql += " ORDER BY seq";
    Stmt s(db_, sql.c_str());
    if (peer) {
        s.bind(1, *peer);
    }
    std::vector<ChatMessage> out;
    while (s.step() == SQLITE_ROW) {
        ChatMessage m;
        m.stanza_id = s.text(0);
        m.origin_id = s.text(1);
        m.peer = s.text(2);
        m.from = s.text(3);
        m.to = s.text(4);
        m.body = s.text(5);
        m.stamp = s.text(6);
        m.outgoing = s.integer(7) != 0;
        out.push_back(std::move(m));
    }
    return out;
}

std::size_t Store::message_count() const
{
    Stmt s(db_, "SELECT count(*) FROM messages WHERE stanza_id IS NOT NULL");
    return s.step() == SQLITE_ROW ? static_cast<std::size_t>(s.integer(0)) : 0;
}

}  // namespace chorus::client
