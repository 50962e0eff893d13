// HttpRoutes: what the HTTP listener (src/http) serves besides WebSocket: a path prefix ->
// a handler taking a whole request and returning a whole response. Plain data, no Beast, so
// modules (XEP-0363 upload) and their tests need no sockets.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/owned_fd.h"

namespace chorus {

struct HttpRequest {
    std::string method;  // "GET", "PUT", ...
    std::string path;    // decoded-free: as on the wire, before '?'
    std::string query;   // after '?', without it
    std::map<std::string, std::string, std::less<>> headers;  // names in lower case
    std::string body;
    std::string peer;  // the client's address
    bool loopback = false;
    bool tls = false;

    std::string_view header(std::string_view name) const
    {
        auto it = headers.find(name);
        return it == headers.end() ? std::string_view() : std::string_view(it->second);
    }
};

/// A body the listener sends from a file: length bytes from offset.
struct HttpFileRange {
    OwnedFd fd;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::optional<HttpFileRange> file;  // instead of body (an uploaded file)
    /// HEAD: the body's size is announced, the body not sent.
    static HttpResponse text(int status, std::string body)
    {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
};

/// Where a large request body goes as it arrives (an upload's file), so it is never held
/// in memory; the route does its disk work off the I/O thread.
class HttpBodySink {
public:
    virtual ~HttpBodySink() = default;  // unfinished: the partial body is dropped
    /// False: stop reading (the disk refused); the listener answers 500.
    virtual boost::asio::awaitable<bool> write(std::string_view chunk) = 0;
    /// The whole body arrived: the response to send.
    virtual boost::asio::awaitable<HttpResponse> finish() = 0;
};

/// What a route decides from the request's header, before any body is read.
struct HttpAdmission {
    std::optional<HttpResponse> response;  // answered now (a refusal, a GET)
    std::size_t max_body = 0;              // 0: the listener's http.max_body_bytes
    std::shared_ptr<HttpBodySink> sink;    // set: the body streams there, then sink->finish()
};

struct HttpRoute {
    /// Optional: a look at the header first (a forged PUT is refused unread).
    std::function<boost::asio::awaitable<HttpAdmission>(const HttpRequest& head)> before_body;
    /// The response to a request read whole (when before_body left it to this).
    std::function<HttpResponse(HttpRequest& request)> handle;
};

class HttpRoutes {
public:
    /// False when the prefix is taken.
    bool add(std::string prefix, HttpRoute route)
    {
        return by_prefix_.emplace(std::move(prefix), std::move(route)).second;
    }
    void remove(std::string_view prefix)
    {
        if (auto it = by_prefix_.find(prefix); it != by_prefix_.end()) {
            by_prefix_.erase(it);
        }
    }
    /// The route whose prefix is the longest one path starts with.
    const HttpRoute* find(std::string_view path) const
    {
        const HttpRoute* best = nullptr;
        std::size_t best_size = 0;
        for (const auto& [prefix, route] : by_prefix_) {
            if (path.starts_with(prefix) && (best == nullptr || prefix.size() > best_size)) {
                best = &route;
                best_size = prefix.size();
            }
        }
        return best;
    }

private:
    std::map<std::string, HttpRoute, std::less<>> by_prefix_;
};

}  // namespace chorus
