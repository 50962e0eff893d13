// Classifying arriving messages for an IM-NG client (ROUTING.md "Client side").
#include "client/message_rules.h"

#include <fmt/chrono.h>
#include <chrono>

#include "stanza/namespaces.h"

namespace chorus::client {
namespace {

bool from_own_account(const xml::Element& stanza, const Jid& self)
{
    const auto from = stanza.attr("from");
    if (from.empty()) {
        return true;  // RFC 6120 §8.1.2.1: no 'from' means the account itself
    }
    const auto jid = Jid::parse(from);
    return jid && jid->is_bare() && jid->bare_view() == self.bare_view();
}

std::string now_stamp()
{
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", now);
}

/// The message inside <forwarded xmlns='urn:xmpp:forward:0'/> and its delay stamp.
const xml::Element* forwarded_message(const xml::Element& wrapper, std::string* stamp)
{
    const auto* fwd = wrapper.child("forwarded", ns::forward);
    if (fwd == nullptr) {
        return nullptr;
    }
    if (const auto* delay = fwd->child("delay", ns::delay); delay != nullptr && stamp) {
        *stamp = std::string(delay->attr("stamp"));
    }
    const auto* inner = fwd->child("message", ns::client);
    return inner;
}

}  // namespace

bool is_device_data(const xml::Element& message)
{
    if (message.child("im-ng", ns::imng) == nullptr) {
        return false;
    }
    const auto to = message.attr("to");
    if (to.empty()) {
        return true;  // RFC 6120 §8.1.1.1: delivered to this session
    }
    const auto jid = Jid::parse(to);
    // ROUTING.md R1: a marker on a bare-JID message is ignored; the message is IM.
    return !jid || jid->is_full();
}

std::optional<ChatMessage> read_chat(const xml::Element& message, const Jid& self)
{
    const auto* body = message.child("body", ns::client);
    if (body == nullptr) {
        return std::nullopt;
    }
    ChatMessage m;
    m.body = body->text();
    m.from = std::string(message.attr("from"));
    m.to = std::string(message.attr("to"));
    const auto from = Jid::parse(m.from.empty() ? self.str() : m.from);
    const auto to = Jid::parse(m.to.empty() ? self.str() : m.to);
    if (!from || !to) {
        return std::nullopt;
    }
    m.outgoing = from->bare_view() == self.bare_view();
    m.peer = m.outgoing ? to->bare_str() : from->bare_str();
    for (const auto& child : message.nodes()) {
        if (child.is("stanza-id", ns::sid) && child.attr("by") == self.bare_view()) {
            m.stanza_id = std::string(child.attr("id"));
        } else if (child.is("origin-id", ns::sid)) {
            m.origin_id = std::string(child.attr("id"));
        }
    }
    m.stamp = now_stamp();
    return m;
}

Classified classify_message(const xml::Element& message, const Jid& self)
{
    Classified out;
    if (message.attr("type") == "error") {
        out.kind = MessageKind::error;
        return out;
    }
    if (const auto* result = message.child("result", ns::mam)) {
        if (!from_own_account(message, self)) {
            return out;  // someone else's archive pretending to be ours
        }
        std::string stamp;
        const auto* inner = forwarded_message(*result, &stamp);
        if (inner == nullptr) {
            return out;
        }
        out.kind = MessageKind::mam_result;
        out.queryid = std::string(result->attr("queryid"));
        if (inner->attr("type") != "error" && inner->attr("type") != "groupchat") {
            out.message = read_chat(*inner, self);
        }
        if (out.message) {
            // XEP-0313 §5.1.2: the result's id is the archive id (= the stanza-id).
            out.message->stanza_id = std::string(result->attr("id"));
            if (!stamp.empty()) {
                out.message->stamp = stamp;
            }
        }
        return out;
    }
    for (auto kind : {"received", "sent"}) {
        if (const auto* carbon = message.child(kind, ns::carbons)) {
            if (!from_own_account(message, self)) {
                return out;  // XEP-0280 §11: a forged carbon
            }
            const auto* inner = forwarded_message(*carbon, nullptr);
            if (inner == nullptr || is_device_data(*inner)) {
                return out;
            }
            out.message = read_chat(*inner, self);
            out.kind = out.message ? MessageKind::carbon : MessageKind::transient;
            return out;
        }
    }
    if (is_device_data(message)) {
        out.kind = MessageKind::device_data;  // XEP-0409 §6: never shown as IM
        return out;
    }
    if (message.attr("type") == "groupchat") {
        return out;  // MUC lives elsewhere
    }
    out.message = read_chat(message, self);
    out.kind = out.message ? MessageKind::im : MessageKind::transient;
    return out;
}

}  // namespace chorus::client
