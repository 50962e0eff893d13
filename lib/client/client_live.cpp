// The live side of the IM-NG client: dispatch, sending, devices, reconnect (client.h).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "base/encoding.h"
#include "client/client.h"
#include "client/message_rules.h"
#include "stanza/namespaces.h"

namespace chorus::client {
namespace {

std::string ns_str(std::string_view ns)
{
    return std::string(ns);
}

xml::Element reply_to(const xml::Element& request, std::string_view type)
{
    xml::Element e("iq", ns_str(ns::client));
    e.set_attr("type", type).set_attr("id", request.attr("id"));
    if (request.has_attr("from")) {
        e.set_attr("to", request.attr("from"));
    }
    return e;
}

}  // namespace

void Client::dispatch(xml::Element stanza)
{
    const Jid& self = negotiated_.jid;
    if (stanza.name() == "iq") {
        on_iq(stanza);
    } else if (stanza.name() == "presence") {
        const auto from = Jid::parse(stanza.attr("from"));
        if (from && from->is_full() && from->bare_view() == self.bare_view() && *from != self) {
            presences_[from->str()] = stanza.attr("type") != "unavailable";
        }
    } else if (stanza.name() == "message") {
        auto c = classify_message(stanza, self);
        switch (c.kind) {
            case MessageKind::mam_result:
                if (c.message && !query_id_.empty() && c.queryid == query_id_) {
                    page_.push_back(std::move(*c.message));
                }
                break;
            case MessageKind::im:
            case MessageKind::carbon:
                commit(catchup_.on_live(std::move(*c.message)));
                break;
            case MessageKind::device_data:
                if (on_device_data) {
                    on_device_data(stanza);
                }
                break;
            default:
                break;
        }
    }
}

void Client::on_iq(const xml::Element& stanza)
{
    const auto type = stanza.attr("type");
    if (type == "result" || type == "error") {
        if (auto it = waiting_.find(std::string(stanza.attr("id"))); it != waiting_.end()) {
            it->second = stanza;
        }
        return;
    }
    const auto* payload = stanza.first_element();
    if (payload == nullptr) {
        return;
    }
    if (type == "get" && payload->is("ping", ns::ping)) {
        conn_->send(reply_to(stanza, "result"));
    } else if (type == "get" && payload->is("query", ns::disco_info)) {
        // Chorus' choice (docs/client-guide.md): a device says it enabled IM-NG by listing
        // urn:xmpp:im-ng:0 in its own disco#info; no server protocol lists sessions' flags.
        auto r = reply_to(stanza, "result");
        auto& q = r.add_child("query", ns_str(ns::disco_info));
        q.add_child("identity", ns_str(ns::disco_info))
            .set_attr("category", "client")
            .set_attr("type", "pc")
            .set_attr("name", "chorus-client");
        for (auto f : {ns::disco_info, ns::ping}) {
            q.add_child("feature", ns_str(ns::disco_info)).set_attr("var", f);
        }
        if (mode_ == Mode::imng) {
            q.add_child("feature", ns_str(ns::disco_info)).set_attr("var", ns::imng);
        }
        conn_->send(r);
    } else if (type == "set" && payload->is("query", ns::roster)) {
        conn_->send(reply_to(stanza, "result"));  // RFC 6121 §2.1.6: acknowledge pushes
    } else {
        auto r = reply_to(stanza, "error");
        auto& e = r.add_child("error", ns_str(ns::client));
        e.set_attr("type", "cancel");
        e.add_child("service-unavailable", ns_str(ns::stanza_errors));
        conn_->send(r);
    }
}

asio::awaitable<Result<ChatMessage, ClientError>> Client::send_chat(const Jid& to, std::string body)
{
    if (!connected()) {
        co_return unexpected(ClientError{ErrorKind::stream, "not connected"});
    }
    const std::string id = next_id();
    xml::Element m("message", ns_str(ns::client));
    // ROUTING.md "Client side": IM goes to the bare JID, so every device of the contact
    // and of this account gets it and the archive keeps it.
    m.set_attr("to", to.bare_str()).set_attr("type", "chat").set_attr("id", id);
    m.add_child("body", ns_str(ns::client)).add_text(body);
    m.add_child("origin-id", ns_str(ns::sid)).set_attr("id", id);
    ChatMessage pending;
    pending.origin_id = id;
    pending.peer = to.bare_str();
    pending.from = negotiated_.jid.str();
    pending.to = to.bare_str();
    pending.body = std::move(body);
    pending.outgoing = true;
    store_.add_pending(pending);
    awaited_origin_ = id;
    awaited_.reset();
    conn_->send(m);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    if (mode_ == Mode::imng) {
        // XEP-0409 §4.2: the server reflects the archived version, stanza-id included.
        while (!awaited_ && connected() && std::chrono::steady_clock::now() < deadline) {
            co_await pump(Duration(500));
        }
    } else {
        if (!co_await conn_->wait_acked(Duration(10000))) {
            awaited_origin_.clear();
            co_return unexpected(ClientError{ErrorKind::timeout, "the server did not confirm"});
        }
        for (int i = 0; i < 5 && !awaited_ && std::chrono::steady_clock::now() < deadline; ++i) {
            if (auto r = co_await catch_up(); !r) {
                awaited_origin_.clear();
                co_return unexpected(r.error());
            }
        }
    }
    awaited_origin_.clear();
    if (!awaited_) {
        co_return unexpected(
            ClientError{ErrorKind::timeout, "sent, but the archive's copy did not come back"});
    }
    co_return *awaited_;
}

void Client::send_device_data(const Jid& to, std::string body)
{
    xml::Element m("message", ns_str(ns::client));
    m.set_attr("to", to.str()).set_attr("id", next_id());
    m.add_child("body", ns_str(ns::client)).add_text(body);
    m.add_child("im-ng", ns_str(ns::imng));  // XEP-0409 §4.2: this resource only, unarchived
    conn_->send(m);
}

asio::awaitable<Result<void, ClientError>> Client::run_for(Duration d)
{
    const auto deadline = std::chrono::steady_clock::now() + d;
    while (connected() && std::chrono::steady_clock::now() < deadline) {
        const auto left =
            std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now());
        co_await pump(std::min(std::max(left, Duration(1)), Duration(1000)));
        if (resync_ && connected()) {
            resync_ = false;
            if (auto r = co_await catch_up(); !r) {
                co_return r;
            }
        }
    }
    if (!connected()) {
        co_return unexpected(
            ClientError{ErrorKind::stream, conn_ ? conn_->close_reason() : "not connected"});
    }
    co_return Result<void, ClientError>{};
}

asio::awaitable<std::map<std::string, std::string>> Client::roster()
{
    std::map<std::string, std::string> out;
    if (!connected()) {
        co_return out;
    }
    auto q = reply_to(xml::Element("iq", ns_str(ns::client)), "get");
    q.set_attr("id", next_id());
    q.add_child("query", ns_str(ns::roster));
    const auto answer = co_await request(std::move(q), Duration(10000));
    const auto* query =
        answer && answer->attr("type") == "result" ? answer->child("query", ns::roster) : nullptr;
    for (const auto& item : query ? query->nodes() : std::vector<xml::Element>{}) {
        if (item.is("item", ns::roster)) {
            const auto sub = item.attr("subscription");
            out[std::string(item.attr("jid"))] = sub.empty() ? "none" : std::string(sub);
        }
    }
    co_return out;
}

asio::awaitable<Result<void, ClientError>> Client::add_contact(const Jid& contact)
{
    auto q = reply_to(xml::Element("iq", ns_str(ns::client)), "set");
    q.set_attr("id", next_id());
    q.add_child("query", ns_str(ns::roster))
        .add_child("item", ns_str(ns::roster))
        .set_attr("jid", contact.bare_str());
    const auto answer = co_await request(std::move(q), Duration(10000));
    if (!answer || answer->attr("type") != "result") {
        co_return unexpected(
            ClientError{ErrorKind::protocol, "the server refused the roster item"});
    }
    xml::Element p("presence", ns_str(ns::client));
    p.set_attr("to", contact.bare_str()).set_attr("type", "subscribe");
    conn_->send(p);
    co_await conn_->wait_acked(Duration(5000));
    co_return Result<void, ClientError>{};
}

asio::awaitable<std::vector<Device>> Client::devices()
{
    std::vector<Device> out;
    if (!connected()) {
        co_return out;
    }
    if (!presence_sent_) {
        // RFC 6121 §4.2.2: initial presence brings the other available resources' presence.
        // Priority -1: this probe never takes a legacy bare-JID message.
        xml::Element p("presence", ns_str(ns::client));
        p.add_child("priority", ns_str(ns::client)).add_text("-1");
        conn_->send(p);
        presence_sent_ = true;
        co_await run_for(Duration(1500));
    }
    out.push_back(Device{negotiated_.jid.str(), true, mode_ == Mode::imng});
    for (const auto& [jid, available] : presences_) {
        if (!available) {
            continue;
        }
        auto q = reply_to(xml::Element("iq", ns_str(ns::client)), "get");
        q.set_attr("id", next_id()).set_attr("to", jid);
        q.add_child("query", ns_str(ns::disco_info));
        const auto answer = co_await request(std::move(q), Duration(3000));
        Device d{jid, false, std::nullopt};
        if (answer && answer->attr("type") == "result") {
            bool imng = false;
            if (const auto* query = answer->child("query", ns::disco_info)) {
                for (const auto& f : query->nodes()) {
                    imng = imng || (f.is("feature", ns::disco_info) && f.attr("var") == ns::imng);
                }
            }
            d.imng = imng;
        }
        out.push_back(std::move(d));
    }
    co_return out;
}

asio::awaitable<void> Client::close()
{
    if (conn_) {
        co_await conn_->close();
    }
    store_.erase(keys::sm_id);  // a closed stream ends the session: nothing to resume
}

void Client::abort()
{
    if (conn_) {
        conn_->abort();
    }
}

asio::awaitable<Result<void, ClientError>> Client::watch(
    ConnectOptions options, std::chrono::steady_clock::time_point until, std::function<bool()> stop)
{
    std::mt19937 rng(std::random_device{}());
    auto backoff = std::chrono::milliseconds(1000);
    asio::steady_timer timer(io_);
    while (std::chrono::steady_clock::now() < until && !(stop && stop())) {
        const auto started = std::chrono::steady_clock::now();
        auto r = co_await connect(options);
        if (!r && (r.error().kind == ErrorKind::auth || r.error().kind == ErrorKind::certificate ||
                   r.error().kind == ErrorKind::bad_input)) {
            co_return r;  // a retry cannot fix these
        }
        while (r && connected() && std::chrono::steady_clock::now() < until && !(stop && stop())) {
            r = co_await run_for(Duration(250));
        }
        if (connected()) {
            break;  // until or stop
        }
        if (!r && r.error().message.starts_with("stream error: conflict")) {
            // RFC 6120 §4.9.3.3: another connection took this resource (or resumed this
            // session); fighting back would only bounce the session between the two.
            co_return r;
        }
        note("disconnected: " + (r ? std::string("connection lost") : r.error().message));
        if (std::chrono::steady_clock::now() - started > std::chrono::seconds(60)) {
            backoff = std::chrono::milliseconds(1000);  // it had been up a while
        }
        std::uniform_int_distribution<long> jitter(0, backoff.count() / 2);
        timer.expires_after(backoff + std::chrono::milliseconds(jitter(rng)));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(60000));
    }
    co_return Result<void, ClientError>{};
}

}  // namespace chorus::client
