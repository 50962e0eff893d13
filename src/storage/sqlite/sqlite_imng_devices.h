// SqliteImngDevices: accounts with an IM-NG device (XEP-0409), in the imng_accounts table.
#pragma once

#include "storage/imng_devices.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Statements prepared once; one thread at a time; db outlives it.
class SqliteImngDevices final : public storage::ImngDevices {
public:
    explicit SqliteImngDevices(Database& db);

    Result<void, StorageError> remember(std::string_view owner) override;
    Result<bool, StorageError> has_device(std::string_view owner) override;

private:
    Statement insert_;
    Statement select_;
};

}  // namespace chorus::storage::sqlite
