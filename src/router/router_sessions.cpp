// Router: the session lifecycle (bound, replaced, closed) and XEP-0198 redelivery of what a
// lost session never acknowledged (ROUTING.md "Stream management").
#include <spdlog/spdlog.h>

#include "base/check.h"
#include "router/delivery_rules.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/message_facts.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "stanza/stream_error.h"

namespace chorus {

using router::Session;

void Router::session_bound(Session& s)
{
    if (Session* replaced = server_.sessions().add(s)) {
        // RFC 6120 §7.7.2.2: the older session is closed with <conflict/>
        server_.hooks().session_closed.run(*replaced);
        replaced->close_with(serialize_stream_error(
            StreamError{StreamCondition::conflict, "Replaced by a new session"}));
    }
    server_.hooks().session_bound.run(s);
}

void Router::redeliver_unacked(const Session& lost, const std::vector<router::SharedBytes>& unacked)
{
    const Jid owner = lost.jid().bare();
    for (const auto& bytes : unacked) {
        auto stanza = parse_stanza_bytes(*bytes);  // we serialized it: it parses back
        CHORUS_BUG(stanza.has_value());
        if (!stanza) {
            continue;
        }
        const auto kind = stanza->name() == "message"    ? router::StanzaKind::message
                          : stanza->name() == "presence" ? router::StanzaKind::presence
                                                         : router::StanzaKind::iq;
        const auto facts =
            kind == router::StanzaKind::message ? scan_message(*stanza) : MessageFacts{};
        const auto type = router::message_type(stanza->attr("type"));
        const router::UnackedFacts in{
            .kind = kind,
            .type = stanza->attr("type"),
            .session_imng = lost.imng(),
            .im = (type == router::MessageType::chat || type == router::MessageType::normal) &&
                  !facts.transient,
            .forwarded = stanza->child("received", ns::carbons) != nullptr ||
                         stanza->child("sent", ns::carbons) != nullptr,
            .marker = facts.marker,
            .muc = facts.muc_user,
        };
        switch (router::unacked_fate(in)) {
            case router::UnackedFate::drop:
                break;
            case router::UnackedFate::bounce:
                bounce(*stanza, StanzaError::service_unavailable());
                break;
            case router::UnackedFate::reroute: {
                // As if to the bare JID now (RFC 6121 §8.5.3.2.1), over the sessions left;
                // the bytes already carry the stanza-id: no second archive entry.
                const auto plan = plan_for(owner, *stanza, facts);
                const auto targets = router::redelivery_targets(plan, facts.carbons_eligible);
                for (Session* s : targets) {
                    s->send_bytes(bytes);
                }
                if (targets.empty()) {
                    const auto* sid = stanza->child("stanza-id", ns::sid);
                    store_offline(owner, *stanza, sid && sid->attr("by") == owner.str());
                }
                break;
            }
        }
    }
}

void Router::session_closed(Session& s)
{
    if (server_.sessions().find(s.jid()) != &s) {
        return;  // already replaced: its successor owns the JID
    }
    server_.hooks().session_closed.run(s);
    server_.sessions().remove(s);
}

}  // namespace chorus
