// HttpServer: the one HTTP listener (Boost.Beast): plain on http.port, HTTPS on
// http.tls_port with the c2s certificate. Serves RFC 7395 WebSocket at /xmpp-websocket,
// XEP-0156 host-meta, /metrics and the modules' HttpRoutes (XEP-0363 upload), with request
// limits (header and body size, timeouts, connections per address).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>
#include <unordered_map>

#include "base/result.h"
#include "server/http_routes.h"

namespace chorus {
class Server;
}
namespace chorus::stream {
class ConnectionSet;
}

namespace chorus::http {

struct Peer {
    std::string address;
    bool loopback = false;
    bool tls = false;
};

class HttpServer {
public:
    HttpServer(Server& server, stream::ConnectionSet& connections, boost::asio::ssl::context& tls);
    /// Binds http.port (0: a free one) and http.tls_port (0: none).
    Result<void, std::string> open();
    void start();
    void stop();
    int port() const noexcept { return port_; }
    int tls_port() const noexcept { return tls_port_; }

    /// The built-in routes and the modules' ones: the response to a request already read.
    HttpResponse respond(HttpRequest& request);

private:
    boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor, bool tls);
    template <class Stream>
    boost::asio::awaitable<void> serve(Stream stream, Peer peer);
    void release(const std::string& address);

    Server& server_;
    stream::ConnectionSet& connections_;
    boost::asio::ssl::context& tls_;
    boost::asio::ip::tcp::acceptor plain_;
    boost::asio::ip::tcp::acceptor secure_;
    int port_ = 0;
    int tls_port_ = 0;
    std::unordered_map<std::string, int> per_address_;
};

}  // namespace chorus::http
