// bench/archive-store: counters from getrusage, clock_gettime and /proc (measure.h).
#include "measure.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string_view>

namespace archive_bench {
namespace {

double seconds(const timeval& tv)
{
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) * 1e-6;
}

/// write_bytes and read_bytes of a /proc io file: bytes this task sent to (or fetched
/// from) the block layer, counted when a page is dirtied, so buffered writes count too.
void read_io(const std::string& path, std::uint64_t& write_bytes, std::uint64_t* read_bytes)
{
    std::ifstream in(path);
    std::string key;
    std::uint64_t value = 0;
    while (in >> key >> value) {
        if (key == "write_bytes:") {
            write_bytes = value;
        } else if (key == "read_bytes:" && read_bytes) {
            *read_bytes = value;
        }
    }
}

}  // namespace

Counters Counters::now()
{
    Counters c;
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    c.process_cpu_s = seconds(ru.ru_utime) + seconds(ru.ru_stime);
    c.process_sys_s = seconds(ru.ru_stime);
    getrusage(RUSAGE_THREAD, &ru);
    c.thread_sys_s = seconds(ru.ru_stime);
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    c.thread_cpu_s = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    c.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    read_io("/proc/self/io", c.process_write_bytes, &c.process_read_bytes);
    read_io("/proc/self/task/" + std::to_string(gettid()) + "/io", c.thread_write_bytes, nullptr);
    return c;
}

Counters Counters::operator-(const Counters& o) const
{
    Counters d;
    d.process_cpu_s = process_cpu_s - o.process_cpu_s;
    d.process_sys_s = process_sys_s - o.process_sys_s;
    d.thread_sys_s = thread_sys_s - o.thread_sys_s;
    d.thread_cpu_s = thread_cpu_s - o.thread_cpu_s;
    d.wall_s = wall_s - o.wall_s;
    d.process_write_bytes = process_write_bytes - o.process_write_bytes;
    d.thread_write_bytes = thread_write_bytes - o.thread_write_bytes;
    d.process_read_bytes = process_read_bytes - o.process_read_bytes;
    return d;
}

std::uint64_t dir_bytes(const std::string& dir)
{
    namespace fs = std::filesystem;
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) {
            total += it->file_size(ec);
        }
    }
    return total;
}

long max_rss_kib()
{
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

}  // namespace archive_bench
