// bench/archive-store: CPU and disk bytes per archived message, SQLite (chorusd's real
// SqliteArchive) against RocksDB, and the cost of one MAM page (bench/RESULTS-archive-store.md).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "measure.h"
#include "rocksdb_store.h"
#include "sqlite_store.h"
#include "workload.h"

namespace archive_bench {
namespace {

struct Options {
    std::string engine = "sqlite";  // sqlite | rocksdb
    std::string dir;
    std::uint64_t skip = 0;  // messages already in the store (ids continue after them)
    std::uint64_t messages = 1'000'000;
    std::uint64_t batch = 5000;  // messages per writer batch (two items each)
    std::size_t pad = 0;
    int queries = 0;  // timed passes over the 200 owners; 0: no queries
    SqliteTuning sqlite;
    RocksTuning rocks;
};

[[noreturn]] void usage(const char* what)
{
    std::fprintf(stderr,
                 "archive_store_bench: %s\n"
                 "usage: archive_store_bench --engine sqlite|rocksdb --dir DIR [--skip N] "
                 "[--messages N] [--batch N] [--pad N] [--queries N] [--page-size N] "
                 "[--drop-with-index] [--lz4] [--write-buffer-mib N] [--block-cache-mib N]\n",
                 what);
    std::exit(2);
}

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage("missing value");
            }
            return argv[++i];
        };
        auto number = [&] { return std::stoull(next()); };
        if (a == "--engine") {
            o.engine = next();
        } else if (a == "--dir") {
            o.dir = next();
        } else if (a == "--skip") {
            o.skip = number();
        } else if (a == "--messages") {
            o.messages = number();
        } else if (a == "--batch") {
            o.batch = number();
        } else if (a == "--pad") {
            o.pad = number();
        } else if (a == "--queries") {
            o.queries = static_cast<int>(number());
        } else if (a == "--page-size") {
            o.sqlite.page_size = static_cast<int>(number());
        } else if (a == "--drop-with-index") {
            o.sqlite.drop_with_index = true;
        } else if (a == "--lz4") {
            o.rocks.lz4 = true;
        } else if (a == "--write-buffer-mib") {
            o.rocks.write_buffer_mib = number();
        } else if (a == "--block-cache-mib") {
            o.rocks.block_cache_mib = number();
        } else {
            usage("unknown option");
        }
    }
    if (o.dir.empty() || o.batch == 0 || (o.engine != "sqlite" && o.engine != "rocksdb")) {
        usage("--engine and --dir are required");
    }
    return o;
}

/// Main-thread CPU µs per call of fn over `passes` passes of the 200 owners, after one
/// untimed pass (MAM pages are read where messages were just written: a warm cache).
double per_query_us(int passes, const std::function<std::size_t(int)>& fn)
{
    std::size_t bytes = 0;
    for (int owner = 0; owner < accounts; ++owner) {
        bytes += fn(owner);
    }
    const auto before = Counters::now();
    for (int p = 0; p < passes; ++p) {
        for (int owner = 0; owner < accounts; ++owner) {
            bytes += fn(owner);
        }
    }
    const auto d = Counters::now() - before;
    if (bytes == 0) {
        std::fprintf(stderr, "archive_store_bench: a query read nothing\n");
    }
    return d.thread_cpu_s * 1e6 / (passes * accounts);
}

std::string query_figures(Store& store, int passes)
{
    const auto page = [&](int owner, bool with, bool page_only) -> std::size_t {
        const auto jid = account_jid(owner), contact = account_jid(owner ^ 1);
        const auto w = with ? std::optional<std::string_view>(contact) : std::nullopt;
        return page_only ? store.newest_page_only(jid, w, 50).value_or(0)
                         : store.newest(jid, w, 50);
    };
    // The stanza bytes of user0's two pages: equal across stores when both read the same items.
    std::string out =
        fmt::format(", \"page_bytes\": [{}, {}]", page(0, false, false), page(0, true, false));
    out += fmt::format(", \"query_owner_us\": {:.1f}, \"query_with_us\": {:.1f}",
                       per_query_us(passes, [&](int o) { return page(o, false, false); }),
                       per_query_us(passes, [&](int o) { return page(o, true, false); }));
    if (store.newest_page_only("user0@localhost", std::nullopt, 1)) {
        out += fmt::format(
            ", \"query_owner_page_only_us\": {:.1f}, \"query_with_page_only_us\": {:.1f}",
            per_query_us(passes, [&](int o) { return page(o, false, true); }),
            per_query_us(passes, [&](int o) { return page(o, true, true); }));
    }
    return out;
}

int run(const Options& o)
{
    spdlog::set_level(spdlog::level::warn);
    const auto opened = Counters::now();
    auto store = o.engine == "sqlite" ? make_sqlite_store(o.dir, o.sqlite)
                                      : make_rocksdb_store(o.dir, o.rocks);
    const auto open_time = Counters::now() - opened;
    Workload workload(o.pad);
    const auto start = Counters::now();
    const std::uint64_t end = o.skip + o.messages;
    for (std::uint64_t m = o.skip; m < end;) {
        const std::uint64_t stop = std::min(end, m + o.batch);
        for (; m < stop; ++m) {
            workload.append_message(*store, m);
        }
        store->commit_and_ingest();
    }
    store->settle();
    const auto d = Counters::now() - start;
    const double n = static_cast<double>(o.messages);
    const double store_cpu = d.process_cpu_s - d.thread_cpu_s;
    std::string line = fmt::format(
        "{{\"engine\": \"{}\", \"lz4\": {}, \"page_size\": {}, \"drop_with_index\": {}, "
        "\"skip\": {}, \"messages\": {}, \"batch\": {}, \"stanza_bytes\": {}, "
        "\"store_cpu_us\": {:.3f}, \"main_cpu_us\": {:.3f}, \"process_cpu_us\": {:.3f}, "
        "\"store_sys_us\": {:.3f}, \"wall_s\": {:.2f}, \"store_write_bytes\": {:.0f}, "
        "\"process_write_bytes\": {:.0f}, "
        "\"read_bytes\": {:.0f}, \"open_s\": {:.3f}, \"dir_bytes_per_msg\": {:.0f}",
        o.engine, o.rocks.lz4, o.sqlite.page_size, o.sqlite.drop_with_index, o.skip, o.messages,
        o.batch, workload.stanza_bytes(), store_cpu * 1e6 / n, d.thread_cpu_s * 1e6 / n,
        d.process_cpu_s * 1e6 / n, (d.process_sys_s - d.thread_sys_s) * 1e6 / n, d.wall_s,
        static_cast<double>(d.process_write_bytes - d.thread_write_bytes) / n,
        static_cast<double>(d.process_write_bytes) / n,
        static_cast<double>(d.process_read_bytes) / n, open_time.wall_s,
        static_cast<double>(dir_bytes(o.dir)) / static_cast<double>(end));
    if (o.queries > 0) {
        line += query_figures(*store, o.queries);
    }
    if (auto extra = store->describe(); !extra.empty()) {
        line += ", " + extra;
    }
    line += fmt::format(", \"max_rss_kib\": {}}}", max_rss_kib());
    std::puts(line.c_str());
    return 0;
}

}  // namespace
}  // namespace archive_bench

int main(int argc, char** argv)
{
    return archive_bench::run(archive_bench::parse(argc, argv));
}
