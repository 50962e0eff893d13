// apps/chorus-bench/client.cpp: the client's login sequence (RFC 6120 §5 STARTTLS, §6 SASL,
// §7 bind), XEP-0077 registration, and the read loop.
#include "client.h"

#include "sasl.h"
#include "worker.h"

#include <openssl/err.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace chorus::bench {
namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t login_buffer = 4096;
// Loopback source addresses the clients spread over: 127.0.0.2 and the 15 after it.
constexpr std::uint32_t source_address_base = 0x7f000002;
constexpr std::uint32_t source_addresses = 16;
// A top-level element larger than this is a server we do not understand, not a benchmark.
constexpr std::size_t max_buffer = 4 * 1024 * 1024;

// What went wrong in an OpenSSL call that returned ret, with the error queue emptied.
std::string tls_error(SSL* ssl, int ret)
{
    const int reason = SSL_get_error(ssl, ret);
    std::string text;
    if (reason == SSL_ERROR_ZERO_RETURN) {
        text = "the server closed the TLS session";
    } else if (const unsigned long code = ERR_peek_error(); code != 0) {
        char buffer[256] = "";
        ERR_error_string_n(code, buffer, sizeof buffer);
        text = buffer;
    } else {
        text = "SSL error " + std::to_string(reason);
    }
    ERR_clear_error();
    return text;
}

bool ends_with_name(std::string_view element, std::string_view suffix)
{
    return element_name(element).ends_with(suffix);
}

std::string escape_text(std::string_view text)
{
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '&':
                out += "&amp;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

}  // namespace

Client::Client(Worker& worker, ClientSetup setup)
    : worker_(worker), setup_(std::move(setup)), socket_(worker.io())
{
}

void Client::send(std::string_view bytes)
{
    out_.append(bytes);
    flush();
}

bool Client::tls_drain()
{
    const std::size_t pending = BIO_ctrl_pending(tls_out_);
    if (pending == 0) {
        return false;
    }
    const std::size_t old = wire_.size();
    wire_.resize(old + pending);
    const int n = BIO_read(tls_out_, wire_.data() + old, static_cast<int>(pending));
    wire_.resize(old + static_cast<std::size_t>(std::max(n, 0)));
    return true;
}

void Client::flush()
{
    if (writing_ || !open_) {
        return;
    }
    if (ssl_ && !out_.empty()) {
        // Encrypted when the write starts, as asio::ssl::stream did: one record per write.
        ERR_clear_error();
        std::size_t written = 0;
        if (SSL_write_ex(ssl_.get(), out_.data(), out_.size(), &written) != 1) {
            if (error_.empty()) {
                error_ = "TLS write: " + tls_error(ssl_.get(), 0);
            }
            abort();
            return;
        }
        out_.clear();
        tls_drain();
    }
    std::string& pending = ssl_ ? wire_ : out_;
    if (pending.empty()) {
        return;
    }
    std::swap(pending, inflight_);  // both keep their capacity: no allocation once warmed up
    writing_ = true;
    auto done = [this](boost::system::error_code ec, std::size_t) {
        writing_ = false;
        inflight_.clear();
        if (ec) {
            if (error_.empty()) {
                error_ = "write: " + ec.message();
            }
            abort();
            return;
        }
        flush();
    };
    asio::async_write(socket_, asio::buffer(inflight_), done);
}

void Client::close()
{
    if (!open_ || closing_) {
        return;
    }
    closing_ = true;
    out_ += "</stream:stream>";
    flush();
}

void Client::abort()
{
    boost::system::error_code ignored;
    socket_.close(ignored);
    mark_closed();
}

void Client::mark_closed()
{
    if (open_) {
        open_ = false;
        worker_.open_connections.fetch_sub(1, std::memory_order_relaxed);
    }
}

asio::awaitable<bool> Client::read_more()
{
    if (in_begin_ > 0) {
        std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
        in_end_ -= in_begin_;
        in_begin_ = 0;
    }
    if (in_.size() < login_buffer) {
        in_.resize(login_buffer);
    } else if (in_end_ == in_.size()) {
        if (in_.size() >= max_buffer) {
            error_ = "a top-level element larger than 4 MiB";
            co_return false;
        }
        in_.resize(in_.size() * 2);
    }
    if (ssl_) {
        while (true) {
            ERR_clear_error();
            std::size_t n = 0;
            const int ret = SSL_read_ex(ssl_.get(), in_.data() + in_end_, in_.size() - in_end_, &n);
            if (tls_drain()) {
                flush();  // a KeyUpdate answer or an alert
            }
            if (ret == 1) {
                in_end_ += n;
                co_return true;
            }
            if (SSL_get_error(ssl_.get(), ret) != SSL_ERROR_WANT_READ) {
                if (error_.empty()) {
                    error_ = tls_error(ssl_.get(), ret);
                }
                co_return false;
            }
            if (!co_await tls_fill()) {
                co_return false;
            }
        }
    }
    const auto buffer = asio::buffer(in_.data() + in_end_, in_.size() - in_end_);
    auto [ec, n] = co_await socket_.async_read_some(buffer, use_tuple);
    if (ec) {
        if (error_.empty()) {
            error_ = ec == asio::error::eof ? "the server closed the connection" : ec.message();
        }
        co_return false;
    }
    in_end_ += n;
    co_return true;
}

asio::awaitable<bool> Client::tls_fill()
{
    while (true) {
        // Wait, then read: asio's speculative read before the wait would find nothing but
        // EAGAIN after every request, and the wait re-arms the descriptor (EPOLL_CTL_MOD), so
        // nothing that arrived before it is missed.
        auto [ec] = co_await socket_.async_wait(asio::socket_base::wait_read, use_tuple);
        if (ec) {
            if (error_.empty()) {
                error_ = ec.message();
            }
            co_return false;
        }
        std::vector<char>& scratch = worker_.scratch();
        const ssize_t n =
            ::recv(socket_.native_handle(), scratch.data(), scratch.size(), MSG_DONTWAIT);
        if (n > 0) {
            BIO_write(tls_in_, scratch.data(), static_cast<int>(n));
            co_return true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            continue;
        }
        if (error_.empty()) {
            error_ = n == 0 ? "the server closed the connection" : std::strerror(errno);
        }
        co_return false;
    }
}

asio::awaitable<Event> Client::next_event()
{
    while (true) {
        std::size_t consumed = 0;
        const Event event =
            scanner_.next(std::string_view(in_.data() + in_begin_, in_end_ - in_begin_), consumed);
        in_begin_ += consumed;
        if (event.kind != EventKind::need_more) {
            if (event.kind == EventKind::stanza && element_name(event.text) == "stream:error") {
                error_ = "stream error: " + std::string(event.text.substr(0, 300));
                co_return Event{};
            }
            co_return event;
        }
        if (!co_await read_more()) {
            co_return Event{};
        }
    }
}

asio::awaitable<std::string> Client::connect()
{
    logging_in_ = true;
    const auto& server = worker_.server(setup_.on_peer);
    if (server.address().is_v4() && server.address().is_loopback()) {
        // Spread the clients over loopback source addresses: from one address, the kernel's
        // search for a free ephemeral port grows with every open connection (measured: ~270 us
        // of the generator's kernel time per connect at 19k connections, against ~70 at 1k).
        // The port is chosen at connect (IP_BIND_ADDRESS_NO_PORT), per source address.
        boost::system::error_code bind_ec;
        socket_.open(asio::ip::tcp::v4(), bind_ec);
        const int one = 1;
        ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                     sizeof one);
        const asio::ip::address_v4 source(source_address_base + setup_.index % source_addresses);
        socket_.bind({source, 0}, bind_ec);
    }
    auto [ec] = co_await socket_.async_connect(server, use_tuple);
    if (ec) {
        co_return "connect: " + ec.message();
    }
    open_ = true;
    worker_.open_connections.fetch_add(1, std::memory_order_relaxed);
    socket_.set_option(asio::ip::tcp::no_delay(true), ec);
    in_.resize(login_buffer);
    co_return "";
}

asio::awaitable<std::string> Client::open_stream(std::string& features)
{
    scanner_.reset();
    send(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' to='" +
        worker_.domain(setup_.on_peer) + "'>");
    Event event = co_await next_event();
    if (event.kind != EventKind::stream_open) {
        co_return "no stream header: " + error_;
    }
    event = co_await next_event();
    if (event.kind != EventKind::stanza || !ends_with_name(event.text, "features")) {
        co_return "no stream features: " + error_ + std::string(event.text.substr(0, 200));
    }
    features.assign(event.text);
    co_return "";
}

asio::awaitable<std::string> Client::start_tls(std::string& features)
{
    if (!has_child(features, "starttls")) {
        co_return "the server offers no STARTTLS";
    }
    send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    const Event event = co_await next_event();
    if (event.kind != EventKind::stanza || element_name(event.text) != "proceed") {
        co_return "STARTTLS refused: " + error_ + std::string(event.text.substr(0, 200));
    }
    in_begin_ = in_end_ = 0;  // RFC 6120 §5.4.3.3: nothing in the clear after <proceed/>
    ssl_.reset(SSL_new(worker_.tls()));
    tls_in_ = BIO_new(BIO_s_mem());
    tls_out_ = BIO_new(BIO_s_mem());
    if (!ssl_ || tls_in_ == nullptr || tls_out_ == nullptr) {
        BIO_free(tls_in_);
        BIO_free(tls_out_);
        ssl_.reset();
        co_return "TLS: out of memory";
    }
    BIO_set_mem_eof_return(tls_in_, -1);  // empty means "wait for more", not end of stream
    SSL_set_bio(ssl_.get(), tls_in_, tls_out_);
    SSL_set_connect_state(ssl_.get());
    SSL_set_tlsext_host_name(ssl_.get(), worker_.domain(setup_.on_peer).c_str());
    while (true) {
        ERR_clear_error();
        const int ret = SSL_do_handshake(ssl_.get());
        tls_drain();
        flush();
        if (ret == 1) {
            break;
        }
        if (SSL_get_error(ssl_.get(), ret) != SSL_ERROR_WANT_READ) {
            co_return "TLS handshake: " + tls_error(ssl_.get(), ret);
        }
        if (!co_await tls_fill()) {
            co_return "TLS handshake: " + error_;
        }
    }
    co_return co_await open_stream(features);
}

asio::awaitable<std::string> Client::authenticate(const std::string& features)
{
    const Options& options = worker_.options();
    const std::string_view sasl = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='";
    std::optional<ScramClient> scram;
    if (options.mechanism == Mechanism::plain) {
        if (features.find(">PLAIN<") == std::string::npos) {
            co_return "the server offers no SASL PLAIN";
        }
        send(std::string(sasl) + "PLAIN'>" + plain_initial_response(setup_.node, options.password) +
             "</auth>");
    } else {
        if (features.find(">SCRAM-SHA-1<") == std::string::npos) {
            co_return "the server offers no SCRAM-SHA-1";
        }
        scram.emplace(setup_.node, options.password, worker_.scram_cache());
        send(std::string(sasl) + "SCRAM-SHA-1'>" + scram->first_message() + "</auth>");
    }
    bool sent_final = false;
    while (true) {
        const Event event = co_await next_event();
        if (event.kind != EventKind::stanza) {
            co_return "SASL: " + error_;
        }
        const std::string_view name = element_name(event.text);
        const std::string_view data = inner_text(event.text);
        if (name == "success") {
            if (scram && !data.empty() && !scram->verify_server_final(data)) {
                co_return "SCRAM: wrong server signature";
            }
            co_return "";
        }
        if (name == "failure") {
            co_return "SASL failure: " + std::string(event.text.substr(0, 300));
        }
        if (name != "challenge" || !scram) {
            co_return "SASL: unexpected " + std::string(event.text.substr(0, 200));
        }
        if (!sent_final) {
            const auto final_message = scram->final_message(data);
            if (!final_message) {
                co_return "SCRAM: malformed server-first-message";
            }
            send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + *final_message +
                 "</response>");
            sent_final = true;
        } else {
            // RFC 6120 §6.3.10: the additional data may come in a challenge before <success/>.
            if (!scram->verify_server_final(data)) {
                co_return "SCRAM: wrong server signature";
            }
            send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
        }
    }
}

asio::awaitable<std::string> Client::await_iq(std::string_view id)
{
    while (true) {
        const Event event = co_await next_event();
        if (event.kind != EventKind::stanza) {
            co_return "waiting for iq " + std::string(id) + ": " + error_;
        }
        if (element_name(event.text) != "iq" || attribute(event.text, "id") != id) {
            continue;  // presence and the like while logging in
        }
        if (attribute(event.text, "type") == "result") {
            co_return "";
        }
        co_return "iq " + std::string(id) + " failed: " + std::string(event.text.substr(0, 300));
    }
}

asio::awaitable<std::string> Client::login()
{
    const Options& options = worker_.options();
    std::string features;
    std::string error = co_await connect();
    if (error.empty()) {
        error = co_await open_stream(features);
    }
    if (error.empty() && options.starttls) {
        error = co_await start_tls(features);
    }
    if (error.empty()) {
        error = co_await authenticate(features);
    }
    if (error.empty()) {
        error = co_await open_stream(features);  // RFC 6120 §6.4.6: restart after success
    }
    if (!error.empty()) {
        co_return error;
    }
    send("<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>" +
         setup_.resource + "</resource></bind></iq>");
    if (error = co_await await_iq("bind"); !error.empty()) {
        co_return error;
    }
    const std::size_t session = features.find("<session");
    if (session != std::string::npos && features.find("<optional", session) == std::string::npos) {
        // RFC 3921 session establishment, for servers that still require it.
        send(
            "<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
            "</iq>");
        if (error = co_await await_iq("sess"); !error.empty()) {
            co_return error;
        }
    }
    std::string requests;
    if (setup_.carbons) {
        requests += "<iq type='set' id='carbons'><enable xmlns='urn:xmpp:carbons:2'/></iq>";
    }
    if (setup_.imng) {
        requests += "<iq type='set' id='imng'><enable xmlns='urn:xmpp:im-ng:0'/></iq>";
    }
    if (options.presence) {
        requests += "<presence/>";
    }
    send(requests);
    if (setup_.carbons) {
        if (error = co_await await_iq("carbons"); !error.empty()) {
            co_return error;
        }
    }
    if (setup_.imng) {
        if (error = co_await await_iq("imng"); !error.empty()) {
            co_return error;
        }
    }
    logging_in_ = false;
    co_return "";
}

asio::awaitable<std::string> Client::register_account()
{
    const Options& options = worker_.options();
    std::string features;
    std::string error = co_await connect();
    if (error.empty()) {
        error = co_await open_stream(features);
    }
    if (error.empty() && options.starttls) {
        error = co_await start_tls(features);
    }
    if (!error.empty()) {
        co_return error;
    }
    send("<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>" +
         escape_text(setup_.node) + "</username><password>" + escape_text(options.password) +
         "</password></query></iq>");
    error = co_await await_iq("reg");
    if (!error.empty() && error.find("<conflict") != std::string::npos) {
        error = "exists";
    }
    close();
    while ((co_await next_event()).kind == EventKind::stanza) {
    }  // until the server's </stream:stream>, so that it has stored the account
    abort();
    logging_in_ = false;
    co_return error;
}

asio::awaitable<void> Client::read_loop(MessageSink& sink, std::size_t buffer_size)
{
    if (in_.size() < buffer_size) {
        in_.resize(buffer_size);
    }
    bool stream_ended = false;
    while (!stream_ended) {
        while (true) {
            std::size_t consumed = 0;
            const Event event = scanner_.next(
                std::string_view(in_.data() + in_begin_, in_end_ - in_begin_), consumed);
            in_begin_ += consumed;
            if (event.kind == EventKind::need_more) {
                break;
            }
            if (event.kind == EventKind::stream_close) {
                stream_ended = true;
                break;
            }
            if (event.kind == EventKind::stanza) {
                dispatch(event.text, sink);
            }
        }
        worker_.flush_dirty();
        if (stream_ended || !open_ || !co_await read_more()) {
            break;
        }
    }
    if (!closing_) {
        worker_.unexpected_closes.fetch_add(1, std::memory_order_relaxed);
    }
    abort();
}

void Client::dispatch(std::string_view stanza, MessageSink& sink)
{
    const std::string_view name = element_name(stanza);
    if (name == "message") {
        bool carbon = false;
        if (stanza.find("urn:xmpp:carbons:2") != std::string_view::npos) {
            if (!has_child(stanza, "received")) {
                return;  // <sent/>: a copy of what another device of ours wrote
            }
            carbon = true;
        }
        const std::string_view body = child_text(stanza, "body");
        if (!body.empty()) {
            sink.on_message(*this, body, carbon);
        }
        return;
    }
    if (name == "iq") {
        const std::string_view type = attribute(stanza, "type");
        if (type != "get" && type != "set") {
            return;
        }
        // RFC 6120 §8.2.3: answer every request; XEP-0199 pings get a result.
        out_ += "<iq type='";
        out_ += has_child(stanza, "ping") ? "result" : "error";
        out_ += "' id='";
        out_ += attribute(stanza, "id");
        out_ += "' to='";
        out_ += attribute(stanza, "from");
        out_ += has_child(stanza, "ping")
                    ? "'/>"
                    : "'><error type='cancel'><service-unavailable "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>";
        worker_.mark_dirty(*this);
        return;
    }
    if (name == "stream:error") {
        error_ = std::string(stanza.substr(0, 300));
    }
}

}  // namespace chorus::bench
