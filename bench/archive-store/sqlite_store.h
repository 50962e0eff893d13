// bench/archive-store: chorusd's SqliteArchive (the real code) behind the Store interface.
#pragma once

#include <memory>
#include <string>

#include "store.h"

namespace archive_bench {

/// Variants of the schema's physical layout, to measure cheap changes (defaults: chorusd's).
struct SqliteTuning {
    int page_size = 0;             // 0: SQLite's default (4096); only for a new file
    bool drop_with_index = false;  // without archive_items_by_with (what the index costs)
};

std::unique_ptr<Store> make_sqlite_store(const std::string& dir, const SqliteTuning& tuning);

}  // namespace archive_bench
