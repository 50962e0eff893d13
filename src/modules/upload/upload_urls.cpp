// XEP-0363 slot URLs signed with HMAC-SHA-256 (upload_urls.h).
#include "modules/upload/upload_urls.h"

#include <charconv>
#include <map>

#include "base/encoding.h"

namespace chorus::modules::upload {

namespace {
bool is_hex(std::string_view s)
{
    return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

std::map<std::string, std::string, std::less<>> parse_query(std::string_view query, bool& ok)
{
    std::map<std::string, std::string, std::less<>> out;
    ok = true;
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        const auto eq = pair.find('=');
        auto value = url_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
        if (eq == std::string_view::npos || !value ||
            !out.emplace(std::string(pair.substr(0, eq)), std::move(*value)).second) {
            ok = false;
        }
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    }
    return out;
}

template <typename T>
bool parse_number(std::string_view s, T& out)
{
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

/// /upload/<id>/<name> -> id, name.
bool split_path(std::string_view path, std::string& id, std::string& name)
{
    if (!path.starts_with(path_prefix)) {
        return false;
    }
    path.remove_prefix(path_prefix.size());
    const auto slash = path.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    id = path.substr(0, slash);
    name = path.substr(slash + 1);
    return is_hex(id) && id.size() == 32 && !name.empty() && sanitize_filename(name) == name;
}

std::string put_payload(const PutGrant& g)
{
    return "PUT\n" + g.id + '\n' + g.name + '\n' + std::to_string(g.size) + '\n' + g.content_type +
           '\n' + g.owner + '\n' + std::to_string(g.expires);
}

std::string get_payload(const GetGrant& g)
{
    return "GET\n" + g.id + '\n' + g.name + '\n' + std::to_string(g.expires);
}

std::string sign(std::string_view secret, const std::string& payload)
{
    return hex_encode(hmac_sha256(secret, payload));
}
}  // namespace

std::string sanitize_filename(std::string_view name)
{
    std::string out;
    for (char c : name.substr(0, 100)) {
        const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        out += safe ? c : '_';
    }
    while (!out.empty() && out.front() == '.') {  // no hidden files, no ".."
        out.front() = '_';
    }
    return out.empty() ? "file" : out;
}

std::string url_encode(std::string_view s)
{
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::optional<std::string> url_decode(std::string_view s)
{
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            unsigned value = 0;
            if (i + 2 >= s.size() ||
                std::from_chars(s.data() + i + 1, s.data() + i + 3, value, 16).ptr !=
                    s.data() + i + 3) {
                return std::nullopt;
            }
            out += static_cast<char>(value);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string put_target(const PutGrant& g, std::string_view secret)
{
    return std::string(path_prefix) + g.id + '/' + g.name + "?e=" + std::to_string(g.expires) +
           "&n=" + std::to_string(g.size) + "&t=" + url_encode(g.content_type) +
           "&u=" + url_encode(g.owner) + "&s=" + sign(secret, put_payload(g));
}

std::string get_target(const GetGrant& g, std::string_view secret)
{
    return std::string(path_prefix) + g.id + '/' + g.name + "?e=" + std::to_string(g.expires) +
           "&s=" + sign(secret, get_payload(g));
}

UrlCheck check_put(std::string_view path, std::string_view query, std::string_view secret,
                   std::int64_t now, PutGrant& out)
{
    bool ok = false;
    const auto q = parse_query(query, ok);
    PutGrant g;
    if (!ok || !split_path(path, g.id, g.name) || !q.contains("e") || !q.contains("n") ||
        !q.contains("t") || !q.contains("u") || !q.contains("s") ||
        !parse_number(q.at("e"), g.expires) || !parse_number(q.at("n"), g.size)) {
        return UrlCheck::malformed;
    }
    g.content_type = q.at("t");
    g.owner = q.at("u");
    if (!equal_constant_time(sign(secret, put_payload(g)), q.at("s"))) {
        return UrlCheck::bad_signature;
    }
    if (now > g.expires) {
        return UrlCheck::expired;
    }
    out = std::move(g);
    return UrlCheck::ok;
}

UrlCheck check_get(std::string_view path, std::string_view query, std::string_view secret,
                   std::int64_t now, GetGrant& out)
{
    bool ok = false;
    const auto q = parse_query(query, ok);
    GetGrant g;
    if (!ok || !split_path(path, g.id, g.name) || !q.contains("e") || !q.contains("s") ||
        !parse_number(q.at("e"), g.expires)) {
        return UrlCheck::malformed;
    }
    if (!equal_constant_time(sign(secret, get_payload(g)), q.at("s"))) {
        return UrlCheck::bad_signature;
    }
    if (now > g.expires) {
        return UrlCheck::expired;
    }
    out = std::move(g);
    return UrlCheck::ok;
}

}  // namespace chorus::modules::upload
