// Router::route_remote: stanzas for domains this server does not serve go to a component
// of ours, or over federation (RFC 6120 §10.4), or are answered as unroutable.
#include <spdlog/spdlog.h>

#include "router/delivery_rules.h"
#include "router/router.h"
#include "server/server.h"

namespace chorus {

void Router::route_remote(const xml::Element& stanza, const Jid& to, router::Session* sender,
                          bool released)
{
    if (const auto* component = server_.components().find(to.domain())) {
        component->handle(stanza);
        return;
    }
    if (auto* remote = server_.remote()) {
        if (!released && gate_.watched() > 0) {
            // One FIFO with the messages waiting for their archive commit: an IQ or a
            // presence never overtakes a message sent before it (RFC 6120 §10.1).
            gate_.watch({.message = stanza, .remote = true});
            return;
        }
        remote->send(stanza, to);  // it bounces what it cannot deliver
        return;
    }
    const auto kind = stanza.name() == "message"    ? router::StanzaKind::message
                      : stanza.name() == "presence" ? router::StanzaKind::presence
                                                    : router::StanzaKind::iq;
    const auto answer = router::unroutable_answer(kind, stanza.attr("type"));
    if (!answer) {
        spdlog::debug("dropping a {} for {}: no federation", stanza.name(), to.domain());
        return;
    }
    StanzaError error{
        *answer, ErrorType::cancel, "This server does not federate with " + to.domain(), {}, {}};
    auto reply = error_reply(stanza, error);
    if (!reply) {
        return;
    }
    if (sender) {
        sender->send(*reply);
    } else {
        route(std::move(*reply));
    }
}

}  // namespace chorus
