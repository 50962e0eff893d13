// Listener: accept loop spawning one C2sSession per connection.
#include "net/listener.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/server.h"

namespace chorus::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(Server& server, stream::ConnectionSet& connections, asio::ssl::context& tls,
                   bool direct_tls)
    : server_(server),
      connections_(connections),
      tls_(tls),
      direct_tls_(direct_tls),
      acceptor_(server.io())
{
}

Result<void, std::string> Listener::open(const std::string& address, int port)
{
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(address, ec);
    if (ec) {
        return unexpected(fmt::format("c2s.bind: '{}' is not an IP address", address));
    }
    tcp::endpoint ep(addr, static_cast<unsigned short>(port));
    acceptor_.open(ep.protocol(), ec);
    if (!ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
        acceptor_.bind(ep, ec);
    }
    if (!ec) {
        acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return unexpected(fmt::format("cannot listen on {}:{}: {}", address, port, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return {};
}

void Listener::start()
{
    asio::co_spawn(server_.io(), accept_loop(), asio::detached);
}

void Listener::stop()
{
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

asio::awaitable<void> Listener::accept_loop()
{
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                break;
            }
            // EMFILE and friends: log, back off briefly, keep serving the open sessions.
            spdlog::warn("accept failed: {}", ec.message());
            asio::steady_timer t(server_.io(), std::chrono::milliseconds(100));
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        boost::system::error_code peer_ec;
        const auto peer = socket.remote_endpoint(peer_ec).address();
        if (peer_ec) {
            continue;  // the peer is already gone
        }
        auto address = peer.to_string();
        const int limit = stream::connection_limit_for(peer, server_.config().limits);
        if (!connections_.admit(address, limit)) {
            spdlog::info("refusing a connection from {}: limits.max_connections_per_ip", address);
            continue;  // closing the socket is the refusal; nothing was said yet
        }
        std::make_shared<stream::TcpC2sSession>(server_, connections_, std::move(socket), tls_,
                                                direct_tls_, std::move(address))
            ->start();
    }
}

}  // namespace chorus::net
