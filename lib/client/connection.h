// Connection: one XMPP client stream (RFC 6120): TCP, STARTTLS or direct TLS (XEP-0368)
// with certificate checks or a pinned fingerprint, SASL, then bind or XEP-0198 resumption.
// After negotiation a reader coroutine fills an inbox; the owner takes stanzas with next().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "client/account.h"
#include "xml/element.h"
#include "xml/stream_parser.h"

namespace chorus::client {

namespace asio = boost::asio;

/// XEP-0198 state the caller keeps across processes to resume.
struct SmResume {
    std::string id;
    std::string jid;  // the full JID the session was bound to
    std::uint32_t h = 0;
};

/// What negotiation gave.
struct Negotiated {
    Jid jid;                           // the bound (or resumed) full JID
    bool resumed = false;              // XEP-0198 <resumed/>: same session, flags kept
    bool sm = false;                   // stream management is on
    std::string sm_id;                 // resumption id (empty: no resumption)
    std::string fingerprint;           // SHA-256 of the server certificate, hex
    bool certificate_trusted = false;  // by the CAs or the pin (else: first use)
    std::string mechanism;
    std::vector<std::string> stream_features;  // namespaces of <stream:features/> children
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    explicit Connection(asio::io_context& io);
    ~Connection();

    /// Connects, secures, authenticates and binds (or resumes `resume` when given).
    asio::awaitable<Result<Negotiated, ClientError>> open(const Account& account,
                                                          std::optional<SmResume> resume);
    /// The next stanza (message, presence or iq) within timeout; nullopt on timeout or when
    /// the stream is over (then closed() is true). XEP-0198 <r/> and <a/> are handled here.
    asio::awaitable<std::optional<xml::Element>> next(std::chrono::milliseconds timeout);
    /// Queues a stanza (counted for XEP-0198); writes happen in order in the background.
    void send(const xml::Element& stanza);
    /// Asks the server to ack (XEP-0198 <r/>) and waits until everything sent is acked,
    /// taking stanzas into the inbox meanwhile; false on timeout or loss.
    asio::awaitable<bool> wait_acked(std::chrono::milliseconds timeout);
    /// Ends the stream (RFC 6120 §4.4) and waits briefly for the server's close.
    asio::awaitable<void> close();
    /// Drops the TCP connection without a goodbye (tests; a lost network).
    void abort();

    bool closed() const noexcept { return closed_; }
    const std::string& close_reason() const noexcept { return close_reason_; }
    std::uint32_t inbound_h() const noexcept { return in_h_; }
    bool sm_enabled() const noexcept { return sm_; }

private:
    class Handler;
    using Socket = asio::ip::tcp::socket;

    asio::awaitable<Result<void, ClientError>> connect_tcp(const Account& account);
    asio::awaitable<Result<void, ClientError>> handshake(const Account& account, Negotiated& n);
    asio::awaitable<Result<xml::Element, ClientError>> open_stream(const Account& account);
    asio::awaitable<Result<xml::Element, ClientError>> read_one();
    asio::awaitable<Result<void, ClientError>> authenticate(const Account& account,
                                                            const xml::Element& features,
                                                            Negotiated& n);
    asio::awaitable<Result<void, ClientError>> bind(const Account& account, Negotiated& n);
    asio::awaitable<void> write_raw(std::string bytes);
    asio::awaitable<std::size_t> read_some(char* buf, std::size_t n, boost::system::error_code& ec);
    asio::awaitable<void> reader();
    asio::awaitable<void> writer();
    void on_element(xml::Element e);  // after negotiation
    void mark_closed(std::string reason);
    void queue(std::string bytes);

    asio::io_context& io_;
    asio::ssl::context tls_ctx_;
    asio::ssl::stream<Socket> stream_;
    bool tls_ = false;
    std::unique_ptr<Handler> handler_;
    std::unique_ptr<xml::StreamParser> parser_;
    std::deque<xml::Element> pending_;  // parsed, not yet taken (negotiation and after)
    std::deque<xml::Element> inbox_;
    asio::steady_timer inbox_signal_;
    asio::steady_timer write_signal_;
    asio::steady_timer deadline_;
    std::string out_;
    bool writing_ = false;
    bool running_ = false;
    bool closed_ = false;
    bool stream_closed_ = false;
    std::string close_reason_;
    std::string domain_;
    // XEP-0198
    bool sm_ = false;
    std::uint32_t in_h_ = 0;
    std::uint32_t out_count_ = 0;
    std::uint32_t out_acked_ = 0;
};

}  // namespace chorus::client
