// apps/chorus-bench/client.cpp: the client's login sequence (RFC 6120 §6 SASL, §7 bind),
// XEP-0077 registration, and the read loop; the transport is in client_transport.cpp.
#include "client.h"

#include "sasl.h"
#include "worker.h"

#include <optional>

namespace chorus::bench {
namespace {

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
