// C2sSession: one client connection: socket (+TLS), parser, write queue, and the RFC 6120
// stream negotiation (STARTTLS §5, SASL §6, resource binding §7) before routing stanzas.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "net/tls_connection.h"
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

/// The stanzas of one gather write as an Asio buffer sequence, read in place (a session
/// keeps no array of buffers for it).
class GatherBuffers {
public:
    using Stanzas = std::vector<router::SharedBytes>;
    class iterator {
    public:
        using iterator_category = std::bidirectional_iterator_tag;
        using value_type = boost::asio::const_buffer;
        using difference_type = std::ptrdiff_t;
        using pointer = const value_type*;
        using reference = value_type;

        iterator() = default;
        explicit iterator(Stanzas::const_iterator at) : at_(at) {}
        value_type operator*() const { return boost::asio::buffer(**at_); }
        iterator& operator++()
        {
            ++at_;
            return *this;
        }
        iterator operator++(int) { return iterator(at_++); }
        iterator& operator--()
        {
            --at_;
            return *this;
        }
        iterator operator--(int) { return iterator(at_--); }
        bool operator==(const iterator& other) const = default;

    private:
        Stanzas::const_iterator at_;
    };

    explicit GatherBuffers(const Stanzas& stanzas) : stanzas_(&stanzas) {}
    iterator begin() const { return iterator(stanzas_->begin()); }
    iterator end() const { return iterator(stanzas_->end()); }

private:
    const Stanzas* stanzas_;
};

class C2sSession final : public router::Session,
                         public xml::StreamHandler,
                         public std::enable_shared_from_this<C2sSession> {
public:
    using tcp = boost::asio::ip::tcp;
    /// remote_address: already admitted to `connections` (released on destruction).
    C2sSession(Server& server, ConnectionSet& connections, tcp::socket socket,
               boost::asio::ssl::context& tls, bool direct_tls, std::string remote_address);
    ~C2sSession() override;

    /// Starts reading; the session keeps itself alive until the connection ends.
    void start();

    // router::Session
    const Jid& jid() const noexcept override { return jid_; }
    router::SessionFlags& flags() noexcept override { return flags_; }
    void close_with(std::string serialized_stream_error) override;
    std::uint64_t id() const noexcept override { return id_; }

    /// Ends the stream with a stream error and closes the connection.
    void fail(StreamError error);
    /// Called periodically (c2s_liveness.cpp): a session that read nothing since the last
    /// call frees its parser state until its next bytes arrive (idle sessions are most
    /// sessions), and the connection timeouts are checked. True when the parser was freed.
    bool sweep_idle(LivenessClock::time_point now);

protected:
    /// A stanza: counted and kept until acked when XEP-0198 is enabled.
    void write_bytes(router::SharedBytes bytes) override;
    /// Stream-level bytes (an <a/>, <resumed/>, re-sent stanzas): never counted.
    void write_control(router::SharedBytes bytes) override;
    void held_changed() override;

private:
    // xml::StreamHandler
    void on_stream_open(const xml::Element& header) override;
    void on_stanza(xml::Element stanza) override;
    void on_stream_close() override;

    enum class ReadResult { data, again_read, again_write, end };
    /// Reads what the socket has without waiting; data views the thread's read buffer.
    ReadResult try_read(std::string_view& data);
    /// Until the stream is negotiated: STARTTLS, SASL and restarts read in a coroutine.
    boost::asio::awaitable<void> run();
    /// Reads what is there; data views bytes valid until the next suspension.
    boost::asio::awaitable<bool> read_some(std::string_view& data);
    /// Once bound: each read is a callback that parses what came and waits again.
    void arm_read();
    void on_readable(boost::system::error_code ec);
    /// After feeding a read: frees the parser of a finished stream, answers a parse error.
    void after_feed();
    boost::asio::awaitable<void> drain();
    boost::asio::awaitable<bool> start_tls();
    void flush();
    /// Encrypts and sends tls_backlog_; completes the write when all of it is out.
    void write_tls(std::size_t gathered);
    void on_written(boost::system::error_code ec, std::size_t count);
    void send_raw(std::string text);
    /// A stanza onto the wire queue, unless CSI holds it (after what CSI held).
    void queue_stanza(router::SharedBytes bytes);
    /// Puts bytes on the wire queue (nothing counted or held here); false when closed or
    /// when the client was cut off for it.
    bool enqueue(router::SharedBytes bytes);
    /// XEP-0352 <active/> and <inactive/> (nonzas of a bound stream).
    void handle_csi(const xml::Element& nonza);
    /// Bytes routed to this client and not yet written: queued and held for the archive.
    std::size_t unsent_bytes() const noexcept { return queued_bytes_ + held_bytes(); }
    /// Past overflow_factor times the watermark of queued bytes, a client that does not
    /// read is cut off.
    bool cut_off_if_overflowing();
    /// Reading resumes once the unsent data is back under the watermark.
    void resume_if_drained();
    void finish_close();
    /// Carries out check_liveness() at a sweep visit.
    void check_timeouts(LivenessClock::time_point now);
    /// Leaves the session table (once), running the session_closed hooks.
    void unbind();

    // negotiation (c2s_negotiation.cpp)
    void send_features();
    void handle_negotiation(xml::Element& stanza);
    void handle_sasl(xml::Element& stanza);
    void handle_bind(xml::Element& iq);
    bool plaintext_allowed() const;
    SaslChannel sasl_channel() const;

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

    Server& server_;
    ConnectionSet& connections_;
    tcp::socket socket_;
    boost::asio::ssl::context& tls_context_;
    std::unique_ptr<net::TlsConnection> tls_;
    bool direct_tls_;
    std::string remote_address_;
    xml::StreamParser parser_;

    // A gather write takes at most this many queued stanzas, so one huge backlog cannot
    // hold the thread for long.
    static constexpr std::size_t max_gather = 16;
    std::vector<router::SharedBytes> queue_;    // waiting to be written
    std::vector<router::SharedBytes> writing_;  // in the current gather write
    std::size_t queued_bytes_ = 0;
    bool write_failed_ = false;
    std::string tls_backlog_;  // the part of a TLS write the socket did not take yet
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
