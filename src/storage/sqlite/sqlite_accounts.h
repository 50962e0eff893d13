// SqliteAccounts: the Accounts storage interface over the SQLite accounts table.
#pragma once

#include "storage/accounts.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Accounts in SQLite, with its statements prepared once. Not thread-safe: use from one
/// thread (or strand) at a time. The Database must outlive it.
class SqliteAccounts final : public storage::Accounts {
public:
    /// Prepares the statements. db has been migrated by Database::open, so a statement
    /// that does not compile is a bug in this file, and aborts (CHORUS_CHECK).
    explicit SqliteAccounts(Database& db);

    Result<void, StorageError> create(std::string_view node, std::string_view domain,
                                      const Credentials& credentials) override;
    std::optional<Credentials> credentials(std::string_view node, std::string_view domain) override;
    Result<void, StorageError> set_credentials(std::string_view node, std::string_view domain,
                                               const Credentials& credentials) override;
    Result<void, StorageError> remove(std::string_view node, std::string_view domain) override;
    bool exists(std::string_view node, std::string_view domain) override;
    std::vector<std::string> list(std::string_view domain) override;

private:
    Database& db_;
    Statement insert_;
    Statement select_credentials_;
    Statement update_credentials_;
    Statement delete_;
    Statement exists_;
    Statement list_;
};

}  // namespace chorus::storage::sqlite
