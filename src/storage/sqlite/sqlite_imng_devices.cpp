// SqliteImngDevices: one row per account that enabled IM-NG (XEP-0409), in SQLite.
#include "storage/sqlite/sqlite_imng_devices.h"

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view insert_sql = "INSERT OR IGNORE INTO imng_accounts (owner) VALUES (?1)";
constexpr std::string_view select_sql = "SELECT 1 FROM imng_accounts WHERE owner = ?1";

}  // namespace

SqliteImngDevices::SqliteImngDevices(Database& db)
    : insert_(prepare_or_abort(db, insert_sql)), select_(prepare_or_abort(db, select_sql))
{
}

Result<void, StorageError> SqliteImngDevices::remember(std::string_view owner)
{
    auto guard = insert_.reset_on_exit();
    insert_.bind(1, owner);
    return insert_.run();
}

Result<bool, StorageError> SqliteImngDevices::has_device(std::string_view owner)
{
    auto guard = select_.reset_on_exit();
    select_.bind(1, owner);
    return select_.step();
}

}  // namespace chorus::storage::sqlite
