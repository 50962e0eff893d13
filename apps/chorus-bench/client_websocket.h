// apps/chorus-bench/client_websocket.h: XMPP over WebSocket (RFC 7395) under the bench client.
// The client keeps speaking a byte stream; this link translates both ways: the stream
// header <-> <open/>, </stream:stream> <-> <close/>, and one top-level element per message.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>

namespace chorus::bench {

/// Cuts the byte stream a client writes into RFC 7395 messages.
class OutboundFramer {
public:
    explicit OutboundFramer(std::string domain) : domain_(std::move(domain)) {}
    /// Appends the messages for bytes to out; bytes are whole elements or stream tags.
    void cut(std::string_view bytes, std::deque<std::string>& out) const;

private:
    std::string domain_;
};

/// What one received message means for the client's stream scanner.
std::string inbound_stream_bytes(std::string_view message);

class WsLink {
public:
    WsLink(boost::asio::ip::tcp::socket& socket, std::string domain)
        : ws_(socket), framer_(std::move(domain))
    {
    }
    /// The opening handshake with subprotocol xmpp; empty on success, else what failed.
    boost::asio::awaitable<std::string> handshake(const std::string& host, const std::string& path);
    /// Queues bytes as messages; they go out in order with write_next.
    void queue(std::string_view bytes) { framer_.cut(bytes, out_); }
    bool writing() const { return writing_; }
    bool has_output() const { return !out_.empty(); }
    /// Writes the first queued message; done(error) when it is written.
    template <class Done>
    void write_next(Done done);
    /// Reads one message and appends its stream bytes to into; false when the link ended
    /// (error says why).
    boost::asio::awaitable<bool> read(std::string& into, std::string& error);

private:
    boost::beast::websocket::stream<boost::asio::ip::tcp::socket&> ws_;
    OutboundFramer framer_;
    boost::beast::flat_buffer in_;
    std::deque<std::string> out_;
    bool writing_ = false;
};

template <class Done>
void WsLink::write_next(Done done)
{
    writing_ = true;
    ws_.async_write(boost::asio::buffer(out_.front()),
                    [this, done = std::move(done)](boost::system::error_code ec, std::size_t) {
                        writing_ = false;
                        out_.pop_front();
                        done(ec);
                    });
}

}  // namespace chorus::bench
