// Roster XML (RFC 6121 §2.1): item elements and roster set validation (§2.3.3, §2.5).
#include "modules/roster/roster_xml.h"

#include <algorithm>

#include "stanza/namespaces.h"

namespace chorus::modules::roster {
namespace {

std::string_view subscription_name(storage::Subscription s) noexcept
{
    switch (s) {
        case storage::Subscription::to:
            return "to";
        case storage::Subscription::from:
            return "from";
        case storage::Subscription::both:
            return "both";
        case storage::Subscription::remove:
            return "remove";
        case storage::Subscription::none:
            break;
    }
    return "none";
}

}  // namespace

xml::Element item_element(const storage::RosterItem& item)
{
    xml::Element e("item", std::string(ns::roster));
    e.set_attr("jid", item.contact);
    if (!item.name.empty()) {
        e.set_attr("name", item.name);
    }
    e.set_attr("subscription", subscription_name(item.subscription));
    if (item.ask_out) {
        e.set_attr("ask", "subscribe");
    }
    if (item.approved) {  // §2.1.2.1: only when true
        e.set_attr("approved", "true");
    }
    for (const auto& g : item.groups) {
        e.add_child("group", std::string(ns::roster)).add_text(g);
    }
    return e;
}

xml::Element removed_item_element(std::string_view contact)
{
    xml::Element e("item", std::string(ns::roster));
    e.set_attr("jid", contact);
    e.set_attr("subscription", "remove");
    return e;
}

std::string version_string(std::uint64_t version)
{
    return std::to_string(version);
}

xml::Element push_query(xml::Element item, std::uint64_t version)
{
    xml::Element q("query", std::string(ns::roster));
    q.set_attr("ver", version_string(version));
    q.add_child(std::move(item));
    return q;
}

Result<RosterSet, StanzaError> parse_roster_set(const xml::Element& query)
{
    const xml::Element* item = nullptr;
    for (const auto& c : query.nodes()) {
        if (c.is("item", ns::roster)) {
            if (item) {
                return unexpected(StanzaError::bad_request("A roster set holds exactly one item"));
            }
            item = &c;
        }
    }
    if (!item) {
        return unexpected(StanzaError::bad_request("A roster set holds exactly one item"));
    }
    if (!item->has_attr("jid")) {
        return unexpected(StanzaError::bad_request("A roster item needs a 'jid'"));
    }
    auto jid = Jid::parse(item->attr("jid"));
    if (!jid) {
        return unexpected(StanzaError::jid_malformed("The item's 'jid' is not a valid JID"));
    }
    if (jid->is_full()) {
        return unexpected(StanzaError::bad_request("A roster item is a bare JID"));
    }
    RosterSet out;
    out.contact = std::move(*jid);
    const auto sub = item->attr("subscription");
    if (sub == "remove") {
        out.remove = true;
        return out;  // §2.5.1: nothing else of the item matters
    }
    // §2.1.5: the server ignores any other subscription value a client sends (clients such
    // as slixmpp echo the item's current state); a value outside the schema is refused.
    if (!sub.empty() && sub != "none" && sub != "to" && sub != "from" && sub != "both") {
        return unexpected(StanzaError::bad_request("Unknown subscription value"));
    }
    out.name = std::string(item->attr("name"));
    if (out.name.size() > max_name_bytes) {
        return unexpected(StanzaError::not_acceptable("The item's name is too long"));
    }
    for (const auto& c : item->nodes()) {
        if (!c.is("group", ns::roster)) {
            continue;
        }
        auto group = c.text();
        if (group.empty()) {  // §2.3.3: an empty group name is not-acceptable
            return unexpected(StanzaError::not_acceptable("A group name cannot be empty"));
        }
        if (group.size() > max_group_bytes) {
            return unexpected(StanzaError::not_acceptable("A group name is too long"));
        }
        if (std::find(out.groups.begin(), out.groups.end(), group) != out.groups.end()) {
            return unexpected(StanzaError::bad_request("The item names a group twice"));
        }
        if (out.groups.size() == max_groups) {
            return unexpected(StanzaError::not_acceptable("The item is in too many groups"));
        }
        out.groups.push_back(std::move(group));
    }
    return out;
}

}  // namespace chorus::modules::roster
