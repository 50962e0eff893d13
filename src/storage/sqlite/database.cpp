// Database: opens <data_dir>/chorus.sqlite in WAL mode and applies schema migrations.
#include "storage/sqlite/database.h"

#include <sqlite3.h>

#include <filesystem>
#include <system_error>

#include <spdlog/spdlog.h>

namespace chorus::storage::sqlite {
namespace {

// Another process (chorusctl beside chorusd) may hold the write lock for a moment.
constexpr int busy_timeout_ms = 5000;

StorageError backend_error(std::string message)
{
    return StorageError{StorageError::Code::backend, std::move(message)};
}

}  // namespace

Result<std::unique_ptr<Database>, StorageError> Database::open(const std::string& data_dir)
{
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path dir(data_dir);
    if (!fs::exists(dir, ec)) {
        fs::create_directories(dir, ec);
        if (ec) {
            return unexpected(
                backend_error("cannot create data directory " + data_dir + ": " + ec.message()));
        }
        // The directory holds the account secrets: owner only.
        fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
        if (ec) {
            return unexpected(
                backend_error("cannot set permissions on " + data_dir + ": " + ec.message()));
        }
    } else if (!fs::is_directory(dir, ec)) {
        return unexpected(backend_error("data directory " + data_dir + " is not a directory"));
    }
    return open_file((dir / "chorus.sqlite").string(), schema_migrations());
}

Result<std::unique_ptr<Database>, StorageError> Database::open_file(
    const std::string& path, std::span<const std::string_view> migrations)
{
    // Allocation statistics cost SQLite a global mutex per malloc; nothing here reads them.
    // Only effective before SQLite's first use in the process, and harmless after.
    static const int memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)memstatus;
    sqlite3* db = nullptr;
    // Each connection is used by one thread at a time (the I/O thread, or the archive
    // writer): no per-call connection mutex.
    int rc =
        sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
        StorageError error = sqlite_error(db, rc, "open " + path);
        sqlite3_close(db);  // a handle is returned even on failure
        return unexpected(std::move(error));
    }
    std::unique_ptr<Database> database(new Database(db, path));
    if (auto r = database->configure(); !r) {
        return unexpected(r.error());
    }
    if (auto r = database->migrate(migrations); !r) {
        return unexpected(r.error());
    }
    return database;
}

Database::~Database()
{
    // Statements owned by others must be gone by now; close_v2 tolerates stragglers.
    sqlite3_close_v2(db_);
}

Result<void, StorageError> Database::exec(std::string_view sql)
{
    std::string text(sql);  // sqlite3_exec needs a NUL-terminated string
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        StorageError error = sqlite_error(db_, rc, "exec");
        sqlite3_free(message);
        return unexpected(std::move(error));
    }
    return {};
}

Result<Statement, StorageError> Database::prepare(std::string_view sql)
{
    return Statement::prepare(db_, sql);
}

int Database::schema_version()
{
    auto stmt = prepare("PRAGMA user_version");
    if (!stmt) {
        return -1;
    }
    auto row = stmt->step();
    return row && *row ? static_cast<int>(stmt->column_int64(0)) : -1;
}

Result<void, StorageError> Database::configure()
{
    sqlite3_busy_timeout(db_, busy_timeout_ms);
    // WAL lets readers (chorusctl, MAM queries) run beside the writer; with WAL,
    // synchronous=NORMAL loses at most the last commits on power loss, never integrity.
    auto journal = prepare("PRAGMA journal_mode=WAL");
    if (!journal) {
        return unexpected(journal.error());
    }
    auto row = journal->step();
    if (!row) {
        return unexpected(row.error());
    }
    if (*row && journal->column_text(0) != "wal") {
        spdlog::warn("sqlite: {} runs in journal mode {}, not WAL", path_, journal->column_text(0));
    }
    journal->reset();
    // A small page cache: the kernel's page cache holds the file anyway, and SQLite's default
    // (2 MiB per connection) would grow with every account that logs in. The archive writer
    // sets its own, larger one.
    return exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-256;");
}

Result<void, StorageError> Database::migrate(std::span<const std::string_view> migrations)
{
    const int newest = static_cast<int>(migrations.size());
    for (;;) {
        // IMMEDIATE takes the write lock first, so two processes opening the same file
        // cannot both apply a migration; the version is read again under the lock.
        if (auto r = exec("BEGIN IMMEDIATE"); !r) {
            return r;
        }
        int version = schema_version();
        if (version < 0 || version > newest) {
            (void)exec("ROLLBACK");
            if (version < 0) {
                return unexpected(backend_error("cannot read schema version of " + path_));
            }
            return unexpected(backend_error(path_ + " has schema version " +
                                            std::to_string(version) + ", newer than this build's " +
                                            std::to_string(newest)));
        }
        if (version == newest) {
            return exec("COMMIT");
        }
        auto applied = exec(migrations[static_cast<std::size_t>(version)]);
        if (applied) {
            // PRAGMA takes no parameters; the value is our own integer.
            applied = exec("PRAGMA user_version = " + std::to_string(version + 1));
        }
        if (applied) {
            applied = exec("COMMIT");
        }
        if (!applied) {
            (void)exec("ROLLBACK");
            return unexpected(StorageError{applied.error().code,
                                           "schema migration " + std::to_string(version + 1) +
                                               " failed: " + applied.error().message});
        }
        spdlog::info("sqlite: {} migrated to schema version {}", path_, version + 1);
    }
}

}  // namespace chorus::storage::sqlite
