// The /admin/s2s page (see the header).
#include "stream/s2s_admin.h"

#include <fmt/format.h>

#include "stream/s2s_manager.h"

namespace chorus::stream {

namespace {

std::string quoted(std::string_view in)
{
    std::string out = "\"";
    for (const char c : in) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
            out += c;
        }
    }
    return out + "\"";
}

}  // namespace

std::string s2s_links_json(const std::vector<S2sLinkInfo>& links)
{
    std::string out = "{\"links\": [";
    for (std::size_t i = 0; i < links.size(); ++i) {
        const auto& l = links[i];
        out += fmt::format(
            "{}{{\"direction\": {}, \"local\": {}, \"remote\": {}, \"address\": {}, "
            "\"authenticated\": {}, \"auth\": {}, \"tls\": {}, \"bidi\": {}, \"queued\": {}}}",
            i ? ", " : "", quoted(l.direction), quoted(l.local), quoted(l.remote),
            quoted(l.address), l.authenticated ? "true" : "false", quoted(l.auth), quoted(l.tls),
            l.bidi ? "true" : "false", l.queued);
    }
    return out + "]}\n";
}

std::string s2s_links_text(const std::vector<S2sLinkInfo>& links)
{
    std::string out = fmt::format("{:<4} {:<24} {:<24} {:<22} {:<14} {:<9} {:<5} {}\n", "DIR",
                                  "LOCAL", "REMOTE", "ADDRESS", "AUTH", "TLS", "BIDI", "QUEUED");
    for (const auto& l : links) {
        out +=
            fmt::format("{:<4} {:<24} {:<24} {:<22} {:<14} {:<9} {:<5} {}\n", l.direction,
                        l.local.empty() ? "-" : l.local, l.remote.empty() ? "-" : l.remote,
                        l.address.empty() ? "-" : l.address, l.authenticated ? l.auth : "(pending)",
                        l.tls, l.bidi ? "yes" : "no", l.queued);
    }
    return out;
}

HttpResponse s2s_admin_response(const HttpRequest& request, const std::vector<S2sLinkInfo>& links)
{
    if (!request.loopback) {
        return HttpResponse::text(403, "The admin pages are served to loopback only\n");
    }
    if (request.method != "GET" && request.method != "HEAD") {
        auto res = HttpResponse::text(405, "GET or HEAD\n");
        res.headers.emplace_back("Allow", "GET, HEAD");
        return res;
    }
    HttpResponse res;
    if (request.query == "format=text") {
        res.body = s2s_links_text(links);
        return res;
    }
    res.content_type = "application/json";
    res.body = s2s_links_json(links);
    return res;
}

}  // namespace chorus::stream
