// RFC 6121 §2 roster management: get with §2.6 versioning, set (add, update), remove, and
// pushes to interested resources. Subscription state changes are the presence module's
// (src/modules/presence/). The two stay separate modules that never call each other: what
// both need (the Appendix A state machine, roster XML, pushes) lives as helpers in this
// folder, so a change to presence routing cannot break roster IQs and each keeps its own
// spec and tests; merging them would only move the same helpers into one bigger folder.
#include "modules/roster/roster.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "modules/module_context.h"
#include "modules/roster/roster_push.h"
#include "modules/roster/roster_xml.h"
#include "modules/roster/subscription_rules.h"
#include "router/router.h"
#include "stanza/namespaces.h"
#include "storage/roster.h"

namespace chorus::modules::roster {
namespace {

class RosterModule {
public:
    explicit RosterModule(Server& server) : server_(server), store_(server.storage().roster()) {}

    IqResult get(IqRequest& r)
    {
        if (!r.from_own_account()) {  // §2.1.3: only the account's own resources
            return StanzaError::forbidden("Only the account itself may read its roster");
        }
        if (r.has_session()) {
            r.session().flags().interested = true;  // §2.2: it now receives pushes
        }
        const std::string owner(r.to().bare_view());
        const auto version = store_.version(owner);
        // §2.6.3: a client whose cached version is current gets an empty result; the
        // changes, if any come later, arrive as pushes.
        if (r.payload().has_attr("ver") && r.payload().attr("ver") == version_string(version)) {
            return IqResult::empty();
        }
        xml::Element q("query", std::string(ns::roster));
        q.set_attr("ver", version_string(version));  // §2.6.2: full roster with its version
        for (const auto& item : store_.items(owner)) {
            if (!item.request_only) {
                q.add_child(item_element(item));
            }
        }
        return IqResult::with(std::move(q));
    }

    IqResult set(IqRequest& r)
    {
        if (!r.from_own_account()) {  // §2.3.3
            return StanzaError::forbidden("Only the account itself may change its roster");
        }
        auto request = parse_roster_set(r.payload());
        if (!request) {
            return request.error();
        }
        const Jid owner = r.to().bare();
        if (request->contact == owner) {
            // Chorus' choice (§2.1.2.3 leaves it open): no item for the own bare JID. The
            // user's presence already reaches all its resources (§4.2.2), and a
            // self-subscription would only duplicate it.
            return StanzaError::not_allowed("The own account cannot be a roster item");
        }
        return request->remove ? remove(owner, request->contact) : update(owner, *request);
    }

private:
    IqResult update(const Jid& owner, const RosterSet& request)
    {
        auto existing = store_.item(owner.str(), request.contact.str());
        if (!existing || existing->request_only) {
            if (store_.items(owner.str()).size() >= max_items) {
                return StanzaError::policy_violation("The roster is full");
            }
        }
        storage::RosterItem item = existing ? std::move(*existing) : storage::RosterItem{};
        item.contact = request.contact.str();
        item.name = request.name;
        item.groups = request.groups;
        item.request_only = false;  // the user adds the contact: the item is now visible
        auto version = store_.put(owner.str(), item);
        if (!version) {
            spdlog::error("roster: storing {} in {}: {}", item.contact, owner.str(),
                          version.error().message);
            return StanzaError::internal_server_error();
        }
        push(server_, owner.str(), item_element(item), *version);  // §2.3.2, §2.4.2
        return IqResult::empty();
    }

    IqResult remove(const Jid& owner, const Jid& contact)
    {
        auto existing = store_.item(owner.str(), contact.str());
        if (!existing || existing->request_only) {
            return StanzaError::item_not_found("The contact is not in the roster");  // §2.5.3
        }
        const auto s = state_of(*existing).state;
        const bool to_or_asked = has_to(s) || existing->ask_out;
        const bool from_or_asked = has_from(s) || existing->pending_in;
        // §2.5.2: delete first, so what the contact's server answers synchronously (local
        // contacts) finds no item to update, then tell the contact.
        auto version = store_.remove(owner.str(), contact.str());
        if (!version) {
            spdlog::error("roster: removing {} from {}: {}", contact.str(), owner.str(),
                          version.error().message);
            return StanzaError::internal_server_error();
        }
        push(server_, owner.str(), removed_item_element(contact.str()), *version);
        if (has_from(s)) {  // the contact was subscribed: it sees the user go offline
            send_unavailable(server_, owner, contact);
        }
        if (to_or_asked) {
            server_.router().route(
                subscription_stanza(server_, SubType::unsubscribe, owner, contact));
        }
        if (from_or_asked) {
            server_.router().route(
                subscription_stanza(server_, SubType::unsubscribed, owner, contact));
        }
        return IqResult::empty();
    }

    Server& server_;
    storage::Roster& store_;
};

}  // namespace

ModuleSpec spec()
{
    return {
        .name = "roster", .xeps = {{237, "1.3"}}, .depends = {}, .attach = [](ModuleContext& ctx) {
            auto m = std::make_shared<RosterModule>(ctx.server());
            ctx.on_iq(
                IqType::get, ns::roster, "query", [m](IqRequest& r) { return m->get(r); },
                Addressee::account);
            ctx.on_iq(
                IqType::set, ns::roster, "query", [m](IqRequest& r) { return m->set(r); },
                Addressee::account);
            // RFC 6121 §2.6.1: roster versioning is announced as a stream feature.
            ctx.hook(&Hooks::stream_features, Phase::process,
                     [](std::vector<xml::Element>& features) {
                         features.emplace_back("ver", std::string(ns::roster_ver));
                     });
        }};
}

}  // namespace chorus::modules::roster
