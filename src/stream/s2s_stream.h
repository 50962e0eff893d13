// S2sStream: one server-to-server connection (RFC 6120 over jabber:server): socket, TLS
// after STARTTLS, parser and write queue. S2sIncoming and S2sOutgoing add each side's
// negotiation; S2sManager owns the links and routes through them.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include "stanza/stream_error.h"
#include "stream/s2s_rules.h"
#include "xml/stream_parser.h"

namespace chorus {
class Server;
}

namespace chorus::stream {

class S2sManager;

class S2sStream : public xml::StreamHandler, public std::enable_shared_from_this<S2sStream> {
public:
    using tcp = boost::asio::ip::tcp;
    using Clock = std::chrono::steady_clock;

    S2sStream(Server& server, S2sManager& manager, tcp::socket socket, bool initiating);
    ~S2sStream() override;
    S2sStream(const S2sStream&) = delete;
    S2sStream& operator=(const S2sStream&) = delete;

    /// Queues a stanza, serialized in the stream's namespace (jabber:server). Returns the
    /// stream offset its last byte will have (compare with written()), 0 when dropped.
    std::uint64_t send_stanza(const xml::Element& stanza);
    /// Queues bytes as they are.
    void send_raw(std::string bytes);
    /// Sends a routed stanza, kept until the socket took all of it; false when the stream is
    /// closing (the caller bounces it).
    bool send_tracked(const xml::Element& stanza);
    /// Routed stanzas the socket never took (after the stream closed), oldest first.
    std::deque<xml::Element> take_unwritten();
    std::size_t in_flight() const noexcept { return in_flight_.size(); }
    /// XEP-0288: stanzas go both ways over this connection.
    bool bidi() const noexcept { return bidi_; }
    /// Sends <stream:error/> (after a header of ours if none was sent) and closes.
    void fail(StreamError error);
    /// Ends the stream with </stream:stream> and closes once it is written.
    void close();
    bool closed() const noexcept { return closed_; }
    /// close() or fail() was called: nothing more is written.
    bool closing() const noexcept { return closing_ || closed_; }
    bool encrypted() const noexcept { return tls_ != nullptr; }
    /// Bytes the socket accepted so far.
    std::uint64_t written() const noexcept { return written_bytes_; }
    /// The peer read too slowly: the link was cut with bytes still queued.
    bool stalled() const noexcept { return stalled_; }
    /// "direct" (XEP-0368), "starttls" or "none", for listings.
    std::string_view tls_mode() const noexcept
    {
        return !tls_ ? "none" : direct_tls_ ? "direct" : "starttls";
    }
    Clock::time_point last_activity() const noexcept { return last_activity_; }
    const std::string& stream_id() const noexcept { return stream_id_; }
    const std::string& address() const noexcept { return address_; }
    const std::string& peer_ip() const noexcept { return peer_ip_; }

protected:
    /// Reads and parses until the stream ends, running TLS handshakes asked by begin_tls().
    boost::asio::awaitable<void> read_loop();
    /// From a handler: the next bytes are a TLS handshake (after our queued writes);
    /// direct: XEP-0368, before any stream header.
    void begin_tls(bool direct = false);
    /// The handshake is done: the initiator sends a new header, the receiver waits for one.
    virtual void on_tls_ready() = 0;
    /// Runs once when the connection is gone.
    virtual void on_closed() = 0;
    /// The stream header this side sends.
    std::string header(std::string_view from, std::string_view to, std::string_view id,
                       bool version) const;
    /// The peer's certificate chains to a trusted root and names domain (RFC 6125,
    /// XEP-0178: DNS-ID, SRV-ID or XmppAddr).
    bool peer_certificate_valid_for(const std::string& domain) const;
    /// From a handler: what follows is a new stream (RFC 6120 §6.4.6, after SASL).
    void restart_stream();
    /// A stanza the peer sent for one of `pairs`: checked (RFC 6120 §13.7.1.2 <invalid-from/>,
    /// <host-unknown/>), put in jabber:client and routed; a bad one fails the stream.
    void accept_inbound(xml::Element stanza, const AuthenticatedPairs& pairs);
    /// Stanzas may now be as large as on an authenticated c2s stream.
    void allow_full_stanzas();
    /// Closes the connection if fn has not cancelled the timer by then.
    void arm_deadline(std::chrono::seconds after);
    void disarm_deadline();
    /// What the peer failed to do in time (the deadline fired).
    virtual void on_deadline() { fail({StreamCondition::connection_timeout, {}}); }
    tcp::socket& lowest_layer();
    /// Remembers the peer's address:port for logs and listings (once connected).
    void note_peer_address();

    Server& server_;
    S2sManager& manager_;
    xml::StreamParser parser_;
    std::string stream_id_;
    std::string peer_domain_;  // the initiator's target (SNI and certificate name)
    bool header_sent_ = false;
    bool bidi_ = false;

private:
    boost::asio::awaitable<void> write_loop();
    boost::asio::awaitable<bool> handshake();
    void shut();

    tcp::socket socket_;  // moved into tls_ at STARTTLS
    std::unique_ptr<boost::asio::ssl::stream<tcp::socket>> tls_;
    bool initiating_;
    std::string address_;
    std::string peer_ip_;
    std::string out_;
    bool writing_ = false;
    bool closing_ = false;  // closed once the queue is written
    bool closed_ = false;
    bool tls_pending_ = false;
    bool direct_tls_ = false;
    bool restart_ = false;
    bool stalled_ = false;
    std::uint64_t queued_bytes_ = 0, written_bytes_ = 0;
    std::deque<std::pair<std::uint64_t, xml::Element>> in_flight_;  // (end offset, stanza)
    bool closed_reported_ = false;
    boost::asio::steady_timer deadline_;
    Clock::time_point last_activity_ = Clock::now();
    std::array<char, 16384> read_buffer_{};
};

}  // namespace chorus::stream
