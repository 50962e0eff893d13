// Which JIDs a block list item covers (XEP-0191 "JID Matching": the rules of XEP-0016 §2.1).
#pragma once

#include <span>

#include "jid/jid.h"

namespace chorus::modules::blocking {

/// True when a block list item covers the entity `other`. XEP-0016 §2.1: a full JID item
/// matches that JID only; a bare JID item matches the bare JID and every resource of it;
/// a domain/resource item matches that JID only; a domain item matches the domain itself
/// and every JID at it (users, their resources, and domain/resource JIDs).
inline bool item_matches(const Jid& item, const Jid& other) noexcept
{
    if (item.domain() != other.domain()) {
        return false;
    }
    if (item.node().empty() && item.resource().empty()) {
        return true;  // <domain>
    }
    if (item.node() != other.node()) {
        return false;
    }
    return item.resource().empty() || item.resource() == other.resource();
}

/// True when any item of the list covers `other`.
inline bool is_blocked(std::span<const Jid> items, const Jid& other) noexcept
{
    for (const auto& item : items) {
        if (item_matches(item, other)) {
            return true;
        }
    }
    return false;
}

}  // namespace chorus::modules::blocking
