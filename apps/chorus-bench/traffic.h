// apps/chorus-bench/traffic.h: the message scenarios: pairs (fixed rate), saturation (a window of
// messages in flight per sender) and fanout (contacts writing to accounts with K devices).
#pragma once

#include "options.h"
#include "report.h"

namespace chorus::bench {

/// Logs in, sends during warm-up and the measured window, drains, and fills report.
/// Returns the process exit status: 0, 1 (--strict and a message was not delivered exactly
/// once) or 2 (the run could not be made, e.g. failed logins).
int run_traffic(const Options& options, Report& report);

}  // namespace chorus::bench
