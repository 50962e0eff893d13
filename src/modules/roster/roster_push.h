// Roster pushes (RFC 6121 §2.1.6) and the stanzas a roster change sends to a contact
// (§3.2.2, §3.3.3). Shared by the roster and presence modules, which never call each other:
// these helpers are the one place both write a roster item and tell the user's resources.
#pragma once

#include <cstdint>
#include <string_view>

#include "jid/jid.h"
#include "modules/roster/subscription_rules.h"
#include "storage/roster.h"
#include "xml/element.h"

namespace chorus {
class Server;
}

namespace chorus::modules::roster {

/// Sends <iq type='set'><query ver=version>item</query></iq> to every interested resource of
/// owner (those that requested the roster, §2.2).
void push(Server& server, std::string_view owner, const xml::Element& item, std::uint64_t version);

/// Stores item after a subscription change and pushes it when `notify` is set and the user
/// sees the item (not request_only). A request-only row left with no state at all is deleted
/// instead (`existed`: the row is in storage). False on a storage failure (logged).
bool save(Server& server, storage::Roster& store, std::string_view owner,
          const storage::RosterItem& item, bool existed, bool notify);

/// <presence type='subscribe'|...  from=from to=to id=../>, a subscription stanza the server
/// sends on the user's behalf (from the bare JID, §3.1.2).
xml::Element subscription_stanza(Server& server, SubType type, const Jid& from, const Jid& to);

/// Unavailable presence from each available resource of account `owner` to `contact`, who
/// lost its subscription to owner's presence (§3.2.2, §3.3.3).
void send_unavailable(Server& server, const Jid& owner, const Jid& contact);

}  // namespace chorus::modules::roster
