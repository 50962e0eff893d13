// Roster storage interface (RFC 6121 §2, §3): items with subscription state, and versions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

enum class Subscription { none, to, from, both, remove };

/// One roster item of `owner` (a bare JID string). ask_out: our subscribe is pending
/// ("ask='subscribe'"); pending_in: the contact's subscribe awaits our answer; approved:
/// pre-approved (RFC 6121 §3.4); request_only: the row only keeps an inbound request from a
/// contact the user never added, so it is not part of the roster the user sees (§3.1.3).
struct RosterItem {
    std::string contact;  // bare JID
    std::string name;
    Subscription subscription = Subscription::none;
    bool ask_out = false;
    bool pending_in = false;
    bool approved = false;
    bool request_only = false;
    std::vector<std::string> groups;
    /// The stanza of a stored inbound subscription request (delivered at next login).
    std::string pending_stanza;
};

class Roster {
public:
    virtual ~Roster() = default;
    virtual std::vector<RosterItem> items(std::string_view owner) = 0;
    virtual std::optional<RosterItem> item(std::string_view owner, std::string_view contact) = 0;
    /// Inserts or replaces the item and bumps the owner's roster version; returns the new
    /// version (RFC 6121 §2.6).
    virtual Result<std::uint64_t, StorageError> put(std::string_view owner,
                                                   const RosterItem& item) = 0;
    /// Deletes the item and bumps the version; not_found when absent.
    virtual Result<std::uint64_t, StorageError> remove(std::string_view owner,
                                                      std::string_view contact) = 0;
    virtual std::uint64_t version(std::string_view owner) = 0;
};

}  // namespace chorus::storage
