// XEP-0363 slots, PUT and GET: size and quota limits, signed URLs, CORS, ranges.
#include "modules/upload/upload_service.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
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

namespace {
HttpAdmission answer(HttpResponse r)
{
    HttpAdmission a;
    a.response = std::move(r);
    return a;
}

/// A PUT's body on its way to data.tmp; finish() makes it the stored file.
class UploadSink final : public HttpBodySink {
public:
    UploadSink(std::shared_ptr<UploadService> service, PutGrant grant, OwnedFd data,
               std::int64_t now)
        : service_(std::move(service)), grant_(std::move(grant)), data_(std::move(data)), now_(now)
    {
    }
    ~UploadSink() override
    {
        if (!done_) {
            service_->abandon(grant_.id, std::move(data_));
        }
    }

    boost::asio::awaitable<bool> write(std::string_view chunk) override
    {
        received_ += chunk.size();
        if (received_ > grant_.size) {
            co_return false;
        }
        auto append = [fd = data_.get(), chunk] { return storage::UploadFiles::append(fd, chunk); };
        auto written = co_await service_->on_disk(append);
        if (!written) {
            spdlog::warn("upload {}: {}", grant_.id, written.error());
        }
        co_return written.has_value();
    }

    boost::asio::awaitable<HttpResponse> finish() override
    {
        if (received_ != grant_.size) {  // XEP-0363 §5: the size requested in the slot
            co_return text(400, "The body's size differs from the slot's\n");
        }
        auto& files = service_->files();
        if (files.used_by(grant_.owner) + grant_.size > service_->config().quota_per_user) {
            co_return text(413, "Upload quota exceeded\n");
        }
        storage::StoredFile file{.id = grant_.id,
                                 .name = grant_.name,
                                 .owner = grant_.owner,
                                 .content_type = grant_.content_type,
                                 .size = grant_.size,
                                 .created = now_};
        auto commit = [dir = files.dir(), file, data = std::move(data_)]() mutable {
            return storage::UploadFiles::commit(dir, file, std::move(data));
        };
        auto committed = co_await service_->on_disk(commit);
        if (!committed) {
            spdlog::error("upload {}: {}", grant_.id, committed.error());
            co_return text(500, "The file could not be stored\n");
        }
        done_ = true;
        files.add(file);
        metrics().upload_bytes += grant_.size;
        co_return text(201, {});
    }

private:
    std::shared_ptr<UploadService> service_;
    PutGrant grant_;
    OwnedFd data_;
    std::int64_t now_ = 0;
    std::uint64_t received_ = 0;
    bool done_ = false;
};
}  // namespace

boost::asio::awaitable<HttpAdmission> UploadService::before_body(const HttpRequest& head,
                                                                 std::int64_t now)
{
    if (head.method == "OPTIONS") {  // CORS preflight
        auto r = text(204, {});
        r.content_type.clear();
        co_return answer(std::move(r));
    }
    if (head.method == "PUT") {
        co_return co_await put(head, now);
    }
    if (head.method == "GET" || head.method == "HEAD") {
        co_return co_await get(head, now);
    }
    auto r = text(405, "GET, HEAD, PUT or OPTIONS\n");
    r.headers.emplace_back("Allow", "GET, HEAD, PUT, OPTIONS");
    co_return answer(std::move(r));
}

void UploadService::abandon(const std::string& id, OwnedFd data)
{
    files_.unreserve(id);
    boost::asio::post(disk_, [dir = files_.dir(), id, data = std::move(data)]() mutable {
        data = OwnedFd();
        storage::UploadFiles::remove(dir, id);
    });
}

std::size_t UploadService::expire(std::int64_t cutoff)
{
    auto gone = files_.take_expired(cutoff);
    const auto n = gone.size();
    if (n > 0) {
        boost::asio::post(disk_, [dir = files_.dir(), gone = std::move(gone)] {
            for (const auto& id : gone) {
                storage::UploadFiles::remove(dir, id);
            }
        });
    }
    return n;
}

boost::asio::awaitable<HttpAdmission> UploadService::put(const HttpRequest& head, std::int64_t now)
{
    // Everything is checked on the header, so a forged or oversized body is never read.
    PutGrant g;
    switch (check_put(head.path, head.query, secret_, now, g)) {
        case UrlCheck::ok:
            break;
        case UrlCheck::expired:
            co_return answer(text(403, "This upload slot has expired\n"));
        case UrlCheck::malformed:
        case UrlCheck::bad_signature:
            co_return answer(text(403, "Not a valid upload slot\n"));
    }
    std::uint64_t length = 0;
    if (const auto cl = head.header("content-length"); !cl.empty() && parse_size(cl, length)) {
        if (length > g.size) {
            co_return answer(text(413, "The body is larger than the slot\n"));
        }
        if (length < g.size) {
            co_return answer(text(400, "The body's size differs from the slot's\n"));
        }
    }
    if (const auto type = head.header("content-type"); !type.empty() && type != g.content_type) {
        co_return answer(text(400, "The Content-Type differs from the slot's\n"));
    }
    if (files_.used_by(g.owner) + g.size > config_.quota_per_user) {
        co_return answer(text(413, "Upload quota exceeded\n"));
    }
    if (!files_.reserve(g.id)) {
        co_return answer(text(409, "This slot was used already\n"));
    }
    auto create = [dir = files_.dir(), id = g.id] { return storage::UploadFiles::create(dir, id); };
    auto data = co_await on_disk(create);
    if (!data) {
        files_.unreserve(g.id);
        spdlog::error("upload: {}", data.error());
        co_return answer(text(500, "The file could not be stored\n"));
    }
    HttpAdmission a;
    a.max_body = g.size;
    a.sink = std::make_shared<UploadSink>(shared_from_this(), std::move(g), std::move(*data), now);
    co_return a;
}

boost::asio::awaitable<HttpAdmission> UploadService::get(const HttpRequest& head, std::int64_t now)
{
    GetGrant g;
    const auto check = check_get(head.path, head.query, secret_, now, g);
    if (check == UrlCheck::malformed || check == UrlCheck::bad_signature) {
        co_return answer(text(403, "Not a valid download link\n"));
    }
    const auto* found = files_.find(g.id);
    if (check == UrlCheck::expired || found == nullptr || found->name != g.name) {
        co_return answer(text(404, "No such file (it may have expired)\n"));
    }
    const auto file = *found;  // the index may change while the disk works
    std::uint64_t first = 0;
    std::uint64_t last = file.size == 0 ? 0 : file.size - 1;
    int status = 200;
    if (const auto range = head.header("range"); !range.empty()) {
        if (!parse_range(range, file.size, first, last)) {
            auto r = text(416, "Range not satisfiable\n");
            r.headers.emplace_back("Content-Range", "bytes */" + std::to_string(file.size));
            co_return answer(std::move(r));
        }
        status = 206;
    }
    HttpResponse r;
    r.status = status;
    r.content_type = file.content_type;
    r.body.clear();
    add_common_headers(r);
    r.headers.emplace_back("Accept-Ranges", "bytes");
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
    if (status == 206) {
        r.headers.emplace_back("Content-Range", "bytes " + std::to_string(first) + '-' +
                                                    std::to_string(last) + '/' +
                                                    std::to_string(file.size));
    }
    const std::uint64_t length = file.size == 0 ? 0 : last - first + 1;
    auto open = [dir = files_.dir(), id = file.id] {
        return storage::UploadFiles::open_data(dir, id);
    };
    auto data = co_await on_disk(open);
    if (!data) {
        spdlog::error("upload: {}", data.error());
        co_return answer(text(500, "The file could not be read\n"));
    }
    r.file = HttpFileRange{std::move(*data), first, length};
    if (head.method == "GET") {
        metrics().download_bytes += length;
    }
    co_return answer(std::move(r));
}

}  // namespace chorus::modules::upload
