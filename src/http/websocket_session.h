// WebSocketSession: a client stream over WebSocket (RFC 7395). The stream layer is
// C2sSession's, unchanged (SASL, bind, SM, IM-NG, CSI, limits, backpressure); this class only
// moves messages: each one read is translated (stream/ws_framing.h) and fed to the parser,
// and what the session writes is cut into one message per element.
#pragma once

#include <array>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <string>
#include <vector>

#include "stream/c2s_session.h"

namespace chorus::http {

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

/// What a WebSocket runs on once upgraded: plain HTTP's bare socket (a tcp_stream's two
/// timers would cost every idle session; the WebSocket's own timeouts take over), or the
/// TLS stream as it is.
template <class Stream>
struct Upgraded {
    using type = Stream;
};
template <>
struct Upgraded<PlainStream> {
    using type = boost::asio::ip::tcp::socket;
};
template <class Stream>
using UpgradedStream = typename Upgraded<Stream>::type;

template <class Stream>
class WebSocketSession final : public stream::C2sSession {
public:
    using Ws = boost::beast::websocket::stream<Stream>;
    /// ws: upgraded already (101 sent). remote_address: admitted to `connections`.
    WebSocketSession(Server& server, stream::ConnectionSet& connections, Ws ws,
                     std::string remote_address, bool loopback, bool secure);

    void start() override;
    std::string_view transport() const noexcept override { return "websocket"; }

private:
    boost::asio::any_io_executor executor() override { return ws_.get_executor(); }
    void write_out(std::size_t count) override;
    void read_next() override { arm_read(); }
    void close_transport(bool abortive) override;
    void end_output() override;
    bool is_secure() const override { return secure_; }
    bool peer_is_loopback() const override { return loopback_; }

    std::shared_ptr<WebSocketSession> self()
    {
        return std::static_pointer_cast<WebSocketSession>(shared_from_this());
    }
    void arm_read();
    void on_read(boost::system::error_code ec, std::size_t n);
    void write_next();

    Ws ws_;
    std::array<char, 256> chunk_;  // what one read hands over
    std::string message_;          // the message read so far
    // Messages of the current gather, in order; out_next_ is the one being written. A
    // vector, not a deque: an empty deque still holds ~600 bytes per idle session.
    std::vector<std::string> out_;
    std::size_t out_next_ = 0;
    std::size_t gathered_ = 0;  // their stream bytes, for on_written
    bool reading_ = false;
    bool loopback_;
    bool secure_;
};

extern template class WebSocketSession<boost::asio::ip::tcp::socket>;
extern template class WebSocketSession<TlsStream>;

}  // namespace chorus::http
