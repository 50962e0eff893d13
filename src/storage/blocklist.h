// Block list storage interface (XEP-0191): the JIDs each account has blocked.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

/// Block lists keyed by the owner's bare JID; items are prepared JID strings (any form:
/// domain, domain/resource, bare or full JID).
class Blocklist {
public:
    virtual ~Blocklist() = default;
    /// The owner's blocked JIDs, sorted.
    virtual Result<std::vector<std::string>, StorageError> items(std::string_view owner) = 0;
    /// Adds the JIDs (already present ones are kept), all or none.
    virtual Result<void, StorageError> add(std::string_view owner,
                                           std::span<const std::string> jids) = 0;
    /// Removes the JIDs (absent ones are ignored), all or none.
    virtual Result<void, StorageError> remove(std::string_view owner,
                                              std::span<const std::string> jids) = 0;
    /// Empties the owner's list.
    virtual Result<void, StorageError> clear(std::string_view owner) = 0;
};

}  // namespace chorus::storage
