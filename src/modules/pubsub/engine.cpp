// The publish-subscribe engine: nodes, items and access (XEP-0060 §6.5, §7, §8.1–8.5).
// Subscriptions and affiliations are in engine_subscriptions.cpp.
#include "modules/pubsub/engine.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::modules::pubsub {
namespace {

constexpr std::pair<Affiliation, std::string_view> affiliation_names[] = {
    {Affiliation::none, "none"},     {Affiliation::outcast, "outcast"},
    {Affiliation::member, "member"}, {Affiliation::publisher, "publisher"},
    {Affiliation::owner, "owner"},
};

StanzaError storage_failed(const storage::StorageError& e)
{
    spdlog::error("pubsub: storage: {}", e.message);
    return StanzaError::internal_server_error();
}

Item to_item(const storage::PubsubItem& stored)
{
    auto payload = parse_stanza_bytes(stored.payload);
    return Item{stored.id, stored.publisher, payload ? std::move(*payload) : xml::Element()};
}

}  // namespace

std::string_view affiliation_name(Affiliation a) noexcept
{
    for (const auto& [value, name] : affiliation_names) {
        if (value == a) {
            return name;
        }
    }
    return "none";
}

std::optional<Affiliation> parse_affiliation(std::string_view name) noexcept
{
    for (const auto& [value, n] : affiliation_names) {
        if (n == name) {
            return value;
        }
    }
    return std::nullopt;
}

StanzaError pubsub_error(StanzaError base, std::string_view app_condition)
{
    base.with_app_condition(ns::pubsub_errors, app_condition);
    return base;
}

Engine::Engine(storage::PubSub& store, const Clock& clock, Limits limits, ServiceRules rules)
    : store_(store), clock_(clock), limits_(limits), rules_(std::move(rules))
{
}

std::string Engine::new_id()
{
    // Unique per process run and across restarts: the time plus a counter.
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock_.now().time_since_epoch())
            .count();
    return fmt::format("{:x}-{:x}", us, ++id_counter_);
}

std::optional<NodeConfig> Engine::node_config(std::string_view service, std::string_view node)
{
    auto stored = store_.node_config(service, node);
    if (!stored || !*stored) {
        return std::nullopt;
    }
    return parse_config(**stored);
}

Result<NodeConfig, StanzaError> Engine::existing(std::string_view service, std::string_view node)
{
    auto stored = store_.node_config(service, node);
    if (!stored) {
        return unexpected(storage_failed(stored.error()));
    }
    if (!*stored) {
        // XEP-0060 §6.5.9.11, §7.1.3.3 ...: the node does not exist.
        return unexpected(StanzaError::item_not_found("No such node"));
    }
    return parse_config(**stored);
}

Affiliation Engine::affiliation_of(std::string_view service, std::string_view node,
                                   const Jid& requester)
{
    if (rules_.pep && requester.bare_view() == service) {
        return Affiliation::owner;
    }
    auto affs = store_.affiliations(service, node);
    if (!affs) {
        return Affiliation::none;
    }
    for (const auto& a : *affs) {
        if (a.jid == requester.bare_view()) {
            return parse_affiliation(a.value).value_or(Affiliation::none);
        }
    }
    return Affiliation::none;
}

std::optional<StanzaError> Engine::access_error(std::string_view service, std::string_view node,
                                                const NodeConfig& config, const Jid& requester)
{
    const auto aff = affiliation_of(service, node, requester);
    if (aff == Affiliation::outcast) {
        return StanzaError::forbidden("You are banned from this node");
    }
    if (aff != Affiliation::none) {
        return std::nullopt;
    }
    // XEP-0060 §6.1.3.2–6.1.3.4 (and §6.5.9 for retrieval).
    switch (config.access_model) {
        case AccessModel::open:
            return std::nullopt;
        case AccessModel::presence: {
            const bool ok =
                rules_.relation && rules_.relation(service, requester).presence_subscribed;
            return ok ? std::nullopt
                      : std::optional(pubsub_error(StanzaError::not_authorized(),
                                                   "presence-subscription-required"));
        }
        case AccessModel::roster: {
            bool ok = false;
            if (rules_.relation) {
                const auto rel = rules_.relation(service, requester);
                ok = rel.in_roster && config.roster_groups_allowed.empty();
                for (const auto& g : rel.groups) {
                    for (const auto& allowed : config.roster_groups_allowed) {
                        ok = ok || g == allowed;
                    }
                }
            }
            return ok ? std::nullopt
                      : std::optional(
                            pubsub_error(StanzaError::not_authorized(), "not-in-roster-group"));
        }
        case AccessModel::whitelist:
            return pubsub_error(StanzaError::not_allowed(), "closed-node");
    }
    return StanzaError::forbidden();
}

bool Engine::may_read(std::string_view service, std::string_view node, const NodeConfig& config,
                      const Jid& requester)
{
    return !access_error(service, node, config, requester);
}

Result<void, StanzaError> Engine::create_with(std::string_view service, std::string_view node,
                                              const NodeConfig& config, const Jid& owner)
{
    auto nodes = store_.nodes(service);
    if (!nodes) {
        return unexpected(storage_failed(nodes.error()));
    }
    if (nodes->size() >= limits_.max_nodes) {
        return unexpected(
            pubsub_error(StanzaError::not_allowed("This service has as many nodes as it may"),
                         "max-nodes-exceeded"));
    }
    auto created = store_.create_node(service, node, serialize_config(config));
    if (!created) {
        if (created.error().code == storage::StorageError::Code::exists) {
            return unexpected(StanzaError::conflict("The node exists"));
        }
        return unexpected(storage_failed(created.error()));
    }
    if (!rules_.pep) {
        if (auto r = store_.set_affiliation(service, node, owner.bare_str(), "owner"); !r) {
            return unexpected(storage_failed(r.error()));
        }
    }
    return {};
}

Result<std::pair<std::string, Event>, StanzaError> Engine::publish(
    std::string_view service, std::string_view node, const Jid& requester, std::string id,
    const xml::Element* payload, const xml::Element* publish_options)
{
    if (node.empty()) {
        return unexpected(
            pubsub_error(StanzaError::bad_request("A node is required"), "nodeid-required"));
    }
    auto stored = store_.node_config(service, node);
    if (!stored) {
        return unexpected(storage_failed(stored.error()));
    }
    NodeConfig config = default_config();
    if (*stored) {
        config = parse_config(**stored);
        // §7.1.5: publish-options are preconditions on an existing node.
        if (publish_options && !preconditions_hold(*publish_options, config, limits_)) {
            return unexpected(pubsub_error(
                StanzaError::conflict("The node's configuration differs from publish-options"),
                "precondition-not-met"));
        }
    } else {
        // §7.1.4 auto-create, configured by publish-options (XEP-0223 relies on it).
        if (!rules_.pep && !(rules_.may_create && rules_.may_create(requester))) {
            return unexpected(StanzaError::item_not_found("No such node"));
        }
        if (publish_options) {
            if (auto bad = apply_form(*publish_options, config, limits_)) {
                return unexpected(pubsub_error(
                    StanzaError::conflict("publish-options cannot configure a new node"),
                    "precondition-not-met"));
            }
        }
    }
    const auto aff = affiliation_of(service, node, requester);
    const bool may_publish =
        aff == Affiliation::owner || aff == Affiliation::publisher ||
        (config.publish_model == PublishModel::open && aff != Affiliation::outcast);
    if (!may_publish) {
        return unexpected(StanzaError::forbidden("Only the node's publishers publish"));
    }
    // §7.1.3.6: a payload is required (every node here persists or delivers payloads).
    if (!payload) {
        return unexpected(
            pubsub_error(StanzaError::bad_request("The item has no payload"), "payload-required"));
    }
    auto bytes = xml::to_string(*payload);
    if (bytes.size() > limits_.max_item_bytes) {
        return unexpected(
            pubsub_error(StanzaError::not_acceptable(
                             fmt::format("Items are limited to {} bytes", limits_.max_item_bytes)),
                         "payload-too-big"));
    }
    if (!*stored) {
        if (auto r = create_with(service, node, config, requester); !r) {
            return unexpected(r.error());
        }
    }
    if (id.empty()) {
        id = new_id();
    }
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(clock_.now().time_since_epoch())
            .count();
    storage::PubsubItem item{id, requester.bare_str(), us, std::move(bytes)};
    const auto keep = config.item_limit(limits_);
    if (config.persist_items) {
        if (auto r = store_.publish(service, node, item, keep); !r) {
            return unexpected(storage_failed(r.error()));
        }
    } else {
        auto& items = volatile_[{std::string(service), std::string(node)}];
        std::erase_if(items, [&](const auto& i) { return i.id == item.id; });
        items.insert(items.begin(), item);
        if (items.size() > keep) {
            items.resize(keep);
        }
    }
    Event event{
        std::string(node), config,
        items_event(node, {Item{id, requester.bare_str(), *payload}}, config.deliver_payloads),
        allowed_subscribers(service, node, config)};
    return std::pair{std::move(id), std::move(event)};
}

xml::Element Engine::items_event(std::string_view node, const std::vector<Item>& items,
                                 bool with_payload)
{
    xml::Element event("event", std::string(ns::pubsub_event));
    auto& list = event.add_child("items", std::string(ns::pubsub_event));
    list.set_attr("node", node);
    for (const auto& i : items) {
        auto& item = list.add_child("item", std::string(ns::pubsub_event));
        item.set_attr("id", i.id);
        if (!i.publisher.empty()) {
            item.set_attr("publisher", i.publisher);
        }
        if (with_payload && !i.payload.name().empty()) {
            item.add_child(i.payload);
        }
    }
    return event;
}

Result<std::optional<Event>, StanzaError> Engine::retract(std::string_view service,
                                                          std::string_view node,
                                                          const Jid& requester, std::string_view id,
                                                          std::optional<bool> notify)
{
    auto config = existing(service, node);
    if (!config) {
        return unexpected(config.error());
    }
    if (id.empty()) {  // §7.2.3.3
        return unexpected(pubsub_error(StanzaError::bad_request("Which item?"), "item-required"));
    }
    const auto aff = affiliation_of(service, node, requester);
    if (aff != Affiliation::owner && aff != Affiliation::publisher) {
        return unexpected(StanzaError::forbidden("Only the node's publishers retract"));
    }
    bool existed = false;
    if (config->persist_items) {
        auto r = store_.retract(service, node, id);
        if (!r) {
            return unexpected(storage_failed(r.error()));
        }
        existed = *r;
    } else {
        auto& items = volatile_[{std::string(service), std::string(node)}];
        existed = std::erase_if(items, [&](const auto& i) { return i.id == id; }) > 0;
    }
    if (!existed) {  // §7.2.3.5
        return unexpected(StanzaError::item_not_found("No such item"));
    }
    if (!notify.value_or(config->notify_retract)) {
        return std::optional<Event>();
    }
    xml::Element event("event", std::string(ns::pubsub_event));
    auto& list = event.add_child("items", std::string(ns::pubsub_event));
    list.set_attr("node", node);
    list.add_child("retract", std::string(ns::pubsub_event)).set_attr("id", id);
    return std::optional<Event>(Event{std::string(node), *config, std::move(event),
                                      allowed_subscribers(service, node, *config)});
}

Result<std::vector<storage::PubsubItem>, StanzaError> Engine::stored_items(std::string_view service,
                                                                           std::string_view node,
                                                                           const NodeConfig& config,
                                                                           std::size_t max)
{
    if (!config.persist_items) {
        auto it = volatile_.find({std::string(service), std::string(node)});
        std::vector<storage::PubsubItem> out;
        if (it != volatile_.end()) {
            out = it->second;
        }
        if (max != 0 && out.size() > max) {
            out.resize(max);
        }
        return out;
    }
    auto r = store_.items(service, node, max);
    if (!r) {
        return unexpected(storage_failed(r.error()));
    }
    return std::move(*r);
}

Result<std::vector<Item>, StanzaError> Engine::items(std::string_view service,
                                                     std::string_view node, const Jid& requester,
                                                     const std::vector<std::string>& ids,
                                                     std::size_t max)
{
    auto config = existing(service, node);
    if (!config) {
        return unexpected(config.error());
    }
    if (auto denied = access_error(service, node, *config, requester)) {
        return unexpected(*denied);
    }
    auto stored = stored_items(service, node, *config, ids.empty() ? max : 0);
    if (!stored) {
        return unexpected(stored.error());
    }
    std::vector<Item> out;
    for (const auto& s : *stored) {
        if (ids.empty() || std::find(ids.begin(), ids.end(), s.id) != ids.end()) {
            out.push_back(to_item(s));
        }
    }
    return out;
}

std::optional<Item> Engine::last_item(std::string_view service, std::string_view node)
{
    auto config = node_config(service, node);
    if (!config) {
        return std::nullopt;
    }
    auto stored = stored_items(service, node, *config, 1);
    if (!stored || stored->empty()) {
        return std::nullopt;
    }
    return to_item(stored->front());
}

Result<std::string, StanzaError> Engine::create(std::string_view service, std::string node,
                                                const Jid& requester,
                                                const xml::Element* config_form)
{
    const bool owner = rules_.pep ? requester.bare_view() == service
                                  : rules_.may_create && rules_.may_create(requester);
    if (!owner) {  // §8.1.3.1
        return unexpected(StanzaError::forbidden("You may not create nodes here"));
    }
    if (node.empty()) {  // §8.1.2 instant node
        node = new_id();
    }
    NodeConfig config = default_config();
    if (config_form) {
        if (auto bad = apply_form(*config_form, config, limits_)) {
            return unexpected(*bad);
        }
    }
    if (auto r = create_with(service, node, config, requester); !r) {
        return unexpected(r.error());
    }
    return node;
}

Result<Event, StanzaError> Engine::remove(std::string_view service, std::string_view node,
                                          const Jid& requester)
{
    auto config = existing(service, node);
    if (!config) {
        return unexpected(config.error());
    }
    if (affiliation_of(service, node, requester) != Affiliation::owner) {  // §8.4.3.1
        return unexpected(StanzaError::forbidden("Only the node's owner deletes it"));
    }
    Event event{std::string(node), *config, xml::Element("event", std::string(ns::pubsub_event)),
                config->notify_delete ? allowed_subscribers(service, node, *config)
                                      : std::vector<std::string>{}};
    event.event.add_child("delete", std::string(ns::pubsub_event)).set_attr("node", node);
    if (auto r = store_.delete_node(service, node); !r) {
        return unexpected(storage_failed(r.error()));
    }
    volatile_.erase({std::string(service), std::string(node)});
    return event;
}

Result<Event, StanzaError> Engine::purge(std::string_view service, std::string_view node,
                                         const Jid& requester)
{
    auto config = existing(service, node);
    if (!config) {
        return unexpected(config.error());
    }
    if (affiliation_of(service, node, requester) != Affiliation::owner) {  // §8.5.3.1
        return unexpected(StanzaError::forbidden("Only the node's owner purges it"));
    }
    if (auto r = store_.purge(service, node); !r) {
        return unexpected(storage_failed(r.error()));
    }
    volatile_.erase({std::string(service), std::string(node)});
    Event event{std::string(node), *config, xml::Element("event", std::string(ns::pubsub_event)),
                allowed_subscribers(service, node, *config)};
    event.event.add_child("purge", std::string(ns::pubsub_event)).set_attr("node", node);
    return event;
}

Result<NodeConfig, StanzaError> Engine::configuration(std::string_view service,
                                                      std::string_view node, const Jid& requester)
{
    auto config = existing(service, node);
    if (!config) {
        return unexpected(config.error());
    }
    if (affiliation_of(service, node, requester) != Affiliation::owner) {  // §8.2.3.2
        return unexpected(StanzaError::forbidden("Only the node's owner configures it"));
    }
    return *config;
}

Result<std::optional<Event>, StanzaError> Engine::configure(std::string_view service,
                                                            std::string_view node,
                                                            const Jid& requester,
                                                            const xml::Element& form)
{
    auto config = configuration(service, node, requester);
    if (!config) {
        return unexpected(config.error());
    }
    if (form.attr("type") == "cancel") {  // §8.2.6
        return std::optional<Event>();
    }
    const bool was_persistent = config->persist_items;
    if (auto bad = apply_form(form, *config, limits_)) {
        return unexpected(*bad);
    }
    if (auto r = store_.set_node_config(service, node, serialize_config(*config)); !r) {
        return unexpected(storage_failed(r.error()));
    }
    // A smaller max_items drops the oldest items now, not on the next publish.
    if (was_persistent && config->persist_items) {
        if (auto r = store_.trim(service, node, config->item_limit(limits_)); !r) {
            return unexpected(storage_failed(r.error()));
        }
    }
    if (!config->notify_config) {
        return std::optional<Event>();
    }
    xml::Element event("event", std::string(ns::pubsub_event));
    event.add_child("configuration", std::string(ns::pubsub_event)).set_attr("node", node);
    return std::optional<Event>(Event{std::string(node), *config, std::move(event),
                                      allowed_subscribers(service, node, *config)});
}

}  // namespace chorus::modules::pubsub
