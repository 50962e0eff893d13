// StorageError: why a storage call failed, as a value (no exceptions on the data path).
#pragma once

#include <string>

namespace chorus::storage {

struct StorageError {
    enum class Code { exists, not_found, invalid, backend };
    Code code = Code::backend;
    std::string message;  // for logs and CLI messages
};

}  // namespace chorus::storage
