// Router: carries out routing decisions (message_rules.h) for stanzas from sessions and the
// server. The rules decide; this delivers, archives and bounces.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "jid/jid.h"
#include "router/message_rules.h"
#include "router/session.h"
#include "router/session_table.h"
#include "stanza/message_facts.h"
#include "stanza/stanza_error.h"
#include "xml/element.h"

namespace chorus {

class Server;

class Router {
public:
    explicit Router(Server& server);

    /// A stanza from a bound local session: 'from' is stamped, then it is routed.
    void from_session(router::Session& sender, xml::Element stanza);
    /// A stanza from the server or a module ('from' already set), routed by 'to'.
    void route(xml::Element stanza);
    /// Answers a stanza with an error, routed back to its sender (never for errors).
    void bounce(const xml::Element& stanza, StanzaError error);
    /// Presence for a local account after the presence hooks passed it: to a full JID,
    /// that session; to a bare JID, every available session (RFC 6121 §8.5.2.1.2).
    void deliver_presence(const Jid& to, const xml::Element& presence);

    void session_bound(router::Session& s);
    void session_closed(router::Session& s);

private:
    void message_from_session(router::Session& sender, xml::Element message, const Jid& to);
    void presence_from_session(router::Session& sender, xml::Element presence, const Jid* to);
    void iq_from_session(router::Session& sender, xml::Element iq, const Jid* to);
    /// ROUTING.md "Inbound" for account `to`; bytes is msg already serialized (or empty).
    void deliver_message(const Jid& to, xml::Element msg, std::string bytes);
    void deliver_iq(const Jid& to, xml::Element iq, router::Session* sender);
    /// The one place where stanzas for a domain this server does not serve go; the s2s
    /// round replaces its body. sender: the local session to answer directly, if any.
    void route_remote(const xml::Element& stanza, const Jid& to, router::Session* sender);
    bool account_exists(const Jid& bare);
    /// Fanned out but not archived (a transient message, ROUTING.md).
    bool skips_archive(const MessageFacts& facts) const;

    /// Jid::parse through a cache of recent addresses: most stanzas go to a few thousand
    /// JIDs, and preparing one costs more than routing the message. The pointer stays valid
    /// until the next from_session().
    const Jid* parse_to(std::string_view text);

    Server& server_;
    router::BarePolicy bare_policy_;
    std::unordered_map<std::string, std::optional<Jid>, router::SessionTable::StringHash,
                       std::equal_to<>>
        jid_cache_;
};

}  // namespace chorus
