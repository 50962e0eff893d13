// SqliteRooms: one row per persistent room, one per (room, JID) affiliation.
#include "storage/sqlite/sqlite_rooms.h"

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view room_columns = "jid, config, subject, subject_nick, creator";
const std::string select_room_sql =
    std::string("SELECT ") + std::string(room_columns) + " FROM muc_rooms WHERE jid = ?1";
const std::string select_service_sql = std::string("SELECT ") + std::string(room_columns) +
                                       " FROM muc_rooms WHERE service = ?1 ORDER BY jid";
constexpr std::string_view upsert_room_sql =
    "INSERT INTO muc_rooms (jid, service, config, subject, subject_nick, creator) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (jid) DO UPDATE SET config = excluded.config, "
    "subject = excluded.subject, subject_nick = excluded.subject_nick";
constexpr std::string_view delete_room_sql = "DELETE FROM muc_rooms WHERE jid = ?1";
constexpr std::string_view delete_affs_sql = "DELETE FROM muc_affiliations WHERE room = ?1";
constexpr std::string_view select_affs_sql =
    "SELECT jid, affiliation, nick, reason FROM muc_affiliations WHERE room = ?1 ORDER BY jid";
constexpr std::string_view upsert_aff_sql =
    "INSERT INTO muc_affiliations (room, jid, affiliation, nick, reason) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (room, jid) DO UPDATE SET "
    "affiliation = excluded.affiliation, nick = excluded.nick, reason = excluded.reason";
constexpr std::string_view delete_aff_sql =
    "DELETE FROM muc_affiliations WHERE room = ?1 AND jid = ?2";
constexpr std::string_view count_created_sql = "SELECT count(*) FROM muc_rooms WHERE creator = ?1";

std::string_view service_of(std::string_view jid)
{
    const auto at = jid.find('@');
    return at == std::string_view::npos ? jid : jid.substr(at + 1);
}

}  // namespace

SqliteRooms::SqliteRooms(Database& db)
    : db_(db),
      select_room_(prepare_or_abort(db, select_room_sql)),
      select_service_(prepare_or_abort(db, select_service_sql)),
      upsert_room_(prepare_or_abort(db, upsert_room_sql)),
      delete_room_(prepare_or_abort(db, delete_room_sql)),
      delete_affs_(prepare_or_abort(db, delete_affs_sql)),
      select_affs_(prepare_or_abort(db, select_affs_sql)),
      upsert_aff_(prepare_or_abort(db, upsert_aff_sql)),
      delete_aff_(prepare_or_abort(db, delete_aff_sql)),
      count_created_(prepare_or_abort(db, count_created_sql))
{
}

Result<std::vector<StoredRoom>, StorageError> SqliteRooms::read_rooms(Statement& stmt)
{
    return stmt.rows<StoredRoom>([](Statement& row) -> StoredRoom {
        return {std::string(row.column_text(0)), std::string(row.column_text(1)),
                std::string(row.column_text(2)), std::string(row.column_text(3)),
                std::string(row.column_text(4))};
    });
}

Result<std::optional<StoredRoom>, StorageError> SqliteRooms::room(std::string_view jid)
{
    auto guard = select_room_.reset_on_exit();
    select_room_.bind(1, jid);
    auto rows = read_rooms(select_room_);
    if (!rows) {
        return unexpected(std::move(rows).error());
    }
    if (rows->empty()) {
        return std::optional<StoredRoom>();
    }
    return std::optional<StoredRoom>(std::move(rows->front()));
}

Result<std::vector<StoredRoom>, StorageError> SqliteRooms::rooms_of(std::string_view service)
{
    auto guard = select_service_.reset_on_exit();
    select_service_.bind(1, service);
    return read_rooms(select_service_);
}

Result<void, StorageError> SqliteRooms::put_room(const StoredRoom& r)
{
    auto guard = upsert_room_.reset_on_exit();
    upsert_room_.bind(1, r.jid)
        .bind(2, service_of(r.jid))
        .bind(3, r.config)
        .bind(4, r.subject)
        .bind(5, r.subject_nick)
        .bind(6, r.creator);
    return upsert_room_.run();
}

Result<void, StorageError> SqliteRooms::delete_room(std::string_view jid)
{
    if (auto r = db_.exec("BEGIN"); !r) {
        return r;
    }
    Result<void, StorageError> result;
    for (auto* stmt : {&delete_affs_, &delete_room_}) {
        auto guard = stmt->reset_on_exit();
        stmt->bind(1, jid);
        if (result = stmt->run(); !result) {
            break;
        }
    }
    (void)db_.exec(result ? "COMMIT" : "ROLLBACK");
    return result;
}

Result<std::vector<RoomAffiliation>, StorageError> SqliteRooms::affiliations(std::string_view room)
{
    auto guard = select_affs_.reset_on_exit();
    select_affs_.bind(1, room);
    return select_affs_.rows<RoomAffiliation>([](Statement& row) -> RoomAffiliation {
        return {std::string(row.column_text(0)), std::string(row.column_text(1)),
                std::string(row.column_text(2)), std::string(row.column_text(3))};
    });
}

Result<void, StorageError> SqliteRooms::set_affiliation(std::string_view room,
                                                        const RoomAffiliation& a)
{
    if (a.affiliation == "none" && a.nick.empty()) {
        auto guard = delete_aff_.reset_on_exit();
        delete_aff_.bind(1, room).bind(2, a.jid);
        return delete_aff_.run();
    }
    auto guard = upsert_aff_.reset_on_exit();
    upsert_aff_.bind(1, room)
        .bind(2, a.jid)
        .bind(3, a.affiliation)
        .bind(4, a.nick)
        .bind(5, a.reason);
    return upsert_aff_.run();
}

Result<std::size_t, StorageError> SqliteRooms::count_created_by(std::string_view creator)
{
    auto guard = count_created_.reset_on_exit();
    count_created_.bind(1, creator);
    auto row = count_created_.step();
    if (!row) {
        return unexpected(std::move(row).error());
    }
    return static_cast<std::size_t>(*row ? count_created_.column_int64(0) : 0);
}

}  // namespace chorus::storage::sqlite
