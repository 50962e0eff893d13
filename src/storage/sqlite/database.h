// Database: the SQLite file in data_dir (WAL mode) and its versioned schema migrations.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/sqlite/statement.h"
#include "storage/storage_error.h"

struct sqlite3;

namespace chorus::storage::sqlite {

/// Schema migrations in order (src/storage/sqlite/schema.cpp); migration i (from 0) takes
/// the schema from PRAGMA user_version i to i + 1. Append, never edit or reorder.
std::span<const std::string_view> schema_migrations() noexcept;

/// One connection to <data_dir>/chorus.sqlite, migrated to the newest schema.
class Database {
public:
    /// Creates data_dir (mode 0700) when missing, opens or creates the database, sets WAL,
    /// synchronous=NORMAL, a 5 s busy timeout and foreign keys, then applies migrations.
    static Result<std::unique_ptr<Database>, StorageError> open(const std::string& data_dir);
    /// As open(), with an explicit file and migration list (tests).
    static Result<std::unique_ptr<Database>, StorageError> open_file(
        const std::string& path, std::span<const std::string_view> migrations);

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    /// Runs SQL that returns no rows (may hold several statements).
    Result<void, StorageError> exec(std::string_view sql);
    Result<Statement, StorageError> prepare(std::string_view sql);
    /// PRAGMA user_version: how many migrations have been applied.
    int schema_version();

    sqlite3* handle() const noexcept { return db_; }
    const std::string& path() const noexcept { return path_; }

private:
    Database(sqlite3* db, std::string path) noexcept : db_(db), path_(std::move(path)) {}
    Result<void, StorageError> configure();
    Result<void, StorageError> migrate(std::span<const std::string_view> migrations);

    sqlite3* db_;
    std::string path_;
};

}  // namespace chorus::storage::sqlite
