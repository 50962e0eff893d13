// Accounts storage interface: account existence and SCRAM credentials (RFC 5802, RFC 7677).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/credentials.h"
#include "storage/storage_error.h"

namespace chorus::storage {

/// Local accounts, keyed by prepared (node, domain).
class Accounts {
public:
    virtual ~Accounts() = default;
    /// Fails with StorageError::Code::exists when the account is already there.
    virtual Result<void, StorageError> create(std::string_view node, std::string_view domain,
                                              const Credentials& credentials) = 0;
    virtual std::optional<Credentials> credentials(std::string_view node,
                                                   std::string_view domain) = 0;
    /// Fails with not_found when there is no such account.
    virtual Result<void, StorageError> set_credentials(std::string_view node,
                                                       std::string_view domain,
                                                       const Credentials& credentials) = 0;
    /// Removes the account and everything stored for it; not_found when absent.
    virtual Result<void, StorageError> remove(std::string_view node, std::string_view domain) = 0;
    virtual bool exists(std::string_view node, std::string_view domain) = 0;
    /// Node names of a domain, sorted.
    virtual std::vector<std::string> list(std::string_view domain) = 0;
};

}  // namespace chorus::storage
