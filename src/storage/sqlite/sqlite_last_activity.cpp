// SqliteLastActivity: when each account's last session ended (XEP-0012), in SQLite.
#include "storage/sqlite/sqlite_last_activity.h"

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view select_sql = "SELECT stamp, status FROM last_activity WHERE owner = ?1";
constexpr std::string_view upsert_sql =
    "INSERT INTO last_activity (owner, stamp, status) VALUES (?1, ?2, ?3) "
    "ON CONFLICT (owner) DO UPDATE SET stamp = excluded.stamp, status = excluded.status";

}  // namespace

SqliteLastActivity::SqliteLastActivity(Database& db)
    : select_(prepare_or_abort(db, select_sql)), upsert_(prepare_or_abort(db, upsert_sql))
{
}

Result<std::optional<LastActivity>, StorageError> SqliteLastActivity::get(std::string_view owner)
{
    auto guard = select_.reset_on_exit();
    select_.bind(1, owner);
    auto row = select_.step();
    if (!row) {
        return unexpected(std::move(row).error());
    }
    if (!*row) {
        return std::optional<LastActivity>();
    }
    return std::optional<LastActivity>(LastActivity{.stamp_us = select_.column_int64(0),
                                                    .status = std::string(select_.column_text(1))});
}

Result<void, StorageError> SqliteLastActivity::put(std::string_view owner, const LastActivity& last)
{
    auto guard = upsert_.reset_on_exit();
    upsert_.bind(1, owner).bind(2, last.stamp_us).bind(3, last.status);
    return upsert_.run();
}

}  // namespace chorus::storage::sqlite
