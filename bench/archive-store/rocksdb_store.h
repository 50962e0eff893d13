// bench/archive-store: the archive's logical content in RocksDB, fed like chorusd's writer.
#pragma once

#include <memory>
#include <string>

#include "store.h"

namespace archive_bench {

struct RocksTuning {
    bool lz4 = false;                   // LZ4 on every level; otherwise no compression
    std::size_t write_buffer_mib = 64;  // per column family
    std::size_t block_cache_mib = 64;
};

/// Column families: bodies (id → stanza), items ((owner, id) → with, stamp, outgoing,
/// body id), by_with ((owner, with, id) → empty), and default (JID ↔ 4-byte key). Keys are
/// big-endian, so byte order is id order. One WriteBatch per batch, WAL off: the archive
/// journal (chorusd's real one, written here too) holds the batch until a flush persists it.
std::unique_ptr<Store> make_rocksdb_store(const std::string& dir, const RocksTuning& tuning);

}  // namespace archive_bench
