// The publish-subscribe engine (XEP-0060) behind both faces: PEP on each account's bare JID
// (XEP-0163) and the pubsub.<domain> service. It checks affiliations and access models,
// keeps items through storage::PubSub and says which events to send; the face delivers them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "jid/jid.h"
#include "modules/pubsub/node_config.h"
#include "stanza/stanza_error.h"
#include "storage/pubsub.h"
#include "xml/element.h"

namespace chorus::modules::pubsub {

enum class Affiliation { none, outcast, member, publisher, owner };
std::string_view affiliation_name(Affiliation a) noexcept;
std::optional<Affiliation> parse_affiliation(std::string_view name) noexcept;

/// How a requester stands with a PEP service's account (its roster), for access models.
struct Relation {
    bool presence_subscribed = false;  // the account's roster: subscription 'from' or 'both'
    bool in_roster = false;
    std::vector<std::string> groups;
};

/// What differs between the two faces.
struct ServiceRules {
    /// PEP: the account itself owns every node of its service (XEP-0163 §1).
    bool pep = false;
    /// The requester's standing with the service's account (PEP); nobody's for a component.
    std::function<Relation(std::string_view service, const Jid& requester)> relation;
    /// Whether the requester may create nodes (generic service: local users).
    std::function<bool(const Jid& requester)> may_create;
    /// A new node's access model: 'presence' for PEP (XEP-0163 §4.4), 'open' for a
    /// generic service (XEP-0060 §4.5).
    AccessModel default_access = AccessModel::presence;
};

/// A notification the face sends (XEP-0060 §7.1.2, §7.2.2, §8.4, §8.5, §8.2.5).
struct Event {
    std::string node;
    NodeConfig config;
    xml::Element event;  // <event xmlns='...#event'>
    /// Explicit subscribers (JIDs as subscribed), already checked against the access model.
    std::vector<std::string> subscribers;
};

/// A stored item with its payload parsed, as the engine hands it out.
struct Item {
    std::string id;
    std::string publisher;
    xml::Element payload;
};

class Engine {
public:
    Engine(storage::PubSub& store, const Clock& clock, Limits limits, ServiceRules rules);

    const Limits& limits() const noexcept { return limits_; }
    /// The configuration a new node starts from.
    NodeConfig default_config() const
    {
        NodeConfig c;
        c.access_model = rules_.default_access;
        return c;
    }
    /// XEP-0060 §7.1: publishes one item (id generated when empty), creating the node with
    /// publish-options (or defaults) when missing; returns the item id and its event.
    Result<std::pair<std::string, Event>, StanzaError> publish(std::string_view service,
                                                               std::string_view node,
                                                               const Jid& requester, std::string id,
                                                               const xml::Element* payload,
                                                               const xml::Element* publish_options);
    /// §7.2: returns the retract event when notify (or, without it, the node's notify_retract).
    Result<std::optional<Event>, StanzaError> retract(std::string_view service,
                                                      std::string_view node, const Jid& requester,
                                                      std::string_view id,
                                                      std::optional<bool> notify);
    /// §6.5: newest first; ids: only those (missing ones skipped); max: at most that many.
    Result<std::vector<Item>, StanzaError> items(std::string_view service, std::string_view node,
                                                 const Jid& requester,
                                                 const std::vector<std::string>& ids,
                                                 std::size_t max);
    /// §8.1: returns the node's name (generated for an instant node).
    Result<std::string, StanzaError> create(std::string_view service, std::string node,
                                            const Jid& requester, const xml::Element* config_form);
    Result<Event, StanzaError> remove(std::string_view service, std::string_view node,
                                      const Jid& requester);
    Result<Event, StanzaError> purge(std::string_view service, std::string_view node,
                                     const Jid& requester);
    Result<NodeConfig, StanzaError> configuration(std::string_view service, std::string_view node,
                                                  const Jid& requester);
    /// §8.2.4: returns the configuration event when notify_config is set.
    Result<std::optional<Event>, StanzaError> configure(std::string_view service,
                                                        std::string_view node, const Jid& requester,
                                                        const xml::Element& form);
    /// §6.1: subscribes `jid` (bare or full, of the requester); returns the node's config.
    Result<NodeConfig, StanzaError> subscribe(std::string_view service, std::string_view node,
                                              const Jid& requester, const Jid& jid);
    Result<void, StanzaError> unsubscribe(std::string_view service, std::string_view node,
                                          const Jid& requester, const Jid& jid);
    /// §5.6, §5.7: the requester's subscriptions/affiliations, of one node or all.
    Result<std::vector<std::pair<std::string, std::string>>, StanzaError> own_subscriptions(
        std::string_view service, std::string_view node, const Jid& requester);
    Result<std::vector<std::pair<std::string, Affiliation>>, StanzaError> own_affiliations(
        std::string_view service, std::string_view node, const Jid& requester);
    /// §8.8, §8.9: owner views and changes (value "none" removes).
    Result<std::vector<storage::PubsubJidValue>, StanzaError> node_subscriptions(
        std::string_view service, std::string_view node, const Jid& requester);
    Result<void, StanzaError> set_node_subscription(std::string_view service, std::string_view node,
                                                    const Jid& requester, std::string_view jid,
                                                    std::string_view state);
    Result<std::vector<storage::PubsubJidValue>, StanzaError> node_affiliations(
        std::string_view service, std::string_view node, const Jid& requester);
    Result<void, StanzaError> set_node_affiliation(std::string_view service, std::string_view node,
                                                   const Jid& requester, std::string_view jid,
                                                   Affiliation a);

    /// The nodes a requester may see (disco#items), with their configuration.
    std::vector<std::pair<std::string, NodeConfig>> visible_nodes(std::string_view service,
                                                                  const Jid& requester);
    /// The node's configuration, or nullopt when it does not exist (or storage failed).
    std::optional<NodeConfig> node_config(std::string_view service, std::string_view node);
    /// Whether requester may receive the node's items (access model, affiliation).
    bool may_read(std::string_view service, std::string_view node, const NodeConfig& config,
                  const Jid& requester);
    /// The newest item, for last-published delivery; nullopt when none.
    std::optional<Item> last_item(std::string_view service, std::string_view node);
    /// The event for items (already published) as a notification would carry them.
    static xml::Element items_event(std::string_view node, const std::vector<Item>& items,
                                    bool with_payload);

private:
    Result<NodeConfig, StanzaError> existing(std::string_view service, std::string_view node);
    Affiliation affiliation_of(std::string_view service, std::string_view node,
                               const Jid& requester);
    std::optional<StanzaError> access_error(std::string_view service, std::string_view node,
                                            const NodeConfig& config, const Jid& requester);
    Result<void, StanzaError> create_with(std::string_view service, std::string_view node,
                                          const NodeConfig& config, const Jid& owner);
    /// Explicit subscribers still allowed to read the node.
    std::vector<std::string> allowed_subscribers(std::string_view service, std::string_view node,
                                                 const NodeConfig& config);
    Result<std::vector<storage::PubsubItem>, StanzaError> stored_items(std::string_view service,
                                                                       std::string_view node,
                                                                       const NodeConfig& config,
                                                                       std::size_t max);
    std::string new_id();

    storage::PubSub& store_;
    const Clock& clock_;
    Limits limits_;
    ServiceRules rules_;
    /// pubsub#persist_items=false: the newest items in memory only, per (service, node).
    std::map<std::pair<std::string, std::string>, std::vector<storage::PubsubItem>> volatile_;
    std::uint64_t id_counter_ = 0;
};

/// The XEP-0060 §7–8 error with its application condition in pubsub#errors.
StanzaError pubsub_error(StanzaError base, std::string_view app_condition);

}  // namespace chorus::modules::pubsub
