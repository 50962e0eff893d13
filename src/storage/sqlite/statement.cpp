// Statement: RAII wrapper over sqlite3_stmt (prepare, bind, step, columns, reset).
#include "storage/sqlite/statement.h"

#include <sqlite3.h>

#include <string>
#include <utility>

#include "base/check.h"

namespace chorus::storage::sqlite {

Result<std::optional<std::string>, StorageError> Statement::first_text()
{
    auto row = step();
    if (!row) {
        return unexpected(std::move(row).error());
    }
    if (!*row) {
        return std::optional<std::string>();
    }
    return std::optional<std::string>(column_text(0));
}

StorageError sqlite_error(sqlite3* db, int rc, std::string_view context)
{
    StorageError error;
    switch (rc & 0xff) {
        case SQLITE_CONSTRAINT: {
            int extended = db != nullptr ? sqlite3_extended_errcode(db) : rc;
            error.code =
                (extended == SQLITE_CONSTRAINT_PRIMARYKEY || extended == SQLITE_CONSTRAINT_UNIQUE)
                    ? StorageError::Code::exists
                    : StorageError::Code::invalid;
            break;
        }
        default:
            error.code = StorageError::Code::backend;
            break;
    }
    error.message = std::string(context);
    error.message += ": ";
    error.message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return error;
}

Result<Statement, StorageError> Statement::prepare(sqlite3* db, std::string_view sql)
{
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
        return unexpected(sqlite_error(db, rc, "prepare"));
    }
    if (stmt == nullptr) {
        return unexpected(StorageError{StorageError::Code::invalid, "prepare: empty SQL"});
    }
    return Statement(stmt);
}

Statement::Statement(Statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept
{
    if (this != &other) {
        sqlite3_finalize(stmt_);
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

Statement::~Statement()
{
    sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, std::string_view text)
{
    CHORUS_CHECK(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                     SQLITE_UTF8) == SQLITE_OK);
    return *this;
}

Statement& Statement::bind_unowned(int index, std::string_view text)
{
    CHORUS_CHECK(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC,
                                     SQLITE_UTF8) == SQLITE_OK);
    return *this;
}

Statement& Statement::bind(int index, std::int64_t value)
{
    CHORUS_CHECK(sqlite3_bind_int64(stmt_, index, value) == SQLITE_OK);
    return *this;
}

Statement& Statement::bind(int index, Blob blob)
{
    // A zero-length blob with a null pointer would bind NULL; zeroblob keeps it a BLOB.
    int rc = blob.bytes.empty() ? sqlite3_bind_zeroblob(stmt_, index, 0)
                                : sqlite3_bind_blob64(stmt_, index, blob.bytes.data(),
                                                      blob.bytes.size(), SQLITE_TRANSIENT);
    CHORUS_CHECK(rc == SQLITE_OK);
    return *this;
}

Statement& Statement::bind_null(int index)
{
    CHORUS_CHECK(sqlite3_bind_null(stmt_, index) == SQLITE_OK);
    return *this;
}

Result<bool, StorageError> Statement::step()
{
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    return unexpected(sqlite_error(sqlite3_db_handle(stmt_), rc, "step"));
}

Result<void, StorageError> Statement::run()
{
    for (;;) {
        auto row = step();
        if (!row) {
            return unexpected(std::move(row).error());
        }
        if (!*row) {
            return {};
        }
    }
}

void Statement::reset() noexcept
{
    if (stmt_ != nullptr) {
        // sqlite3_reset repeats the last step's error, which the caller has already seen.
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

std::string_view Statement::column_text(int column) const
{
    const unsigned char* text = sqlite3_column_text(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);  // after the conversion, per SQLite docs
    if (text == nullptr) {
        return {};
    }
    return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::int64_t Statement::column_int64(int column) const
{
    return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::column_blob(int column) const
{
    const void* blob = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    if (blob == nullptr) {
        return {};
    }
    return {static_cast<const char*>(blob), static_cast<std::size_t>(size)};
}

bool Statement::column_is_null(int column) const
{
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

}  // namespace chorus::storage::sqlite
