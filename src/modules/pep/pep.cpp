// XEP-0163 Personal Eventing Protocol: every account is a pubsub service at its bare JID,
// owned by the account; notifications go out as headline messages (ROUTING.md R6: to the
// addressed full JID only, never archived), once per resource that asked for the node.
#include "modules/pep/pep.h"

#include <algorithm>

#include "modules/module_context.h"
#include "modules/pep/pep_module.h"
#include "modules/pubsub/pubsub_iq.h"
#include "modules/roster/subscription_rules.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::pep {
namespace {

pubsub::Limits limits_of(const Config& c)
{
    return {.max_items = c.pubsub_max_items,
            .max_nodes = c.pubsub_max_nodes,
            .max_item_bytes = std::min(c.pubsub_max_item_bytes, c.limits.max_stanza_bytes)};
}

// XEP-0060 §10 features of PEP, each true of this engine (XEP-0163 §5 requires the first
// group; the advertised list is what Gajim and Conversations check).
constexpr std::string_view pubsub_features[] = {
    "access-open",
    "access-presence",
    "access-roster",
    "access-whitelist",
    "auto-create",
    "auto-subscribe",
    "config-node",
    "create-and-configure",
    "create-nodes",
    "delete-items",
    "delete-nodes",
    "filtered-notifications",
    "item-ids",
    "last-published",
    "manage-subscriptions",
    "modify-affiliations",
    "persistent-items",
    "publish",
    "publish-options",
    "purge-nodes",
    "retract-items",
    "retrieve-affiliations",
    "retrieve-default",
    "retrieve-items",
    "retrieve-subscriptions",
    "subscribe",
    "instant-nodes",
};

}  // namespace

PepModule::PepModule(Server& server)
    : server_(server),
      roster_(server.storage().roster()),
      private_(server.storage().private_xml()),
      vcards_(server.storage().vcards()),
      engine_(server.storage().pubsub(), server.clock(), limits_of(server.config()),
              pubsub::ServiceRules{
                  .pep = true,
                  .relation = [this](std::string_view service,
                                     const Jid& requester) { return relation(service, requester); },
                  .may_create = nullptr,
                  .default_access = pubsub::AccessModel::presence}),
      caps_(server.config().pubsub_caps_cache)
{
}

pubsub::Relation PepModule::relation(std::string_view service, const Jid& requester)
{
    pubsub::Relation rel;
    auto item = roster_.item(service, requester.bare_view());
    if (item && !item->request_only) {
        rel.in_roster = true;
        rel.presence_subscribed = roster::has_from(roster::state_of(*item).state);
        rel.groups = item->groups;
    }
    return rel;
}

IqResult PepModule::on_pubsub_iq(IqRequest& r, bool is_set)
{
    auto outcome =
        pubsub::handle_pubsub_iq(engine_, r.to().bare_view(), r.from(), r.payload(), is_set);
    deliver(r.to().bare(), outcome);
    // XEP-0398: a new avatar (metadata published by the owner) becomes the vCard PHOTO.
    if (is_set && !outcome.result.error() && r.from_own_account() && !outcome.events.empty() &&
        outcome.events.front().node == ns::avatar_metadata) {
        avatar_to_vcard(r.to().bare());
    }
    return std::move(outcome.result);
}

void PepModule::deliver(const Jid& service, pubsub::IqOutcome& outcome)
{
    for (const auto& e : outcome.events) {
        notify(service, e);
    }
    if (outcome.send_last) {
        send_last_item(service, outcome.send_last->first, outcome.send_last->second);
    }
}

void PepModule::send_event(const Jid& service, const std::string& to, const xml::Element& event)
{
    xml::Element message("message", std::string(ns::client));
    message.set_attr("from", service.str())
        .set_attr("to", to)
        .set_attr("type", "headline")
        .set_attr("id", server_.next_id());
    message.add_child(event);
    server_.router().route(std::move(message));
}

void PepModule::notify(const Jid& service, const pubsub::Event& event)
{
    if (!event.config.deliver_notifications) {
        return;
    }
    std::set<std::string> sent_bare;  // explicit bare-JID subscriptions reach every resource
    std::set<std::string> sent;
    for (const auto& s : event.subscribers) {
        if (sent.insert(s).second) {
            send_event(service, s, event.event);
            if (auto j = Jid::parse(s); j && j->is_bare()) {
                sent_bare.insert(s);
            }
        }
    }
    auto it = recipients_.find(service.str());
    if (it == recipients_.end()) {
        return;
    }
    std::vector<std::string> targets;  // collected first: routing may change the map
    for (const auto& [full, rcpt] : it->second) {
        if (!rcpt.notify || !rcpt.notify->contains(event.node) || sent.contains(full)) {
            continue;
        }
        auto jid = Jid::parse(full);
        if (!jid || sent_bare.contains(jid->bare_str()) ||
            !engine_.may_read(service.str(), event.node, event.config, *jid)) {
            continue;
        }
        targets.push_back(full);
    }
    for (const auto& t : targets) {
        send_event(service, t, event.event);
    }
}

void PepModule::send_last_item(const Jid& service, std::string_view node, const Jid& to)
{
    auto config = engine_.node_config(service.str(), node);
    if (!config || config->send_last == pubsub::SendLast::never ||
        !engine_.may_read(service.str(), node, *config, to)) {
        return;
    }
    if (auto item = engine_.last_item(service.str(), node)) {
        send_event(service, to.str(),
                   pubsub::Engine::items_event(node, {*item}, config->deliver_payloads));
    }
}

void PepModule::send_last_items(const Jid& service, const Jid& to, const NotifySet& nodes)
{
    for (const auto& [node, config] : engine_.visible_nodes(service.str(), to)) {
        if (nodes.contains(node) && config.send_last == pubsub::SendLast::on_sub_and_presence) {
            if (auto item = engine_.last_item(service.str(), node)) {
                send_event(service, to.str(),
                           pubsub::Engine::items_event(node, {*item}, config.deliver_payloads));
            }
        }
    }
}

std::vector<xml::Element> PepModule::account_items(const Jid& account, const Jid& requester)
{
    std::vector<xml::Element> out;
    for (const auto& [node, config] : engine_.visible_nodes(account.str(), requester)) {
        xml::Element item("item", std::string(ns::disco_items));
        item.set_attr("jid", account.str()).set_attr("node", node);
        if (!config.title.empty()) {
            item.set_attr("name", config.title);
        }
        out.push_back(std::move(item));
    }
    return out;
}

void PepModule::on_account_deleting(const Jid& account)
{
    recipients_.erase(account.str());
}

ModuleSpec spec()
{
    return {
        .name = "pep",
        .xeps = {{60, "1.26.0"},
                 {163, "1.2.2"},
                 {223, "1.1.1"},
                 {49, "1.2"},
                 {402, "1.2.0"},
                 {411, "1.0.0"},
                 {84, "1.1.4"},
                 {153, "1.1"},
                 {292, "1.1"},
                 {172, "1.1"},
                 {384, "0.8.3"},
                 {398, "0.2.1"}},
        .depends = {"disco", "presence", "roster"},
        .attach = [](ModuleContext& ctx) {
            auto m = std::make_shared<PepModule>(ctx.server());
            auto& disco = ctx.server().disco();
            disco.account_identities.emplace("pubsub", "pep");
            disco.account_items = [m](const Jid& a, const Jid& r) {
                return m->account_items(a, r);
            };
            ctx.on_unload([&disco] {
                disco.account_identities.erase({"pubsub", "pep"});
                disco.account_items = nullptr;
            });
            ctx.add_feature(ns::pubsub, Disco::account);
            for (auto f : pubsub_features) {
                ctx.add_feature(std::string(ns::pubsub) + "#" + std::string(f), Disco::account);
            }
            ctx.add_feature(ns::private_xml, Disco::server);
            ctx.add_feature(ns::bookmarks_compat, Disco::account);
            ctx.add_feature(ns::pep_vcard_conversion, Disco::account);
            ctx.add_feature(ns::bookmarks_compat_pep, Disco::account);
            for (auto ns_ : {ns::pubsub, ns::pubsub_owner}) {
                ctx.on_iq(
                    IqType::get, ns_, "pubsub",
                    [m](IqRequest& r) { return m->on_pubsub_iq(r, false); }, Addressee::account);
                ctx.on_iq(
                    IqType::set, ns_, "pubsub",
                    [m](IqRequest& r) { return m->on_pubsub_iq(r, true); }, Addressee::account);
            }
            ctx.on_iq(
                IqType::get, ns::private_xml, "query",
                [m](IqRequest& r) { return m->on_private_iq(r, false); }, Addressee::account);
            ctx.on_iq(
                IqType::set, ns::private_xml, "query",
                [m](IqRequest& r) { return m->on_private_iq(r, true); }, Addressee::account);
            ctx.hook(&Hooks::presence_in, Phase::deliver,
                     [m](const Jid& to, xml::Element& p) { return m->on_presence_in(to, p); });
            ctx.hook(&Hooks::presence_out, Phase::validate,
                     [m](router::Session& s, xml::Element& p) { return m->on_presence_out(s, p); });
            ctx.hook(&Hooks::stanza_out, Phase::process,
                     [m](router::Session& s, xml::Element& st) { return m->on_stanza_out(s, st); });
            ctx.hook(&Hooks::iq_response, Phase::process,
                     [m](const xml::Element& iq) { m->on_iq_response(iq); });
            ctx.hook(&Hooks::account_deleting, Phase::process,
                     [m](const Jid& a) { m->on_account_deleting(a); });
        }};
}

}  // namespace chorus::modules::pep
