// Offline message storage interface (XEP-0160): a bounded queue of messages per account.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

/// One stored message of an account, in arrival order.
struct OfflineMessage {
    std::int64_t id = 0;        // increases with every message stored, never reused
    std::int64_t stamp_us = 0;  // when it was stored, microseconds since the Unix epoch
    std::string stanza;         // serialized in jabber:client, with its XEP-0203 <delay/>
};

/// Every queue at once, for /metrics (issue 16).
struct OfflineTotals {
    std::size_t messages = 0;
    std::size_t accounts = 0;  // with a non-empty queue
};

/// Offline queues keyed by the owner's bare JID. Quotas are the caller's policy.
class Offline {
public:
    virtual ~Offline() = default;
    /// Appends a message to the owner's queue.
    virtual Result<void, StorageError> store(std::string_view owner, std::int64_t stamp_us,
                                             std::string_view stanza) = 0;
    /// How many messages the owner's queue holds.
    virtual Result<std::size_t, StorageError> count(std::string_view owner) = 0;
    /// The owner's queue, oldest first.
    virtual Result<std::vector<OfflineMessage>, StorageError> messages(std::string_view owner) = 0;
    /// Deletes the owner's messages with an id up to and including last_id (the ones
    /// already handed to a session; later arrivals stay queued).
    virtual Result<void, StorageError> remove_through(std::string_view owner,
                                                      std::int64_t last_id) = 0;
    /// Deletes the owner's messages stored before cutoff_us; returns how many.
    virtual Result<std::size_t, StorageError> expire(std::string_view owner,
                                                     std::int64_t cutoff_us) = 0;
    /// Deletes every account's messages stored before cutoff_us; returns how many.
    virtual Result<std::size_t, StorageError> expire_all(std::int64_t cutoff_us) = 0;
    /// Messages and non-empty queues over all accounts (issue 16: /metrics).
    virtual Result<OfflineTotals, StorageError> totals() = 0;
};

}  // namespace chorus::storage
