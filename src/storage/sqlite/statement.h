// Statement: RAII prepared SQLite statement (sqlite3_stmt) with typed binds and columns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "storage/storage_error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace chorus::storage::sqlite {

/// Raw bytes for a BLOB parameter, so text and blobs cannot be confused at a bind site.
struct Blob {
    std::string_view bytes;
};

/// One prepared statement, finalized on destruction; move-only. Parameter indexes start
/// at 1 and column indexes at 0, as in SQLite. Bound values are copied (except
/// bind_unowned's).
class Statement {
public:
    /// Resets the statement and clears its bindings when it leaves scope, so a cached
    /// statement never holds a read transaction (and a WAL snapshot) open between calls.
    class [[nodiscard]] ResetOnExit {
    public:
        explicit ResetOnExit(Statement& statement) noexcept : statement_(&statement) {}
        ResetOnExit(const ResetOnExit&) = delete;
        ResetOnExit& operator=(const ResetOnExit&) = delete;
        ~ResetOnExit() { statement_->reset(); }

    private:
        Statement* statement_;
    };

    /// Compiles one SQL statement; the error carries SQLite's message.
    static Result<Statement, StorageError> prepare(sqlite3* db, std::string_view sql);

    Statement() = default;
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    /// Bind failures are programming errors (a bad index) and abort via CHORUS_CHECK.
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, Blob blob);
    Statement& bind_null(int index);
    /// Binds text without copying it: the bytes must stay alive until the next reset.
    Statement& bind_unowned(int index, std::string_view text);

    /// Runs one step: true when a row is ready, false when done. A failed constraint is
    /// StorageError::Code::exists (primary key or unique) or invalid (others).
    Result<bool, StorageError> step();
    /// Steps to completion, for statements that return no rows.
    Result<void, StorageError> run();
    /// Makes the statement runnable again and clears its bindings.
    void reset() noexcept;
    ResetOnExit reset_on_exit() noexcept { return ResetOnExit(*this); }

    /// Column accessors for the current row; views are valid until the next step or reset.
    std::string_view column_text(int column) const;
    std::int64_t column_int64(int column) const;
    std::string_view column_blob(int column) const;
    bool column_is_null(int column) const;

    /// Steps to the end, making one T of each row with read(*this).
    template <typename T, typename Read>
    Result<std::vector<T>, StorageError> rows(Read&& read)
    {
        std::vector<T> out;
        for (;;) {
            auto row = step();
            if (!row) {
                return unexpected(std::move(row).error());
            }
            if (!*row) {
                return out;
            }
            out.push_back(read(*this));
        }
    }
    /// Column 0 of the first row as text; none when there is no row.
    Result<std::optional<std::string>, StorageError> first_text();

    bool valid() const noexcept { return stmt_ != nullptr; }
    sqlite3_stmt* handle() const noexcept { return stmt_; }

private:
    explicit Statement(sqlite3_stmt* stmt) noexcept : stmt_(stmt) {}
    sqlite3_stmt* stmt_ = nullptr;
};

/// The StorageError for SQLite result code rc on db, with context prepended to the message.
StorageError sqlite_error(sqlite3* db, int rc, std::string_view context);

}  // namespace chorus::storage::sqlite
