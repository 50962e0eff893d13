// S2sListener: the s2s accept loop and TLS contexts.
#include "net/s2s_listener.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <filesystem>

#include "server/server.h"
#include "stream/s2s_manager.h"

namespace chorus::net {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

Result<S2sTls, std::string> make_s2s_tls(const Config& config)
{
    // The files make_tls_context() loaded or generated for c2s.
    std::string cert = config.certificate;
    std::string key = config.private_key;
    if (cert.empty()) {
        const auto dir = std::filesystem::path(config.data_dir) / "tls";
        cert = (dir / "cert.pem").string();
        key = (dir / "key.pem").string();
    } else if (key.empty()) {
        key = cert;
    }
    S2sTls out;
    out.server = std::make_unique<ssl::context>(ssl::context::tls_server);
    out.client = std::make_unique<ssl::context>(ssl::context::tls_client);
    for (auto* ctx : {out.server.get(), out.client.get()}) {
        SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
        ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression);
        boost::system::error_code ec;
        ctx->use_certificate_chain_file(cert, ec);
        if (!ec) {
            ctx->use_private_key_file(key, ssl::context::pem, ec);
        }
        if (ec) {
            return unexpected(fmt::format("s2s TLS with {}: {}", cert, ec.message()));
        }
    }
    // The system's roots (none is not an error) and s2s.ca_file, loaded once for both sides:
    // reading the system store costs about 0.1 s of CPU at every start.
    boost::system::error_code ec;
    out.server->set_default_verify_paths(ec);
    if (!config.s2s_ca_file.empty()) {
        ec.clear();
        out.server->load_verify_file(config.s2s_ca_file, ec);
        if (ec) {
            return unexpected(fmt::format("s2s.ca_file {}: {}", config.s2s_ca_file, ec.message()));
        }
    }
    SSL_CTX_set1_cert_store(out.client->native_handle(),
                            SSL_CTX_get_cert_store(out.server->native_handle()));
    // The initiator completes handshakes with any certificate and checks it afterwards, so
    // a policy can allow dialback over TLS with a self-signed one (RFC 6120 §13.7.2.1).
    out.client->set_verify_mode(ssl::verify_none);
    return out;
}

S2sListener::S2sListener(Server& server, stream::S2sManager& manager)
    : server_(server), manager_(manager), acceptor_(server.io())
{
}

Result<void, std::string> S2sListener::open(const std::string& address, int port)
{
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(address, ec);
    if (ec) {
        return unexpected(fmt::format("s2s.bind: '{}' is not an IP address", address));
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
        return unexpected(
            fmt::format("cannot listen for s2s on {}:{}: {}", address, port, ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    return {};
}

void S2sListener::start()
{
    asio::co_spawn(server_.io(), accept_loop(), asio::detached);
}

void S2sListener::stop()
{
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

asio::awaitable<void> S2sListener::accept_loop()
{
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted) {
                break;
            }
            spdlog::warn("s2s accept failed: {}", ec.message());
            asio::steady_timer t(server_.io(), std::chrono::milliseconds(100));
            co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
            continue;
        }
        manager_.accept(std::move(socket));
    }
}

}  // namespace chorus::net
