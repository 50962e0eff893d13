// SqliteBlocklist: XEP-0191 block lists in SQLite, one row per (owner, blocked JID).
#include "storage/sqlite/sqlite_blocklist.h"

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view select_sql = "SELECT jid FROM blocklist WHERE owner = ?1 ORDER BY jid";
constexpr std::string_view insert_sql =
    "INSERT OR IGNORE INTO blocklist (owner, jid) VALUES (?1, ?2)";
constexpr std::string_view delete_sql = "DELETE FROM blocklist WHERE owner = ?1 AND jid = ?2";
constexpr std::string_view clear_sql = "DELETE FROM blocklist WHERE owner = ?1";

}  // namespace

SqliteBlocklist::SqliteBlocklist(Database& db)
    : db_(db),
      select_(prepare_or_abort(db, select_sql)),
      insert_(prepare_or_abort(db, insert_sql)),
      delete_(prepare_or_abort(db, delete_sql)),
      clear_(prepare_or_abort(db, clear_sql))
{
}

Result<std::vector<std::string>, StorageError> SqliteBlocklist::items(std::string_view owner)
{
    auto guard = select_.reset_on_exit();
    select_.bind(1, owner);
    std::vector<std::string> out;
    for (;;) {
        auto row = select_.step();
        if (!row) {
            return unexpected(std::move(row).error());
        }
        if (!*row) {
            return out;
        }
        out.emplace_back(select_.column_text(0));
    }
}

Result<void, StorageError> SqliteBlocklist::for_each(Statement& stmt, std::string_view owner,
                                                     std::span<const std::string> jids)
{
    if (auto r = db_.exec("BEGIN"); !r) {
        return r;
    }
    for (const auto& jid : jids) {
        stmt.bind(1, owner).bind(2, jid);
        auto r = stmt.run();
        stmt.reset();
        if (!r) {
            (void)db_.exec("ROLLBACK");
            return r;
        }
    }
    return db_.exec("COMMIT");
}

Result<void, StorageError> SqliteBlocklist::add(std::string_view owner,
                                                std::span<const std::string> jids)
{
    return for_each(insert_, owner, jids);
}

Result<void, StorageError> SqliteBlocklist::remove(std::string_view owner,
                                                   std::span<const std::string> jids)
{
    return for_each(delete_, owner, jids);
}

Result<void, StorageError> SqliteBlocklist::clear(std::string_view owner)
{
    auto guard = clear_.reset_on_exit();
    clear_.bind(1, owner);
    return clear_.run();
}

}  // namespace chorus::storage::sqlite
