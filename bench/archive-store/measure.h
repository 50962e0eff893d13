// bench/archive-store: CPU time and disk writes of the process and of the calling thread.
#pragma once

#include <cstdint>
#include <string>

namespace archive_bench {

struct Counters {
    double process_cpu_s = 0;  // every thread, including ones that ended (getrusage)
    double process_sys_s = 0;  // the kernel's part of it (write(), page faults)
    double thread_cpu_s = 0;   // the calling thread only (CLOCK_THREAD_CPUTIME_ID)
    double thread_sys_s = 0;   // its kernel part (RUSAGE_THREAD)
    double wall_s = 0;
    std::uint64_t process_write_bytes = 0, thread_write_bytes = 0;  // /proc/self/io
    std::uint64_t process_read_bytes = 0;

    static Counters now();
    Counters operator-(const Counters& o) const;
};

/// Bytes of the files under dir (apparent sizes).
std::uint64_t dir_bytes(const std::string& dir);
/// Peak resident memory of the process, KiB.
long max_rss_kib();

}  // namespace archive_bench
