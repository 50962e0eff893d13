// apps/chorus-bench/client_websocket.cpp: RFC 7395 framing for the bench client.
#include "client_websocket.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>

namespace chorus::bench {

namespace websocket = boost::beast::websocket;

namespace {
constexpr std::string_view framing = "urn:ietf:params:xml:ns:xmpp-framing";
constexpr std::string_view stream_header_prefix = "<stream:stream";

/// The end of the tag that starts at s[at] ('<'), past its '>', quotes respected.
std::size_t tag_end(std::string_view s, std::size_t at)
{
    char quote = 0;
    for (std::size_t i = at + 1; i < s.size(); ++i) {
        const char c = s[i];
        if (quote != 0) {
            quote = c == quote ? 0 : quote;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '>') {
            return i + 1;
        }
    }
    return s.size();
}
}  // namespace

void OutboundFramer::cut(std::string_view bytes, std::deque<std::string>& out) const
{
    std::size_t at = 0;
    std::size_t start = std::string_view::npos;  // of the element being cut
    int depth = 0;
    while ((at = bytes.find('<', at)) != std::string_view::npos) {
        const std::size_t end = tag_end(bytes, at);
        const std::string_view tag = bytes.substr(at, end - at);
        if (tag.starts_with("<?")) {
            at = end;  // the XML declaration: RFC 7395 has none
            continue;
        }
        if (tag.starts_with(stream_header_prefix)) {
            out.push_back("<open xmlns='" + std::string(framing) + "' to='" + domain_ +
                          "' version='1.0'/>");
        } else if (tag.starts_with("</stream:stream")) {
            out.push_back("<close xmlns='" + std::string(framing) + "'/>");
        } else if (tag.starts_with("</")) {
            if (--depth == 0) {
                out.emplace_back(bytes.substr(start, end - start));
            }
        } else {
            if (depth == 0) {
                start = at;
            }
            if (tag.ends_with("/>")) {
                if (depth == 0) {
                    out.emplace_back(tag);
                }
            } else {
                ++depth;
            }
        }
        at = end;
    }
}

std::string inbound_stream_bytes(std::string_view message)
{
    if (message.starts_with("<open")) {
        return "<stream:stream xmlns='jabber:client' "
               "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
    }
    if (message.starts_with("<close")) {
        return "</stream:stream>";
    }
    return std::string(message);
}

boost::asio::awaitable<std::string> WsLink::handshake(const std::string& host,
                                                      const std::string& path)
{
    ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& req) {
        req.set(boost::beast::http::field::sec_websocket_protocol, "xmpp");
    }));
    ws_.text(true);
    websocket::response_type res;
    auto [ec] = co_await ws_.async_handshake(res, host, path,
                                             boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) {
        co_return "WebSocket handshake: " + ec.message();
    }
    if (res[boost::beast::http::field::sec_websocket_protocol] != "xmpp") {
        co_return "WebSocket handshake: no xmpp subprotocol";
    }
    co_return "";
}

boost::asio::awaitable<bool> WsLink::read(std::string& into, std::string& error)
{
    auto [ec, n] = co_await ws_.async_read(in_, boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) {
        if (error.empty()) {
            error = ec == websocket::error::closed ? "the server closed the WebSocket"
                                                   : "WebSocket read: " + ec.message();
        }
        co_return false;
    }
    into = inbound_stream_bytes(boost::beast::buffers_to_string(in_.data()));
    in_.consume(in_.size());
    co_return true;
}

}  // namespace chorus::bench
