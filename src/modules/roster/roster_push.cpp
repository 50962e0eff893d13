// Roster pushes to interested resources (RFC 6121 §2.1.6) and stanzas sent for the user.
#include "modules/roster/roster_push.h"

#include <spdlog/spdlog.h>

#include "modules/roster/roster_xml.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::roster {

void push(Server& server, std::string_view owner, const xml::Element& item, std::uint64_t version)
{
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "set").set_attr("id", server.next_id());
    iq.add_child(push_query(item, version));
    // §2.1.6: a push has no 'from' (or the bare JID), so clients accept it as the server's.
    for (router::Session* s : server.sessions().account(owner)) {
        if (s->flags().interested) {
            iq.set_attr("to", s->jid().str());
            s->send(iq);
        }
    }
}

bool save(Server& server, storage::Roster& store, std::string_view owner,
          const storage::RosterItem& item, bool existed, bool notify)
{
    if (item.request_only && state_of(item) == SubscriptionState{}) {
        if (!existed) {
            return true;
        }
        auto r = store.remove(owner, item.contact);
        if (!r && r.error().code != storage::StorageError::Code::not_found) {
            spdlog::error("roster: removing {} from {}: {}", item.contact, owner,
                          r.error().message);
            return false;
        }
        return true;
    }
    auto version = store.put(owner, item);
    if (!version) {
        spdlog::error("roster: storing {} in {}: {}", item.contact, owner, version.error().message);
        return false;
    }
    if (notify && !item.request_only) {
        push(server, owner, item_element(item), *version);
    }
    return true;
}

xml::Element subscription_stanza(Server& server, SubType type, const Jid& from, const Jid& to)
{
    xml::Element p("presence", std::string(ns::client));
    p.set_attr("type", sub_type_name(type))
        .set_attr("from", from.str())
        .set_attr("to", to.str())
        .set_attr("id", server.next_id());
    return p;
}

void send_unavailable(Server& server, const Jid& owner, const Jid& contact)
{
    std::vector<Jid> available;  // routing may change the session table: copy first
    for (const router::Session* s : server.sessions().account(owner.bare_view())) {
        if (s->flags().available) {
            available.push_back(s->jid());
        }
    }
    for (const auto& full : available) {
        xml::Element p("presence", std::string(ns::client));
        p.set_attr("type", "unavailable")
            .set_attr("from", full.str())
            .set_attr("to", contact.str());
        server.router().route(std::move(p));
    }
}

}  // namespace chorus::modules::roster
