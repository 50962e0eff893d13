// apps/chorus-bench/client.h: one XMPP client connection: login (RFC 6120 §5-7: STARTTLS,
// SASL, bind), optional Carbons (XEP-0280) or IM-NG (XEP-0409) enable, in-band registration
// (XEP-0077), and the read loop that hands message bodies to a sink.
#pragma once

#include "client_websocket.h"
#include "xml_scanner.h"

#include <openssl/ssl.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::bench {

namespace asio = boost::asio;
class Client;
class Worker;

struct ClientSetup {
    std::string node;           // "bench0001"
    std::string resource;       // "d1"
    std::uint32_t index = 0;    // the client's number in its scenario
    std::uint32_t account = 0;  // the account's number in its scenario
    bool carbons = false;
    bool imng = false;
    bool on_peer = false;  // logs in to Options::peer_port / peer_domain
};

/// Receives the bodies of messages that reach a client, on the client's thread.
class MessageSink {
public:
    virtual ~MessageSink() = default;
    /// carbon: the body came inside <received xmlns='urn:xmpp:carbons:2'><forwarded>.
    virtual void on_message(Client& client, std::string_view body, bool carbon) = 0;
};

class Client {
public:
    Client(Worker& worker, ClientSetup setup);
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// Connects and logs in; returns an empty string on success, otherwise what went wrong.
    asio::awaitable<std::string> login();
    /// XEP-0077 registration of this client's node; "" when created, "exists" on conflict.
    asio::awaitable<std::string> register_account();
    /// Reads until the stream ends, passing each message body to sink.
    asio::awaitable<void> read_loop(MessageSink& sink, std::size_t buffer_size);

    /// Where to append outgoing bytes; then ask the worker to flush (Worker::mark_dirty).
    std::string& output() { return out_; }
    /// Starts writing everything queued unless a write is already in flight.
    void flush();
    /// Ends the stream (RFC 6120 §4.4); the read loop closes the socket on the server's reply.
    void close();
    /// Closes the socket now.
    void abort();

    Worker& worker() const { return worker_; }
    const ClientSetup& setup() const { return setup_; }
    std::uint32_t index() const { return setup_.index; }
    std::uint32_t account() const { return setup_.account; }
    std::size_t queued_bytes() const { return out_.size() + inflight_.size(); }
    bool is_open() const { return open_; }
    bool is_logging_in() const { return logging_in_; }

private:
    friend class Worker;

    asio::awaitable<std::string> connect();
    asio::awaitable<std::string> open_stream(std::string& features);
    asio::awaitable<std::string> start_tls(std::string& features);
    /// Reads what the socket has for OpenSSL once it is readable; false if the connection failed.
    asio::awaitable<bool> tls_fill();
    /// Moves what OpenSSL wrote into wire_; whether there was anything.
    bool tls_drain();
    void flush_websocket();
    asio::awaitable<std::string> authenticate(const std::string& features);
    asio::awaitable<std::string> await_iq(std::string_view id);
    asio::awaitable<Event> next_event();  // need_more means the connection failed
    asio::awaitable<bool> read_more();
    void send(std::string_view bytes);
    void mark_closed();
    void dispatch(std::string_view stanza, MessageSink& sink);

    Worker& worker_;
    ClientSetup setup_;
    asio::ip::tcp::socket socket_;
    // After STARTTLS: OpenSSL between two memory BIOs (both owned by ssl_). The records go
    // through wire_ to the socket and come from the socket through the worker's scratch buffer,
    // so an idle session keeps no record buffers (asio::ssl::stream kept ~70 KiB per session).
    struct SslFree {
        void operator()(SSL* ssl) const { SSL_free(ssl); }
    };
    std::unique_ptr<SSL, SslFree> ssl_;
    BIO* tls_in_ = nullptr;
    BIO* tls_out_ = nullptr;
    std::string wire_;            // records not yet handed to the socket
    std::unique_ptr<WsLink> ws_;  // --transport ws: RFC 7395 framing over socket_
    StreamScanner scanner_;
    std::vector<char> in_;
    std::size_t in_begin_ = 0;
    std::size_t in_end_ = 0;
    std::string out_;
    std::string inflight_;
    std::string error_;
    bool writing_ = false;
    bool dirty_ = false;
    bool open_ = false;
    bool closing_ = false;
    bool logging_in_ = false;
};

}  // namespace chorus::bench
