// Router: carries out routing decisions (message_rules.h) for stanzas from sessions and the
// server. The rules decide; this delivers, archives and bounces.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "jid/jid.h"
#include "router/commit_gate.h"
#include "router/message_rules.h"
#include "router/session.h"
#include "router/session_table.h"
#include "server/hooks.h"
#include "stanza/message_facts.h"
#include "stanza/stanza_error.h"
#include "xml/element.h"

namespace chorus {

class Server;

class Router {
public:
    explicit Router(Server& server);

    /// A stanza from a bound local session: 'from' is stamped, then it is routed. Returns
    /// the archive entry its outcome waits for (0: none; XEP-0198 acks it once settled).
    std::int64_t from_session(router::Session& sender, xml::Element stanza);
    /// A stanza from the server or a module ('from' already set), routed by 'to'.
    void route(xml::Element stanza);
    /// Answers a stanza with an error, routed back to its sender (never for errors).
    void bounce(const xml::Element& stanza, StanzaError error);
    /// Presence for a local account after the presence hooks passed it: to a full JID,
    /// that session; to a bare JID, every available session (RFC 6121 §8.5.2.1.2).
    void deliver_presence(const Jid& to, const xml::Element& presence);

    /// A component's stanza for a local full JID, already serialized (one serialization
    /// for a whole fan-out, DESIGN.md): queued on that session, behind archive entry
    /// wait_for when not 0 (ROUTING.md R6/R7: only the addressed session). False when the
    /// session is not connected; the component decides (a room treats it as gone).
    bool deliver_to_session(const Jid& to, router::SharedBytes bytes, std::int64_t wait_for = 0);

    void session_bound(router::Session& s);
    void session_closed(router::Session& s);
    /// XEP-0198: the stanzas `lost` (closed, unresumed) never acknowledged, oldest first:
    /// re-routed, bounced or dropped per ROUTING.md "Stream management"; never archived
    /// again (they keep their stanza-id).
    void redeliver_unacked(const router::Session& lost,
                           const std::vector<router::SharedBytes>& unacked);
    /// Where copies of archived messages wait for the archive's commit.
    router::CommitGate& gate() noexcept { return gate_; }

private:
    std::int64_t message_from_session(router::Session& sender, xml::Element message, const Jid& to);
    void presence_from_session(router::Session& sender, xml::Element presence, const Jid* to);
    void iq_from_session(router::Session& sender, xml::Element iq, const Jid* to);
    /// ROUTING.md "Inbound" for account `to`; bytes is msg already serialized (or empty);
    /// sender_entry: the sender's archive entry (0: none). Returns the archive seq the
    /// sender's own copies must wait for (the message's newest entry), 0 when none.
    std::int64_t deliver_message(const Jid& to, xml::Element msg, std::string bytes,
                                 std::int64_t sender_entry = 0);
    /// ROUTING.md "Inbound" for message msg to `to`, given the account's sessions now.
    router::InboundPlan plan_for(const Jid& to, const xml::Element& msg, const MessageFacts& facts);
    /// The plan's copies; as_sent already carries ref's stanza-id, and they wait for it.
    void send_inbound_copies(const router::InboundPlan& plan, const xml::Element& msg,
                             const std::string& owner, const router::SharedBytes& as_sent,
                             const std::optional<ArchiveRef>& ref);
    /// A watched message's entries settled: store it offline, or answer the sender.
    void on_settled(router::PendingMessage& pending, bool committed);
    /// XEP-0160 for an account with no session to take the message.
    void store_offline(const Jid& owner, xml::Element& msg, bool archived);
    void deliver_iq(const Jid& to, xml::Element iq, router::Session* sender);
    /// The one place where stanzas for a domain this server does not serve go; the s2s
    /// round replaces its body. sender: the local session to answer directly, if any.
    /// released: it comes out of the CommitGate (else it may have to queue there).
    void route_remote(const xml::Element& stanza, const Jid& to, router::Session* sender,
                      bool released = false);
    bool account_exists(const Jid& bare);
    /// Fanned out but not archived (a transient message, ROUTING.md).
    bool skips_archive(const MessageFacts& facts) const;

    /// Jid::parse through a cache of recent addresses: most stanzas go to a few thousand
    /// JIDs, and preparing one costs more than routing the message. The pointer stays valid
    /// until the next from_session().
    const Jid* parse_to(std::string_view text);

    Server& server_;
    router::BarePolicy bare_policy_;
    router::CommitGate gate_;
    std::unordered_map<std::string, std::optional<Jid>, router::SessionTable::StringHash,
                       std::equal_to<>>
        jid_cache_;
};

}  // namespace chorus
