// GET /admin/s2s on the HTTP listener: the federation links as JSON, for `chorusctl s2s`.
// Same channel as `chorusctl stats` (/metrics), loopback clients only, read-only.
#pragma once

#include <string>
#include <vector>

#include "server/http_routes.h"

namespace chorus::stream {

struct S2sLinkInfo;

/// {"links": [{"direction": "out", "local": ..., "remote": ..., "address": ...,
///  "authenticated": true, "auth": "dialback", "tls": "starttls", "bidi": false, "queued": 0},
///  ...]}
std::string s2s_links_json(const std::vector<S2sLinkInfo>& links);

/// One line per link under a header line (what `chorusctl s2s` prints).
std::string s2s_links_text(const std::vector<S2sLinkInfo>& links);

/// The route's answer (?format=text: the table): 403 off loopback, 405 for anything but GET/HEAD.
HttpResponse s2s_admin_response(const HttpRequest& request, const std::vector<S2sLinkInfo>& links);

}  // namespace chorus::stream
