// PresenceModule: the state and handlers behind the presence module (RFC 6121 §3, §4):
// subscriptions in subscriptions.cpp, presence broadcast and probes in broadcast.cpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "jid/jid.h"
#include "modules/module.h"
#include "modules/roster/subscription_rules.h"
#include "router/session.h"
#include "storage/roster.h"
#include "xml/element.h"

namespace chorus {
class Server;
}

namespace chorus::modules::presence {

/// Entities one session's directed presence is remembered for (§4.6). Beyond this (a
/// client joining very many rooms) further ones are not tracked: they miss the final
/// unavailable presence rather than let one session grow the server's memory without bound.
inline constexpr std::size_t max_directed = 1024;
/// A stored inbound request (§3.1.3) larger than this keeps only its addressing and type, so
/// a request with a huge <status/> cannot fill the database of an offline user.
inline constexpr std::size_t max_stored_request_bytes = 4096;

class PresenceModule {
public:
    explicit PresenceModule(Server& server);

    /// hooks.presence_out: presence a local session sent (after the router stamped 'from').
    Verdict on_presence_out(router::Session& session, xml::Element& presence);
    /// hooks.presence_in: presence for a local account; subscription stanzas and probes
    /// stop here, the rest is delivered by the router.
    Verdict on_presence_in(const Jid& to, xml::Element& presence);
    /// hooks.initial_presence: probes, the own resources' presence, stored requests.
    void on_initial_presence(router::Session& session);
    /// hooks.session_closed: unavailable presence for a session that ends without it.
    void on_session_closed(router::Session& session);
    /// hooks.account_deleting: the account's sessions are announced unavailable now, while
    /// its roster still says who is subscribed (they close after it is gone).
    void on_account_deleting(const Jid& account);

private:
    // What the module remembers of one session (by Session::id()).
    struct SessionState {
        std::optional<xml::Element> last;  // last broadcast available presence, no 'to'
        std::chrono::system_clock::time_point last_set;  // when `last` was sent (XEP-0203)
        std::set<std::string> directed;  // JIDs sent directed available presence (§4.6)
    };

    // §3 (subscriptions.cpp)
    void outbound_subscription(router::Session& session, roster::SubType type,
                               xml::Element& presence, const Jid& to);
    void inbound_subscription(const Jid& user, roster::SubType type, xml::Element& presence,
                              const Jid& contact);
    void deliver_stored_requests(router::Session& session);

    // §4 (broadcast.cpp)
    void broadcast_available(router::Session& session, const xml::Element& presence);
    void broadcast_unavailable(router::Session& session, const xml::Element& presence,
                               bool to_self);
    void answer_probe(const Jid& to, const xml::Element& probe, const Jid& from);
    void send_probes(router::Session& session);
    /// The last presence of each available resource of `user`, to `to` (a subscriber that
    /// just got its subscription, §3.1.5, or a prober, §4.3.2); returns how many were sent.
    int send_current_presence(const Jid& user, const Jid& to, const std::string& only_resource);

    /// A stored presence as delivered later: addressed to `to`, with a XEP-0203 <delay/>
    /// saying when the session set it (RFC 6121 §4.3.2, §3.1.5 examples).
    xml::Element from_store(const SessionState& state, const std::string& to) const;

    bool account_exists(const Jid& bare);
    void send_unsubscribed(const Jid& from, const Jid& to);

    Server& server_;
    storage::Roster& roster_;
    std::unordered_map<std::uint64_t, SessionState> sessions_;
};

}  // namespace chorus::modules::presence
