// Roster XML (RFC 6121 §2.1): <item/> elements from stored items, and roster set parsing
// with the validation rules of §2.1.5, §2.3.3 and §2.5. Pure: no storage, no sessions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "jid/jid.h"
#include "stanza/stanza_error.h"
#include "storage/roster.h"
#include "xml/element.h"

namespace chorus::modules::roster {

/// Limits on what a client may store (RFC 6121 §2.3.3 leaves them to the server). A name or
/// group name longer than this many bytes is refused with <not-acceptable/>.
inline constexpr std::size_t max_name_bytes = 1023;
inline constexpr std::size_t max_group_bytes = 1023;
/// Groups per item, and items per roster: beyond these a set is refused (not-acceptable,
/// policy-violation), so one account cannot grow its stored roster without bound.
inline constexpr std::size_t max_groups = 64;
inline constexpr std::size_t max_items = 5000;

/// <item jid name subscription [ask] [approved]><group/>...</item> as a client sees it.
xml::Element item_element(const storage::RosterItem& item);
/// <item jid subscription='remove'/>, the push for a deleted item (§2.5.2).
xml::Element removed_item_element(std::string_view contact);
/// <query xmlns='jabber:iq:roster' ver='version'/> holding `item`: the payload of a push.
xml::Element push_query(xml::Element item, std::uint64_t version);
/// The roster version as the 'ver' attribute carries it (RFC 6121 §2.6).
std::string version_string(std::uint64_t version);

/// A validated roster set (§2.3, §2.4, §2.5).
struct RosterSet {
    Jid contact;  // bare
    bool remove = false;
    std::string name;
    std::vector<std::string> groups;
};

/// Validates the <query/> of a roster set: exactly one <item/> (bad-request); a 'jid' that is
/// a bare JID (bad-request when missing or full, jid-malformed when invalid); 'subscription'
/// is honoured only as 'remove', the four states are ignored (§2.1.5), anything else is
/// bad-request; name and group names within the limits above and no empty group name
/// (not-acceptable); no group twice (bad-request). 'ask' and 'approved' are ignored (§2.1.2).
Result<RosterSet, StanzaError> parse_roster_set(const xml::Element& query);

}  // namespace chorus::modules::roster
