// C2sSession: one client's XMPP stream, whatever carries it: parser, write queue, the RFC 6120
// negotiation (SASL §6, resource binding §7), XEP-0198, XEP-0352, liveness and backpressure.
// The transport (TCP with STARTTLS or direct TLS: TcpC2sSession; RFC 7395 WebSocket:
// http::WebSocketSession) derives from it and supplies reading, writing and closing.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "router/session.h"
#include "stanza/stream_error.h"
#include "stream/connection_set.h"
#include "stream/csi_queue.h"
#include "stream/liveness.h"
#include "stream/sasl.h"
#include "stream/stream_management.h"
#include "xml/stream_parser.h"

namespace chorus {
class Server;
}

namespace chorus::stream {

class ConnectionSet;

class C2sSession : public router::Session,
                   public xml::StreamHandler,
                   public std::enable_shared_from_this<C2sSession> {
public:
    ~C2sSession() override;

    /// Starts reading; the session keeps itself alive until the connection ends.
    virtual void start() = 0;

    // router::Session
    const Jid& jid() const noexcept override { return jid_; }
    router::SessionFlags& flags() noexcept override { return flags_; }
    void close_with(std::string serialized_stream_error) override;
    std::uint64_t id() const noexcept override { return id_; }

    /// Ends the stream with a stream error and closes the connection.
    void fail(StreamError error);
    /// For /metrics: "tcp", "tls" or "websocket".
    virtual std::string_view transport() const noexcept = 0;
    /// For /metrics: "negotiating", "bound", "detached" or "closing".
    std::string_view state() const noexcept;
    /// Called periodically (c2s_liveness.cpp): a session that read nothing since the last
    /// call frees its parser state until its next bytes arrive (idle sessions are most
    /// sessions), and the connection timeouts are checked. True when the parser was freed.
    bool sweep_idle(LivenessClock::time_point now);

protected:
    /// remote_address: already admitted to `connections` (released on destruction).
    C2sSession(Server& server, ConnectionSet& connections, std::string remote_address);

    /// A stanza: counted and kept until acked when XEP-0198 is enabled.
    void write_bytes(router::SharedBytes bytes) override;
    /// Stream-level bytes (an <a/>, <resumed/>, re-sent stanzas): never counted.
    void write_control(router::SharedBytes bytes) override;
    void held_changed() override;

    // What a transport supplies.
    virtual boost::asio::any_io_executor executor() = 0;
    /// Writes writing_[0, count) in order, then calls on_written() with their total size
    /// (or an error).
    virtual void write_out(std::size_t count) = 0;
    /// Arms the next read (after backpressure or the read gate let go).
    virtual void read_next() = 0;
    /// Closes the connection now; abortive: with a reset, dropping unread data.
    virtual void close_transport(bool abortive) = 0;
    /// The stream is over and its last bytes are out: end the transport's output
    /// (TLS close_notify, TCP FIN, WebSocket close frame); the caller closes after a grace.
    virtual void end_output() = 0;
    /// TLS protects the stream (or a TLS-terminating proxy vouched for it).
    virtual bool is_secure() const = 0;
    virtual bool peer_is_loopback() const = 0;
    /// STARTTLS can be offered (a TCP stream without TLS yet).
    virtual bool offers_starttls() const { return false; }
    virtual SaslChannel sasl_channel() const;

    // For transports.
    /// Parses bytes read from the peer; false when the read loop must stop feeding (a
    /// restart or STARTTLS paused the parser, or the stream failed).
    void feed(std::string_view& data);
    /// After feeding a read: frees the parser of a finished stream, answers a parse error.
    void after_feed();
    /// Backpressure: true (and the session kept alive) when unsent bytes are over the
    /// watermark; resume_if_drained() calls read_next() later.
    bool pause_reading_if_backlogged();
    /// Queued bytes have all been written (negotiation waits for <proceed/> this way).
    boost::asio::awaitable<void> drain();
    void on_written(boost::system::error_code ec, std::size_t count);
    void finish_close();
    /// Closes the transport after close_grace, so a peer gets its last bytes.
    void close_after_grace();

    // xml::StreamHandler
    void on_stream_open(const xml::Element& header) override;
    void on_stanza(xml::Element stanza) override;
    void on_stream_close() override;

private:
    void flush();
    void send_raw(std::string text);
    /// A stanza onto the wire queue, unless CSI holds it (after what CSI held).
    void queue_stanza(router::SharedBytes bytes);
    /// Puts bytes on the wire queue (nothing counted or held here); false when closed or
    /// when the client was cut off for it.
    bool enqueue(router::SharedBytes bytes);
    /// XEP-0352 <active/> and <inactive/> (nonzas of a bound stream).
    void handle_csi(const xml::Element& nonza);
    /// Past overflow_factor times the watermark of queued bytes, a client that does not
    /// read is cut off.
    bool cut_off_if_overflowing();
    /// Reading resumes once the unsent data is back under the watermark.
    void resume_if_drained();
    /// Carries out check_liveness() at a sweep visit.
    void check_timeouts(LivenessClock::time_point now);
    /// Leaves the session table (once), running the session_closed hooks.
    void unbind();

protected:
    /// Bytes routed to this client and not yet written: queued and held for the archive.
    std::size_t unsent_bytes() const noexcept { return queued_bytes_ + held_bytes(); }

private:
    // negotiation (c2s_negotiation.cpp)
    void send_features();
    void handle_negotiation(xml::Element& stanza);
    void handle_sasl(xml::Element& stanza);
    void handle_bind(xml::Element& iq);
    bool plaintext_allowed() const;

    // XEP-0198 stream management (c2s_stream_management.cpp)
    void handle_sm_unbound(xml::Element& element);
    void handle_sm(xml::Element& element);
    void sm_failed(std::string_view condition);
    void enable_sm(const xml::Element& enable);
    void answer_ack_request();
    void on_ack(const xml::Element& a);
    /// Counts a stanza written to the client; false when it must not go on the wire
    /// (detached, or the unacked queue overflowed).
    bool count_sent(const router::SharedBytes& bytes);
    void request_ack_if_due(LivenessClock::time_point now);
    /// The connection is gone but the session may be resumed (§5).
    bool can_detach() const noexcept;
    void detach();
    /// The session ends: its unacked stanzas go to the router, its id is forgotten.
    void end_sm();
    void resume(const xml::Element& element);
    /// This connection continues old's session (same JID, flags, id and queues).
    void take_over(C2sSession& old);
    /// At the idle sweep: a detached session expires, an attached one may be asked for acks.
    void sweep_sm(LivenessClock::time_point now);

protected:
    Server& server_;
    ConnectionSet& connections_;
    std::string remote_address_;
    xml::StreamParser parser_;

    // A gather write takes at most this many queued stanzas, so one huge backlog cannot
    // hold the thread for long.
    static constexpr std::size_t max_gather = 16;
    std::vector<router::SharedBytes> queue_;    // waiting to be written
    std::vector<router::SharedBytes> writing_;  // in the current gather write
    std::size_t queued_bytes_ = 0;
    bool write_failed_ = false;
    std::unique_ptr<boost::asio::steady_timer> drained_;  // only while negotiating

    // stream state
    bool stream_open_ = false;
    bool restart_ = false;   // SASL success: a new stream follows
    bool starttls_ = false;  // <proceed/> sent: handshake next
    bool closing_ = false;
    bool read_since_sweep_ = true;
    bool read_paused_ = false;       // backpressure: on_written resumes reading
    bool handshaking_ = false;       // in a TLS handshake: a timeout closes without a stream error
    bool ping_outstanding_ = false;  // XEP-0199 ping sent, nothing heard since
    std::shared_ptr<C2sSession> paused_self_;  // set while read_paused_
    std::unique_ptr<CsiQueue> csi_;            // set while the client is inactive
    bool authenticated_ = false;
    bool bound_ = false;
    int auth_failures_ = 0;
    std::string domain_;
    std::string node_;
    std::unique_ptr<SaslExchange> sasl_;
    Jid jid_;
    router::SessionFlags flags_;
    std::uint64_t id_;
    std::unique_ptr<StreamManagement> sm_;  // only once the client sent <enable/>
    std::size_t connection_slot_ = 0;       // index in ConnectionSet
    // Accept time until bound, then the last sweep visit that heard from the peer, or the
    // ping (liveness.h); one clock reading per visit, none per read.
    LivenessClock::time_point mark_ = LivenessClock::now();
    friend class ConnectionSet;
};

}  // namespace chorus::stream
