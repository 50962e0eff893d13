// SqliteArchive: group-committed appends and WAL checkpoints on a writer thread.
#include "storage/sqlite/sqlite_archive.h"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace chorus::storage::sqlite {
namespace {

// Copies of archived messages wait for their commit, so the writer never lets a batch
// gather on a timer: it takes whatever was appended while it committed the last one (group
// commit). Under load the batches grow by themselves, and every commit rewrites each index
// page it touched into the WAL: the larger the batch, the more items share a page.
// The writer's page cache: the index pages it appends to stay in memory.
constexpr std::string_view writer_cache = "PRAGMA cache_size=-16384";
// WAL pages before a checkpoint copies them into the database. A page that several commits
// rewrote is copied once per checkpoint, so a longer WAL (32 MiB) means fewer copies.
constexpr int checkpoint_pages = 8192;
// JID keys the writer remembers; beyond this it starts over (a lookup is one index probe).
constexpr std::size_t max_cached_keys = 65536;

// After a checkpoint lets the WAL start over, its file is cut back to this size.
constexpr std::string_view wal_size_limit = "PRAGMA journal_size_limit=67108864";

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept
    {
        return std::hash<std::string_view>{}(s);
    }
};

/// The writer thread's statements and JID keys: one transaction per batch.
class BatchWriter {
public:
    static std::optional<BatchWriter> prepare(Database& db)
    {
        auto find = db.prepare("SELECT id FROM archive_jids WHERE jid = ?1");
        auto add = db.prepare("INSERT INTO archive_jids (jid) VALUES (?1)");
        auto body = db.prepare("INSERT INTO archive_bodies (id, stanza) VALUES (?1, ?2)");
        auto item = db.prepare(
            "INSERT INTO archive_items (owner, id, with_jid, stamp, outgoing, body) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        for (const auto* s : {&find, &add, &body, &item}) {
            if (!*s) {
                spdlog::error("archive writer: {}", s->error().message);
                return std::nullopt;
            }
        }
        return BatchWriter(db, std::move(*find), std::move(*add), std::move(*body),
                           std::move(*item));
    }

    /// Commits the whole batch or nothing: copies wait for it, and a copy must never carry
    /// a stanza-id the archive lacks. The error is the first failure's (not logged here).
    Result<void, StorageError> write(const ArchiveBatch& batch)
    {
        if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) {
            return r;
        }
        auto r = insert(batch);
        if (r) {
            r = db_->exec("COMMIT");
        }
        if (!r) {
            (void)db_->exec("ROLLBACK");
            keys_.clear();  // keys added in this transaction are gone with it
        }
        return r;
    }

private:
    BatchWriter(Database& db, Statement find, Statement add, Statement body, Statement item)
        : db_(&db),
          find_jid_(std::move(find)),
          insert_jid_(std::move(add)),
          insert_body_(std::move(body)),
          insert_item_(std::move(item))
    {
    }

    Result<void, StorageError> insert(const ArchiveBatch& batch)
    {
        order_.clear();
        for (const auto& item : batch.items()) {
            auto owner = key(batch.text(item.owner));
            if (!owner) {
                return unexpected(owner.error());
            }
            auto with = key(batch.text(item.with));
            if (!with) {
                return unexpected(with.error());
            }
            order_.push_back({*owner, item.id, *with, &item});
        }
        for (const auto& b : batch.bodies()) {
            auto reset = insert_body_.reset_on_exit();
            insert_body_.bind(1, b.id).bind_unowned(2, batch.text(b.stanza));
            if (auto r = insert_body_.run(); !r) {
                return r;
            }
        }
        // In key order, each owner's pages are visited once per batch, not once per item.
        std::sort(order_.begin(), order_.end());
        for (const auto& [owner, id, with, item] : order_) {
            auto reset = insert_item_.reset_on_exit();
            insert_item_.bind(1, owner)
                .bind(2, id)
                .bind(3, with)
                .bind(4, item->stamp_us)
                .bind(5, std::int64_t{item->outgoing})
                .bind(6, batch.bodies()[item->body].id);
            if (auto r = insert_item_.run(); !r) {
                return r;
            }
        }
        return {};
    }

    Result<std::int64_t, StorageError> key(std::string_view jid)
    {
        if (auto it = keys_.find(jid); it != keys_.end()) {
            return it->second;
        }
        std::int64_t id = 0;
        {
            auto reset = find_jid_.reset_on_exit();
            find_jid_.bind_unowned(1, jid);
            auto row = find_jid_.step();
            if (!row) {
                return unexpected(row.error());
            }
            if (*row) {
                id = find_jid_.column_int64(0);
            }
        }
        if (id == 0) {
            auto reset = insert_jid_.reset_on_exit();
            insert_jid_.bind_unowned(1, jid);
            if (auto r = insert_jid_.run(); !r) {
                return unexpected(r.error());
            }
            id = sqlite3_last_insert_rowid(db_->handle());
        }
        if (keys_.size() >= max_cached_keys) {
            keys_.clear();
        }
        keys_.emplace(jid, id);
        return id;
    }

    Database* db_;
    Statement find_jid_, insert_jid_, insert_body_, insert_item_;
    std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> keys_;
    struct Key {                       // sorted in place: no pointer chasing while sorting
        std::int64_t owner, id, with;  // with: the contact's key in archive_jids
        const ArchiveBatch::Item* item;
        bool operator<(const Key& o) const noexcept
        {
            return owner != o.owner ? owner < o.owner : id < o.id;
        }
    };
    std::vector<Key> order_;
};

}  // namespace

SqliteArchive::SqliteArchive(Database& reader, std::unique_ptr<Database> writer)
    : reader_(reader), writer_db_(std::move(writer))
{
    // The reader's commits ask the writer for checkpoints instead of running them here.
    sqlite3_wal_hook(reader_.handle(), &SqliteArchive::on_reader_wal, this);
    writer_ = std::thread([this] { run_writer(); });
}

SqliteArchive::~SqliteArchive()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
    sqlite3_wal_autocheckpoint(reader_.handle(), 1000);  // SQLite's default
}

int SqliteArchive::on_reader_wal(void* self, sqlite3*, const char*, int pages)
{
    if (pages >= checkpoint_pages) {
        auto* archive = static_cast<SqliteArchive*>(self);
        {
            std::lock_guard lock(archive->mutex_);
            archive->checkpoint_wanted_ = true;
        }
        archive->wake_.notify_one();
    }
    return SQLITE_OK;
}

void SqliteArchive::set_commit_listener(CommitListener listener)
{
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

void SqliteArchive::append(const ArchiveEntry& entry)
{
    bool first;
    {
        std::lock_guard lock(mutex_);
        first = pending_.empty();
        pending_.add(entry);
        ++appended_;
    }
    if (first) {  // the writer sleeps only on an empty queue: one wake-up per batch
        wake_.notify_one();
    }
}

void SqliteArchive::run_writer()
{
    // Normal priority: every copy of an archived message waits for this thread's commit
    // (it once ran at SCHED_IDLE, when nothing waited for it but queries).
    (void)writer_db_->exec(writer_cache);
    (void)writer_db_->exec(wal_size_limit);
    sqlite3_wal_autocheckpoint(writer_db_->handle(), checkpoint_pages);
    auto writer = BatchWriter::prepare(*writer_db_);
    ArchiveBatch batch;
    std::uint64_t lost_batches = 0, lost_entries = 0;  // since the failure was logged
    CommitListener listener;
    for (;;) {
        bool checkpoint = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || checkpoint_wanted_ || !pending_.empty(); });
            if (pending_.empty() && stopping_) {
                return;
            }
            batch.swap(pending_);
            std::swap(checkpoint, checkpoint_wanted_);
            if (!listener) {
                listener = listener_;
            }
        }
        if (!batch.empty()) {
            // One transaction per batch: the group commit that lets archiving keep up with
            // fan-out without a sync per message.
            auto stored = writer ? writer->write(batch)
                                 : Result<void, StorageError>(unexpected(StorageError{
                                       StorageError::Code::backend, "no writer statements"}));
            // Once per burst: a full disk fails every batch until space returns.
            if (!stored && lost_batches++ == 0) {
                spdlog::error("archive: cannot store messages ({}); they are refused until "
                              "it can",
                              stored.error().message);
            }
            if (!stored) {
                lost_entries += batch.size();
            } else if (lost_batches > 0) {
                spdlog::warn("archive: storing again; {} messages in {} batches were refused",
                             lost_entries, lost_batches);
                lost_batches = lost_entries = 0;
            }
            if (listener) {
                std::int64_t through = 0;
                for (const auto& item : batch.items()) {
                    through = std::max(through, item.id);
                }
                listener(through, stored.has_value());
            }
        } else if (checkpoint) {  // the writer's own commits checkpoint automatically
            sqlite3_wal_checkpoint_v2(writer_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                      nullptr, nullptr);
        }
        {
            std::lock_guard lock(mutex_);
            committed_count_ += batch.size();
        }
        committed_.notify_all();
        batch.clear();
    }
}

std::size_t SqliteArchive::backlog()
{
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(appended_ - committed_count_);
}

void SqliteArchive::flush()
{
    std::unique_lock lock(mutex_);
    const auto target = appended_;
    if (committed_count_ >= target) {
        return;
    }
    wake_.notify_one();
    committed_.wait(lock, [&] { return committed_count_ >= target; });
}

}  // namespace chorus::storage::sqlite
