// SqliteOffline: XEP-0160 offline queues in SQLite, oldest first by id.
#include "storage/sqlite/sqlite_offline.h"

#include <sqlite3.h>

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view insert_sql =
    "INSERT INTO offline_messages (owner, stamp, stanza) VALUES (?1, ?2, ?3)";
constexpr std::string_view count_sql = "SELECT COUNT(*) FROM offline_messages WHERE owner = ?1";
constexpr std::string_view select_sql =
    "SELECT id, stamp, stanza FROM offline_messages WHERE owner = ?1 ORDER BY id";
constexpr std::string_view remove_through_sql =
    "DELETE FROM offline_messages WHERE owner = ?1 AND id <= ?2";
constexpr std::string_view expire_sql =
    "DELETE FROM offline_messages WHERE owner = ?1 AND stamp < ?2";
constexpr std::string_view expire_all_sql = "DELETE FROM offline_messages WHERE stamp < ?1";
constexpr std::string_view totals_sql =
    "SELECT COUNT(*), COUNT(DISTINCT owner) FROM offline_messages";

}  // namespace

SqliteOffline::SqliteOffline(Database& db)
    : db_(db),
      insert_(prepare_or_abort(db, insert_sql)),
      count_(prepare_or_abort(db, count_sql)),
      select_(prepare_or_abort(db, select_sql)),
      remove_through_(prepare_or_abort(db, remove_through_sql)),
      expire_(prepare_or_abort(db, expire_sql)),
      expire_all_(prepare_or_abort(db, expire_all_sql)),
      totals_(prepare_or_abort(db, totals_sql))
{
}

Result<void, StorageError> SqliteOffline::store(std::string_view owner, std::int64_t stamp_us,
                                                std::string_view stanza)
{
    auto guard = insert_.reset_on_exit();
    insert_.bind(1, owner).bind(2, stamp_us).bind(3, stanza);
    return insert_.run();
}

Result<std::size_t, StorageError> SqliteOffline::count(std::string_view owner)
{
    auto guard = count_.reset_on_exit();
    count_.bind(1, owner);
    auto row = count_.step();
    if (!row) {
        return unexpected(std::move(row).error());
    }
    return *row ? static_cast<std::size_t>(count_.column_int64(0)) : std::size_t{0};
}

Result<std::vector<OfflineMessage>, StorageError> SqliteOffline::messages(std::string_view owner)
{
    auto guard = select_.reset_on_exit();
    select_.bind(1, owner);
    std::vector<OfflineMessage> out;
    for (;;) {
        auto row = select_.step();
        if (!row) {
            return unexpected(std::move(row).error());
        }
        if (!*row) {
            return out;
        }
        out.push_back(OfflineMessage{.id = select_.column_int64(0),
                                     .stamp_us = select_.column_int64(1),
                                     .stanza = std::string(select_.column_text(2))});
    }
}

Result<void, StorageError> SqliteOffline::remove_through(std::string_view owner,
                                                         std::int64_t last_id)
{
    auto guard = remove_through_.reset_on_exit();
    remove_through_.bind(1, owner).bind(2, last_id);
    return remove_through_.run();
}

Result<std::size_t, StorageError> SqliteOffline::expire(std::string_view owner,
                                                        std::int64_t cutoff_us)
{
    auto guard = expire_.reset_on_exit();
    expire_.bind(1, owner).bind(2, cutoff_us);
    if (auto r = expire_.run(); !r) {
        return unexpected(r.error());
    }
    return static_cast<std::size_t>(sqlite3_changes(db_.handle()));
}

Result<std::size_t, StorageError> SqliteOffline::expire_all(std::int64_t cutoff_us)
{
    auto guard = expire_all_.reset_on_exit();
    expire_all_.bind(1, cutoff_us);
    if (auto r = expire_all_.run(); !r) {
        return unexpected(r.error());
    }
    return static_cast<std::size_t>(sqlite3_changes(db_.handle()));
}

Result<OfflineTotals, StorageError> SqliteOffline::totals()
{
    auto guard = totals_.reset_on_exit();
    auto row = totals_.step();
    if (!row) {
        return unexpected(std::move(row).error());
    }
    if (!*row) {
        return OfflineTotals{};
    }
    return OfflineTotals{static_cast<std::size_t>(totals_.column_int64(0)),
                         static_cast<std::size_t>(totals_.column_int64(1))};
}

}  // namespace chorus::storage::sqlite
