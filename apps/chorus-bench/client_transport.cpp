// apps/chorus-bench/client_transport.cpp: the client's byte transport: the TCP connection
// (spread over loopback source addresses), STARTTLS through memory BIOs, and the write queue
// and reads, which a WebSocket client hands to client_websocket.cpp.
#include "client.h"

#include "worker.h"

#include <openssl/err.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chorus::bench {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t login_buffer = 4096;
// Loopback source addresses the clients spread over: 127.0.0.2 and the 15 after it.
constexpr std::uint32_t source_address_base = 0x7f000002;
constexpr std::uint32_t source_addresses = 16;
// A top-level element larger than this is a server we do not understand, not a benchmark.
constexpr std::size_t max_buffer = 4 * 1024 * 1024;

// What went wrong in an OpenSSL call that returned ret, with the error queue emptied.
std::string tls_error(SSL* ssl, int ret)
{
    const int reason = SSL_get_error(ssl, ret);
    std::string text;
    if (reason == SSL_ERROR_ZERO_RETURN) {
        text = "the server closed the TLS session";
    } else if (const unsigned long code = ERR_peek_error(); code != 0) {
        char buffer[256] = "";
        ERR_error_string_n(code, buffer, sizeof buffer);
        text = buffer;
    } else {
        text = "SSL error " + std::to_string(reason);
    }
    ERR_clear_error();
    return text;
}

}  // namespace

void Client::send(std::string_view bytes)
{
    out_.append(bytes);
    flush();
}

bool Client::tls_drain()
{
    const std::size_t pending = BIO_ctrl_pending(tls_out_);
    if (pending == 0) {
        return false;
    }
    const std::size_t old = wire_.size();
    wire_.resize(old + pending);
    const int n = BIO_read(tls_out_, wire_.data() + old, static_cast<int>(pending));
    wire_.resize(old + static_cast<std::size_t>(std::max(n, 0)));
    return true;
}

void Client::flush()
{
    if (ws_) {
        return flush_websocket();
    }
    if (writing_ || !open_) {
        return;
    }
    if (ssl_ && !out_.empty()) {
        // Encrypted when the write starts, as asio::ssl::stream did: one record per write.
        ERR_clear_error();
        std::size_t written = 0;
        if (SSL_write_ex(ssl_.get(), out_.data(), out_.size(), &written) != 1) {
            if (error_.empty()) {
                error_ = "TLS write: " + tls_error(ssl_.get(), 0);
            }
            abort();
            return;
        }
        out_.clear();
        tls_drain();
    }
    std::string& pending = ssl_ ? wire_ : out_;
    if (pending.empty()) {
        return;
    }
    std::swap(pending, inflight_);  // both keep their capacity: no allocation once warmed up
    writing_ = true;
    auto done = [this](boost::system::error_code ec, std::size_t) {
        writing_ = false;
        inflight_.clear();
        if (ec) {
            if (error_.empty()) {
                error_ = "write: " + ec.message();
            }
            abort();
            return;
        }
        flush();
    };
    asio::async_write(socket_, asio::buffer(inflight_), done);
}

void Client::close()
{
    if (!open_ || closing_) {
        return;
    }
    closing_ = true;
    out_ += "</stream:stream>";
    flush();
}

void Client::abort()
{
    boost::system::error_code ignored;
    socket_.close(ignored);
    mark_closed();
}

void Client::mark_closed()
{
    if (open_) {
        open_ = false;
        worker_.open_connections.fetch_sub(1, std::memory_order_relaxed);
    }
}

void Client::flush_websocket()
{
    if (!open_) {
        return;
    }
    if (!out_.empty()) {
        ws_->queue(out_);
        out_.clear();
    }
    if (ws_->writing() || !ws_->has_output()) {
        return;
    }
    ws_->write_next([this](boost::system::error_code ec) {
        if (ec) {
            if (error_.empty()) {
                error_ = "WebSocket write: " + ec.message();
            }
            abort();
            return;
        }
        flush_websocket();
    });
}

asio::awaitable<bool> Client::read_more()
{
    if (in_begin_ > 0) {
        std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
    }
    if (in_.size() < login_buffer) {
        in_.resize(login_buffer);
    } else if (in_end_ == in_.size()) {
        if (in_.size() >= max_buffer) {
            error_ = "a top-level element larger than 4 MiB";
            co_return false;
        }
        in_.resize(in_.size() * 2);
    }
    if (ws_) {
        std::string bytes;
        if (!co_await ws_->read(bytes, error_)) {
            co_return false;
        }
        if (in_.size() - in_end_ < bytes.size()) {
            in_.resize(in_end_ + bytes.size());
        }
        std::memcpy(in_.data() + in_end_, bytes.data(), bytes.size());
        in_end_ += bytes.size();
        co_return true;
    }
    if (ssl_) {
        while (true) {
            ERR_clear_error();
            std::size_t n = 0;
            const int ret = SSL_read_ex(ssl_.get(), in_.data() + in_end_, in_.size() - in_end_, &n);
            if (tls_drain()) {
                flush();  // a KeyUpdate answer or an alert
            }
            if (ret == 1) {
                in_end_ += n;
                co_return true;
            }
            if (SSL_get_error(ssl_.get(), ret) != SSL_ERROR_WANT_READ) {
                if (error_.empty()) {
                    error_ = tls_error(ssl_.get(), ret);
                }
                co_return false;
            }
            if (!co_await tls_fill()) {
                co_return false;
            }
        }
    }
    const auto buffer = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
    auto [ec, n] = co_await socket_.async_read_some(buffer, use_tuple);
    if (ec) {
        if (error_.empty()) {
            error_ = ec == asio::error::eof ? "the server closed the connection" : ec.message();
        }
        co_return false;
    }
    in_end_ += n;
    co_return true;
}

asio::awaitable<bool> Client::tls_fill()
{
    while (true) {
        // Wait, then read: asio's speculative read before the wait would find nothing but
        // EAGAIN after every request, and the wait re-arms the descriptor (EPOLL_CTL_MOD), so
        // nothing that arrived before it is missed.
        auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, use_tuple);
        if (ec) {
            if (error_.empty()) {
                error_ = ec.message();
            }
            co_return false;
        }
        std::vector<char>& scratch = worker_.scratch();
        const ssize_t n =
            ::recv(socket_.native_handle(), scratch.data(), scratch.size(), MSG_DONTWAIT);
        if (n > 0) {
            BIO_write(tls_in_, scratch.data(), static_cast<int>(n));
            co_return true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            continue;
        }
        if (error_.empty()) {
            error_ = n == 0 ? "the server closed the connection" : std::strerror(errno);
        }
        co_return false;
    }
}

asio::awaitable<std::string> Client::connect()
{
    logging_in_ = true;
    const auto& server = worker_.server(setup_.on_peer);
    if (server.address().is_v4() && server.address().is_loopback()) {
        // Spread the clients over loopback source addresses: from one address, the kernel's
        // search for a free ephemeral port grows with every open connection (measured: ~270 us
        // of the generator's kernel time per connect at 19k connections, against ~70 at 1k).
        // The port is chosen at connect (IP_BIND_ADDRESS_NO_PORT), per source address.
        boost::system::error_code bind_ec;
        socket_.open(asio::ip::tcp::v4(), bind_ec);
        const int one = 1;
        ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                     sizeof one);
        const asio::ip::address_v4 source(source_address_base + setup_.index % source_addresses);
        socket_.bind({source, 0}, bind_ec);
    }
    auto [ec] = co_await socket_.async_connect(server, use_tuple);
    if (ec) {
        co_return "connect: " + ec.message();
    }
    open_ = true;
    worker_.open_connections.fetch_add(1, std::memory_order_relaxed);
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    in_.resize(login_buffer);
    if (worker_.options().websocket) {
        ws_ = std::make_unique<WsLink>(socket_, worker_.domain(setup_.on_peer));
        co_return co_await ws_->handshake(worker_.domain(setup_.on_peer),
                                          worker_.options().ws_path);
    }
    co_return "";
}

asio::awaitable<std::string> Client::start_tls(std::string& features)
{
    if (!has_child(features, "starttls")) {
        co_return "the server offers no STARTTLS";
    }
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const Event event = co_await next_event();
    if (event.kind != EventKind::stanza || element_name(event.text) != "proceed") {
        co_return "STARTTLS refused: " + error_ + std::string(event.text.substr(0, 200));
    }
    in_begin_ = in_end_ = 0;  // RFC 6120 §5.4.3.3: nothing in the clear after <proceed/>
    ssl_.reset(SSL_new(worker_.tls()));
    tls_in_ = BIO_new(BIO_s_mem());
    tls_out_ = BIO_new(BIO_s_mem());
    if (!ssl_ || tls_in_ == nullptr || tls_out_ == nullptr) {
        BIO_free(tls_in_);
        BIO_free(tls_out_);
        ssl_.reset();
        co_return "TLS: out of memory";
    }
    BIO_set_mem_eof_return(tls_in_, -1);  // empty means "wait for more", not end of stream
    SSL_set_bio(ssl_.get(), tls_in_, tls_out_);
    SSL_set_connect_state(ssl_.get());
    SSL_set_tlsext_host_name(ssl_.get(), worker_.domain(setup_.on_peer).c_str());
    while (true) {
        ERR_clear_error();
        const int ret = SSL_do_handshake(ssl_.get());
        tls_drain();
        flush();
        if (ret == 1) {
            break;
        }
        if (SSL_get_error(ssl_.get(), ret) != SSL_ERROR_WANT_READ) {
            co_return "TLS handshake: " + tls_error(ssl_.get(), ret);
        }
        if (!co_await tls_fill()) {
            co_return "TLS handshake: " + error_;
        }
    }
    co_return co_await open_stream(features);
}

}  // namespace chorus::bench
