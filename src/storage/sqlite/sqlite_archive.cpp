// SqliteArchive: group-committed appends and WAL checkpoints on a writer thread.
#include "storage/sqlite/sqlite_archive.h"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace chorus::storage::sqlite {
namespace {

// How long the writer lets a batch gather, and the batch size that commits at once. Every
// commit rewrites each index page it touched into the WAL, and with many owners nearly
// every item touches its own pages: the larger the batch, the more items share a page.
// Queries flush first, so nobody reads a stale archive.
constexpr auto gather_time = std::chrono::milliseconds(50);
constexpr std::size_t max_batch = 16384;
// The writer's page cache: the index pages it appends to stay in memory.
constexpr std::string_view writer_cache = "PRAGMA cache_size=-16384";
// WAL pages before a checkpoint copies them into the database. A page that several commits
// rewrote is copied once per checkpoint, so a longer WAL (32 MiB) means fewer copies.
constexpr int checkpoint_pages = 8192;
// JID keys the writer remembers; beyond this it starts over (a lookup is one index probe).
constexpr std::size_t max_cached_keys = 65536;

// After a checkpoint lets the WAL start over, its file is cut back to this size.
constexpr std::string_view wal_size_limit = "PRAGMA journal_size_limit=67108864";

/// The writer may share a core with the I/O thread: a commit (or a WAL checkpoint) must
/// never delay delivery. SCHED_IDLE yields the moment the I/O thread wakes; a low nice value
/// alone lets the writer finish its time slice first (a millisecond or more).
void set_idle_priority(pid_t thread, bool idle)
{
    sched_param param{};
    if (sched_setscheduler(thread, idle ? SCHED_IDLE : SCHED_OTHER, &param) != 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(thread), idle ? 19 : 0);
    }
}

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

    /// Commits the batch; false when part of it could not be stored (logged).
    bool write(const ArchiveBatch& batch)
    {
        bool ok = db_->exec("BEGIN IMMEDIATE").has_value();
        order_.clear();
        for (const auto& item : batch.items()) {
            const auto owner = key(batch.text(item.owner));
            const auto with = key(batch.text(item.with));
            if (!owner || !with) {
                ok = false;
                continue;
            }
            order_.push_back({*owner, item.id, *with, &item});
        }
        for (const auto& b : batch.bodies()) {
            auto reset = insert_body_.reset_on_exit();
            insert_body_.bind(1, b.id).bind_unowned(2, batch.text(b.stanza));
            ok = report(insert_body_.run()) && ok;
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
            ok = report(insert_item_.run()) && ok;
        }
        if (!report(db_->exec("COMMIT"))) {
            (void)db_->exec("ROLLBACK");
            keys_.clear();  // keys added in this transaction are gone with it
            ok = false;
        }
        return ok;
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

    static bool report(const Result<void, StorageError>& r)
    {
        if (!r) {
            spdlog::error("archive writer: {}", r.error().message);
        }
        return r.has_value();
    }

    std::optional<std::int64_t> key(std::string_view jid)
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
                spdlog::error("archive writer: {}", row.error().message);
                return std::nullopt;
            }
            if (*row) {
                id = find_jid_.column_int64(0);
            }
        }
        if (id == 0) {
            auto reset = insert_jid_.reset_on_exit();
            insert_jid_.bind_unowned(1, jid);
            if (!report(insert_jid_.run())) {
                return std::nullopt;
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
    // flush() lifts the writer's priority by its thread id: know it before anyone can wait.
    std::unique_lock lock(mutex_);
    committed_.wait(lock, [&] { return writer_tid_ != 0; });
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
            archive->lift_writer();  // at idle priority, other processes could starve it
        }
        archive->wake_.notify_one();
    }
    return SQLITE_OK;
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
    set_idle_priority(gettid(), true);
    {
        std::lock_guard lock(mutex_);
        writer_tid_ = gettid();
    }
    committed_.notify_all();
    (void)writer_db_->exec(writer_cache);
    (void)writer_db_->exec(wal_size_limit);
    sqlite3_wal_autocheckpoint(writer_db_->handle(), checkpoint_pages);
    auto writer = BatchWriter::prepare(*writer_db_);
    ArchiveBatch batch;
    for (;;) {
        bool checkpoint = false;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || checkpoint_wanted_ || !pending_.empty(); });
            if (pending_.empty() && stopping_) {
                return;
            }
            // Let a batch gather: one commit per few milliseconds instead of one per message
            // when traffic is light, unless someone waits for it (flush) or it is large.
            if (!pending_.empty()) {
                wake_.wait_for(lock, gather_time, [&] {
                    return stopping_ || flush_waiters_ > 0 || pending_.size() >= max_batch;
                });
            }
            batch.swap(pending_);
            std::swap(checkpoint, checkpoint_wanted_);
        }
        if (!batch.empty()) {
            // One transaction per batch: the group commit that lets archiving keep up with
            // fan-out without a sync per message.
            if (!writer || !writer->write(batch)) {
                spdlog::error("archive: a batch of {} messages was not fully stored", batch.size());
            }
        } else if (checkpoint) {  // the writer's own commits checkpoint automatically
            sqlite3_wal_checkpoint_v2(writer_db_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                      nullptr, nullptr);
        }
        if (boosted_.exchange(false)) {  // lifted for a waiting query or a checkpoint
            set_idle_priority(writer_tid_, true);
        }
        {
            std::lock_guard lock(mutex_);
            committed_count_ += batch.size();
        }
        committed_.notify_all();
        batch.clear();
    }
}

void SqliteArchive::lift_writer()
{
    if (!boosted_.exchange(true)) {  // the writer drops back to idle after its next batch
        set_idle_priority(writer_tid_, false);
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
    ++flush_waiters_;
    // The I/O thread now waits for an idle-priority thread: lift it, or any other process's
    // load could starve the query (priority inversion).
    lift_writer();
    wake_.notify_one();
    committed_.wait(lock, [&] { return committed_count_ >= target; });
    --flush_waiters_;
}

}  // namespace chorus::storage::sqlite
