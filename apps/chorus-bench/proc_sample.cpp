// apps/chorus-bench/proc_sample.cpp: parsing /proc/PID/stat fields 14-15 and VmRSS.
#include "proc_sample.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace chorus::bench {
namespace {

bool read_cpu(int pid, double& seconds)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) {
        return false;
    }
    // comm (field 2) may hold spaces and parentheses: the fields resume after the last ')'.
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos) {
        return false;
    }
    std::istringstream fields(text.substr(paren + 2));
    std::string field;
    unsigned long long utime = 0;
    unsigned long long stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14) {
            utime = std::strtoull(field.c_str(), nullptr, 10);
        } else if (i == 15) {
            stime = std::strtoull(field.c_str(), nullptr, 10);
        }
    }
    seconds += static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    return true;
}

bool read_rss(int pid, std::uint64_t& kib)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) {
            kib += std::strtoull(line.c_str() + 6, nullptr, 10);
            return true;
        }
    }
    return false;
}

}  // namespace

ProcSample sample_processes(const std::vector<int>& pids)
{
    ProcSample sample;
    sample.ok = !pids.empty();
    for (int pid : pids) {
        sample.ok = read_cpu(pid, sample.cpu_seconds) && sample.ok;
        sample.ok = read_rss(pid, sample.rss_kib) && sample.ok;
    }
    return sample;
}

double core_busy_seconds(int core)
{
    if (core < 0) {
        return -1;
    }
    std::ifstream in("/proc/stat");
    const std::string prefix = "cpu" + std::to_string(core) + " ";
    std::string line;
    while (std::getline(in, line)) {
        if (!line.starts_with(prefix)) {
            continue;
        }
        std::istringstream fields(line.substr(prefix.size()));
        unsigned long long value = 0;
        unsigned long long busy = 0;
        // user nice system [idle iowait irq softirq] steal: interrupts are left out because at
        // a few hundred thousand packets/s the server's own loopback traffic runs softirqs there.
        for (int i = 0; i < 8 && fields >> value; ++i) {
            if (i < 3 || i == 7) {
                busy += value;
            }
        }
        return static_cast<double>(busy) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
    return -1;
}

double self_cpu_seconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

}  // namespace chorus::bench
