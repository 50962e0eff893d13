// Delivery decisions beside message_rules.h, so nothing on the routing path is dropped
// without a reason: stanzas for domains this server does not serve (RFC 6120 §10.4.3) and
// messages offline storage refused (XEP-0160 §2). Pure functions with table tests.
#pragma once

#include <optional>
#include <string_view>

#include "stanza/stanza_error.h"

namespace chorus::router {

enum class StanzaKind { message, presence, iq };

/// The answer to a stanza for a domain that is not ours while there is no federation
/// (RFC 6120 §10.4.3: routing failed, §8.3.3.16 <remote-server-not-found/>); nullopt: drop.
/// Federation (s2s) replaces the routing, this stays the answer when a peer is unreachable.
constexpr std::optional<Condition> unroutable_answer(StanzaKind kind,
                                                     std::string_view type) noexcept
{
    if (type == "error") {
        return std::nullopt;  // RFC 6120 §8.3.1: an error is never answered with an error
    }
    switch (kind) {
        case StanzaKind::iq:  // RFC 6120 §8.2.3: a request always gets a reply
            return type == "get" || type == "set"
                       ? std::optional(Condition::remote_server_not_found)
                       : std::nullopt;
        case StanzaKind::message:
            return Condition::remote_server_not_found;
        case StanzaKind::presence:
            // Available presence (a XEP-0045 §7.2 room join) and a subscription request wait
            // for an answer: without the error a client hangs on them. Unavailable presence,
            // probes (server-generated, §4.3.1 of RFC 6121) and subscription answers expect
            // none; an error for them would only reach the user as noise.
            return type.empty() || type == "subscribe"
                       ? std::optional(Condition::remote_server_not_found)
                       : std::nullopt;
    }
    return std::nullopt;
}

/// A message no session took and offline storage refused (queue full or storage failure):
/// XEP-0160 §2 step 3 answers <service-unavailable/>, unless it is in the recipient's
/// archive and the recipient has an IM-NG device, which will sync it from MAM (ROUTING.md).
constexpr std::optional<Condition> offline_refused_answer(bool archived,
                                                          bool has_imng_device) noexcept
{
    if (archived && has_imng_device) {
        return std::nullopt;
    }
    return Condition::service_unavailable;
}

/// What becomes of a stanza a session never acknowledged (XEP-0198) when it ends without
/// being resumed (ROUTING.md "Stream management and session loss").
enum class UnackedFate {
    drop,     // nothing owed: the stanza's other copies or a later state cover it
    reroute,  // RFC 6121: the account's other resources, else offline storage
    bounce,   // an IQ request: RFC 6121 §8.5.3.2.1 <service-unavailable/> to its sender
};
struct UnackedFacts {
    StanzaKind kind = StanzaKind::message;
    std::string_view type = {};  // the stanza's type attribute
    bool session_imng = false;   // the lost session was an IM-NG device
    bool im = false;             // a chat/normal message with content (not transient)
    bool forwarded = false;      // a XEP-0280 copy: each Carbons session has its own
    bool marker = false;         // XEP-0409 device-only traffic (ROUTING.md R4)
    bool muc = false;            // MUC PM or groupchat: the room keeps the history
};
constexpr UnackedFate unacked_fate(const UnackedFacts& f) noexcept
{
    if (f.kind == StanzaKind::iq) {
        return (f.type == "get" || f.type == "set") ? UnackedFate::bounce : UnackedFate::drop;
    }
    if (f.kind == StanzaKind::presence || f.type == "error") {
        return UnackedFate::drop;  // presence is state, re-sent on change; errors never bounce
    }
    if (f.session_imng) {
        return UnackedFate::drop;  // archived, and the other devices have their copies
    }
    return f.im && !f.forwarded && !f.marker && !f.muc ? UnackedFate::reroute : UnackedFate::drop;
}

}  // namespace chorus::router
