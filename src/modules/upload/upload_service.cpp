// XEP-0363 slots, PUT and GET: size and quota limits, signed URLs, CORS, ranges.
#include "modules/upload/upload_service.h"

#include <charconv>

#include "base/encoding.h"
#include "base/metrics.h"
#include "modules/upload/upload_urls.h"
#include "stanza/namespaces.h"

namespace chorus::modules::upload {

namespace {
bool parse_size(std::string_view s, std::uint64_t& out)
{
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// A media type is a token/token with optional parameters; no control characters, so it can
// go into a header and the metadata file as is.
bool acceptable_content_type(std::string_view t)
{
    if (t.size() > 127 || t.find('/') == std::string_view::npos) {
        return false;
    }
    for (unsigned char c : t) {
        if (c < 0x20 || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

xml::Element error(const xml::Element& iq, const StanzaError& e)
{
    auto reply = error_reply(iq, e);
    return reply ? std::move(*reply) : xml::Element();
}

/// CORS (so web clients can PUT and read, XEP-0363 §5) and the headers that keep a served
/// file from running as a page of this origin.
void add_common_headers(HttpResponse& r)
{
    r.headers.emplace_back("Access-Control-Allow-Origin", "*");
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, PUT, OPTIONS");
    r.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
    r.headers.emplace_back("Access-Control-Max-Age", "7200");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

HttpResponse text(int status, std::string body)
{
    auto r = HttpResponse::text(status, std::move(body));
    add_common_headers(r);
    return r;
}

/// RFC 9110 §14.2: one "bytes=first-last", "bytes=first-" or "bytes=-suffix" range.
bool parse_range(std::string_view header, std::uint64_t size, std::uint64_t& first,
                 std::uint64_t& last)
{
    if (!header.starts_with("bytes=") || header.find(',') != std::string_view::npos) {
        return false;
    }
    header.remove_prefix(6);
    const auto dash = header.find('-');
    if (dash == std::string_view::npos || size == 0) {
        return false;
    }
    const auto a = header.substr(0, dash);
    const auto b = header.substr(dash + 1);
    std::uint64_t x = 0, y = 0;
    if (a.empty()) {  // the last y bytes
        if (!parse_size(b, y) || y == 0) {
            return false;
        }
        first = size - std::min(y, size);
        last = size - 1;
        return true;
    }
    if (!parse_size(a, x) || x >= size) {
        return false;
    }
    first = x;
    last = size - 1;
    if (!b.empty()) {
        if (!parse_size(b, y) || y < x) {
            return false;
        }
        last = std::min(y, size - 1);
    }
    return true;
}
}  // namespace

xml::Element UploadService::slot(const xml::Element& iq, std::string_view owner,
                                 std::string_view base_url, std::int64_t now)
{
    const auto* request = iq.child("request", ns::http_upload);
    std::uint64_t size = 0;
    const auto filename = request->attr("filename");
    if (filename.empty() || !parse_size(request->attr("size"), size) || size == 0) {
        return error(iq, StanzaError::bad_request("filename and a positive size are required"));
    }
    if (size > config_.max_file_size) {
        // XEP-0363 §4.1 example 3: not-acceptable with <file-too-large/> and the limit.
        auto reply = error(iq, StanzaError::not_acceptable("File too large")
                                   .with_app_condition(ns::http_upload, "file-too-large"));
        if (auto* e = reply.child("error", iq.ns())) {
            if (auto* too_large = e->child("file-too-large", ns::http_upload)) {
                too_large->add_child("max-file-size", std::string(ns::http_upload))
                    .add_text(std::to_string(config_.max_file_size));
            }
        }
        return reply;
    }
    if (files_.used_by(owner) + size > config_.quota_per_user) {
        return error(iq, StanzaError::resource_constraint(
                             "Upload quota exceeded; old files expire after " +
                             std::to_string(config_.expire_after_days) + " days"));
    }
    std::string content_type(request->attr("content-type"));
    if (content_type.empty()) {
        content_type = "application/octet-stream";
    } else if (!acceptable_content_type(content_type)) {
        return error(iq, StanzaError::bad_request("The content-type is not a media type"));
    }
    PutGrant put{.id = hex_encode(random_bytes(16)),
                 .name = sanitize_filename(filename),
                 .size = size,
                 .content_type = content_type,
                 .owner = std::string(owner),
                 .expires = now + config_.slot_timeout_s};
    GetGrant get{.id = put.id,
                 .name = put.name,
                 .expires = now + std::int64_t{config_.expire_after_days} * 86400};
    xml::Element reply("iq", iq.ns());
    reply.set_attr("type", "result").set_attr("id", iq.attr("id"));
    reply.set_attr("from", iq.attr("to")).set_attr("to", iq.attr("from"));
    auto& slot = reply.add_child("slot", std::string(ns::http_upload));
    slot.add_child("put", std::string(ns::http_upload))
        .set_attr("url", std::string(base_url) + put_target(put, secret_));
    slot.add_child("get", std::string(ns::http_upload))
        .set_attr("url", std::string(base_url) + get_target(get, secret_));
    ++metrics().upload_slots;
    return reply;
}

std::size_t UploadService::max_body(const HttpRequest& head, std::int64_t now) const
{
    PutGrant g;
    if (head.method != "PUT" || check_put(head.path, head.query, secret_, now, g) != UrlCheck::ok) {
        return 0;
    }
    return g.size;
}

HttpResponse UploadService::handle(HttpRequest& request, std::int64_t now)
{
    if (request.method == "OPTIONS") {  // CORS preflight
        auto r = text(204, {});
        r.content_type.clear();
        return r;
    }
    if (request.method == "PUT") {
        return put(request, now);
    }
    if (request.method == "GET" || request.method == "HEAD") {
        return get(request, now);
    }
    auto r = text(405, "GET, HEAD, PUT or OPTIONS\n");
    r.headers.emplace_back("Allow", "GET, HEAD, PUT, OPTIONS");
    return r;
}

HttpResponse UploadService::put(HttpRequest& request, std::int64_t now)
{
    PutGrant g;
    switch (check_put(request.path, request.query, secret_, now, g)) {
        case UrlCheck::ok:
            break;
        case UrlCheck::expired:
            return text(403, "This upload slot has expired\n");
        case UrlCheck::malformed:
        case UrlCheck::bad_signature:
            return text(403, "Not a valid upload slot\n");
    }
    if (request.body.size() != g.size) {  // XEP-0363 §5: the size requested in the slot
        return text(400, "The body's size differs from the slot's\n");
    }
    if (const auto type = request.header("content-type"); !type.empty() && type != g.content_type) {
        return text(400, "The Content-Type differs from the slot's\n");
    }
    if (files_.find(g.id) != nullptr) {
        return text(409, "This slot was used already\n");
    }
    if (files_.used_by(g.owner) + g.size > config_.quota_per_user) {
        return text(413, "Upload quota exceeded\n");
    }
    storage::StoredFile file{.id = g.id,
                             .name = g.name,
                             .owner = g.owner,
                             .content_type = g.content_type,
                             .size = g.size,
                             .created = now};
    if (auto stored = files_.store(file, request.body); !stored) {
        return text(500, "The file could not be stored\n");
    }
    metrics().upload_bytes += g.size;
    return text(201, {});
}

HttpResponse UploadService::get(const HttpRequest& request, std::int64_t now)
{
    GetGrant g;
    const auto check = check_get(request.path, request.query, secret_, now, g);
    if (check == UrlCheck::malformed || check == UrlCheck::bad_signature) {
        return text(403, "Not a valid download link\n");
    }
    const auto* file = files_.find(g.id);
    if (check == UrlCheck::expired || file == nullptr || file->name != g.name) {
        return text(404, "No such file (it may have expired)\n");
    }
    std::uint64_t first = 0;
    std::uint64_t last = file->size == 0 ? 0 : file->size - 1;
    int status = 200;
    if (const auto range = request.header("range"); !range.empty()) {
        if (!parse_range(range, file->size, first, last)) {
            auto r = text(416, "Range not satisfiable\n");
            r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(file->size));
            return r;
        }
        status = 206;
    }
    HttpResponse r;
    r.status = status;
    r.content_type = file->content_type;
    add_common_headers(r);
    r.headers.emplace_back("Accept-Ranges", "bytes");
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    if (status == 206) {
        r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + '-' +
                                                    std::to_string(last) + '/' +
                                                    std::to_string(file->size));
    }
    if (file->size > 0) {
        auto bytes = files_.read(*file, first, last - first + 1);
        if (!bytes) {
            return text(500, "The file could not be read\n");
        }
        r.body = std::move(*bytes);
    }
    if (request.method == "GET") {
        metrics().download_bytes += r.body.size();
    }
    return r;
}

}  // namespace chorus::modules::upload
