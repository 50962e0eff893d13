// HttpServer: accept loops, one coroutine per HTTP connection (keep-alive), the WebSocket
// upgrade hand-off to a WebSocketSession, and the built-in routes.
#include "http/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "base/cidr.h"
#include "base/metrics.h"
#include "http/host_meta.h"
#include "http/http_transfer.h"
#include "http/metrics_page.h"
#include "http/websocket_session.h"
#include "server/server.h"
#include "stream/connection_set.h"

namespace chorus::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using asio::as_tuple;
using asio::use_awaitable;

namespace {
constexpr std::string_view websocket_path = "/xmpp-websocket";

std::string lower(std::string_view s)
{
    std::string out(s);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

/// Whether a comma-separated header value lists token (case-insensitively).
bool lists(std::string_view value, std::string_view token)
{
    const auto v = lower(value);
    const auto t = lower(token);
    std::size_t at = 0;
    while (at <= v.size()) {
        auto comma = v.find(',', at);
        if (comma == std::string::npos) {
            comma = v.size();
        }
        auto item = std::string_view(v).substr(at, comma - at);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item == t) {
            return true;
        }
        at = comma + 1;
    }
    return false;
}

template <class Fields>
HttpRequest to_request(const bhttp::request_header<Fields>& h, const Peer& peer)
{
    HttpRequest r;
    r.method = std::string(h.method_string());
    const std::string_view target = h.target();
    const auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
        r.query = std::string(target.substr(q + 1));
    }
    for (const auto& field : h) {
        r.headers[lower(field.name_string())] = std::string(field.value());
    }
    r.peer = peer.address;
    r.loopback = peer.loopback;
    r.tls = peer.tls;
    return r;
}

bhttp::response<bhttp::string_body> to_beast(HttpResponse&& r, bool head, unsigned version)
{
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    res.set(bhttp::field::server, "Chorus");
    if (!r.content_type.empty()) {
        res.set(bhttp::field::content_type, r.content_type);
    }
    for (auto& [name, value] : r.headers) {
        res.set(name, value);
    }
    const auto size = r.body.size();
    if (!head) {
        res.body() = std::move(r.body);
    }
    res.content_length(size);
    return res;
}

/// http.metrics_remote: anyone; else http.metrics_allow's blocks, or loopback when empty.
bool metrics_allowed(const HttpConfig& c, const HttpRequest& r)
{
    if (c.metrics_remote || (c.metrics_allow.empty() && r.loopback)) {
        return true;
    }
    for (const auto& block : c.metrics_allow) {
        if (auto cidr = Cidr::parse(block); cidr && cidr->contains(r.peer)) {
            return true;
        }
    }
    return false;
}

asio::awaitable<void> shutdown(PlainStream& s)
{
    boost::system::error_code ignored;
    s.socket().shutdown(tcp::socket::shutdown_send, ignored);
    co_return;
}
asio::awaitable<void> shutdown(TlsStream& s)
{
    s.next_layer().expires_after(std::chrono::seconds(2));
    co_await s.async_shutdown(as_tuple(use_awaitable));  // close_notify, not waiting long
    boost::system::error_code ignored;
    s.next_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
}

/// After a refusal with the body unsent: read and drop what the client still sends for a
/// moment (a bounded lingering close), so closing does not reset the connection before it
/// has read the refusal.
asio::awaitable<void> linger(PlainStream& s)
{
    constexpr std::size_t most = 1024 * 1024;
    s.expires_after(std::chrono::seconds(2));
    std::array<char, 4096> dropped;
    std::size_t total = 0;
    while (total < most) {
        auto [ec, n] = co_await s.async_read_some(asio::buffer(dropped), as_tuple(use_awaitable));
        if (ec) {
            break;
        }
        total += n;
    }
}
}  // namespace

HttpServer::HttpServer(Server& server, stream::ConnectionSet& connections, asio::ssl::context& tls)
    : server_(server),
      connections_(connections),
      tls_(tls),
      plain_(server.io()),
      secure_(server.io())
{
}

Result<void, std::string> HttpServer::open()
{
    const auto& c = server_.config().http;
    auto bind = [&](tcp::acceptor& acceptor, int port, int& bound) -> Result<void, std::string> {
        boost::system::error_code ec;
        tcp::endpoint ep(asio::ip::make_address(c.bind, ec), static_cast<unsigned short>(port));
        if (!ec) {
            acceptor.open(ep.protocol(), ec);
        }
        if (!ec) {
            acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
            acceptor.bind(ep, ec);
        }
        if (!ec) {
            acceptor.listen(asio::socket_base::max_listen_connections, ec);
        }
        if (ec) {
            return unexpected(
                fmt::format("http: cannot listen on {}:{}: {}", c.bind, port, ec.message()));
        }
        bound = acceptor.local_endpoint().port();
        return {};
    };
    if (auto r = bind(plain_, c.port, port_); !r) {
        return r;
    }
    if (c.tls_port != 0) {
        return bind(secure_, c.tls_port, tls_port_);
    }
    return {};
}

void HttpServer::start()
{
    asio::co_spawn(server_.io(), accept_loop(plain_, false), asio::detached);
    if (secure_.is_open()) {
        asio::co_spawn(server_.io(), accept_loop(secure_, true), asio::detached);
    }
}

void HttpServer::stop()
{
    boost::system::error_code ignored;
    plain_.close(ignored);
    secure_.close(ignored);
}

void HttpServer::release(const std::string& address)
{
    if (auto it = per_address_.find(address); it != per_address_.end() && --it->second <= 0) {
        per_address_.erase(it);
    }
}

asio::awaitable<void> HttpServer::accept_loop(tcp::acceptor& acceptor, bool tls)
{
    while (acceptor.is_open()) {
        auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                break;
            }
            spdlog::warn("http accept failed: {}", ec.message());
            asio::steady_timer t(server_.io(), std::chrono::milliseconds(100));
            co_await t.async_wait(as_tuple(use_awaitable));
            continue;
        }
        boost::system::error_code peer_ec;
        const auto address = socket.remote_endpoint(peer_ec).address();
        if (peer_ec) {
            continue;
        }
        Peer peer{address.to_string(), address.is_loopback(), tls};
        // Small writes (stanzas over WebSocket) must not wait for Nagle and delayed ACKs.
        socket.set_option(tcp::no_delay(true), peer_ec);
        auto limits = server_.config().limits;
        limits.max_connections_per_ip = server_.config().http.max_connections_per_ip;
        const int limit = stream::connection_limit_for(address, limits);
        if (limit > 0 && per_address_[peer.address] >= limit) {
            spdlog::info("refusing an HTTP connection from {}: http.max_connections_per_ip",
                         peer.address);
            continue;
        }
        ++per_address_[peer.address];
        auto on_done = [this, a = peer.address](std::exception_ptr e) {
            release(a);
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("http connection from {} failed: {}", a, ex.what());
                }
            }
        };
        if (tls) {
            asio::co_spawn(server_.io(), serve(TlsStream(std::move(socket), tls_), std::move(peer)),
                           on_done);
        } else {
            asio::co_spawn(server_.io(), serve(PlainStream(std::move(socket)), std::move(peer)),
                           on_done);
        }
    }
}

template <class Stream>
asio::awaitable<void> HttpServer::serve(Stream stream, Peer peer)
{
    const auto& c = server_.config();
    const auto request_timeout = std::chrono::seconds(c.http.request_timeout_s);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(stream).expires_after(request_timeout);
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                    as_tuple(use_awaitable));
        if (ec) {
            spdlog::debug("http TLS handshake with {} failed: {}", peer.address, ec.message());
            co_return;
        }
    }
    beast::flat_buffer buffer;
    bool first = true;
    bool unread_body = false;  // a refusal left a body unread
    for (;;) {
        // The first request must come within request_timeout; later ones within idle_timeout.
        beast::get_lowest_layer(stream).expires_after(
            first ? request_timeout : std::chrono::seconds(c.http.idle_timeout_s));
        first = false;
        bhttp::request_parser<bhttp::empty_body> head;
        head.header_limit(static_cast<std::uint32_t>(c.http.max_header_bytes));
        // Beast would refuse a Content-Length past 1 MiB while parsing the header; the
        // route's limit (an upload slot's size) is applied once the header is read.
        head.body_limit(boost::none);
        auto [ec, n] =
            co_await bhttp::async_read_header(stream, buffer, head, as_tuple(use_awaitable));
        if (ec) {
            if (ec == bhttp::error::header_limit) {
                auto res =
                    to_beast(HttpResponse::text(431, "Request header too large\n"), false, 11);
                res.keep_alive(false);
                co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
            }
            break;  // EOF, a timeout, or garbage: the connection just ends
        }
        beast::get_lowest_layer(stream).expires_after(request_timeout);
        auto& req = head.get();
        HttpRequest request = to_request(req.base(), peer);
        if (websocket::is_upgrade(req) && request.path == websocket_path) {
            // RFC 7395 §3.1: the 'xmpp' subprotocol, or no XMPP.
            if (!lists(request.header("sec-websocket-protocol"), "xmpp")) {
                auto res = to_beast(HttpResponse::text(400, "The xmpp subprotocol is required\n"),
                                    false, req.version());
                co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
                break;
            }
            const auto address = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
            if (ec || !connections_.admit(peer.address, stream::connection_limit_for(
                                                            address.address(), c.limits))) {
                auto res = to_beast(HttpResponse::text(503, "Too many connections\n"), false,
                                    req.version());
                co_await bhttp::async_write(stream, res, as_tuple(use_awaitable));
                break;
            }
            // A TLS-terminating proxy on this host vouches with X-Forwarded-Proto.
            const bool secure =
                peer.tls || c.http.consider_websocket_secure ||
                (peer.loopback && lower(request.header("x-forwarded-proto")) == "https");
            using Next = UpgradedStream<Stream>;
            auto ws = [&] {
                if constexpr (std::is_same_v<Stream, PlainStream>) {
                    return websocket::stream<Next>(std::move(stream).release_socket());
                } else {
                    return websocket::stream<Next>(std::move(stream));
                }
            }();
            websocket::stream_base::timeout handshake{};
            handshake.handshake_timeout = request_timeout;
            handshake.idle_timeout = websocket::stream_base::none();
            ws.set_option(handshake);
            ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
                res.set(bhttp::field::server, "Chorus");
                res.set(bhttp::field::sec_websocket_protocol, "xmpp");
            }));
            auto [wec] = co_await ws.async_accept(head.release(), as_tuple(use_awaitable));
            if (wec) {
                connections_.release(peer.address);
                spdlog::debug("http {} WebSocket handshake failed: {}", peer.address,
                              wec.message());
                co_return;
            }
            spdlog::debug("http {} GET {} -> 101 (WebSocket)", peer.address, websocket_path);
            ++metrics().websocket_upgrades;
            std::make_shared<WebSocketSession<Next>>(server_, connections_, std::move(ws),
                                                     peer.address, peer.loopback, secure)
                ->start();
            co_return;
        }
        // A route may look at the header first: a forged upload is refused before its body.
        std::optional<HttpRoute> route;
        if (const auto* r = server_.http_routes().find(request.path)) {
            route = *r;  // a copy: a module may unload while this request waits
        }
        HttpAdmission admission;
        if (route && route->before_body) {
            admission = co_await route->before_body(request);
        }
        const bool keep_alive = req.keep_alive();
        const unsigned version = req.version();
        const bool is_head = req.method() == bhttp::verb::head;
        const bool body_pending = head.chunked() || head.content_length().value_or(0) > 0;
        ++metrics().http_requests;
        if (admission.response) {
            // The body, if any, was not read: the connection cannot carry another request.
            const bool again = keep_alive && !body_pending;
            ec = co_await send(stream, std::move(*admission.response), request, is_head, version,
                               again);
            if (ec || !again) {
                unread_body = body_pending;
                break;
            }
            continue;
        }
        const std::size_t limit =
            admission.max_body != 0 ? admission.max_body : c.http.max_body_bytes;
        if (head.content_length() && *head.content_length() > limit) {
            auto too_large = HttpResponse::text(413, "Request body too large\n");
            co_await send(stream, std::move(too_large), request, false, version, false);
            unread_body = true;
            break;
        }
        HttpResponse response;
        if (admission.sink) {
            auto streamed = co_await read_into(stream, buffer, std::move(head), limit,
                                               *admission.sink, request_timeout);
            if (!streamed) {
                if (streamed.error() != 0) {
                    auto refusal = HttpResponse::text(streamed.error(), "Not stored\n");
                    co_await send(stream, std::move(refusal), request, false, version, false);
                    unread_body = true;
                }
                break;
            }
            response = co_await admission.sink->finish();
        } else {
            bhttp::request_parser<bhttp::string_body> full(std::move(head));
            full.body_limit(limit);
            beast::get_lowest_layer(stream).expires_after(request_timeout);
            std::tie(ec, n) =
                co_await bhttp::async_read(stream, buffer, full, as_tuple(use_awaitable));
            if (ec) {
                if (ec == bhttp::error::body_limit) {
                    auto too_large = HttpResponse::text(413, "Request body too large\n");
                    co_await send(stream, std::move(too_large), request, false, version, false);
                    unread_body = true;
                }
                break;
            }
            request.body = std::move(full.get().body());
            response = respond(request);
        }
        ec = co_await send(stream, std::move(response), request, is_head, version, keep_alive);
        if (ec || !keep_alive) {
            break;
        }
    }
    co_await shutdown(stream);
    if (unread_body) {
        co_await linger(beast::get_lowest_layer(stream));
    }
}

HttpResponse HttpServer::respond(HttpRequest& r)
{
    const auto& c = server_.config().http;
    const bool read_only = r.method == "GET" || r.method == "HEAD";
    if (r.path == "/.well-known/host-meta" || r.path == "/.well-known/host-meta.json") {
        HttpResponse res;
        res.headers.emplace_back("Access-Control-Allow-Origin", "*");  // XEP-0156 §3.2.1
        if (r.method == "OPTIONS") {
            res.status = 204;
            res.content_type.clear();
            res.headers.emplace_back("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS");
            return res;
        }
        if (!read_only) {
            res = HttpResponse::text(405, "GET or HEAD\n");
            res.headers.emplace_back("Allow", "GET, HEAD, OPTIONS");
            return res;
        }
        const auto url = websocket_url(c.external_url, r.header("host"), r.tls);
        if (r.path.ends_with(".json")) {
            res.content_type = "application/json";
            res.body = host_meta_json(url);
        } else {
            res.content_type = "application/xrd+xml";
            res.body = host_meta_xml(url);
        }
        return res;
    }
    if (r.path == "/metrics" && c.metrics) {
        if (!metrics_allowed(c, r)) {
            return HttpResponse::text(403, "Metrics are not served to this address\n");
        }
        if (!read_only) {
            return HttpResponse::text(405, "GET or HEAD\n");
        }
        HttpResponse res;
        res.content_type = "text/plain; version=0.0.4; charset=utf-8";
        res.body = metrics_page(server_, connections_);
        return res;
    }
    if (const auto* route = server_.http_routes().find(r.path); route && route->handle) {
        return route->handle(r);
    }
    return HttpResponse::text(404, "Not found\n");
}

}  // namespace chorus::http
