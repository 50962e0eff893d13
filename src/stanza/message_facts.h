// Facts about a message the routing rules need (ROUTING.md "Terms", XEP-0280 §6, XEP-0334).
#pragma once

#include "xml/element.h"

namespace chorus {

/// Everything the router asks of a message, found in one pass over its children.
struct MessageFacts {
    bool marker = false;            // <im-ng xmlns='urn:xmpp:im-ng:0'/> (XEP-0409)
    bool muc_user = false;          // a MUC private message
    bool transient = true;          // nothing to keep but chat states and hints
    bool no_store = false;          // XEP-0334 <no-store/> or <no-permanent-store/>
    bool carbons_eligible = false;  // XEP-0280 §6, opt-outs applied
    bool has_stanza_id = false;     // some <stanza-id/> (ours get stripped)
};
MessageFacts scan_message(const xml::Element& message) noexcept;

/// <im-ng xmlns='urn:xmpp:im-ng:0'/> (XEP-0409).
bool has_imng_marker(const xml::Element& message) noexcept;
/// Carries <x xmlns='http://jabber.org/protocol/muc#user'/> (a MUC private message).
bool has_muc_user(const xml::Element& message) noexcept;
/// Nothing to keep: only chat states (XEP-0085), hints, thread or origin-id.
bool is_transient(const xml::Element& message) noexcept;
/// XEP-0280 §6: eligible for Carbons and not opted out with <private/> or <no-copy/>.
bool is_carbons_eligible(const xml::Element& message) noexcept;
/// Removes <stanza-id by='by'/> elements a client or remote entity put there (XEP-0359 §4).
void strip_stanza_ids(xml::Element& message, std::string_view by);

}  // namespace chorus
