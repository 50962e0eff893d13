// MucService: the XEP-0045 service on <muc.name>.<domain>: finds or creates rooms, answers
// the service's own IQs, keeps the service-wide limits, and delivers the rooms' stanzas.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/config.h"
#include "jid/jid.h"
#include "modules/muc/room.h"
#include "router/session.h"
#include "stanza/stanza_error.h"
#include "storage/rooms.h"
#include "xml/element.h"

namespace chorus {
class Server;
}

namespace chorus::modules::muc {

class MucService {
public:
    MucService(Server& server, std::string domain);
    ~MucService();

    /// Component::handle: one stanza for the service's domain, 'from' stamped. Returns the
    /// room archive entry a group chat message waits for (0: none).
    std::int64_t handle(xml::Element stanza);

    Server& server() noexcept { return server_; }
    const MucConfig& limits() const noexcept { return limits_; }
    const std::string& domain() const noexcept { return domain_; }
    storage::Rooms& store() noexcept { return store_; }

    /// Queues bytes (a stanza without 'to') for one JID: a local session at once (behind
    /// archive entry wait_for), anything else through the router once wait_for is
    /// committed (never, if it is lost). False: a local session that is not connected.
    /// from: the stanza's sender (room/nick), when a recipient's block list may hide it
    /// (XEP-0191); a blocked copy is dropped and counts as delivered.
    bool deliver(const Jid& to, const router::SharedBytes& bytes, std::int64_t wait_for = 0,
                 const Jid* from = nullptr);
    /// A fresh id for stanzas the service makes.
    std::string next_id();
    /// A room may enter one more user / a user may join one more room (limits).
    bool may_join_another_room(const Jid& bare) const;
    /// Counts a join for the per-user rate; false when the user is over it.
    bool count_join(const Jid& bare);
    void joined(const Jid& bare) { ++rooms_in_[bare.bare_str()]; }
    void left(const Jid& bare);
    /// The service's XEP-0045 §6.3/§6.4 discovery answers.
    xml::Element disco_info() const;
    xml::Element disco_items();
    /// The server stops: every room's occupants leave with status 332 (XEP-0045: removed
    /// because the service is shutting down); temporary rooms end.
    void shutdown();
    /// A room destroyed by its owner: removed after the stanza in hand is done.
    void forget_room(const std::string& jid);

private:
    void handle_service_iq(const Jid& from, const xml::Element& iq);
    /// The room for a stanza; created for an entering presence when allowed.
    Room* find_room(const std::string& bare);
    Room* create_room(const Jid& room_jid, const Jid& creator, const xml::Element& presence);
    void reply_error(const xml::Element& stanza, const StanzaError& e);
    void drop_finished(const std::string& bare);

    Server& server_;
    std::string domain_;
    MucConfig limits_;
    storage::Rooms& store_;
    std::map<std::string, std::unique_ptr<Room>, std::less<>> rooms_;
    std::map<std::string, std::size_t, std::less<>> rooms_in_;  // bare JID -> rooms joined
    // Join times per user within the last minute (join rate).
    std::map<std::string, std::deque<std::chrono::steady_clock::time_point>, std::less<>> joins_;
    std::uint64_t id_counter_ = 0;
};

}  // namespace chorus::modules::muc
