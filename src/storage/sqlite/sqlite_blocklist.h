// SqliteBlocklist: XEP-0191 block lists over the SQLite blocklist table.
#pragma once

#include "storage/blocklist.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Block lists in SQLite, with statements prepared once. Not thread-safe: use from one
/// thread at a time. The Database must outlive it.
class SqliteBlocklist final : public storage::Blocklist {
public:
    explicit SqliteBlocklist(Database& db);

    Result<std::vector<std::string>, StorageError> items(std::string_view owner) override;
    Result<void, StorageError> add(std::string_view owner,
                                   std::span<const std::string> jids) override;
    Result<void, StorageError> remove(std::string_view owner,
                                      std::span<const std::string> jids) override;
    Result<void, StorageError> clear(std::string_view owner) override;

private:
    /// Runs stmt once per JID inside one transaction.
    Result<void, StorageError> for_each(Statement& stmt, std::string_view owner,
                                        std::span<const std::string> jids);

    Database& db_;
    Statement select_;
    Statement insert_;
    Statement delete_;
    Statement clear_;
};

}  // namespace chorus::storage::sqlite
