// C2sSession: feeding the parser, the write queue (CSI, backpressure, cut-off) and closing,
// whatever the transport (RFC 6120 §4).
#include "stream/c2s_session.h"

#include <spdlog/spdlog.h>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/metrics.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/stanza_bytes.h"

namespace chorus::stream {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {
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

C2sSession::C2sSession(Server& server, ConnectionSet& connections, std::string remote_address)
    : server_(server),
      connections_(connections),
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

std::string_view C2sSession::state() const noexcept
{
    if (sm_ && sm_->detached()) {
        return "detached";
    }
    if (closing_) {
        return "closing";
    }
    return bound_ ? "bound" : "negotiating";
}

void C2sSession::feed(std::string_view& data)
{
    read_since_sweep_ = true;
    while (!data.empty() && !closing_) {
        data.remove_prefix(parser_.feed(data));
        if (parser_.error() != xml::ParseError::none) {
            return;
        }
        if (restart_ || starttls_) {  // the parser paused: a new stream follows
            parser_.reset();
            restart_ = false;
            stream_open_ = false;
            if (starttls_) {
                return;  // the transport runs the handshake
            }
        }
    }
}

bool C2sSession::pause_reading_if_backlogged()
{
    if (closing_ || unsent_bytes() <= server_.config().limits.write_high_watermark) {
        return false;
    }
    read_paused_ = true;  // a peer that does not read stops being read (backpressure)
    // With no read armed and perhaps no write in flight (only copies held for the
    // archive), nothing else would keep this session alive until it resumes.
    paused_self_ = shared_from_this();
    return true;
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

asio::awaitable<void> C2sSession::drain()
{
    while ((!writing_.empty() || !queue_.empty()) && !write_failed_) {
        if (!drained_) {
            drained_ = std::make_unique<asio::steady_timer>(executor());
        }
        drained_->expires_at(asio::steady_timer::time_point::max());
        co_await drained_->async_wait(as_tuple(use_awaitable));
    }
}

void C2sSession::write_bytes(router::SharedBytes bytes)
{
    ++metrics().stanzas_out[stanza_kind(*bytes)];
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
        asio::post(executor(), [self = shared_from_this()] { self->flush(); });
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
    auto timer = std::make_shared<asio::steady_timer>(executor(), close_grace);
    timer->async_wait([weak = weak_from_this(), timer](boost::system::error_code) {
        if (auto self = weak.lock()) {
            self->close_transport(true);
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
        read_next();
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
    write_out(take);
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
        close_transport(false);
        if (read_paused_) {  // no read is pending to notice the end
            read_paused_ = false;
            finish_close();
        }
        return;
    }
    flush();
    resume_if_drained();
    if (writing_.empty() && closing_) {
        end_output();
        close_after_grace();
    }
}

void C2sSession::close_after_grace()
{
    auto timer = std::make_shared<asio::steady_timer>(executor(), close_grace);
    timer->async_wait([self = shared_from_this(), timer](boost::system::error_code) {
        self->close_transport(false);
        self->paused_self_.reset();  // no read is armed to end it
    });
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
    asio::post(executor(), [self = shared_from_this()] { self->unbind(); });
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
    ++metrics().stream_errors[static_cast<std::size_t>(error.condition)];
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
        close_transport(false);
    }
}

}  // namespace chorus::stream
