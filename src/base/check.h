// Invariant checks (STYLE.md "Checks"): never on what a peer can cause.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace chorus::detail {
[[noreturn]] inline void check_failed(const char* expr, const char* file, int line)
{
    std::fprintf(stderr, "chorus: check failed: %s at %s:%d\n", expr, file, line);
    std::abort();
}
void report_bug(const char* expr, const char* file, int line);
}  // namespace chorus::detail

/// Always aborts when false.
#define CHORUS_CHECK(expr) \
    ((expr) ? (void)0 : ::chorus::detail::check_failed(#expr, __FILE__, __LINE__))

#ifdef NDEBUG
#define CHORUS_ASSERT(expr) ((void)0)
/// Logs and counts in release builds; aborts in debug builds.
#define CHORUS_BUG(expr) \
    ((expr) ? (void)0 : ::chorus::detail::report_bug(#expr, __FILE__, __LINE__))
#else
#define CHORUS_ASSERT(expr) CHORUS_CHECK(expr)
#define CHORUS_BUG(expr) CHORUS_CHECK(expr)
#endif
