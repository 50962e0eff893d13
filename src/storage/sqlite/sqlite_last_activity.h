// SqliteLastActivity: XEP-0012 last activity over the SQLite last_activity table.
#pragma once

#include "storage/last_activity.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Last activity in SQLite, statements prepared once; one thread at a time; db outlives it.
class SqliteLastActivity final : public storage::LastActivityStore {
public:
    explicit SqliteLastActivity(Database& db);

    Result<std::optional<LastActivity>, StorageError> get(std::string_view owner) override;
    Result<void, StorageError> put(std::string_view owner, const LastActivity& last) override;

private:
    Statement select_;
    Statement upsert_;
};

}  // namespace chorus::storage::sqlite
