// Listener: accepts client connections on one endpoint (c2s with STARTTLS, or XEP-0368).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <string>

#include "base/result.h"
#include "stream/tcp_c2s_session.h"

namespace chorus {
class Server;
}

namespace chorus::net {

class Listener {
public:
    Listener(Server& server, stream::ConnectionSet& connections, boost::asio::ssl::context& tls,
             bool direct_tls);
    /// Binds and listens; port 0 picks a free port (see port()).
    Result<void, std::string> open(const std::string& address, int port);
    void start();
    void stop();
    int port() const noexcept { return port_; }

private:
    boost::asio::awaitable<void> accept_loop();
    Server& server_;
    stream::ConnectionSet& connections_;
    boost::asio::ssl::context& tls_;
    bool direct_tls_;
    boost::asio::ip::tcp::acceptor acceptor_;
    int port_ = 0;
};

}  // namespace chorus::net
