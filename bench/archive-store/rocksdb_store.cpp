// bench/archive-store: the archive in RocksDB column families, written by one thread.
#include "rocksdb_store.h"

#include <fmt/format.h>
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "storage/sqlite/archive_batch.h"
#include "storage/sqlite/archive_journal.h"

namespace archive_bench {
namespace {

using chorus::storage::sqlite::ArchiveBatch;
using chorus::storage::sqlite::ArchiveJournal;

[[noreturn]] void fail(const std::string& what)
{
    std::fprintf(stderr, "archive_store_bench: %s\n", what.c_str());
    std::exit(1);
}

void check(const rocksdb::Status& s, const char* what)
{
    if (!s.ok()) {
        fail(fmt::format("rocksdb {}: {}", what, s.ToString()));
    }
}

template <typename T>
void put_be(std::string& out, T v)
{
    for (int shift = 8 * (sizeof(T) - 1); shift >= 0; shift -= 8) {
        out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> shift) & 0xff));
    }
}

template <typename T>
T get_be(const char* p)
{
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) {
        v = (v << 8) | static_cast<unsigned char>(p[i]);
    }
    return static_cast<T>(v);
}

// Item value: with key (4), stamp (8), outgoing (1), body id (8).
constexpr std::size_t item_value_size = 21;
constexpr std::size_t body_offset = 13;

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept
    {
        return std::hash<std::string_view>{}(s);
    }
};

enum Family { jids = 0, bodies = 1, items = 2, by_with = 3 };
const std::array<std::string, 4> family_names = {rocksdb::kDefaultColumnFamilyName, "bodies",
                                                 "items", "by_with"};

class RocksStore final : public Store {
public:
    RocksStore(const std::string& dir, const RocksTuning& tuning) : dir_(dir)
    {
        std::filesystem::create_directories(dir);
        rocksdb::DBOptions db;
        db.create_if_missing = true;
        db.create_missing_column_families = true;
        db.max_background_jobs = 2;  // one flush and one compaction at a time
        db.bytes_per_sync = 1 << 20;
        rocksdb::BlockBasedTableOptions table;
        cache_ = rocksdb::NewLRUCache(tuning.block_cache_mib << 20);
        table.block_cache = cache_;
        table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
        rocksdb::ColumnFamilyOptions cf;
        cf.write_buffer_size = tuning.write_buffer_mib << 20;
        cf.max_write_buffer_number = 2;
        cf.level_compaction_dynamic_level_bytes = true;
        cf.compression = tuning.lz4 ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
        cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
        std::vector<rocksdb::ColumnFamilyDescriptor> families;
        for (const auto& name : family_names) {
            families.emplace_back(name, cf);
        }
        rocksdb::DB* raw = nullptr;
        check(rocksdb::DB::Open(db, dir + "/rocksdb", families, &handles_, &raw), "open");
        db_.reset(raw);
        std::string next;
        if (db_->Get({}, handles_[jids], "n", &next).ok() && next.size() == 4) {
            next_key_ = get_be<std::uint32_t>(next.data());
        }
        auto journal = ArchiveJournal::open(dir + "/journal", false);
        if (!journal) {
            fail("journal: " + journal.error().message);
        }
        journal_ = std::move(*journal);
        write_options_.disableWAL = true;
        writer_ = std::thread([this] { run_writer(); });
    }

    ~RocksStore() override
    {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        writer_.join();
        for (auto* h : handles_) {
            check(db_->DestroyColumnFamilyHandle(h), "close");
        }
        check(db_->Close(), "close");
    }

    void append(const chorus::storage::ArchiveEntry& entry) override { pending_.add(entry); }

    /// As SqliteArchive: the journal write on this thread, the store's on the writer's.
    void commit_and_ingest() override
    {
        if (auto r = journal_->append(pending_); !r) {
            fail("journal: " + r.error().message);
        }
        std::int64_t through = 0;
        for (const auto& item : pending_.items()) {
            through = std::max(through, item.id);
        }
        {
            std::unique_lock lock(mutex_);
            job_ = &pending_;
            wake_.notify_all();
            wake_.wait(lock, [&] { return job_ == nullptr; });
        }
        // A real store would keep the journal until the memtable holding the batch is
        // flushed; the bytes it writes are the same either way.
        journal_->release_through(through);
        pending_.clear();
    }

    void settle() override
    {
        rocksdb::FlushOptions flush;
        flush.wait = true;
        check(db_->Flush(flush, handles_), "flush");
        for (;;) {  // until no flush or compaction is running or owed
            std::uint64_t busy = 0;
            for (auto* h : handles_) {
                for (const auto* p :
                     {"rocksdb.compaction-pending", "rocksdb.num-running-compactions",
                      "rocksdb.num-running-flushes", "rocksdb.mem-table-flush-pending"}) {
                    std::uint64_t v = 0;
                    db_->GetIntProperty(h, p, &v);
                    busy += v;
                }
            }
            if (busy == 0) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    std::size_t newest(std::string_view owner, std::optional<std::string_view> with,
                       std::size_t max) override
    {
        std::string owner_key, with_key;
        if (!db_->Get({}, handles_[jids], "j" + std::string(owner), &owner_key).ok() ||
            (with && !db_->Get({}, handles_[jids], "j" + std::string(*with), &with_key).ok())) {
            return 0;
        }
        // Newest first from the upper end of the owner's (or the pair's) key range.
        const std::string lower = owner_key + with_key;
        const std::string upper = lower + std::string(8, '\xff');
        const rocksdb::Slice lower_slice(lower);
        rocksdb::ReadOptions range;
        range.iterate_lower_bound = &lower_slice;
        std::unique_ptr<rocksdb::Iterator> it(
            db_->NewIterator(range, handles_[with ? by_with : items]));
        std::vector<std::string> item_values;
        std::vector<std::string> item_keys;
        for (it->SeekForPrev(upper); it->Valid() && item_values.size() < max; it->Prev()) {
            if (with) {  // the index names the item; its value is read below
                item_keys.emplace_back(owner_key + it->key().ToString().substr(8));
                item_values.emplace_back();
            } else {
                item_values.emplace_back(it->value().ToString());
            }
        }
        if (with) {
            multi_get(items, item_keys, item_values);
        }
        std::vector<std::string> body_keys, contacts;
        for (const auto& v : item_values) {
            if (v.size() != item_value_size) {
                continue;
            }
            body_keys.emplace_back(v.substr(body_offset, 8));
            contacts.emplace_back("k" + v.substr(0, 4));
        }
        std::vector<std::string> stanzas(body_keys.size()), jid_names(contacts.size());
        multi_get(bodies, body_keys, stanzas);
        multi_get(jids, contacts, jid_names);
        std::size_t bytes = 0;
        for (const auto& s : stanzas) {
            bytes += s.size();
        }
        return bytes;
    }

    std::string describe() override
    {
        std::uint64_t memtables = 0, table_readers = 0, sst = 0;
        for (auto* h : handles_) {
            std::uint64_t v = 0;
            db_->GetIntProperty(h, "rocksdb.cur-size-all-mem-tables", &v);
            memtables += v;
            db_->GetIntProperty(h, "rocksdb.estimate-table-readers-mem", &v);
            table_readers += v;
            db_->GetIntProperty(h, "rocksdb.total-sst-files-size", &v);
            sst += v;
        }
        return fmt::format(
            "\"memtable_bytes\": {}, \"table_readers_bytes\": {}, \"block_cache_bytes\": {}, "
            "\"sst_bytes\": {}",
            memtables, table_readers, cache_->GetUsage(), sst);
    }

private:
    void multi_get(Family f, const std::vector<std::string>& keys, std::vector<std::string>& out)
    {
        std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
        std::vector<rocksdb::ColumnFamilyHandle*> families(keys.size(), handles_[f]);
        const auto statuses = db_->MultiGet({}, families, slices, &out);
        for (const auto& s : statuses) {
            check(s, "multiget");
        }
    }

    void run_writer()
    {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [&] { return stopping_ || job_ != nullptr; });
            if (job_ == nullptr) {
                return;
            }
            lock.unlock();
            write(*job_);
            lock.lock();
            job_ = nullptr;
            wake_.notify_all();
        }
    }

    /// Items and index rows go in key order, as the SQLite writer sorts its rows: the
    /// memtable's skip list then finds each insert beside the previous one (in arrival
    /// order, a search from the top per key was 60% of the writer's time).
    void write(const ArchiveBatch& batch)
    {
        batch_.Clear();
        for (const auto& body : batch.bodies()) {
            key_.clear();
            put_be(key_, body.id);
            check(batch_.Put(handles_[bodies], key_, batch.text(body.stanza)), "put");
        }
        rows_.clear();
        for (const auto& item : batch.items()) {
            rows_.push_back({key(batch.text(item.owner)), key(batch.text(item.with)), item.id,
                             item.stamp_us, batch.bodies()[item.body].id, item.outgoing});
        }
        std::sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
            return std::tie(a.owner, a.id) < std::tie(b.owner, b.id);
        });
        for (const auto& row : rows_) {
            key_.clear();
            put_be(key_, row.owner);
            put_be(key_, row.id);
            value_.clear();
            put_be(value_, row.with);
            put_be(value_, row.stamp_us);
            value_.push_back(row.outgoing ? '\1' : '\0');
            put_be(value_, row.body);
            check(batch_.Put(handles_[items], key_, value_), "put");
        }
        std::sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) {
            return std::tie(a.owner, a.with, a.id) < std::tie(b.owner, b.with, b.id);
        });
        for (const auto& row : rows_) {
            key_.clear();
            put_be(key_, row.owner);
            put_be(key_, row.with);
            put_be(key_, row.id);
            check(batch_.Put(handles_[by_with], key_, rocksdb::Slice()), "put");
        }
        check(db_->Write(write_options_, &batch_), "write");
    }

    /// A JID's 4-byte key; a new one goes into the current batch with the counter.
    std::uint32_t key(std::string_view jid)
    {
        if (auto it = keys_.find(jid); it != keys_.end()) {
            return it->second;
        }
        std::string stored;
        std::uint32_t k = 0;
        if (db_->Get({}, handles_[jids], "j" + std::string(jid), &stored).ok()) {
            k = get_be<std::uint32_t>(stored.data());
        } else {
            k = next_key_++;
            std::string be, next;
            put_be(be, k);
            put_be(next, next_key_);
            check(batch_.Put(handles_[jids], "j" + std::string(jid), be), "put");
            check(batch_.Put(handles_[jids], "k" + be, jid), "put");
            check(batch_.Put(handles_[jids], "n", next), "put");
        }
        keys_.emplace(jid, k);
        return k;
    }

    std::string dir_;
    std::shared_ptr<rocksdb::Cache> cache_;
    std::vector<rocksdb::ColumnFamilyHandle*> handles_;
    std::unique_ptr<rocksdb::DB> db_;
    std::unique_ptr<ArchiveJournal> journal_;
    rocksdb::WriteOptions write_options_;
    ArchiveBatch pending_;
    std::mutex mutex_;
    std::condition_variable wake_;
    const ArchiveBatch* job_ = nullptr;
    bool stopping_ = false;
    // The writer thread's own.
    rocksdb::WriteBatch batch_;
    struct Row {
        std::uint32_t owner, with;
        std::int64_t id, stamp_us, body;
        bool outgoing;
    };
    std::vector<Row> rows_;
    std::string key_, value_;
    std::unordered_map<std::string, std::uint32_t, StringHash, std::equal_to<>> keys_;
    std::uint32_t next_key_ = 1;
    std::thread writer_;
};

}  // namespace

std::unique_ptr<Store> make_rocksdb_store(const std::string& dir, const RocksTuning& tuning)
{
    return std::make_unique<RocksStore>(dir, tuning);
}

}  // namespace archive_bench
