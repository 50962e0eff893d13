// TcpC2sSession: the TCP transport of a client stream: the read loop, STARTTLS, gather
// writes through TLS records or the socket, and closing (RFC 6120 §4, §5; XEP-0368).
#include "stream/tcp_c2s_session.h"

#include <spdlog/spdlog.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/metrics.h"
#include "server/server.h"

namespace chorus::stream {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {
// One read buffer per thread; large, so a busy client's burst is one syscall.
constexpr std::size_t shared_read_chunk = 64 * 1024;
}  // namespace

TcpC2sSession::TcpC2sSession(Server& server, ConnectionSet& connections, tcp::socket socket,
                             asio::ssl::context& tls, bool direct_tls, std::string remote_address)
    : C2sSession(server, connections, std::move(remote_address)),
      socket_(std::move(socket)),
      tls_context_(tls),
      direct_tls_(direct_tls)
{
}

void TcpC2sSession::start()
{
    asio::co_spawn(socket_.get_executor(), run(), [self = self()](std::exception_ptr e) {
        if (e) {  // a bug: close this session only (STYLE.md "Asio")
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                spdlog::error("session {} failed: {}", self->jid().str(), ex.what());
            }
            self->finish_close();
        }
    });
}

bool TcpC2sSession::peer_is_loopback() const
{
    boost::system::error_code ec;
    const auto remote = socket_.remote_endpoint(ec);
    return !ec && remote.address().is_loopback();
}

SaslChannel TcpC2sSession::sasl_channel() const
{
    SaslChannel ch;
    ch.tls = tls_ != nullptr;
    if (tls_) {
        ch.tls_exporter = tls_->tls_exporter();  // RFC 9266, TLS 1.3 only
        // RFC 5929 tls-unique: the first Finished message of the handshake. COMPAT: RFC 9266
        // retires it for TLS 1.3, but clients that know no other binding (slixmpp) still
        // send it there, and both ends compute the same bytes.
        ch.tls_unique = tls_->tls_unique();
    }
    return ch;
}

TcpC2sSession::ReadResult TcpC2sSession::try_read(std::string_view& data)
{
    // Reads go to the thread's buffer, so an idle session holds no read buffer at all.
    // The bytes are parsed before anything else runs.
    static thread_local std::array<char, shared_read_chunk> shared;
    std::size_t n = 0;
    if (tls_) {
        switch (tls_->read(shared.data(), shared.size(), n)) {
            case net::TlsConnection::Io::done:
                data = std::string_view(shared.data(), n);
                return ReadResult::data;
            case net::TlsConnection::Io::want_read:
                return ReadResult::again_read;
            case net::TlsConnection::Io::want_write:  // a TLS 1.3 key update to answer
                return ReadResult::again_write;
            case net::TlsConnection::Io::closed:
                return ReadResult::end;
            case net::TlsConnection::Io::failed:
                spdlog::debug("TLS read from {} failed: {}", remote_address_, tls_->error());
                return ReadResult::end;
        }
    }
    boost::system::error_code ec;
    n = socket_.read_some(asio::buffer(shared), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        return ReadResult::again_read;
    }
    if (ec) {
        return ReadResult::end;  // EOF or reset: the peer left (not a server error)
    }
    data = std::string_view(shared.data(), n);
    return ReadResult::data;
}

asio::awaitable<bool> TcpC2sSession::read_some(std::string_view& data)
{
    auto wait = tcp::socket::wait_read;
    bool ready = tls_ && tls_->has_pending();
    for (;;) {
        if (!ready) {
            auto [ec] = co_await socket_.async_wait(wait, as_tuple(use_awaitable));
            if (ec) {
                co_return false;
            }
        }
        switch (try_read(data)) {
            case ReadResult::data:
                co_return true;
            case ReadResult::end:
                co_return false;
            case ReadResult::again_read:
                wait = tcp::socket::wait_read;
                break;
            case ReadResult::again_write:
                wait = tcp::socket::wait_write;
                break;
        }
        ready = false;
    }
}

asio::awaitable<void> TcpC2sSession::run()
{
    auto keep = self();
    boost::system::error_code opt_ec;
    socket_.set_option(tcp::no_delay(true), opt_ec);
    socket_.non_blocking(true, opt_ec);
    if (direct_tls_ && !co_await start_tls()) {
        co_return finish_close();
    }
    const auto watermark = server_.config().limits.write_high_watermark;
    while (socket_.is_open()) {
        if (unsent_bytes() > watermark) {
            co_await drain();  // a peer that does not read stops being read (backpressure)
        }
        std::string_view data;
        if (!co_await read_some(data)) {
            break;
        }
        feed(data);
        if (starttls_) {
            starttls_ = false;
            co_await drain();
            if (!co_await start_tls()) {
                co_return finish_close();
            }
            // RFC 6120 §5.4.3.3: nothing may follow <starttls/> in the clear (the rest of
            // data is dropped).
        }
        after_feed();
        if (bound_ && !closing_) {
            // Negotiation is over (no more STARTTLS or restarts): from here one small
            // callback per read carries the session instead of this coroutine's frames,
            // about 1.4 KiB less for every idle session.
            drained_.reset();
            arm_read();
            co_return;
        }
    }
    finish_close();
}

void TcpC2sSession::arm_read()
{
    if (pause_reading_if_backlogged()) {
        return;
    }
    auto keep = self();
    if (!closing_ && !server_.read_gate().is_open()) {
        server_.read_gate().wait([keep = std::move(keep)] { keep->arm_read(); });
        return;
    }
    if (tls_ && tls_->has_pending()) {
        asio::post(socket_.get_executor(), [keep = std::move(keep)] { keep->on_readable({}); });
        return;
    }
    socket_.async_wait(
        tcp::socket::wait_read,
        [keep = std::move(keep)](boost::system::error_code ec) { keep->on_readable(ec); });
}

void TcpC2sSession::on_readable(boost::system::error_code ec)
{
    if (ec) {
        return finish_close();
    }
    std::string_view data;
    switch (try_read(data)) {
        case ReadResult::data:
            break;
        case ReadResult::again_read:
            return arm_read();
        case ReadResult::again_write:
            socket_.async_wait(
                tcp::socket::wait_write,
                [keep = self()](boost::system::error_code e) { keep->on_readable(e); });
            return;
        case ReadResult::end:
            return finish_close();
    }
    feed(data);
    after_feed();
    arm_read();
}

asio::awaitable<bool> TcpC2sSession::start_tls()
{
    handshaking_ = true;
    tls_ =
        std::make_unique<net::TlsConnection>(tls_context_.native_handle(), socket_.native_handle());
    for (;;) {
        boost::system::error_code ec;
        switch (tls_->handshake()) {
            case net::TlsConnection::Io::done:
                handshaking_ = false;
                ++metrics().tls_handshakes;
                co_return true;
            case net::TlsConnection::Io::want_read:
                std::tie(ec) =
                    co_await socket_.async_wait(tcp::socket::wait_read, as_tuple(use_awaitable));
                break;
            case net::TlsConnection::Io::want_write:
                std::tie(ec) =
                    co_await socket_.async_wait(tcp::socket::wait_write, as_tuple(use_awaitable));
                break;
            case net::TlsConnection::Io::closed:
            case net::TlsConnection::Io::failed:
                spdlog::debug("TLS handshake with {} failed: {}", remote_address_, tls_->error());
                ++metrics().tls_handshake_failures;
                co_return false;
        }
        if (ec) {
            co_return false;
        }
    }
}

void TcpC2sSession::write_out(std::size_t count)
{
    if (tls_) {
        std::size_t gathered = 0;
        for (std::size_t i = 0; i < count; ++i) {
            tls_backlog_.append(*writing_[i]);
            gathered += writing_[i]->size();
        }
        return write_tls(gathered);
    }
    asio::async_write(
        socket_, GatherBuffers(writing_),
        [keep = self()](boost::system::error_code ec, std::size_t n) { keep->on_written(ec, n); });
}

void TcpC2sSession::write_tls(std::size_t gathered)
{
    // One SSL_write per gather: the stanzas share TLS records, like a gather write shares
    // a syscall.
    std::size_t offset = 0;
    auto io = net::TlsConnection::Io::done;
    while (offset < tls_backlog_.size()) {
        std::size_t n = 0;
        io = tls_->write(tls_backlog_.data() + offset, tls_backlog_.size() - offset, n);
        if (io != net::TlsConnection::Io::done) {
            break;
        }
        offset += n;
    }
    tls_backlog_.erase(0, offset);
    auto keep = self();
    if (tls_backlog_.empty()) {
        std::string().swap(tls_backlog_);  // an idle session keeps no write buffer
        asio::post(socket_.get_executor(), [keep, gathered] { keep->on_written({}, gathered); });
        return;
    }
    if (io == net::TlsConnection::Io::want_write || io == net::TlsConnection::Io::want_read) {
        const auto wait = io == net::TlsConnection::Io::want_write ? tcp::socket::wait_write
                                                                   : tcp::socket::wait_read;
        socket_.async_wait(wait, [keep, gathered](boost::system::error_code ec) {
            if (ec) {
                return keep->on_written(ec, 0);
            }
            keep->write_tls(gathered);
        });
        return;
    }
    spdlog::debug("TLS write to {} failed: {}", remote_address_, tls_->error());
    asio::post(socket_.get_executor(),
               [keep] { keep->on_written(asio::error::connection_reset, 0); });
}

void TcpC2sSession::close_transport(bool abortive)
{
    boost::system::error_code ignored;
    if (abortive) {
        // Otherwise the kernel keeps the unread megabytes of an orphaned socket until its
        // own timeout.
        socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    }
    socket_.close(ignored);
}

void TcpC2sSession::end_output()
{
    if (tls_) {
        tls_->shutdown();
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace chorus::stream
