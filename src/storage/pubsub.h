// Publish-subscribe storage (XEP-0060): nodes with their configuration, items, affiliations
// and subscriptions, per service (an account's bare JID for PEP, or pubsub.<domain>); and
// XEP-0049 private XML, one element per (owner, namespace).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/storage_error.h"

namespace chorus::storage {

/// One stored item: id unique in its node, the publisher's JID, when (microseconds since the
/// epoch) and the payload serialized with its namespace declared.
struct PubsubItem {
    std::string id;
    std::string publisher;
    std::int64_t stamp_us = 0;
    std::string payload;
};

/// A node: its name and its configuration, serialized by the engine (opaque here).
struct PubsubNodeRow {
    std::string node;
    std::string config;
};

/// A (JID, value) pair of a node: an affiliation ("owner", "publisher", "member", "outcast",
/// ...) or a subscription state ("subscribed", ...).
struct PubsubJidValue {
    std::string jid;
    std::string value;
};

class PubSub {
public:
    virtual ~PubSub() = default;
    /// The node's configuration; nullopt when the node does not exist.
    virtual Result<std::optional<std::string>, StorageError> node_config(std::string_view service,
                                                                         std::string_view node) = 0;
    /// Every node of a service, by name.
    virtual Result<std::vector<PubsubNodeRow>, StorageError> nodes(std::string_view service) = 0;
    /// Creates a node; Code::exists when it is already there.
    virtual Result<void, StorageError> create_node(std::string_view service, std::string_view node,
                                                   std::string_view config) = 0;
    virtual Result<void, StorageError> set_node_config(std::string_view service,
                                                       std::string_view node,
                                                       std::string_view config) = 0;
    /// Deletes the node with its items, affiliations and subscriptions.
    virtual Result<void, StorageError> delete_node(std::string_view service,
                                                   std::string_view node) = 0;

    /// Up to `max` items (0: all), newest first.
    virtual Result<std::vector<PubsubItem>, StorageError> items(std::string_view service,
                                                                std::string_view node,
                                                                std::size_t max) = 0;
    virtual Result<std::optional<PubsubItem>, StorageError> item(std::string_view service,
                                                                 std::string_view node,
                                                                 std::string_view id) = 0;
    /// Stores the item as the node's newest (replacing one with the same id), then keeps
    /// only the newest `keep` items (0: all), in one transaction.
    virtual Result<void, StorageError> publish(std::string_view service, std::string_view node,
                                               const PubsubItem& item, std::size_t keep) = 0;
    /// Deletes one item; false when there was none with that id.
    virtual Result<bool, StorageError> retract(std::string_view service, std::string_view node,
                                               std::string_view id) = 0;
    /// Keeps only the newest `keep` items (keep >= 1).
    virtual Result<void, StorageError> trim(std::string_view service, std::string_view node,
                                            std::size_t keep) = 0;
    virtual Result<void, StorageError> purge(std::string_view service, std::string_view node) = 0;

    virtual Result<std::vector<PubsubJidValue>, StorageError> affiliations(
        std::string_view service, std::string_view node) = 0;
    /// Sets a JID's affiliation; "none" removes it.
    virtual Result<void, StorageError> set_affiliation(std::string_view service,
                                                       std::string_view node, std::string_view jid,
                                                       std::string_view affiliation) = 0;
    virtual Result<std::vector<PubsubJidValue>, StorageError> subscriptions(
        std::string_view service, std::string_view node) = 0;
    /// Sets a JID's subscription state; "none" removes it.
    virtual Result<void, StorageError> set_subscription(std::string_view service,
                                                        std::string_view node, std::string_view jid,
                                                        std::string_view state) = 0;
    /// Every node and item of a service (its account is deleted).
    virtual Result<void, StorageError> delete_service(std::string_view service) = 0;
};

/// XEP-0049 private XML storage: one element per owner and namespace.
class PrivateXml {
public:
    virtual ~PrivateXml() = default;
    /// The stored element (serialized, namespace declared); nullopt when none.
    virtual Result<std::optional<std::string>, StorageError> get(std::string_view owner,
                                                                 std::string_view ns) = 0;
    virtual Result<void, StorageError> put(std::string_view owner, std::string_view ns,
                                           std::string_view element) = 0;
};

}  // namespace chorus::storage
