// bench/archive-store: appends through SqliteArchive, whose writer thread does the inserts.
#include "sqlite_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite_archive.h"

namespace archive_bench {
namespace {

using chorus::storage::ArchiveQuery;
using chorus::storage::sqlite::Database;
using chorus::storage::sqlite::SqliteArchive;

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "archive_store_bench: %s\n", what.c_str());
    std::exit(1);
}

std::unique_ptr<Database> open(const std::string& dir)
{
    auto db = Database::open(dir);
    if (!db) {
        fail("sqlite: " + db.error().message);
    }
    return std::move(*db);
}

/// page_size is fixed when the file is first written: set it before Database creates it.
void create_with_page_size(const std::string& dir, int page_size)
{
    std::filesystem::create_directories(dir);
    const auto path = dir + "/chorus.sqlite";
    if (std::filesystem::exists(path)) {
        return;
    }
    sqlite3* db = nullptr;
    if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
        fail("sqlite: cannot create " + path);
    }
    const auto sql = fmt::format("PRAGMA page_size={}; PRAGMA journal_mode=WAL;", page_size);
    sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
}

class SqliteStore final : public Store {
public:
    SqliteStore(const std::string& dir, const SqliteTuning& tuning) : dir_(dir)
    {
        if (tuning.page_size > 0) {
            create_with_page_size(dir, tuning.page_size);
        }
        reader_ = open(dir);
        if (tuning.drop_with_index) {
            (void)reader_->exec("DROP INDEX IF EXISTS archive_items_by_with");
        }
        archive_ = std::make_unique<SqliteArchive>(*reader_, open(dir));
    }

    ~SqliteStore() override
    {
        archive_.reset();  // its writer thread ends first
    }

    void append(const chorus::storage::ArchiveEntry& entry) override { archive_->append(entry); }

    void commit_and_ingest() override
    {
        while (archive_->commit()) {
        }
        // flush() gives up after 2 s (a stuck disk); the benchmark waits for good.
        do {
            archive_->flush();
        } while (archive_->backlog() > 0);
    }

    void settle() override
    {
        // On its own thread, so it counts as store work like the writer's own checkpoints.
        std::thread([&] {
            sqlite3_wal_checkpoint_v2(reader_->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                      nullptr, nullptr);
        }).join();
    }

    std::size_t newest(std::string_view owner, std::optional<std::string_view> with,
                       std::size_t max) override
    {
        ArchiveQuery q;
        q.owner = owner;
        if (with) {
            q.with = std::string(*with);
        }
        q.max = max;
        q.from_end = true;
        std::size_t bytes = 0;
        for (const auto& item : archive_->query(q).items) {
            bytes += item.stanza.size();
        }
        return bytes;
    }

    /// The query() page's SELECT without its two RSM counts (count and first index).
    std::optional<std::size_t> newest_page_only(std::string_view owner,
                                                std::optional<std::string_view> with,
                                                std::size_t max) override
    {
        const std::string key = "(SELECT id FROM archive_jids WHERE jid = ?)";
        const auto sql = fmt::format(
            "SELECT i.id, w.jid, i.stamp, i.outgoing, b.stanza FROM archive_items i{} "
            "JOIN archive_bodies b ON b.id = i.body JOIN archive_jids w ON w.id = i.with_jid "
            "WHERE i.owner = {}{} ORDER BY i.id DESC LIMIT ?",
            with ? " INDEXED BY archive_items_by_with" : "", key,
            with ? " AND i.with_jid = " + key : "");
        auto s = reader_->prepare(sql);
        if (!s) {
            fail("sqlite: " + s.error().message);
        }
        int p = 1;
        s->bind(p++, owner);
        if (with) {
            s->bind(p++, *with);
        }
        s->bind(p, static_cast<std::int64_t>(max + 1));
        std::size_t bytes = 0;
        for (std::size_t n = 0; n < max; ++n) {
            auto row = s->step();
            if (!row || !*row) {
                break;
            }
            bytes += s->column_text(4).size();
        }
        return bytes;
    }

    std::string describe() override
    {
        return fmt::format("\"db_bytes\": {}, \"wal_bytes\": {}",
                           dir_bytes_of(dir_ + "/chorus.sqlite"),
                           dir_bytes_of(dir_ + "/chorus.sqlite-wal"));
    }

private:
    static std::uintmax_t dir_bytes_of(const std::string& file)
    {
        std::error_code ec;
        const auto n = std::filesystem::file_size(file, ec);
        return ec ? 0 : n;
    }

    std::string dir_;
    std::unique_ptr<Database> reader_;
    std::unique_ptr<SqliteArchive> archive_;
};

}  // namespace

std::unique_ptr<Store> make_sqlite_store(const std::string& dir, const SqliteTuning& tuning)
{
    return std::make_unique<SqliteStore>(dir, tuning);
}

}  // namespace archive_bench
