// The SQLite schema as an ordered list of migrations, applied by Database (database.cpp).
#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite {
namespace {

// PRAGMA user_version counts the entries applied. To change the schema, append one string;
// never edit or reorder an entry that has shipped, as existing databases already ran it.
constexpr std::string_view migrations[] = {
    // 1: accounts with SCRAM-SHA-1 and SCRAM-SHA-256 secrets (RFC 5802, RFC 7677).
    R"sql(
CREATE TABLE accounts (
    node TEXT NOT NULL,
    domain TEXT NOT NULL,
    sha1_salt BLOB NOT NULL,
    sha1_iter INTEGER NOT NULL,
    sha1_stored BLOB NOT NULL,
    sha1_server BLOB NOT NULL,
    sha256_salt BLOB NOT NULL,
    sha256_iter INTEGER NOT NULL,
    sha256_stored BLOB NOT NULL,
    sha256_server BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (node, domain)
) WITHOUT ROWID;
)sql",
};

}  // namespace

std::span<const std::string_view> schema_migrations() noexcept
{
    return migrations;
}

}  // namespace chorus::storage::sqlite
