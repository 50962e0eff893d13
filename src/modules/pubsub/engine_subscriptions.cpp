// The publish-subscribe engine: subscriptions (XEP-0060 §6.1, §6.2, §5.6, §8.8) and
// affiliations (§5.7, §8.9), and what disco#items shows.
#include <spdlog/spdlog.h>

#include "modules/pubsub/engine.h"

namespace chorus::modules::pubsub {
namespace {

StanzaError storage_failed(const storage::StorageError& e)
{
    spdlog::error("pubsub: storage: {}", e.message);
    return StanzaError::internal_server_error();
}

}  // namespace

std::vector<std::string> Engine::allowed_subscribers(std::string_view service,
                                                     std::string_view node,
                                                     const NodeConfig& config)
{
    std::vector<std::string> out;
    if (!config.deliver_notifications) {
        return out;
    }
    auto subs = store_.subscriptions(service, node);
    if (!subs) {
        spdlog::error("pubsub: reading subscribers of {} {}: {}", service, node,
                      subs.error().message);
        return out;
    }
    for (const auto& s : *subs) {
        auto jid = Jid::parse(s.jid);
        // The access model is checked on every notification: a contact who lost its
        // presence subscription stops getting a presence node's items (XEP-0060 §4.1.1).
        if (s.value == "subscribed" && jid && may_read(service, node, config, *jid)) {
            out.push_back(s.jid);
        }
    }
    return out;
}

Result<NodeConfig, StanzaError> Engine::subscribe(std::string_view service, std::string_view node,
                                                  const Jid& requester, const Jid& jid)
{
    if (node.empty()) {  // §6.1.3.3 (no collections here)
        return unexpected(pubsub_error(
            StanzaError::feature_not_implemented("Subscribing to the root is not supported"),
            "subscribe"));
    }
    if (jid.bare_view() != requester.bare_view()) {  // §6.1.3.1
        return unexpected(
            pubsub_error(StanzaError::bad_request("You subscribe yourself only"), "invalid-jid"));
    }
    auto config = existing(service, node);
    if (!config) {
        return unexpected(config.error());
    }
    if (auto denied = access_error(service, node, *config, requester)) {
        return unexpected(*denied);
    }
    if (auto r = store_.set_subscription(service, node, jid.str(), "subscribed"); !r) {
        return unexpected(storage_failed(r.error()));
    }
    return *config;
}

Result<void, StanzaError> Engine::unsubscribe(std::string_view service, std::string_view node,
                                              const Jid& requester, const Jid& jid)
{
    if (jid.bare_view() != requester.bare_view()) {  // §6.2.3.3
        return unexpected(
            pubsub_error(StanzaError::bad_request("You unsubscribe yourself only"), "invalid-jid"));
    }
    if (auto config = existing(service, node); !config) {
        return unexpected(config.error());
    }
    auto subs = store_.subscriptions(service, node);
    if (!subs) {
        return unexpected(storage_failed(subs.error()));
    }
    const bool found =
        std::any_of(subs->begin(), subs->end(), [&](const auto& s) { return s.jid == jid.str(); });
    if (!found) {  // §6.2.3.2
        return unexpected(pubsub_error(
            StanzaError::unexpected_request("Not subscribed").with_type(ErrorType::cancel),
            "not-subscribed"));
    }
    if (auto r = store_.set_subscription(service, node, jid.str(), "none"); !r) {
        return unexpected(storage_failed(r.error()));
    }
    return {};
}

Result<std::vector<std::pair<std::string, std::string>>, StanzaError> Engine::own_subscriptions(
    std::string_view service, std::string_view node, const Jid& requester)
{
    std::vector<std::string> names;
    if (!node.empty()) {
        if (auto config = existing(service, node); !config) {
            return unexpected(config.error());
        }
        names.emplace_back(node);
    } else {
        auto nodes = store_.nodes(service);
        if (!nodes) {
            return unexpected(storage_failed(nodes.error()));
        }
        for (const auto& n : *nodes) {
            names.push_back(n.node);
        }
    }
    std::vector<std::pair<std::string, std::string>> out;  // (node, subscribed JID)
    for (const auto& n : names) {
        auto subs = store_.subscriptions(service, n);
        if (!subs) {
            return unexpected(storage_failed(subs.error()));
        }
        for (const auto& s : *subs) {
            auto jid = Jid::parse(s.jid);
            if (jid && jid->bare_view() == requester.bare_view()) {
                out.emplace_back(n, s.jid);
            }
        }
    }
    return out;
}

Result<std::vector<std::pair<std::string, Affiliation>>, StanzaError> Engine::own_affiliations(
    std::string_view service, std::string_view node, const Jid& requester)
{
    auto nodes = store_.nodes(service);
    if (!nodes) {
        return unexpected(storage_failed(nodes.error()));
    }
    std::vector<std::pair<std::string, Affiliation>> out;
    for (const auto& n : *nodes) {
        if (!node.empty() && n.node != node) {
            continue;
        }
        const auto a = affiliation_of(service, n.node, requester);
        if (a != Affiliation::none) {
            out.emplace_back(n.node, a);
        }
    }
    return out;
}

Result<std::vector<storage::PubsubJidValue>, StanzaError> Engine::node_subscriptions(
    std::string_view service, std::string_view node, const Jid& requester)
{
    if (auto config = configuration(service, node, requester); !config) {
        return unexpected(config.error());
    }
    auto subs = store_.subscriptions(service, node);
    if (!subs) {
        return unexpected(storage_failed(subs.error()));
    }
    return std::move(*subs);
}

Result<void, StanzaError> Engine::set_node_subscription(std::string_view service,
                                                        std::string_view node, const Jid& requester,
                                                        std::string_view jid,
                                                        std::string_view state)
{
    if (auto config = configuration(service, node, requester); !config) {
        return unexpected(config.error());
    }
    if (state != "none" && state != "subscribed") {  // no pending/unconfigured here
        return unexpected(StanzaError::not_acceptable("Unsupported subscription state"));
    }
    auto parsed = Jid::parse(jid);
    if (!parsed) {
        return unexpected(StanzaError::jid_malformed());
    }
    if (auto r = store_.set_subscription(service, node, parsed->str(), state); !r) {
        return unexpected(storage_failed(r.error()));
    }
    return {};
}

Result<std::vector<storage::PubsubJidValue>, StanzaError> Engine::node_affiliations(
    std::string_view service, std::string_view node, const Jid& requester)
{
    if (auto config = configuration(service, node, requester); !config) {
        return unexpected(config.error());
    }
    auto affs = store_.affiliations(service, node);
    if (!affs) {
        return unexpected(storage_failed(affs.error()));
    }
    if (rules_.pep) {  // the account owns its nodes without a stored row
        affs->insert(affs->begin(), storage::PubsubJidValue{std::string(service), "owner"});
    }
    return std::move(*affs);
}

Result<void, StanzaError> Engine::set_node_affiliation(std::string_view service,
                                                       std::string_view node, const Jid& requester,
                                                       std::string_view jid, Affiliation a)
{
    if (auto config = configuration(service, node, requester); !config) {
        return unexpected(config.error());
    }
    auto parsed = Jid::parse(jid);
    if (!parsed) {
        return unexpected(StanzaError::jid_malformed());
    }
    // §8.9.2.4: an owner cannot drop the last owner; in PEP the account stays owner.
    if (parsed->bare_view() == requester.bare_view() && a != Affiliation::owner) {
        return unexpected(
            StanzaError::not_acceptable("The owner cannot change its own affiliation"));
    }
    if (rules_.pep && a == Affiliation::owner) {
        return unexpected(StanzaError::not_acceptable("A PEP node has one owner: its account"));
    }
    if (auto r = store_.set_affiliation(service, node, parsed->bare_str(), affiliation_name(a));
        !r) {
        return unexpected(storage_failed(r.error()));
    }
    return {};
}

std::vector<std::pair<std::string, NodeConfig>> Engine::visible_nodes(std::string_view service,
                                                                      const Jid& requester)
{
    std::vector<std::pair<std::string, NodeConfig>> out;
    auto nodes = store_.nodes(service);
    if (!nodes) {
        spdlog::error("pubsub: listing nodes of {}: {}", service, nodes.error().message);
        return out;
    }
    for (const auto& n : *nodes) {
        auto config = parse_config(n.config);
        if (may_read(service, n.node, config, requester)) {
            out.emplace_back(n.node, std::move(config));
        }
    }
    return out;
}

}  // namespace chorus::modules::pubsub
