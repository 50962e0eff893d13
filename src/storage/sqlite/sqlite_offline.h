// SqliteOffline: the XEP-0160 offline queues over the SQLite offline_messages table.
#pragma once

#include "storage/offline.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Offline queues in SQLite, with statements prepared once. Not thread-safe: use from one
/// thread at a time. The Database must outlive it.
class SqliteOffline final : public storage::Offline {
public:
    explicit SqliteOffline(Database& db);

    Result<void, StorageError> store(std::string_view owner, std::int64_t stamp_us,
                                     std::string_view stanza) override;
    Result<std::size_t, StorageError> count(std::string_view owner) override;
    Result<std::vector<OfflineMessage>, StorageError> messages(std::string_view owner) override;
    Result<void, StorageError> remove_through(std::string_view owner,
                                              std::int64_t last_id) override;
    Result<std::size_t, StorageError> expire(std::string_view owner,
                                             std::int64_t cutoff_us) override;
    Result<std::size_t, StorageError> expire_all(std::int64_t cutoff_us) override;
    Result<OfflineTotals, StorageError> totals() override;

private:
    Database& db_;
    Statement insert_;
    Statement count_;
    Statement select_;
    Statement remove_through_;
    Statement expire_;
    Statement expire_all_;
    Statement totals_;
};

}  // namespace chorus::storage::sqlite
