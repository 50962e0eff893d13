// Release-mode bug reports for CHORUS_BUG: one log line and a counter, no abort.
#include "base/check.h"

#include <atomic>

#include <spdlog/spdlog.h>

namespace chorus::detail {
namespace {
std::atomic<unsigned long> bug_count{0};
}
void report_bug(const char* expr, const char* file, int line)
{
    ++bug_count;
    spdlog::error("bug: {} at {}:{} (bug #{})", expr, file, line, bug_count.load());
}
}  // namespace chorus::detail
