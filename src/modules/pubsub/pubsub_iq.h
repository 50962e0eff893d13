// The XEP-0060 protocol over the engine: <pubsub/> and <pubsub xmlns='...#owner'/> requests
// parsed, answered, and the events they cause collected for the face to deliver.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jid/jid.h"
#include "modules/module.h"
#include "modules/pubsub/engine.h"
#include "xml/element.h"

namespace chorus::modules::pubsub {

/// An answer and what else must happen once it is sent.
struct IqOutcome {
    IqResult result = IqResult::empty();
    std::vector<Event> events;
    /// §6.1.7: the last item goes to a new subscriber (node, subscribed JID).
    std::optional<std::pair<std::string, Jid>> send_last;
};

/// Answers one pubsub IQ get/set for `service` (an account's bare JID or a domain).
IqOutcome handle_pubsub_iq(Engine& engine, std::string_view service, const Jid& requester,
                           const xml::Element& payload, bool is_set);

}  // namespace chorus::modules::pubsub
