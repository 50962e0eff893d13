// SqliteArchive: the XEP-0313 archive in SQLite with a group-commit writer thread.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "storage/archive.h"
#include "storage/sqlite/archive_batch.h"
#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite {

/// Appends go to a queue that a writer thread commits in one transaction per batch, so
/// archiving never costs the I/O thread a disk sync (DESIGN.md "batching writer"). The
/// writer also runs every WAL checkpoint of the file, for the reader's commits too: a
/// checkpoint copies megabytes and must not run on the I/O thread.
class SqliteArchive final : public Archive {
public:
    /// reader: the I/O thread's connection; writer: a second connection for the thread.
    SqliteArchive(Database& reader, std::unique_ptr<Database> writer);
    ~SqliteArchive() override;

    void append(const ArchiveEntry& entry) override;
    void set_commit_listener(CommitListener listener) override;
    ArchivePage query(const ArchiveQuery& q) override;
    bool contains(std::string_view owner, std::int64_t id) override;
    std::int64_t max_id() override;
    std::optional<std::pair<ArchivedMessage, ArchivedMessage>> bounds(
        std::string_view owner) override;
    std::optional<ArchivePrefs> prefs(std::string_view owner) override;
    void set_prefs(std::string_view owner, const ArchivePrefs& prefs) override;
    void flush() override;
    std::size_t backlog() override;

private:
    void run_writer();
    static int on_reader_wal(void* self, struct sqlite3*, const char*, int pages);
    /// The key of an owner or contact JID in archive_jids, read on the I/O thread.
    std::optional<std::int64_t> jid_key(std::string_view jid);

    Database& reader_;
    std::unique_ptr<Database> writer_db_;
    std::mutex mutex_;
    std::condition_variable wake_, committed_;
    ArchiveBatch pending_;
    std::uint64_t appended_ = 0, committed_count_ = 0;
    CommitListener listener_;
    bool checkpoint_wanted_ = false;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace chorus::storage::sqlite
