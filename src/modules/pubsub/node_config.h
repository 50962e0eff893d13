// XEP-0060 §16.4 node configuration: the pubsub#node_config fields Chorus keeps, their data
// form (§8.2), submitted forms and publish-options preconditions (§7.1.5).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stanza/stanza_error.h"
#include "xml/element.h"

namespace chorus::modules::pubsub {

enum class AccessModel { open, presence, roster, whitelist };
enum class PublishModel { publishers, subscribers, open };
enum class SendLast { never, on_sub, on_sub_and_presence };

/// What bounds nodes and items (configurable: [pubsub]).
struct Limits {
    std::size_t max_items = 256;  // per node: what pubsub#max_items 'max' means
    std::size_t max_nodes = 256;  // per service (account)
    std::size_t max_item_bytes = 128 * 1024;
};

struct NodeConfig {
    std::size_t max_items = 1;  // 0 never; `max_is_max` says 'max' was asked for
    bool max_is_max = false;
    AccessModel access_model = AccessModel::presence;
    PublishModel publish_model = PublishModel::publishers;
    bool persist_items = true;
    bool deliver_payloads = true;
    bool deliver_notifications = true;
    bool notify_retract = true;
    bool notify_delete = true;
    bool notify_config = false;
    SendLast send_last = SendLast::on_sub_and_presence;
    std::vector<std::string> roster_groups_allowed;
    std::string title;
    std::string type;

    /// Items the node keeps, with 'max' resolved against the limits.
    std::size_t item_limit(const Limits& limits) const noexcept
    {
        return max_is_max ? limits.max_items : max_items;
    }
    bool operator==(const NodeConfig&) const = default;
};

std::string_view access_model_name(AccessModel m) noexcept;

/// "var=value" lines (values escaped), for storage; parse_config reads them back and
/// keeps defaults for anything missing or unknown, so old rows survive new fields.
std::string serialize_config(const NodeConfig& config);
NodeConfig parse_config(std::string_view text);

/// The node_config form (type 'form') showing config.
xml::Element config_form(const NodeConfig& config, const Limits& limits);
/// Applies a submitted form (type 'submit') to config; not-acceptable names a bad value.
/// Unknown fields are ignored (XEP-0060 §8.2.5 lets a service ignore what it lacks).
std::optional<StanzaError> apply_form(const xml::Element& form, NodeConfig& config,
                                      const Limits& limits);
/// XEP-0060 §7.1.5: true when every known field of the publish-options form matches config.
bool preconditions_hold(const xml::Element& form, const NodeConfig& config, const Limits& limits);

}  // namespace chorus::modules::pubsub
