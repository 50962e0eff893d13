// SqliteAccounts: account rows and their SCRAM secrets (RFC 5802, RFC 7677) in SQLite.
#include "storage/sqlite/sqlite_accounts.h"

#include <sqlite3.h>

#include <chrono>

#include <spdlog/spdlog.h>

#include "base/check.h"
#include "storage/sqlite/account_data.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view insert_sql =
    "INSERT INTO accounts (node, domain, sha1_salt, sha1_iter, sha1_stored, sha1_server, "
    "sha256_salt, sha256_iter, sha256_stored, sha256_server, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr std::string_view select_credentials_sql =
    "SELECT sha1_salt, sha1_iter, sha1_stored, sha1_server, "
    "sha256_salt, sha256_iter, sha256_stored, sha256_server "
    "FROM accounts WHERE node = ?1 AND domain = ?2";
constexpr std::string_view update_credentials_sql =
    "UPDATE accounts SET sha1_salt = ?3, sha1_iter = ?4, sha1_stored = ?5, sha1_server = ?6, "
    "sha256_salt = ?7, sha256_iter = ?8, sha256_stored = ?9, sha256_server = ?10 "
    "WHERE node = ?1 AND domain = ?2";
constexpr std::string_view delete_sql = "DELETE FROM accounts WHERE node = ?1 AND domain = ?2";
constexpr std::string_view exists_sql = "SELECT 1 FROM accounts WHERE node = ?1 AND domain = ?2";
constexpr std::string_view list_sql = "SELECT node FROM accounts WHERE domain = ?1 ORDER BY node";

// Binds the eight credential columns to parameters 3..10, as both insert and update use.
void bind_credentials(Statement& stmt, const Credentials& c)
{
    stmt.bind(3, Blob{c.sha1.salt})
        .bind(4, std::int64_t{c.sha1.iterations})
        .bind(5, Blob{c.sha1.stored_key})
        .bind(6, Blob{c.sha1.server_key})
        .bind(7, Blob{c.sha256.salt})
        .bind(8, std::int64_t{c.sha256.iterations})
        .bind(9, Blob{c.sha256.stored_key})
        .bind(10, Blob{c.sha256.server_key});
}

ScramKeys read_keys(const Statement& stmt, int first_column)
{
    ScramKeys keys;
    keys.salt = std::string(stmt.column_blob(first_column));
    keys.iterations = static_cast<int>(stmt.column_int64(first_column + 1));
    keys.stored_key = std::string(stmt.column_blob(first_column + 2));
    keys.server_key = std::string(stmt.column_blob(first_column + 3));
    return keys;
}

std::string account_name(std::string_view node, std::string_view domain)
{
    std::string out(node);
    out += '@';
    out += domain;
    return out;
}

StorageError not_found(std::string_view node, std::string_view domain)
{
    return StorageError{StorageError::Code::not_found, "no account " + account_name(node, domain)};
}

// Prepares one statement of ours; see the constructor's contract.
Statement prepare_or_abort(Database& db, std::string_view sql)
{
    auto stmt = db.prepare(sql);
    if (!stmt) {
        spdlog::critical("sqlite: cannot prepare \"{}\": {}", sql, stmt.error().message);
    }
    CHORUS_CHECK(stmt.has_value());
    return std::move(*stmt);
}

}  // namespace

SqliteAccounts::SqliteAccounts(Database& db)
    : db_(db),
      insert_(prepare_or_abort(db, insert_sql)),
      select_credentials_(prepare_or_abort(db, select_credentials_sql)),
      update_credentials_(prepare_or_abort(db, update_credentials_sql)),
      delete_(prepare_or_abort(db, delete_sql)),
      exists_(prepare_or_abort(db, exists_sql)),
      list_(prepare_or_abort(db, list_sql))
{
}

Result<void, StorageError> SqliteAccounts::create(std::string_view node, std::string_view domain,
                                                  const Credentials& credentials)
{
    auto guard = insert_.reset_on_exit();
    auto now = std::chrono::system_clock::now().time_since_epoch();
    insert_.bind(1, node).bind(2, domain);
    bind_credentials(insert_, credentials);
    insert_.bind(11, std::int64_t{std::chrono::duration_cast<std::chrono::seconds>(now).count()});
    auto r = insert_.run();
    if (!r) {
        if (r.error().code == StorageError::Code::exists) {
            return unexpected(
                StorageError{StorageError::Code::exists,
                             "account " + account_name(node, domain) + " already exists"});
        }
        return r;
    }
    return {};
}

std::optional<Credentials> SqliteAccounts::credentials(std::string_view node,
                                                       std::string_view domain)
{
    auto guard = select_credentials_.reset_on_exit();
    select_credentials_.bind(1, node).bind(2, domain);
    auto row = select_credentials_.step();
    if (!row) {
        spdlog::error("sqlite: reading credentials of {}: {}", account_name(node, domain),
                      row.error().message);
        return std::nullopt;
    }
    if (!*row) {
        return std::nullopt;
    }
    Credentials out;
    out.sha1 = read_keys(select_credentials_, 0);
    out.sha256 = read_keys(select_credentials_, 4);
    return out;
}

Result<void, StorageError> SqliteAccounts::set_credentials(std::string_view node,
                                                           std::string_view domain,
                                                           const Credentials& credentials)
{
    auto guard = update_credentials_.reset_on_exit();
    update_credentials_.bind(1, node).bind(2, domain);
    bind_credentials(update_credentials_, credentials);
    if (auto r = update_credentials_.run(); !r) {
        return r;
    }
    if (sqlite3_changes(db_.handle()) == 0) {
        return unexpected(not_found(node, domain));
    }
    return {};
}

Result<void, StorageError> SqliteAccounts::remove(std::string_view node, std::string_view domain)
{
    // One transaction: the account and everything it owns go together, or nothing does.
    if (auto r = db_.exec("BEGIN IMMEDIATE"); !r) {
        return r;
    }
    auto outcome = [&]() -> Result<void, StorageError> {
        auto guard = delete_.reset_on_exit();
        delete_.bind(1, node).bind(2, domain);
        if (auto r = delete_.run(); !r) {
            return r;
        }
        if (sqlite3_changes(db_.handle()) == 0) {
            return unexpected(not_found(node, domain));
        }
        return delete_account_data(db_, account_name(node, domain));
    }();
    if (outcome) {
        outcome = db_.exec("COMMIT");
    }
    if (!outcome) {
        (void)db_.exec("ROLLBACK");
    }
    return outcome;
}

bool SqliteAccounts::exists(std::string_view node, std::string_view domain)
{
    auto guard = exists_.reset_on_exit();
    exists_.bind(1, node).bind(2, domain);
    auto row = exists_.step();
    if (!row) {
        spdlog::error("sqlite: looking up {}: {}", account_name(node, domain), row.error().message);
        return false;
    }
    return *row;
}

std::vector<std::string> SqliteAccounts::list(std::string_view domain)
{
    auto guard = list_.reset_on_exit();
    list_.bind(1, domain);
    std::vector<std::string> nodes;
    for (;;) {
        auto row = list_.step();
        if (!row) {
            spdlog::error("sqlite: listing accounts of {}: {}", domain, row.error().message);
            break;
        }
        if (!*row) {
            break;
        }
        nodes.emplace_back(list_.column_text(0));
    }
    return nodes;
}

}  // namespace chorus::storage::sqlite
