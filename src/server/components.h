// Components: services of this server on their own domains (MUC on conference.<domain>,
// pubsub on pubsub.<domain>, upload on upload.<domain>). The router hands them every
// stanza addressed to their domain, as it would hand a remote domain's stanzas to s2s, so
// an external component (XEP-0114) or another cluster node can later take one over.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace chorus {

struct Component {
    /// XEP-0030 identity, shown in the server's disco#items and the component's disco#info.
    std::string category;  // "conference", "pubsub", "store"
    std::string type;      // "text", "service", "file"
    std::string name;      // "Chorus group chats"
    /// Takes one stanza for the domain or a JID at it, 'from' already stamped and checked.
    /// Answers go back through Router::route(). Returns the archive entry the stanza's
    /// outcome waits for (0: none), so XEP-0198 acks a local sender's message only once
    /// the service stored it (router::CommitGate).
    std::function<std::int64_t(xml::Element stanza)> handle;
};

class Components {
public:
    /// False when the domain is already served.
    bool add(std::string domain, Component component)
    {
        return by_domain_.emplace(std::move(domain), std::move(component)).second;
    }
    void remove(std::string_view domain)
    {
        if (auto it = by_domain_.find(domain); it != by_domain_.end()) {
            by_domain_.erase(it);
        }
    }
    const Component* find(std::string_view domain) const
    {
        auto it = by_domain_.find(domain);
        return it == by_domain_.end() ? nullptr : &it->second;
    }
    /// Domain -> component, in domain order (disco#items lists them so).
    const std::map<std::string, Component, std::less<>>& all() const noexcept { return by_domain_; }

private:
    std::map<std::string, Component, std::less<>> by_domain_;
};

}  // namespace chorus
