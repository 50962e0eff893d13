// SqliteVcards: one serialized XEP-0054 <vCard/> per account in SQLite.
#include "storage/sqlite/sqlite_vcards.h"

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view select_sql = "SELECT vcard FROM vcards WHERE owner = ?1";
constexpr std::string_view upsert_sql =
    "INSERT INTO vcards (owner, vcard) VALUES (?1, ?2) "
    "ON CONFLICT (owner) DO UPDATE SET vcard = excluded.vcard";

}  // namespace

SqliteVcards::SqliteVcards(Database& db)
    : select_(prepare_or_abort(db, select_sql)), upsert_(prepare_or_abort(db, upsert_sql))
{
}

Result<std::optional<std::string>, StorageError> SqliteVcards::get(std::string_view owner)
{
    auto guard = select_.reset_on_exit();
    select_.bind(1, owner);
    return select_.first_text();
}

Result<void, StorageError> SqliteVcards::put(std::string_view owner, std::string_view vcard)
{
    auto guard = upsert_.reset_on_exit();
    upsert_.bind(1, owner).bind(2, vcard);
    return upsert_.run();
}

}  // namespace chorus::storage::sqlite
