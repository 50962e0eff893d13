// apps/chorus-bench/proc_sample.h: the server's CPU time and memory from /proc (proc(5)), and the
// bench's own CPU time, sampled at the edges of a measured window.
#pragma once

#include <cstdint>
#include <vector>

namespace chorus::bench {

struct ProcSample {
    bool ok = false;            // every pid could be read
    double cpu_seconds = 0;     // utime + stime summed over the pids
    std::uint64_t rss_kib = 0;  // VmRSS summed over the pids
};

/// Samples /proc/PID/stat and /proc/PID/status for each pid; ok is false if none were given.
ProcSample sample_processes(const std::vector<int>& pids);

/// Seconds one CPU core spent on tasks (user, system, steal; not interrupts) from /proc/stat;
/// negative if unknown.
/// Beside the server's own CPU time it shows how much else ran on the server's core.
double core_busy_seconds(int core);

/// The bench process's own user + system CPU seconds.
double self_cpu_seconds();

}  // namespace chorus::bench
