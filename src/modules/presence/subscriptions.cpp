// RFC 6121 §3 presence subscriptions: outbound (A.2) and inbound (A.3) subscription
// stanzas, pre-approval (§3.4), requests kept for offline users (§3.1.3).
#include "modules/presence/presence_module.h"
#include "modules/roster/roster_push.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/stanza_bytes.h"

namespace chorus::modules::presence {

using roster::Direction;
using roster::SubType;

void PresenceModule::outbound_subscription(router::Session& session, SubType type,
                                           xml::Element& presence, const Jid& to)
{
    const Jid user = session.jid().bare();
    const Jid contact = to.bare();
    if (contact == user) {
        return;  // no subscription to oneself (see roster.cpp): dropped
    }
    // §3.1.2: the server stamps the user's bare JID; a subscription is between bare JIDs.
    presence.set_attr("from", user.str());
    presence.set_attr("to", contact.str());

    auto existing = roster_.item(user.str(), contact.str());
    storage::RosterItem item = existing ? *existing : storage::RosterItem{};
    item.contact = contact.str();
    if (!existing) {
        item.request_only = true;  // not in the roster unless this stanza adds it
    }
    const auto current = roster::state_of(item);
    const auto t = roster::apply(Direction::outbound, type, current);
    if (t.next != current) {
        const bool was_hidden = item.request_only;
        roster::set_state(item, t.next);
        // §3.1.2, §3.4.1: asking for or granting a subscription puts the contact in the
        // roster; refusing one does not.
        if (type == SubType::subscribe || type == SubType::subscribed) {
            item.request_only = false;
        }
        const bool notify = t.push || (was_hidden && !item.request_only);
        if (!roster::save(server_, roster_, user.str(), item, existing.has_value(), notify)) {
            return;
        }
    }
    // The state is stored before anything is routed: a local contact's server answers
    // synchronously (a pre-approval's 'subscribed' comes straight back here).
    if (t.send_unavailable) {  // §3.2.2: first the contact sees the user go offline
        roster::send_unavailable(server_, user, contact);
    }
    if (t.forward) {
        server_.router().route(presence);
    }
    if (t.send_presence) {  // §3.1.5: the new subscriber gets the user's presence at once
        send_current_presence(user, contact, {});
    }
}

void PresenceModule::inbound_subscription(const Jid& user, SubType type, xml::Element& presence,
                                          const Jid& contact)
{
    if (contact == user) {
        return;
    }
    presence.set_attr("from", contact.str());  // §3.1.3: handled as from/to bare JIDs
    presence.set_attr("to", user.str());

    auto existing = roster_.item(user.str(), contact.str());
    storage::RosterItem item = existing ? *existing : storage::RosterItem{};
    item.contact = contact.str();
    if (!existing) {
        item.request_only = true;  // §3.1.3: a request does not add the contact to the roster
    }
    const auto current = roster::state_of(item);
    const auto t = roster::apply(Direction::inbound, type, current);
    if (t.next != current) {
        roster::set_state(item, t.next);
        if (type == SubType::subscribe && t.forward) {
            // §3.1.3: kept until answered and delivered at each initial presence until then.
            item.pending_stanza = serialize_stanza(presence);
            if (item.pending_stanza.size() > max_stored_request_bytes) {
                item.pending_stanza = serialize_stanza(
                    roster::subscription_stanza(server_, SubType::subscribe, contact, user));
            }
        }
        if (t.auto_subscribed) {  // §3.4.2: the pre-approval is used: the item is visible
            item.request_only = false;
        }
        if (!roster::save(server_, roster_, user.str(), item, existing.has_value(), t.push)) {
            return;
        }
    }
    if (t.forward) {
        server_.router().deliver_presence(user, presence);  // to the available resources
    }
    if (t.auto_subscribed) {  // A.3.1 (already subscribed) and §3.4.2 (pre-approved)
        server_.router().route(
            roster::subscription_stanza(server_, SubType::subscribed, user, contact));
    }
    if (t.send_presence) {
        send_current_presence(user, contact, {});
    }
    if (t.send_unavailable) {  // §3.3.3: the unsubscribed contact sees the user go offline
        roster::send_unavailable(server_, user, contact);
    }
}

void PresenceModule::deliver_stored_requests(router::Session& session)
{
    // §3.1.3: requests that arrived while the user was offline (or are still unanswered)
    // go to each resource that becomes available.
    for (const auto& item : roster_.items(session.jid().bare_view())) {
        if (item.pending_in && !item.pending_stanza.empty()) {
            session.send_bytes(std::make_shared<const std::string>(item.pending_stanza));
        }
    }
}

}  // namespace chorus::modules::presence
