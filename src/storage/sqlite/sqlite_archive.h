// SqliteArchive: the XEP-0313 archive in SQLite with a group-commit writer thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/archive.h"
#include "storage/sqlite/archive_batch.h"
#include "storage/sqlite/archive_journal.h"
#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite {

/// Appends gather in memory until commit() writes them to the journal in one write() (the
/// group commit copies wait for; on the appending thread, with no hand-off to another
/// thread per message). An idle-priority writer thread then commits the journaled batches
/// into SQLite in large transactions, so a SQLite transaction never runs on the I/O thread
/// (DESIGN.md "batching writer"). The writer also runs every WAL checkpoint of the file,
/// for the reader's commits too: a checkpoint copies megabytes and must not delay delivery.
class SqliteArchive final : public Archive {
public:
    /// reader: the I/O thread's connection; writer: a second connection for the thread.
    /// sync_journal: fdatasync every journal write (storage.durability = "power").
    SqliteArchive(Database& reader, std::unique_ptr<Database> writer, bool sync_journal = false);
    ~SqliteArchive() override;

    void append(const ArchiveEntry& entry) override;
    std::optional<CommitReport> commit() override;
    ArchivePage query(const ArchiveQuery& q) override;
    bool contains(std::string_view owner, std::int64_t id) override;
    std::int64_t max_id() override;
    std::optional<std::pair<ArchivedMessage, ArchivedMessage>> bounds(
        std::string_view owner) override;
    std::optional<ArchivePrefs> prefs(std::string_view owner) override;
    void set_prefs(std::string_view owner, const ArchivePrefs& prefs) override;
    void flush() override;
    /// Messages appended but not yet in SQLite.
    std::size_t backlog() override;

private:
    void run_writer();
    /// The group commit's write to the journal; its report waits in unreported_.
    void journal_pending();
    /// Normal priority for the writer until its current or next batch is done.
    void lift_writer();
    static int on_reader_wal(void* self, struct sqlite3*, const char*, int pages);
    /// The key of an owner or contact JID in archive_jids, read on the I/O thread.
    std::optional<std::int64_t> jid_key(std::string_view jid);

    Database& reader_;
    std::unique_ptr<Database> writer_db_;
    std::unique_ptr<ArchiveJournal> journal_;            // touched by the appending thread only
    std::uint64_t lost_batches_ = 0, lost_entries_ = 0;  // journal failures since logged
    std::deque<CommitReport> unreported_;  // journal writes commit() has not returned yet
    std::mutex mutex_;
    std::condition_variable ingest_wake_, committed_;
    ArchiveBatch pending_;             // appended, not yet journaled
    std::deque<ArchiveBatch> ingest_;  // journaled, not yet in SQLite
    std::int64_t ingested_through_ = 0;
    std::int64_t replayed_max_id_ = 0;
    std::uint64_t appended_ = 0, committed_count_ = 0;  // committed: in SQLite (or refused)
    int flush_waiters_ = 0;  // queries waiting for the writer: do not let the batch gather
    pid_t writer_tid_ = 0;   // set by the writer before the constructor returns
    std::atomic<bool> boosted_{false};  // the writer runs at normal priority for a flush()
    bool ingest_stopping_ = false;
    bool checkpoint_wanted_ = false;
    std::thread writer_;
};

}  // namespace chorus::storage::sqlite
