// vCard storage interface (XEP-0054 vcard-temp): one serialized <vCard/> per account.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

class Vcards {
public:
    virtual ~Vcards() = default;
    /// The owner's stored <vCard/> (serialized, namespace declared); nullopt when none.
    virtual Result<std::optional<std::string>, StorageError> get(std::string_view owner) = 0;
    /// Stores or replaces the owner's vCard.
    virtual Result<void, StorageError> put(std::string_view owner, std::string_view vcard) = 0;
};

}  // namespace chorus::storage
