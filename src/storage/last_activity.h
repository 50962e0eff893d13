// Last activity storage interface (XEP-0012): when each account's last session ended.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

/// The end of an account's last session.
struct LastActivity {
    std::int64_t stamp_us = 0;  // microseconds since the Unix epoch
    std::string status;         // <status/> of the last unavailable presence, may be empty
};

class LastActivityStore {
public:
    virtual ~LastActivityStore() = default;
    /// nullopt when the account never ended a session.
    virtual Result<std::optional<LastActivity>, StorageError> get(std::string_view owner) = 0;
    /// Stores or replaces the owner's record.
    virtual Result<void, StorageError> put(std::string_view owner, const LastActivity& last) = 0;
};

}  // namespace chorus::storage
