// RFC 6121 §4 presence: broadcast to subscribers and the user's own resources (§4.2, §4.4),
// probes and their answers (§4.3), unavailable presence to subscribers and to every entity
// that got directed presence (§4.5, §4.6).
#include "base/clock.h"
#include "modules/presence/presence_module.h"
#include "modules/roster/roster_push.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::presence {
namespace {

xml::Element addressed(const xml::Element& presence, std::string_view to)
{
    xml::Element copy = presence;
    copy.set_attr("to", to);
    return copy;
}

}  // namespace

void PresenceModule::broadcast_available(router::Session& session, const xml::Element& presence)
{
    xml::Element last = presence;
    last.remove_attr("to");
    auto& state = sessions_[session.id()];
    state.last = last;
    state.last_set = server_.clock().now();

    const Jid user = session.jid().bare();
    // §4.2.2, §4.4.2: to every contact subscribed to the user ('from' or 'both')...
    for (const auto& item : roster_.items(user.str())) {
        if (!item.request_only && roster::has_from(roster::state_of(item).state)) {
            server_.router().route(addressed(last, item.contact));
        }
    }
    // ...and to all of the user's available resources, the sender included.
    server_.router().route(addressed(last, user.str()));
}

void PresenceModule::broadcast_unavailable(router::Session& session, const xml::Element& presence,
                                           bool to_self)
{
    auto it = sessions_.find(session.id());
    if (it == sessions_.end()) {
        return;  // never available and no directed presence: nobody to tell
    }
    SessionState state = std::move(it->second);
    sessions_.erase(it);

    xml::Element gone = presence;
    gone.remove_attr("to");
    const Jid user = session.jid().bare();
    std::set<std::string> told;  // bare JIDs already reached by the broadcast
    if (state.last) {
        // §4.5.2: the same subscribers as the available presence, and the own resources.
        for (const auto& item : roster_.items(user.str())) {
            if (!item.request_only && roster::has_from(roster::state_of(item).state)) {
                server_.router().route(addressed(gone, item.contact));
                told.insert(item.contact);
            }
        }
        server_.router().route(addressed(gone, user.str()));
        if (to_self) {  // §4.5.2: "as well as to the resource that generated" it
            session.send(addressed(gone, session.jid().str()));
        }
        told.insert(user.str());
    }
    // §4.6.3: every entity that received directed presence learns the session is gone.
    for (const auto& target : state.directed) {
        auto jid = Jid::parse(target);
        if (jid && !told.contains(jid->bare_str())) {
            server_.router().route(addressed(gone, target));
        }
    }
}

xml::Element PresenceModule::from_store(const SessionState& state, const std::string& to) const
{
    xml::Element copy = addressed(*state.last, to);
    if (!copy.child("delay", ns::delay)) {  // a client's own stamp, if any, stays
        const auto from = Jid::parse(copy.attr("from"));
        auto& delay = copy.add_child("delay", std::string(ns::delay));
        delay.set_attr("from", from ? from->domain() : std::string())
            .set_attr("stamp", format_xep82(state.last_set));
    }
    return copy;
}

void PresenceModule::send_probes(router::Session& session)
{
    // §4.3.1: probe every contact the user is subscribed to. The probe carries the new
    // session's full JID, so local contacts answer that session only instead of every
    // resource of the account (RFC 6121 allows either; remote contacts get no probe as
    // there is no federation yet, route() drops them).
    for (const auto& item : roster_.items(session.jid().bare_view())) {
        if (!item.request_only && roster::has_to(roster::state_of(item).state)) {
            xml::Element probe("presence", std::string(ns::client));
            probe.set_attr("type", "probe")
                .set_attr("from", session.jid().str())
                .set_attr("to", item.contact)
                .set_attr("id", server_.next_id());
            server_.router().route(std::move(probe));
        }
    }
    // §4.2.2: the new resource also learns about the user's other available resources.
    for (const router::Session* other : server_.sessions().account(session.jid().bare_view())) {
        if (other == &session || !other->flags().available) {
            continue;
        }
        auto it = sessions_.find(other->id());
        if (it != sessions_.end() && it->second.last) {
            session.send(from_store(it->second, session.jid().str()));
        }
    }
}

void PresenceModule::answer_probe(const Jid& to, const xml::Element& probe, const Jid& from)
{
    const Jid user = to.bare();
    const Jid prober = from.bare();
    if (prober != user) {
        auto item = roster_.item(user.str(), prober.str());
        if (!item || !roster::has_from(roster::state_of(*item).state)) {
            // §4.3.2: an entity not subscribed learns nothing but that it is not; a pending
            // request of the prober is left alone ('unsubscribed' would deny it, A.3.4).
            if (!item || !item->pending_in) {
                send_unsubscribed(user, prober);
            }
            return;
        }
    }
    // §4.3.2: the last presence of each available resource (only the probed one for a full
    // JID), or unavailable presence when none is available.
    if (send_current_presence(user, from, to.resource()) == 0) {
        xml::Element none("presence", std::string(ns::client));
        none.set_attr("type", "unavailable").set_attr("from", to.str()).set_attr("to", from.str());
        if (auto id = probe.attr("id"); !id.empty()) {
            none.set_attr("id", id);
        }
        server_.router().route(std::move(none));
    }
}

int PresenceModule::send_current_presence(const Jid& user, const Jid& to,
                                          const std::string& only_resource)
{
    std::vector<xml::Element> out;  // collected first: routing may change the session table
    for (const router::Session* s : server_.sessions().account(user.bare_view())) {
        if (!s->flags().available ||
            (!only_resource.empty() && s->jid().resource() != only_resource)) {
            continue;
        }
        auto it = sessions_.find(s->id());
        if (it != sessions_.end() && it->second.last) {
            out.push_back(from_store(it->second, to.str()));
        }
    }
    for (auto& p : out) {
        server_.router().route(std::move(p));
    }
    return static_cast<int>(out.size());
}

}  // namespace chorus::modules::presence
