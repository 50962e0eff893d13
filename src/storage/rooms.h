// Room storage interface (XEP-0045): persistent rooms, their affiliations and registered nicks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

/// A persistent room; config is the room's own text form (modules/muc/room_model.h).
struct StoredRoom {
    std::string jid;  // room@service, bare
    std::string config;
    std::string subject;
    std::string subject_nick;  // who set it (the from of the subject message)
    std::string creator;       // bare JID that created it (rooms-per-user limit)
};

/// One affiliation of a room; a registered nick (muc#register) rides on it.
struct RoomAffiliation {
    std::string jid;          // bare JID (or a domain)
    std::string affiliation;  // owner, admin, member, outcast
    std::string nick;         // registered nick, or empty
    std::string reason;       // given when it was set
};

class Rooms {
public:
    virtual ~Rooms() = default;
    virtual Result<std::optional<StoredRoom>, StorageError> room(std::string_view jid) = 0;
    /// Every stored room of one service domain, by JID.
    virtual Result<std::vector<StoredRoom>, StorageError> rooms_of(std::string_view service) = 0;
    /// Stores or replaces the room row (its affiliations stay).
    virtual Result<void, StorageError> put_room(const StoredRoom& room) = 0;
    /// Deletes the room with its affiliations.
    virtual Result<void, StorageError> delete_room(std::string_view jid) = 0;
    virtual Result<std::vector<RoomAffiliation>, StorageError> affiliations(
        std::string_view room) = 0;
    /// Stores or replaces one affiliation; affiliation "none" with no nick deletes it.
    virtual Result<void, StorageError> set_affiliation(std::string_view room,
                                                       const RoomAffiliation& a) = 0;
    /// Rooms created by a bare JID that still exist (limits).
    virtual Result<std::size_t, StorageError> count_created_by(std::string_view creator) = 0;
};

}  // namespace chorus::storage
