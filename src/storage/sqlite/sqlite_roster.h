// SqliteRoster: the Roster storage interface (RFC 6121 §2-3, §2.6 versions) over SQLite.
#pragma once

#include "storage/roster.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Rosters in the roster_items and roster_versions tables, with statements prepared once.
/// Every change bumps the owner's version in the same transaction. Not thread-safe: use
/// from one thread at a time. The Database must outlive it.
class SqliteRoster final : public storage::Roster {
public:
    /// Prepares the statements (aborts when one does not compile: a bug in this file).
    explicit SqliteRoster(Database& db);

    std::vector<RosterItem> items(std::string_view owner) override;
    std::optional<RosterItem> item(std::string_view owner, std::string_view contact) override;
    Result<std::uint64_t, StorageError> put(std::string_view owner,
                                            const RosterItem& item) override;
    Result<std::uint64_t, StorageError> remove(std::string_view owner,
                                               std::string_view contact) override;
    std::uint64_t version(std::string_view owner) override;

private:
    /// Runs change (one write) and the version bump in one transaction; returns the version.
    template <typename Change>
    Result<std::uint64_t, StorageError> write(std::string_view owner, Change&& change);

    Database& db_;
    Statement begin_;
    Statement commit_;
    Statement rollback_;
    Statement select_all_;
    Statement select_one_;
    Statement upsert_;
    Statement delete_;
    Statement bump_;
    Statement select_version_;
};

/// Groups as stored in one TEXT column: newline-separated, with '\' escaping '\' and
/// newlines inside a name, so every group name survives a round trip.
std::string encode_groups(const std::vector<std::string>& groups);
std::vector<std::string> decode_groups(std::string_view text);

}  // namespace chorus::storage::sqlite
