// SqliteRooms: XEP-0045 persistent rooms and affiliations over the SQLite rooms tables.
#pragma once

#include "storage/rooms.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Rooms in SQLite, statements prepared once; one thread at a time; db outlives it.
class SqliteRooms final : public storage::Rooms {
public:
    explicit SqliteRooms(Database& db);

    Result<std::optional<StoredRoom>, StorageError> room(std::string_view jid) override;
    Result<std::vector<StoredRoom>, StorageError> rooms_of(std::string_view service) override;
    Result<void, StorageError> put_room(const StoredRoom& room) override;
    Result<void, StorageError> delete_room(std::string_view jid) override;
    Result<std::vector<RoomAffiliation>, StorageError> affiliations(std::string_view room) override;
    Result<void, StorageError> set_affiliation(std::string_view room,
                                               const RoomAffiliation& a) override;
    Result<std::size_t, StorageError> count_created_by(std::string_view creator) override;

private:
    Result<std::vector<StoredRoom>, StorageError> read_rooms(Statement& stmt);

    Database& db_;
    Statement select_room_, select_service_, upsert_room_, delete_room_, delete_affs_, select_affs_,
        upsert_aff_, delete_aff_, count_created_;
};

}  // namespace chorus::storage::sqlite
