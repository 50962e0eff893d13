// apps/chorus-bench/sessions.h: the idle scenario (memory per authenticated session and the
// login rate) and in-band registration of the bench accounts (XEP-0077).
#pragma once

#include "options.h"
#include "report.h"

namespace chorus::bench {

/// Logs in options.sessions sessions and samples the server's memory before and after.
int run_idle(const Options& options, Report& report);

/// Registers options.sessions accounts from options.first_user up; existing ones count as done.
int run_register(const Options& options, Report& report);

}  // namespace chorus::bench
