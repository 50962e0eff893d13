// chorusctl stats: the running server's /metrics, printed for a person (issue 16).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/config.h"

namespace chorus::ctl {

/// Fetches url (default: http://<http.bind>:<http.port>/metrics) and prints each family's
/// help line and its non-zero samples; exit_failure when the server does not answer.
int stats(const Config& config, std::string url);

/// chorusctl s2s: the federation links (GET /admin/s2s), a table, or the JSON with json.
int s2s(const Config& config, std::string url, bool json);

/// GET url on the HTTP listener; the body, or nullopt after printing why (as `what`).
std::optional<std::string> http_get(const std::string& url, std::string_view what);

/// The exposition text as a person reads it (pure, for tests).
std::string format_stats(const std::string& exposition);

}  // namespace chorus::ctl
