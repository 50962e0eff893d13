// S2sListener: accepts server-to-server connections (RFC 6120 §13, port 5269) and the TLS
// contexts of federation.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "base/config.h"
#include "base/result.h"

namespace chorus {
class Server;
namespace stream {
class S2sManager;
}
}  // namespace chorus

namespace chorus::net {

/// TLS for s2s, with the c2s certificate: the receiving side asks for the peer's
/// certificate, the initiating side presents ours; both check peers against the system's
/// trusted roots (s2s.require_valid_certs decides what a failed check means).
struct S2sTls {
    std::unique_ptr<boost::asio::ssl::context> server, client;
};
Result<S2sTls, std::string> make_s2s_tls(const Config& config);

class S2sListener {
public:
    S2sListener(Server& server, stream::S2sManager& manager);
    Result<void, std::string> open(const std::string& address, int port);
    void start();
    void stop();
    int port() const noexcept { return port_; }

private:
    boost::asio::awaitable<void> accept_loop();
    Server& server_;
    stream::S2sManager& manager_;
    boost::asio::ip::tcp::acceptor acceptor_;
    int port_ = 0;
};

}  // namespace chorus::net
