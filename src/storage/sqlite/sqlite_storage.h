// The SQLite backend of Storage: every store over <data_dir>/chorus.sqlite (WAL mode).
#pragma once

#include <memory>
#include <string>

#include "base/config.h"
#include "base/result.h"
#include "storage/storage.h"

namespace chorus::storage::sqlite {

/// Opens the file twice: the I/O thread's connection, shared by every store, and the archive
/// writer's. With storage.durability "power" both sync every commit (synchronous=FULL).
Result<std::unique_ptr<Storage>, std::string> open_sqlite_storage(const Config& config);

}  // namespace chorus::storage::sqlite
