// XEP-0060 requests: §6 (entity use cases), §7 (publisher), §8 (owner), in pubsub and
// pubsub#owner; each action is the <pubsub/>'s first child (create+configure,
// publish+publish-options, subscribe+options go together).
#include "modules/pubsub/pubsub_iq.h"

#include <charconv>

#include "stanza/namespaces.h"

namespace chorus::modules::pubsub {
namespace {

using Action = IqOutcome (*)(Engine&, std::string_view, const Jid&, const xml::Element&,
                             const xml::Element&);

IqOutcome fail(StanzaError e)
{
    IqOutcome out;
    out.result = IqResult(std::move(e));
    return out;
}

IqOutcome ok(std::optional<xml::Element> payload = std::nullopt)
{
    IqOutcome out;
    if (payload) {
        out.result = IqResult::with(std::move(*payload));
    }
    return out;
}

xml::Element pubsub_reply(std::string_view ns = ns::pubsub)
{
    return xml::Element("pubsub", std::string(ns));
}

/// The form inside an element (publish-options, configure), or nullptr.
const xml::Element* form_in(const xml::Element* holder)
{
    return holder ? holder->child("x", ns::data_forms) : nullptr;
}

IqOutcome publish(Engine& e, std::string_view service, const Jid& from, const xml::Element& pubsub,
                  const xml::Element& action)
{
    const auto node = action.attr("node");
    const xml::Element* item = nullptr;
    std::size_t items = 0;
    for (const auto& c : action.nodes()) {
        if (c.is("item", ns::pubsub)) {
            item = &c;
            ++items;
        }
    }
    if (items != 1) {  // §7.1.3.6, batches are not supported
        return fail(pubsub_error(StanzaError::bad_request("Publish exactly one item"),
                                 items == 0 ? "item-required" : "invalid-payload"));
    }
    if (item->element_count() > 1) {  // §7.1.3.5
        return fail(
            pubsub_error(StanzaError::bad_request("One payload per item"), "invalid-payload"));
    }
    const auto* options = form_in(pubsub.child("publish-options", ns::pubsub));
    auto published = e.publish(service, node, from, std::string(item->attr("id")),
                               item->first_element(), options);
    if (!published) {
        return fail(published.error());
    }
    auto reply = pubsub_reply();
    auto& p = reply.add_child("publish", std::string(ns::pubsub));
    p.set_attr("node", node);
    p.add_child("item", std::string(ns::pubsub)).set_attr("id", published->first);
    IqOutcome out = ok(std::move(reply));
    out.events.push_back(std::move(published->second));
    return out;
}

IqOutcome retract(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                  const xml::Element& action)
{
    const auto* item = action.child("item", ns::pubsub);
    std::optional<bool> notify;
    if (action.has_attr("notify")) {
        notify = action.attr("notify") == "1" || action.attr("notify") == "true";
    }
    auto r = e.retract(service, action.attr("node"), from, item ? item->attr("id") : "", notify);
    if (!r) {
        return fail(r.error());
    }
    IqOutcome out = ok();
    if (*r) {
        out.events.push_back(std::move(**r));
    }
    return out;
}

IqOutcome items(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                const xml::Element& action)
{
    const auto node = action.attr("node");
    if (node.empty()) {
        return fail(
            pubsub_error(StanzaError::bad_request("A node is required"), "nodeid-required"));
    }
    std::vector<std::string> ids;
    for (const auto& c : action.nodes()) {
        if (c.is("item", ns::pubsub) && c.has_attr("id")) {
            ids.emplace_back(c.attr("id"));
        }
    }
    std::size_t max = 0;
    if (const auto m = action.attr("max_items"); !m.empty()) {
        auto [p, ec] = std::from_chars(m.data(), m.data() + m.size(), max);
        if (ec != std::errc() || p != m.data() + m.size()) {
            return fail(StanzaError::bad_request("max_items is not a number"));
        }
    }
    auto found = e.items(service, node, from, ids, max);
    if (!found) {
        return fail(found.error());
    }
    auto reply = pubsub_reply();
    auto& list = reply.add_child("items", std::string(ns::pubsub));
    list.set_attr("node", node);
    for (auto it = found->rbegin(); it != found->rend(); ++it) {  // oldest first
        auto& item = list.add_child("item", std::string(ns::pubsub));
        item.set_attr("id", it->id);
        if (!it->publisher.empty()) {
            item.set_attr("publisher", it->publisher);
        }
        if (!it->payload.name().empty()) {
            item.add_child(std::move(it->payload));
        }
    }
    return ok(std::move(reply));
}

IqOutcome create(Engine& e, std::string_view service, const Jid& from, const xml::Element& pubsub,
                 const xml::Element& action)
{
    const auto* config = form_in(pubsub.child("configure", ns::pubsub));
    const bool instant = action.attr("node").empty();
    auto made = e.create(service, std::string(action.attr("node")), from, config);
    if (!made) {
        return fail(made.error());
    }
    if (!instant) {
        return ok();
    }
    auto reply = pubsub_reply();
    reply.add_child("create", std::string(ns::pubsub)).set_attr("node", *made);
    return ok(std::move(reply));
}

std::optional<Jid> subscriber_jid(const xml::Element& action)
{
    return Jid::parse(action.attr("jid"));
}

IqOutcome subscribe(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                    const xml::Element& action)
{
    auto jid = subscriber_jid(action);
    if (!jid) {
        return fail(pubsub_error(StanzaError::bad_request("A JID is required"), "jid-required"));
    }
    const auto node = action.attr("node");
    auto config = e.subscribe(service, node, from, *jid);
    if (!config) {
        return fail(config.error());
    }
    auto reply = pubsub_reply();
    reply.add_child("subscription", std::string(ns::pubsub))
        .set_attr("node", node)
        .set_attr("jid", jid->str())
        .set_attr("subscription", "subscribed");
    IqOutcome out = ok(std::move(reply));
    if (config->send_last != SendLast::never) {
        out.send_last = std::pair{std::string(node), *jid};
    }
    return out;
}

IqOutcome unsubscribe(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                      const xml::Element& action)
{
    auto jid = subscriber_jid(action);
    if (!jid) {
        return fail(pubsub_error(StanzaError::bad_request("A JID is required"), "jid-required"));
    }
    if (auto r = e.unsubscribe(service, action.attr("node"), from, *jid); !r) {
        return fail(r.error());
    }
    return ok();
}

IqOutcome subscriptions(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                        const xml::Element& action)
{
    auto subs = e.own_subscriptions(service, action.attr("node"), from);
    if (!subs) {
        return fail(subs.error());
    }
    auto reply = pubsub_reply();
    auto& list = reply.add_child("subscriptions", std::string(ns::pubsub));
    for (const auto& [node, jid] : *subs) {
        list.add_child("subscription", std::string(ns::pubsub))
            .set_attr("node", node)
            .set_attr("jid", jid)
            .set_attr("subscription", "subscribed");
    }
    return ok(std::move(reply));
}

IqOutcome affiliations(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                       const xml::Element& action)
{
    auto affs = e.own_affiliations(service, action.attr("node"), from);
    if (!affs) {
        return fail(affs.error());
    }
    auto reply = pubsub_reply();
    auto& list = reply.add_child("affiliations", std::string(ns::pubsub));
    for (const auto& [node, a] : *affs) {
        list.add_child("affiliation", std::string(ns::pubsub))
            .set_attr("node", node)
            .set_attr("affiliation", affiliation_name(a));
    }
    return ok(std::move(reply));
}

IqOutcome default_config(Engine& e, std::string_view, const Jid&, const xml::Element& pubsub,
                         const xml::Element&)
{
    auto reply = pubsub_reply(pubsub.ns());
    reply.add_child("default", std::string(pubsub.ns()))
        .add_child(config_form(e.default_config(), e.limits()));
    return ok(std::move(reply));
}

IqOutcome subscription_options(Engine&, std::string_view, const Jid&, const xml::Element&,
                               const xml::Element&)
{
    return fail(
        pubsub_error(StanzaError::feature_not_implemented("Subscription options are not supported"),
                     "subscription-options"));
}

// §8 owner use cases
IqOutcome get_configure(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                        const xml::Element& action)
{
    auto config = e.configuration(service, action.attr("node"), from);
    if (!config) {
        return fail(config.error());
    }
    auto reply = pubsub_reply(ns::pubsub_owner);
    auto& c = reply.add_child("configure", std::string(ns::pubsub_owner));
    c.set_attr("node", action.attr("node"));
    c.add_child(config_form(*config, e.limits()));
    return ok(std::move(reply));
}

IqOutcome set_configure(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                        const xml::Element& action)
{
    const auto* form = action.child("x", ns::data_forms);
    if (!form) {
        return fail(StanzaError::bad_request("The configuration form is missing"));
    }
    auto r = e.configure(service, action.attr("node"), from, *form);
    if (!r) {
        return fail(r.error());
    }
    IqOutcome out = ok();
    if (*r) {
        out.events.push_back(std::move(**r));
    }
    return out;
}

IqOutcome remove(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                 const xml::Element& action)
{
    auto r = e.remove(service, action.attr("node"), from);
    if (!r) {
        return fail(r.error());
    }
    if (const auto* redirect = action.child("redirect", ns::pubsub_owner)) {
        r->event.child("delete", ns::pubsub_event)
            ->add_child("redirect", std::string(ns::pubsub_event))
            .set_attr("uri", redirect->attr("uri"));
    }
    IqOutcome out = ok();
    out.events.push_back(std::move(*r));
    return out;
}

IqOutcome purge(Engine& e, std::string_view service, const Jid& from, const xml::Element&,
                const xml::Element& action)
{
    auto r = e.purge(service, action.attr("node"), from);
    if (!r) {
        return fail(r.error());
    }
    IqOutcome out = ok();
    out.events.push_back(std::move(*r));
    return out;
}

/// The owner's view of a node's subscriptions or affiliations (XEP-0060 §8.8.1, §8.9.1).
IqOutcome owner_list(const Result<std::vector<storage::PubsubJidValue>, StanzaError>& rows,
                     std::string_view node, std::string_view list, std::string_view entry)
{
    if (!rows) {
        return fail(rows.error());
    }
    auto reply = pubsub_reply(ns::pubsub_owner);
    auto& out = reply.add_child(std::string(list), std::string(ns::pubsub_owner));
    out.set_attr("node", node);
    for (const auto& row : *rows) {
        out.add_child(std::string(entry), std::string(ns::pubsub_owner))
            .set_attr("jid", row.jid)
            .set_attr(entry, row.value);
    }
    return ok(std::move(reply));
}

IqOutcome owner_subscriptions(Engine& e, std::string_view service, const Jid& from,
                              const xml::Element&, const xml::Element& action)
{
    const auto node = action.attr("node");
    return owner_list(e.node_subscriptions(service, node, from), node, "subscriptions",
                      "subscription");
}

IqOutcome set_owner_subscriptions(Engine& e, std::string_view service, const Jid& from,
                                  const xml::Element&, const xml::Element& action)
{
    for (const auto& c : action.nodes()) {
        if (c.is("subscription", ns::pubsub_owner)) {
            auto r = e.set_node_subscription(service, action.attr("node"), from, c.attr("jid"),
                                             c.attr("subscription"));
            if (!r) {
                return fail(r.error());
            }
        }
    }
    return ok();
}

IqOutcome owner_affiliations(Engine& e, std::string_view service, const Jid& from,
                             const xml::Element&, const xml::Element& action)
{
    const auto node = action.attr("node");
    return owner_list(e.node_affiliations(service, node, from), node, "affiliations",
                      "affiliation");
}

IqOutcome set_owner_affiliations(Engine& e, std::string_view service, const Jid& from,
                                 const xml::Element&, const xml::Element& action)
{
    for (const auto& c : action.nodes()) {
        if (c.is("affiliation", ns::pubsub_owner)) {
            auto a = parse_affiliation(c.attr("affiliation"));
            if (!a) {
                return fail(StanzaError::bad_request("Unknown affiliation"));
            }
            auto r = e.set_node_affiliation(service, action.attr("node"), from, c.attr("jid"), *a);
            if (!r) {
                return fail(r.error());
            }
        }
    }
    return ok();
}

struct Route {
    bool owner_ns;
    bool is_set;
    std::string_view element;
    Action action;
};

constexpr Route routes[] = {
    {false, true, "publish", publish},
    {false, true, "retract", retract},
    {false, true, "create", create},
    {false, true, "subscribe", subscribe},
    {false, true, "unsubscribe", unsubscribe},
    {false, true, "options", subscription_options},
    {false, false, "items", items},
    {false, false, "subscriptions", subscriptions},
    {false, false, "affiliations", affiliations},
    {false, false, "default", default_config},
    {false, false, "options", subscription_options},
    {true, false, "configure", get_configure},
    {true, false, "default", default_config},
    {true, false, "subscriptions", owner_subscriptions},
    {true, false, "affiliations", owner_affiliations},
    {true, true, "configure", set_configure},
    {true, true, "delete", remove},
    {true, true, "purge", purge},
    {true, true, "subscriptions", set_owner_subscriptions},
    {true, true, "affiliations", set_owner_affiliations},
};

}  // namespace

IqOutcome handle_pubsub_iq(Engine& engine, std::string_view service, const Jid& requester,
                           const xml::Element& payload, bool is_set)
{
    const bool owner_ns = payload.ns() == ns::pubsub_owner;
    const auto* action = payload.first_element();
    if (!action) {
        return fail(StanzaError::bad_request("The request names no action"));
    }
    for (const auto& r : routes) {
        if (r.owner_ns == owner_ns && r.is_set == is_set && r.element == action->name() &&
            action->ns() == payload.ns()) {
            return r.action(engine, service, requester, payload, *action);
        }
    }
    return fail(StanzaError::feature_not_implemented("This pubsub request is not supported"));
}

}  // namespace chorus::modules::pubsub
