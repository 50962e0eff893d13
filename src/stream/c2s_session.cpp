// C2sSession I/O: the read loop, gather writes, STARTTLS and closing (RFC 6120 §4, §5).
#include "stream/c2s_session.h"

#include <spdlog/spdlog.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "router/router.h"
#include "server/server.h"
#include "stanza/stanza_bytes.h"

namespace chorus::stream {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {
// One read buffer per thread; large, so a busy client's burst is one syscall.
constexpr std::size_t shared_read_chunk = 64 * 1024;

// After our </stream:stream>, how long the peer has to close its side.
constexpr auto close_grace = std::chrono::seconds(2);
std::uint64_t next_session_id = 0;
// Queued bytes beyond this many high watermarks end the stream.
constexpr std::size_t overflow_factor = 8;

xml::ParserLimits parser_limits(const Limits& l)
{
    // Unauthenticated to begin with; SASL success raises it (c2s_negotiation.cpp).
    return {.max_stanza_bytes = std::min(l.max_stanza_bytes, l.max_stanza_bytes_unauthenticated),
            .max_depth = l.max_depth,
            .max_attributes = l.max_attributes};
}
}  // namespace

C2sSession::C2sSession(Server& server, ConnectionSet& connections, tcp::socket socket,
                       asio::ssl::context& tls, bool direct_tls, std::string remote_address)
    : server_(server),
      connections_(connections),
      socket_(std::move(socket)),
      tls_context_(tls),
      direct_tls_(direct_tls),
      remote_address_(std::move(remote_address)),
      parser_(*this, parser_limits(server.config().limits)),
      id_(++next_session_id)
{
    connections_.add(this);
}

C2sSession::~C2sSession()
{
    if (sm_ && !sm_->id().empty()) {  // e.g. the I/O loop stopped with it still detached
        connections_.resumable().remove(sm_->id(), this);
    }
    connections_.remove(this);
    connections_.release(remote_address_);
}

void C2sSession::start()
{
    asio::co_spawn(socket_.get_executor(), run(),
                   [self = shared_from_this()](std::exception_ptr e) {
                       if (e) {  // a bug: close this session only (STYLE.md "Asio")
                           try {
                               std::rethrow_exception(e);
                           } catch (const std::exception& ex) {
                               spdlog::error("session {} failed: {}", self->jid_.str(), ex.what());
                           }
                           self->finish_close();
                       }
                   });
}

C2sSession::ReadResult C2sSession::try_read(std::string_view& data)
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

asio::awaitable<bool> C2sSession::read_some(std::string_view& data)
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

void C2sSession::after_feed()
{
    if (closing_) {
        // The stream is over; a session lingering while its last bytes go out (and a
        // crowd of them when many clients leave at once) should not hold a parser.
        parser_.discard();
    }
    const auto err = parser_.error();
    if (err == xml::ParseError::none || closing_) {
        return;
    }
    StreamCondition c = StreamCondition::not_well_formed;
    if (err == xml::ParseError::restricted_xml) {
        c = StreamCondition::restricted_xml;
    } else if (err == xml::ParseError::policy_violation) {
        c = StreamCondition::policy_violation;
    } else if (err == xml::ParseError::invalid_namespace) {
        c = StreamCondition::invalid_namespace;
    }
    spdlog::debug("stream error from {}: {}", jid_.str(), parser_.error_text());
    fail({c, parser_.error_text()});
}

asio::awaitable<void> C2sSession::run()
{
    auto self = shared_from_this();
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
        read_since_sweep_ = true;
        while (!data.empty() && !closing_) {
            const auto used = parser_.feed(data);
            data.remove_prefix(used);
            if (parser_.error() != xml::ParseError::none) {
                break;
            }
            if (restart_ || starttls_) {
                parser_.reset();
                restart_ = false;
                stream_open_ = false;
            }
            if (starttls_) {
                starttls_ = false;
                co_await drain();
                if (!co_await start_tls()) {
                    co_return finish_close();
                }
                data = {};  // RFC 6120 §5.4.3.3: nothing may follow <starttls/> in the clear
            }
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

void C2sSession::arm_read()
{
    if (!closing_ && unsent_bytes() > server_.config().limits.write_high_watermark) {
        read_paused_ = true;  // a peer that does not read stops being read (backpressure)
        // With no read armed and perhaps no write in flight (only copies held for the
        // archive), nothing else would keep this session alive until it resumes.
        paused_self_ = shared_from_this();
        return;
    }
    auto self = shared_from_this();
    if (!closing_ && !server_.read_gate().is_open()) {
        server_.read_gate().wait([self = std::move(self)] { self->arm_read(); });
        return;
    }
    if (tls_ && tls_->has_pending()) {
        asio::post(socket_.get_executor(), [self = std::move(self)] { self->on_readable({}); });
        return;
    }
    socket_.async_wait(
        tcp::socket::wait_read,
        [self = std::move(self)](boost::system::error_code ec) { self->on_readable(ec); });
}

void C2sSession::on_readable(boost::system::error_code ec)
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
                [self = shared_from_this()](boost::system::error_code e) { self->on_readable(e); });
            return;
        case ReadResult::end:
            return finish_close();
    }
    read_since_sweep_ = true;
    while (!data.empty() && !closing_ && parser_.error() == xml::ParseError::none) {
        data.remove_prefix(parser_.feed(data));
    }
    after_feed();
    arm_read();
}

asio::awaitable<bool> C2sSession::start_tls()
{
    handshaking_ = true;
    tls_ =
        std::make_unique<net::TlsConnection>(tls_context_.native_handle(), socket_.native_handle());
    for (;;) {
        boost::system::error_code ec;
        switch (tls_->handshake()) {
            case net::TlsConnection::Io::done:
                handshaking_ = false;
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
                co_return false;
        }
        if (ec) {
            co_return false;
        }
    }
}

asio::awaitable<void> C2sSession::drain()
{
    while ((!writing_.empty() || !queue_.empty()) && !write_failed_) {
        if (!drained_) {
            drained_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
        }
        drained_->expires_at(asio::steady_timer::time_point::max());
        co_await drained_->async_wait(as_tuple(use_awaitable));
    }
}

void C2sSession::write_bytes(router::SharedBytes bytes)
{
    if (sm_ && !count_sent(bytes)) {
        return;
    }
    queue_stanza(std::move(bytes));
    if (sm_ && !closing_) {
        request_ack_if_due(LivenessClock::now());  // after the stanza, on the wire
    }
}

void C2sSession::write_control(router::SharedBytes bytes)
{
    enqueue(std::move(bytes));
}

void C2sSession::queue_stanza(router::SharedBytes bytes)
{
    if (closing_ || write_failed_) {
        return;
    }
    if (csi_) {  // XEP-0352: an inactive client gets what waits with the next urgent stanza
        if (csi_->hold(bytes)) {
            return;
        }
        for (auto& held : csi_->take()) {  // in the order they came, before this one
            if (!enqueue(std::move(held))) {
                return;
            }
        }
    }
    enqueue(std::move(bytes));
}

bool C2sSession::enqueue(router::SharedBytes bytes)
{
    if (closing_ || write_failed_) {
        return false;
    }
    queued_bytes_ += bytes->size();
    queue_.push_back(std::move(bytes));
    if (cut_off_if_overflowing()) {
        return false;
    }
    if (writing_.empty()) {
        // Deliveries made while routing one read coalesce into one write: flush after the
        // current handler returns.
        asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush(); });
        writing_.push_back(nullptr);  // marks a flush as scheduled
    }
    return true;
}

void C2sSession::handle_csi(const xml::Element& nonza)
{
    if (nonza.name() == "inactive") {
        if (!csi_) {
            csi_ = std::make_unique<CsiQueue>();
        }
        return;
    }
    if (nonza.name() != "active") {
        return fail({StreamCondition::unsupported_stanza_type, "Unknown CSI element"});
    }
    if (auto csi = std::move(csi_)) {  // XEP-0352 §5: what was held leaves now, in order
        for (auto& held : csi->take()) {
            if (!enqueue(std::move(held))) {
                return;
            }
        }
    }
}

bool C2sSession::cut_off_if_overflowing()
{
    // Only what the client did not take counts: copies held for the archive are ours.
    if (closing_ ||
        queued_bytes_ <= overflow_factor * server_.config().limits.write_high_watermark) {
        return false;
    }
    // A client that stops reading while others write to it would hold memory without
    // bound; it is disconnected (its IM-NG copies are in the archive).
    queue_.clear();
    queued_bytes_ = 0;
    drop_held();
    fail({StreamCondition::policy_violation, "Too much unread data"});
    // The error waits behind the write in progress, which a peer that reads nothing
    // never completes: past close_grace the connection goes without it (closing the
    // socket ends that write and the read wait, which releases the session). The close
    // is abortive (a reset): otherwise the kernel keeps the unread megabytes of an
    // orphaned socket until its own timeout.
    auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), close_grace);
    timer->async_wait([weak = weak_from_this(), timer](boost::system::error_code) {
        if (auto self = weak.lock()) {
            boost::system::error_code ignored;
            self->socket_.set_option(asio::socket_base::linger(true, 0), ignored);
            self->socket_.close(ignored);
            self->paused_self_.reset();
        }
    });
    return true;
}

void C2sSession::held_changed()
{
    resume_if_drained();
}

void C2sSession::resume_if_drained()
{
    if (read_paused_ && !write_failed_ &&
        unsent_bytes() <= server_.config().limits.write_high_watermark) {
        read_paused_ = false;
        auto self = std::move(paused_self_);
        arm_read();
    }
}

void C2sSession::send_raw(std::string text)
{
    // Stream-level bytes (negotiation, errors, the close) never wait behind held copies.
    enqueue(std::make_shared<const std::string>(std::move(text)));
}

void C2sSession::flush()
{
    writing_.clear();
    if (queue_.empty() || write_failed_) {
        if (drained_) {
            drained_->cancel();
        }
        return;
    }
    const std::size_t take = std::min(queue_.size(), max_gather);
    writing_.assign(std::make_move_iterator(queue_.begin()),
                    std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(take)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(take));
    if (tls_) {
        std::size_t gathered = 0;
        for (std::size_t i = 0; i < take; ++i) {
            tls_backlog_.append(*writing_[i]);
            gathered += writing_[i]->size();
        }
        return write_tls(gathered);
    }
    asio::async_write(socket_, GatherBuffers(writing_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                          self->on_written(ec, n);
                      });
}

void C2sSession::write_tls(std::size_t gathered)
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
    auto self = shared_from_this();
    if (tls_backlog_.empty()) {
        std::string().swap(tls_backlog_);  // an idle session keeps no write buffer
        asio::post(socket_.get_executor(), [self, gathered] { self->on_written({}, gathered); });
        return;
    }
    if (io == net::TlsConnection::Io::want_write || io == net::TlsConnection::Io::want_read) {
        const auto wait = io == net::TlsConnection::Io::want_write ? tcp::socket::wait_write
                                                                   : tcp::socket::wait_read;
        socket_.async_wait(wait, [self, gathered](boost::system::error_code ec) {
            if (ec) {
                return self->on_written(ec, 0);
            }
            self->write_tls(gathered);
        });
        return;
    }
    spdlog::debug("TLS write to {} failed: {}", remote_address_, tls_->error());
    asio::post(socket_.get_executor(),
               [self] { self->on_written(asio::error::connection_reset, 0); });
}

void C2sSession::on_written(boost::system::error_code ec, std::size_t count)
{
    queued_bytes_ -= std::min(queued_bytes_, count);
    if (ec) {
        write_failed_ = true;
        queue_.clear();
        writing_.clear();
        if (drained_) {
            drained_->cancel();
        }
        boost::system::error_code ignored;
        socket_.close(ignored);
        if (read_paused_) {  // no read is pending to notice the end
            read_paused_ = false;
            finish_close();
        }
        return;
    }
    flush();
    resume_if_drained();
    if (writing_.empty() && closing_) {
        if (tls_) {
            tls_->shutdown();
        }
        boost::system::error_code ignored;
        socket_.shutdown(tcp::socket::shutdown_send, ignored);
        auto timer = std::make_shared<asio::steady_timer>(socket_.get_executor(), close_grace);
        timer->async_wait([self = shared_from_this(), timer](boost::system::error_code) {
            boost::system::error_code ignored2;
            self->socket_.close(ignored2);
            self->paused_self_.reset();  // no read is armed to end it
        });
    }
}

void C2sSession::close_with(std::string serialized_stream_error)
{
    if (closing_) {
        return;
    }
    if (!stream_open_) {  // RFC 6120 §4.9.1.2: open the stream first to send the error
        send_raw(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
            "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
    }
    send_raw(std::move(serialized_stream_error) + "</stream:stream>");
    closing_ = true;
    // Called from anywhere, even while the router walks this account's sessions: leave the
    // session table after the current handler.
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->unbind(); });
}

void C2sSession::unbind()
{
    if (bound_) {
        bound_ = false;
        server_.router().session_closed(*this);
    }
    if (sm_) {
        end_sm();
    }
}

void C2sSession::fail(StreamError error)
{
    close_with(serialize_stream_error(error));
}

void C2sSession::on_stream_close()
{
    if (!closing_) {
        send_raw("</stream:stream>");
        closing_ = true;
    }
    unbind();
}

void C2sSession::finish_close()
{
    auto self = std::move(paused_self_);
    if (sm_ && sm_->detached()) {
        return;  // a second notice of the same loss
    }
    if (can_detach()) {
        return detach();  // XEP-0198 §5: lost, not ended
    }
    unbind();
    closing_ = true;
    if (writing_.empty() || write_failed_) {
        boost::system::error_code ignored;
        socket_.close(ignored);
    }
}

}  // namespace chorus::stream
