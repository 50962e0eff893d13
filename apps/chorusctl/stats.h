// chorusctl stats: the running server's /metrics, printed for a person (issue 16).
#pragma once

#include <string>

#include "base/config.h"

namespace chorus::ctl {

/// Fetches url (default: http://<http.bind>:<http.port>/metrics) and prints each family's
/// help line and its non-zero samples; exit_failure when the server does not answer.
int stats(const Config& config, std::string url);

/// The exposition text as a person reads it (pure, for tests).
std::string format_stats(const std::string& exposition);

}  // namespace chorus::ctl
