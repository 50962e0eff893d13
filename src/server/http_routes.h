// HttpRoutes: what the HTTP listener (src/http) serves besides WebSocket: a path prefix ->
// a handler taking a whole request and returning a whole response. Plain data, no Beast, so
// modules (XEP-0363 upload) and their tests need no sockets.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

struct HttpResponse {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    /// HEAD: the body's size is announced, the body not sent.
    static HttpResponse text(int status, std::string body)
    {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        return r;
    }
};

struct HttpRoute {
    /// The largest body this request may carry, from its header (a PUT of an upload slot may
    /// be larger than other requests); 0: the listener's http.max_body_bytes.
    std::function<std::size_t(const HttpRequest& head)> max_body;
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
