// IM-NG device storage interface (XEP-0409): which accounts have a device that enabled
// IM Routing-NG, so the router knows an offline account will catch up from MAM.
#pragma once

#include <string_view>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

class ImngDevices {
public:
    virtual ~ImngDevices() = default;
    /// Notes that a session of owner (a bare JID) enabled IM-NG; idempotent.
    virtual Result<void, StorageError> remember(std::string_view owner) = 0;
    /// Whether a session of owner ever enabled IM-NG (and the account was not deleted since).
    virtual Result<bool, StorageError> has_device(std::string_view owner) = 0;
};

}  // namespace chorus::storage
