// bench/archive-store: the interface both archive stores offer the benchmark.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/archive.h"

namespace archive_bench {

/// One store under test. The calling thread plays chorusd's I/O thread: it appends, then
/// commits the batch (journal write) and waits until the store's own thread(s) have
/// ingested it, so every batch reaches the store whole and alone.
class Store {
public:
    virtual ~Store() = default;
    virtual void append(const chorus::storage::ArchiveEntry& entry) = 0;
    virtual void commit_and_ingest() = 0;
    /// Makes everything persistent in its final form (WAL checkpoint, memtable flush and
    /// pending compactions), so a run pays for the work it caused.
    virtual void settle() = 0;
    /// The newest `max` items of owner (with one contact when set); returns the bytes of the
    /// stanzas read, so the work cannot be skipped.
    virtual std::size_t newest(std::string_view owner, std::optional<std::string_view> with,
                               std::size_t max) = 0;
    /// A second query form, when the store has one (SQLite: the page without RSM counts).
    virtual std::optional<std::size_t> newest_page_only(std::string_view,
                                                        std::optional<std::string_view>,
                                                        std::size_t)
    {
        return std::nullopt;
    }
    /// Free-form facts for the report (memory in use, files).
    virtual std::string describe() { return {}; }
};

}  // namespace archive_bench
