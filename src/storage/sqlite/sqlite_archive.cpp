// SqliteArchive: appends group-committed to the journal by the appending thread, then
// written into SQLite (and WAL checkpoints run) by an idle-priority writer thread.
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

// Copies of archived messages wait only for the journal (archive_journal.h), so the SQLite
// writer may let a batch gather. Every commit rewrites each index page it touched into the
// WAL, and with many owners nearly every item touches its own pages: the larger the batch,
// the more items share a page. Queries flush first, so nobody reads a stale archive.
constexpr auto gather_time = std::chrono::milliseconds(50);
constexpr std::size_t max_batch = 16384;
// A query waits at most this long for the writer: if SQLite cannot write (a full disk),
// it reads what is there rather than hold the I/O thread.
constexpr auto max_flush_wait = std::chrono::seconds(2);
// The writer's page cache: the index pages it appends to stay in memory.
constexpr std::string_view writer_cache = "PRAGMA cache_size=-16384";
// WAL pages before a checkpoint copies them into the database. A page that several commits
// rewrote is copied once per checkpoint, so a longer WAL (32 MiB) means fewer copies.
constexpr int checkpoint_pages = 8192;
// JID keys the writer remembers; beyond this it starts over (a lookup is one index probe).
constexpr std::size_t max_cached_keys = 65536;

// After a checkpoint lets the WAL start over, its file is cut back to this size.
constexpr std::string_view wal_size_limit = "PRAGMA journal_size_limit=67108864";

/// The SQLite writer may share a core with the I/O thread: its commits (and WAL checkpoints)
/// must never delay delivery. SCHED_IDLE yields the moment the I/O thread wakes; a low nice
/// value alone lets the writer finish its time slice first (a millisecond or more).
void set_idle_priority(pid_t thread, bool idle)
{
    sched_param param{};
    if (sched_setscheduler(thread, idle ? SCHED_IDLE : SCHED_OTHER, &param) != 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(thread), idle ? 19 : 0);
    }
}

std::int64_t last_id(const ArchiveBatch& batch)
{
    std::int64_t id = 0;
    for (const auto& item : batch.items()) {
        id = std::max(id, item.id);
    }
    return id;
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
    // A statement's fixed cost (cursors, halt, reset) was a third of the writer's time with
    // one row per INSERT; rows_per_insert rows share it.
    static constexpr int rows_per_insert = 32;
    static constexpr std::string_view body_sql = "INSERT INTO archive_bodies (id, stanza) VALUES ";
    static constexpr std::string_view body_row = "(?,?)";
    static constexpr int body_columns = 2;
    static constexpr std::string_view item_sql =
        "INSERT INTO archive_items (owner, id, with_jid, stamp, outgoing, body) VALUES ";
    static constexpr std::string_view item_row = "(?,?,?,?,?,?)";
    static constexpr int item_columns = 6;

    static std::string rows_sql(std::string_view head, std::string_view row, int rows)
    {
        std::string sql(head);
        for (int i = 0; i < rows; ++i) {
            sql.append(i ? "," : "").append(row);
        }
        return sql;
    }

    /// One INSERT for a single row and one for rows_per_insert rows.
    struct Inserts {
        Statement one, many;
    };

    /// Runs rows [0, n) through the wide statement in chunks and the rest one by one;
    /// bind_row(statement, first_parameter, row) binds a row.
    template <typename BindRow>
    static Result<void, StorageError> insert_rows(Inserts& s, std::size_t n, int columns,
                                                  BindRow&& bind_row)
    {
        std::size_t row = 0;
        for (; row + rows_per_insert <= n; row += rows_per_insert) {
            auto reset = s.many.reset_on_exit();
            for (int i = 0; i < rows_per_insert; ++i) {
                bind_row(s.many, 1 + i * columns, row + static_cast<std::size_t>(i));
            }
            if (auto r = s.many.run(); !r) {
                return r;
            }
        }
        for (; row < n; ++row) {
            auto reset = s.one.reset_on_exit();
            bind_row(s.one, 1, row);
            if (auto r = s.one.run(); !r) {
                return r;
            }
        }
        return {};
    }

public:
    static std::optional<BatchWriter> prepare(Database& db)
    {
        auto find = db.prepare("SELECT id FROM archive_jids WHERE jid = ?1");
        auto add = db.prepare("INSERT INTO archive_jids (jid) VALUES (?1)");
        auto body = db.prepare(rows_sql(body_sql, body_row, 1));
        auto bodies = db.prepare(rows_sql(body_sql, body_row, rows_per_insert));
        auto item = db.prepare(rows_sql(item_sql, item_row, 1));
        auto items = db.prepare(rows_sql(item_sql, item_row, rows_per_insert));
        for (const auto* s : {&find, &add, &body, &bodies, &item, &items}) {
            if (!*s) {
                spdlog::error("archive writer: {}", s->error().message);
                return std::nullopt;
            }
        }
        return BatchWriter(db, std::move(*find), std::move(*add),
                           {std::move(*body), std::move(*bodies)},
                           {std::move(*item), std::move(*items)});
    }

    /// Commits the batches in one transaction, all or nothing (a failed one is retried
    /// whole). The error is the first failure's (not logged here).
    Result<void, StorageError> write(const std::vector<ArchiveBatch>& batches)
    {
        if (auto r = db_->exec("BEGIN IMMEDIATE"); !r) {
            return r;
        }
        auto r = insert(batches);
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
    BatchWriter(Database& db, Statement find, Statement add, Inserts bodies, Inserts items)
        : db_(&db),
          find_jid_(std::move(find)),
          insert_jid_(std::move(add)),
          insert_bodies_(std::move(bodies)),
          insert_items_(std::move(items))
    {
    }

    /// All batches' items sorted together: one commit gathers many small journal batches.
    Result<void, StorageError> insert(const std::vector<ArchiveBatch>& batches)
    {
        order_.clear();
        for (const auto& batch : batches) {
            for (const auto& item : batch.items()) {
                auto owner = key(batch.text(item.owner));
                if (!owner) {
                    return unexpected(owner.error());
                }
                auto with = key(batch.text(item.with));
                if (!with) {
                    return unexpected(with.error());
                }
                order_.push_back({*owner, item.id, *with, batch.bodies()[item.body].id, &item});
            }
            const auto& bodies = batch.bodies();
            auto r = insert_rows(
                insert_bodies_, bodies.size(), body_columns,
                [&](Statement& st, int p, std::size_t row) {
                    st.bind(p, bodies[row].id).bind_unowned(p + 1, batch.text(bodies[row].stanza));
                });
            if (!r) {
                return r;
            }
        }
        // In key order, each owner's pages are visited once per commit, not once per item.
        std::sort(order_.begin(), order_.end());
        return insert_rows(insert_items_, order_.size(), item_columns,
                           [&](Statement& st, int p, std::size_t row) {
                               const auto& k = order_[row];
                               st.bind(p, k.owner)
                                   .bind(p + 1, k.id)
                                   .bind(p + 2, k.with)
                                   .bind(p + 3, k.item->stamp_us)
                                   .bind(p + 4, std::int64_t{k.item->outgoing})
                                   .bind(p + 5, k.body);
                           });
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
    Statement find_jid_, insert_jid_;
    Inserts insert_bodies_, insert_items_;
    std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> keys_;
    struct Key {                       // sorted in place: no pointer chasing while sorting
        std::int64_t owner, id, with;  // with: the contact's key in archive_jids
        std::int64_t body;             // the body's id
        const ArchiveBatch::Item* item;
        bool operator<(const Key& o) const noexcept
        {
            return owner != o.owner ? owner < o.owner : id < o.id;
        }
    };
    std::vector<Key> order_;
};

}  // namespace

SqliteArchive::SqliteArchive(Database& reader, std::unique_ptr<Database> writer, bool sync_journal)
    : reader_(reader), writer_db_(std::move(writer))
{
    // The reader's commits ask the writer for checkpoints instead of running them here.
    sqlite3_wal_hook(reader_.handle(), &SqliteArchive::on_reader_wal, this);
    auto journal = ArchiveJournal::open(writer_db_->path() + "-archive-log", sync_journal);
    if (!journal) {
        spdlog::error("archive: no journal: {}", journal.error().message);
    } else {
        journal_ = std::move(*journal);
        // What a crash left in the journal and SQLite lacks goes in before anything new.
        std::int64_t stored = 0;
        if (auto q = writer_db_->prepare("SELECT COALESCE(MAX(id), 0) FROM archive_bodies")) {
            if (auto row = q->step(); row && *row) {
                stored = q->column_int64(0);
            }
        }
        ArchiveBatch replayed;
        journal_->replay([&](const ArchiveEntry& e) {
            if (e.id > stored && e.id > replayed_max_id_) {
                replayed.add(e);
                replayed_max_id_ = e.id;
            }
        });
        if (!replayed.empty()) {
            spdlog::info("archive: {} messages from the journal go into the database",
                         replayed.size());
            appended_ += replayed.size();
            ingest_.push_back(std::move(replayed));
        }
    }
    writer_ = std::thread([this] { run_writer(); });
    // flush() lifts the writer's priority by its thread id: know it before anyone can wait.
    std::unique_lock lock(mutex_);
    committed_.wait(lock, [&] { return writer_tid_ != 0; });
}

SqliteArchive::~SqliteArchive()
{
    journal_pending();  // what was appended is stored on the way out
    {
        std::lock_guard lock(mutex_);
        ingest_stopping_ = true;
    }
    ingest_wake_.notify_all();
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
        archive->ingest_wake_.notify_one();
    }
    return SQLITE_OK;
}

void SqliteArchive::append(const ArchiveEntry& entry)
{
    std::lock_guard lock(mutex_);
    pending_.add(entry);
    ++appended_;
}

std::optional<Archive::CommitReport> SqliteArchive::commit()
{
    journal_pending();
    if (unreported_.empty()) {
        return std::nullopt;
    }
    const auto report = unreported_.front();
    unreported_.pop_front();
    return report;
}

void SqliteArchive::journal_pending()
{
    ArchiveBatch batch;
    {
        std::lock_guard lock(mutex_);
        if (pending_.empty()) {
            return;
        }
        batch.swap(pending_);
    }
    const auto through = last_id(batch);
    auto logged = journal_ ? journal_->append(batch)
                           : Result<void, StorageError>(unexpected(
                                 StorageError{StorageError::Code::backend, "no journal"}));
    // Once per burst: a full disk fails every batch until space returns.
    if (!logged && lost_batches_++ == 0) {
        spdlog::error("archive: cannot store messages ({}); they are refused until it can",
                      logged.error().message);
    }
    if (!logged) {
        lost_entries_ += batch.size();
    } else if (lost_batches_ > 0) {
        spdlog::warn("archive: storing again; {} messages in {} batches were refused",
                     lost_entries_, lost_batches_);
        lost_batches_ = lost_entries_ = 0;
    }
    bool wake = false;
    std::int64_t ingested = 0;
    {
        std::lock_guard lock(mutex_);
        if (logged) {
            wake = ingest_.empty();
            ingest_.push_back(std::move(batch));
        } else {
            committed_count_ += batch.size();  // refused: nobody waits for it
        }
        ingested = ingested_through_;
    }
    if (wake) {  // the writer sleeps only on an empty queue
        ingest_wake_.notify_one();
    }
    if (journal_) {
        journal_->release_through(ingested);
    }
    if (!logged) {
        committed_.notify_all();
    }
    unreported_.push_back({through, logged.has_value()});
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
    std::vector<ArchiveBatch> batches;
    std::uint64_t failed = 0;  // attempts since the failure was logged
    for (;;) {
        bool checkpoint = false;
        std::size_t entries = 0;
        {
            std::unique_lock lock(mutex_);
            ingest_wake_.wait(
                lock, [&] { return ingest_stopping_ || checkpoint_wanted_ || !ingest_.empty(); });
            if (ingest_.empty() && ingest_stopping_) {
                return;
            }
            // Let a batch gather: the journal already holds it, and larger batches cost
            // less per message; unless someone waits for it (flush) or it is large.
            auto queued = [&] {
                std::size_t n = 0;
                for (const auto& b : ingest_) {
                    n += b.size();
                }
                return n;
            };
            if (!ingest_.empty()) {
                ingest_wake_.wait_for(lock, gather_time, [&] {
                    return ingest_stopping_ || flush_waiters_ > 0 || queued() >= max_batch;
                });
            }
            std::move(ingest_.begin(), ingest_.end(), std::back_inserter(batches));
            ingest_.clear();
            std::swap(checkpoint, checkpoint_wanted_);
        }
        for (const auto& b : batches) {
            entries += b.size();
        }
        if (!batches.empty()) {
            auto stored = writer ? writer->write(batches)
                                 : Result<void, StorageError>(unexpected(StorageError{
                                       StorageError::Code::backend, "no writer statements"}));
            if (!stored) {
                // The journal keeps them: try again shortly, in the same order.
                if (failed++ == 0) {
                    spdlog::error(
                        "archive: cannot write the database ({}); the journal keeps "
                        "{} messages, retrying",
                        stored.error().message, entries);
                }
                std::unique_lock lock(mutex_);
                if (ingest_stopping_) {
                    return;  // the journal replays them at the next start
                }
                // The failed ones first, then what came since.
                std::move(batches.rbegin(), batches.rend(), std::front_inserter(ingest_));
                batches.clear();
                ingest_wake_.wait_for(lock, std::chrono::milliseconds(100),
                                      [&] { return ingest_stopping_; });
                continue;
            }
            if (failed > 0) {
                spdlog::warn("archive: writing the database again after {} attempts", failed);
                failed = 0;
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
            committed_count_ += entries;
            for (const auto& b : batches) {
                ingested_through_ = std::max(ingested_through_, last_id(b));
            }
        }
        committed_.notify_all();
        batches.clear();
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
    journal_pending();  // its report waits for the next commit()
    std::unique_lock lock(mutex_);
    const auto target = appended_;
    if (committed_count_ >= target) {
        return;
    }
    ++flush_waiters_;
    // The I/O thread now waits for an idle-priority thread: lift it, or any other process's
    // load could starve the query (priority inversion).
    lift_writer();
    ingest_wake_.notify_one();
    committed_.wait_for(lock, max_flush_wait, [&] { return committed_count_ >= target; });
    --flush_waiters_;
}

}  // namespace chorus::storage::sqlite
