// WebSocketSession: RFC 7395 messages in and out of the shared C2sSession stream layer;
// Beast's keep-alive pings find dead peers (RFC 6455 §5.5.2).
#include "http/websocket_session.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include "server/server.h"
#include "stream/ws_framing.h"

namespace chorus::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

template <class Stream>
WebSocketSession<Stream>::WebSocketSession(Server& server, stream::ConnectionSet& connections,
                                           Ws ws, std::string remote_address, bool loopback,
                                           bool secure)
    : C2sSession(server, connections, std::move(remote_address)),
      ws_(std::move(ws)),
      loopback_(loopback),
      secure_(secure)
{
}

template <class Stream>
void WebSocketSession<Stream>::start()
{
    const auto& c = server_.config();
    ws_.text(true);
    // The parser enforces the stanza limits; this only bounds what Beast buffers first.
    ws_.read_message_max(c.limits.max_stanza_bytes + 1024);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(c.http.request_timeout_s);
    if (c.http.websocket_ping_interval_s > 0) {
        // Beast pings after half the idle time and closes when the second half stays silent.
        t.idle_timeout = 2 * std::chrono::seconds(c.http.websocket_ping_interval_s);
        t.keep_alive_pings = true;
    } else {
        t.idle_timeout = websocket::stream_base::none();
        t.keep_alive_pings = false;
    }
    ws_.set_option(t);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts apply
    }
    arm_read();
}

template <class Stream>
void WebSocketSession<Stream>::arm_read()
{
    if (reading_ || pause_reading_if_backlogged()) {
        return;
    }
    auto keep = self();
    if (!closing_ && !server_.read_gate().is_open()) {
        server_.read_gate().wait([keep = std::move(keep)] { keep->arm_read(); });
        return;
    }
    reading_ = true;
    // A small fixed buffer, not a dynamic one: Beast sizes a dynamic buffer (1.5 KiB) when
    // the read starts, so every idle session would hold one while it waits.
    ws_.async_read_some(asio::buffer(chunk_),
                        [keep = std::move(keep)](boost::system::error_code ec, std::size_t n) {
                            keep->reading_ = false;
                            keep->on_read(ec, n);
                        });
}

template <class Stream>
void WebSocketSession<Stream>::on_read(boost::system::error_code ec, std::size_t n)
{
    if (ec) {
        if (ec != websocket::error::closed && ec != asio::error::eof &&
            ec != asio::error::operation_aborted) {
            spdlog::debug("WebSocket from {} ended: {}", remote_address_, ec.message());
        }
        return finish_close();
    }
    if (!ws_.got_text()) {  // RFC 7395 §3.2: XMPP is UTF-8 text
        message_ = {};
        return fail({StreamCondition::not_well_formed, "Binary messages are not XMPP"});
    }
    message_.append(chunk_.data(), n);
    if (!ws_.is_message_done()) {
        return arm_read();  // Beast bounds the message (read_message_max)
    }
    // An idle session keeps no message buffer (Beast's own 1.5 KiB frame buffer stays).
    const std::string message = std::exchange(message_, {});
    auto in = stream::ws::translate_inbound(message);
    using Kind = stream::ws::Inbound::Kind;
    if (in.kind == Kind::invalid) {
        return fail({StreamCondition::not_well_formed, std::move(in.why)});
    }
    if (in.kind == Kind::stream_bytes && !closing_) {
        std::string_view data = in.bytes;
        feed(data);
        after_feed();
    }
    arm_read();  // also after our <close/>: Beast answers the peer's close frame
}

template <class Stream>
void WebSocketSession<Stream>::write_out(std::size_t count)
{
    gathered_ = 0;
    for (std::size_t i = 0; i < count; ++i) {
        stream::ws::translate_outbound(*writing_[i], out_);
        gathered_ += writing_[i]->size();
    }
    write_next();
}

template <class Stream>
void WebSocketSession<Stream>::write_next()
{
    if (out_next_ == out_.size()) {
        out_ = {};
        out_next_ = 0;
        // Asynchronously, like a socket write completes: the caller may still be in flush().
        asio::post(ws_.get_executor(), [keep = self()] { keep->on_written({}, keep->gathered_); });
        return;
    }
    ws_.async_write(asio::buffer(out_[out_next_]),
                    [keep = self()](boost::system::error_code ec, std::size_t) {
                        ++keep->out_next_;
                        if (ec) {
                            keep->out_ = {};
                            keep->out_next_ = 0;
                            return keep->on_written(ec, 0);
                        }
                        keep->write_next();
                    });
}

template <class Stream>
void WebSocketSession<Stream>::close_transport(bool)
{
    boost::system::error_code ignored;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(ws_).socket().close(ignored);
    } else {
        ws_.next_layer().close(ignored);
    }
}

template <class Stream>
void WebSocketSession<Stream>::end_output()
{
    // RFC 7395 §3.6: after <close/>, the WebSocket closing handshake.
    if (!ws_.is_open()) {
        return;
    }
    ws_.async_close(websocket::close_code::normal,
                    [keep = self()](boost::system::error_code) { keep->close_transport(false); });
}

template class WebSocketSession<asio::ip::tcp::socket>;
template class WebSocketSession<TlsStream>;

}  // namespace chorus::http
