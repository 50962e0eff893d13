// XEP-0363 slot URLs: /upload/<id>/<name> with a query that carries what the slot allows
// (size, content type, owner, expiry) signed with HMAC-SHA-256, so the HTTP side needs no
// table of pending slots and a tampered or expired URL is refused (Prosody's
// mod_http_file_share signs its tokens the same way).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chorus::modules::upload {

inline constexpr std::string_view path_prefix = "/upload/";

/// What a PUT URL allows.
struct PutGrant {
    std::string id;    // random, hex: the file's directory
    std::string name;  // sanitized
    std::uint64_t size = 0;
    std::string content_type;
    std::string owner;         // bare JID, for the quota
    std::int64_t expires = 0;  // unix seconds
};

/// What a GET URL allows (until the file expires).
struct GetGrant {
    std::string id;
    std::string name;
    std::int64_t expires = 0;
};

enum class UrlCheck { ok, malformed, bad_signature, expired };

/// A file name safe in a URL path and a file system: [A-Za-z0-9._-], others -> '_', no
/// leading dot, at most 100 characters; empty -> "file".
std::string sanitize_filename(std::string_view name);
std::string url_encode(std::string_view s);
std::optional<std::string> url_decode(std::string_view s);

/// The path and signed query of a grant ("/upload/id/name?...").
std::string put_target(const PutGrant& g, std::string_view secret);
std::string get_target(const GetGrant& g, std::string_view secret);

/// Checks a request's path and query against its signature and now (unix seconds).
UrlCheck check_put(std::string_view path, std::string_view query, std::string_view secret,
                   std::int64_t now, PutGrant& out);
UrlCheck check_get(std::string_view path, std::string_view query, std::string_view secret,
                   std::int64_t now, GetGrant& out);

}  // namespace chorus::modules::upload
