// ArchiveJournal: the archive's own write-ahead log. A group commit is one write() of the
// batch to a segment file (plus fdatasync for "power" durability), so a copy may leave as
// soon as its entry is here; the SQLite tables take the entries later, in large batches,
// off the delivery path. Segments go once SQLite has everything they hold.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "storage/archive.h"
#include "storage/sqlite/archive_batch.h"
#include "storage/storage_error.h"

namespace chorus::storage::sqlite {

class ArchiveJournal {
public:
    /// dir is created when missing; sync: fdatasync each batch (survives power loss).
    static Result<std::unique_ptr<ArchiveJournal>, StorageError> open(std::string dir, bool sync);
    ~ArchiveJournal();
    ArchiveJournal(const ArchiveJournal&) = delete;
    ArchiveJournal& operator=(const ArchiveJournal&) = delete;

    /// Every intact entry of the segments found at open, in append order; a torn or
    /// corrupt tail (the write a crash cut) ends a segment.
    void replay(const std::function<void(const ArchiveEntry&)>& fn) const;
    /// Appends one batch; when it returns ok the batch is durable. On failure nothing of
    /// the batch remains in the journal.
    Result<void, StorageError> append(const ArchiveBatch& batch);
    /// Entries through `id` are stored elsewhere: segments holding nothing newer go.
    void release_through(std::int64_t id);

private:
    struct Segment {
        std::string path;
        std::int64_t last_id = 0;
    };
    ArchiveJournal(std::string dir, bool sync) : dir_(std::move(dir)), sync_(sync) {}
    Result<void, StorageError> start_segment();

    std::string dir_;
    bool sync_;
    std::vector<Segment> closed_;  // oldest first
    Segment current_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    std::uint64_t next_number_ = 1;
    std::string frame_;  // reused encoding buffer
};

}  // namespace chorus::storage::sqlite
