// Message routing decisions (RFC 6121 §8.5 + XEP-0409 per ROUTING.md), as pure functions.
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "router/session.h"
#include "stanza/stanza_error.h"

namespace chorus::router {

enum class MessageType { normal, chat, groupchat, headline, error };
/// RFC 6121 §5.2.2: an unknown type is treated as normal.
MessageType message_type(std::string_view type_attr) noexcept;

/// RFC 6121 §8.5.2.1.1: bare-JID chat/normal to the highest-priority resources or all.
enum class BarePolicy { highest, all };

/// ROUTING.md "Inbound" rows.
enum class InboundRule { r1, r2, r3, r4, r5, r6, r7 };
struct InboundFacts {
    MessageType type = MessageType::normal;
    bool to_full_jid = false;
    bool has_marker = false;  // <im-ng xmlns='urn:xmpp:im-ng:0'/>
    bool is_muc_pm = false;   // ROUTING.md "Terms": MUC private message
};
constexpr InboundRule classify_inbound(const InboundFacts& m) noexcept
{
    if (!m.to_full_jid) {  // a marker on a bare-JID message is ignored (R1)
        return m.type == MessageType::error ? InboundRule::r2 : InboundRule::r1;
    }
    if (m.has_marker) {
        return InboundRule::r4;
    }
    if (m.type == MessageType::error) {
        return InboundRule::r3;
    }
    if (m.type == MessageType::groupchat || m.type == MessageType::headline) {
        return InboundRule::r6;
    }
    return m.is_muc_pm ? InboundRule::r7 : InboundRule::r5;
}

/// How one session receives its copy.
enum class CopyForm {
    as_sent,          // the stanza as routed (with the archive's stanza-id when archived)
    to_bare,          // R5: an IM-NG copy whose 'to' is the bare JID
    carbon_received,  // XEP-0280 <received/> wrapper
    carbon_sent,      // XEP-0280 <sent/> wrapper
    reflection,       // XEP-0409: the sender's archived version, to its IM-NG set
};
struct Delivery {
    Session* session;
    CopyForm form;
};

/// What happens to a message for local account U.
struct InboundPlan {
    InboundRule rule = InboundRule::r1;
    std::vector<Delivery> deliveries;  // at most one per session
    bool archive = false;              // in U's archive (before MAM preferences)
    bool reaches_imng = false;         // fanned out to U's IM-NG set: preferences do not apply
    bool offline = false;              // nobody took it: offline storage, else bounce
    std::optional<Condition> bounce;   // error back to the sender (never for type=error)
};

struct InboundInput {
    InboundFacts facts;
    bool account_exists = true;
    bool transient = false;         // chat states only: fanned out, not archived
    bool carbons_eligible = false;  // XEP-0280 §6 (and no <private/>/<no-copy/>)
    std::string_view resource = {};  // the addressed resource (full-JID messages)
    BarePolicy policy = BarePolicy::highest;
};
/// Decides delivery of a message to account U whose connected sessions are `sessions`.
InboundPlan plan_inbound(const InboundInput& in, std::span<Session* const> sessions);

/// ROUTING.md "Stream management": of a bare-JID plan for a message a lost legacy session
/// never acknowledged, the sessions that get it again: legacy ones that did not have a copy
/// already (IM-NG sessions got theirs, Carbons sessions their <received/> copy).
std::vector<Session*> redelivery_targets(const InboundPlan& plan, bool carbons_eligible);

/// ROUTING.md "Outbound" rows.
enum class OutboundRule { o1, o2, o3, o4, o5, o6 };
struct OutboundInput {
    MessageType type = MessageType::normal;
    bool to_full_jid = false;
    bool has_marker = false;
    bool is_muc_pm = false;
    bool to_own_account = false;  // the inbound path fans it out and archives it once
    bool transient = false;
    bool carbons_eligible = false;
};
struct OutboundPlan {
    OutboundRule rule = OutboundRule::o1;
    std::vector<Delivery> copies;  // reflections and carbons to the sender's other sessions
    bool archive = false;          // in the sender's archive
    bool reaches_imng = false;
};
constexpr OutboundRule classify_outbound(const OutboundInput& m) noexcept
{
    if (m.has_marker) {
        return OutboundRule::o3;
    }
    if (m.type == MessageType::error) {
        return OutboundRule::o5;
    }
    if (m.type == MessageType::groupchat) {
        return OutboundRule::o4;
    }
    if (m.is_muc_pm) {
        return OutboundRule::o6;
    }
    return m.to_full_jid ? OutboundRule::o2 : OutboundRule::o1;
}
/// Decides copies for the sender's own sessions when `sender` sends a message.
OutboundPlan plan_outbound(const OutboundInput& in, const Session& sender,
                           std::span<Session* const> sessions);

}  // namespace chorus::router
