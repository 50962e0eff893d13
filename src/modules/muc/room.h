// Room: one XEP-0045 room's state (occupants, affiliations, history, subject, config) and
// its handlers; owned by the MucService, one per room JID (DESIGN.md: state per room).
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jid/jid.h"
#include "modules/muc/room_model.h"
#include "router/session.h"
#include "stanza/stanza_error.h"
#include "xml/element.h"

namespace chorus::modules::muc {

class MucService;

/// One nick in the room: a user, joined from one or more devices (multi-session nick).
struct Occupant {
    std::string nick;
    Jid bare;                   // the real bare JID
    std::vector<Jid> sessions;  // the joined full JIDs, oldest first
    Affiliation affiliation = Affiliation::none;
    Role role = Role::none;
    xml::Element presence;    // the last presence's children we repeat (show, status, ...)
    std::string occupant_id;  // XEP-0421
    // Its available presence as joiners get it, without and with the real JID, serialized
    // once (a join sends every occupant's): reset by any change to what it shows.
    mutable router::SharedBytes shown[2];
    void changed() const noexcept
    {
        shown[0].reset();
        shown[1].reset();
    }
};

/// A message kept for joiners (XEP-0045 §7.2.15), with the stanza-id it was archived under.
struct HistoryEntry {
    xml::Element message;  // from room/nick, no 'to'
    std::chrono::system_clock::time_point stamp;
    std::size_t chars = 0;  // of the serialized message, for maxchars
    std::int64_t seq = 0;   // its room archive entry: joiners get it once committed
};

class Room {
public:
    Room(MucService& service, Jid jid, RoomConfig config);

    const Jid& jid() const noexcept { return jid_; }
    const RoomConfig& config() const noexcept { return config_; }
    bool locked() const noexcept { return locked_; }
    bool empty() const noexcept { return occupants_.empty(); }
    std::size_t occupant_count() const noexcept { return occupants_.size(); }
    /// Gone for good (destroyed, or temporary and empty): the service drops it.
    bool finished() const noexcept { return destroyed_ || (!config_.persistent && empty()); }
    bool destroyed() const noexcept { return destroyed_; }

    /// Loads the stored state (persistent rooms) or makes the creator owner (new rooms).
    void load(const std::string& subject, const std::string& subject_nick,
              const std::vector<std::pair<Jid, Affiliation>>& affiliations,
              const std::map<std::string, std::string>& nicks);
    void create(const Jid& creator, bool instant);
    /// Takes the newest archived messages back as history (a persistent room loaded).
    void restore_history();

    /// The room's stanzas; nick is the resource of 'to' (empty: the room itself).
    void on_presence(const Jid& from, const xml::Element& p, const std::string& nick);
    /// Returns the room archive entry the message's outcome waits for (0: none).
    std::int64_t on_message(const Jid& from, const xml::Element& m, const std::string& nick);
    void on_iq(const Jid& from, const xml::Element& iq, const std::string& nick);
    /// Every occupant leaves with these status codes (service shutdown: 332).
    void evict_all(const std::vector<int>& codes);

    Affiliation affiliation_of(const Jid& real) const;
    /// The occupant a full JID joined as, or nullptr.
    Occupant* occupant_of(const Jid& full);
    Occupant* occupant_by_nick(std::string_view nick);
    /// A session of this room's occupant disappeared without unavailable presence.
    void session_gone(const Jid& full);
    /// Disco#info of the room (also for the service's item names).
    xml::Element disco_info() const;
    xml::Element disco_items(const Jid& asker) const;

private:
    // room_presence.cpp
    void join(const Jid& from, const xml::Element& p, const std::string& nick);
    void leave(Occupant& o, const Jid& from, const xml::Element* p, std::vector<int> codes,
               const xml::Element* actor_item = nullptr);
    void change_nick(Occupant& o, const Jid& from, const xml::Element& p, const std::string& nick);
    void update_presence(Occupant& o, const Jid& from, const xml::Element& p);
    /// The occupant's presence to every session in the room (variants by viewer).
    void broadcast_presence(const Occupant& o, std::string_view type, const std::vector<int>& codes,
                            const xml::Element* extra = nullptr,
                            const std::string* new_nick = nullptr);
    /// The presence of occupant o as `viewer` sees it (real JID per whois, 110 to itself).
    xml::Element presence_of(const Occupant& o, std::string_view type, bool with_jid, bool self,
                             const std::vector<int>& codes, const xml::Element* extra,
                             const std::string* new_nick) const;
    /// Occupant o's available presence as others see it (cached, Occupant::shown).
    const router::SharedBytes& shown_presence(const Occupant& o, bool with_jid) const;
    void send_history(const Jid& to, const xml::Element* history_request);
    void send_subject(const Jid& to);
    /// A role or affiliation changed while in the room: everyone sees the new presence; if
    /// the role is none, the occupant is removed with these codes.
    void apply_role(Occupant& o, Role role, const std::vector<int>& codes, const Jid& actor,
                    const std::string& reason);
    void remove_occupant(const std::string& nick);

    // room_messages.cpp
    std::int64_t groupchat(Occupant& o, const Jid& from, const xml::Element& m);
    void private_message(Occupant& o, const Jid& from, const xml::Element& m,
                         const std::string& nick);
    void invite(Occupant* o, const Jid& from, const xml::Element& m, const xml::Element& x);
    void decline(const Jid& from, const xml::Element& x);
    void voice_request(Occupant& o, const xml::Element& form);
    /// Sends a groupchat message from room/nick (or the room) to every occupant session,
    /// archived first when the room archives (DESIGN.md "archive before delivery"). When
    /// the archive loses it, no copy leaves, history forgets it and `sender` (the sending
    /// session, with the client's `id`) gets <resource-constraint/>. Returns its entry.
    std::int64_t fan_out(xml::Element msg, bool archive, const Jid& sender_real,
                         const Jid* sender = nullptr, std::string_view id = {});
    /// The archive lost entry seq: the message it held is no history.
    void forget_history(std::int64_t seq);
    void set_subject(Occupant& o, const xml::Element& m);

    // room_admin.cpp
    std::optional<StanzaError> admin_set(const Jid& from, const xml::Element& query);
    std::optional<StanzaError> admin_get(const Jid& from, const xml::Element& query,
                                         xml::Element& answer);
    std::optional<StanzaError> set_affiliation(const Jid& actor, const Jid& target, Affiliation a,
                                               const std::string& reason);
    void store_affiliation(const Jid& target, Affiliation a, const std::string& reason);

    // room_requests.cpp
    /// §7.10/§9.9: a non-member asks to register with a members-only room.
    std::optional<StanzaError> request_membership(const Jid& bare, const std::string& nick);
    /// An admin's submitted muc#register form (to the room, in a message).
    void answer_membership_request(const Jid& from, const xml::Element& m,
                                   const xml::Element& form);

    // room_config.cpp
    xml::Element config_form() const;
    std::optional<StanzaError> apply_config_form(const xml::Element& form, const Jid& from);
    /// The bare JIDs with affiliation a.
    std::vector<std::string> affiliated(Affiliation a) const;
    /// Makes `wanted` the full list of affiliation a (owner or admin), as actor.
    void set_list(const Jid& actor, Affiliation a, const std::vector<Jid>& wanted);

    // room_owner.cpp
    std::optional<StanzaError> owner_get(const Jid& from, xml::Element& answer);
    std::optional<StanzaError> owner_set(const Jid& from, const xml::Element& query);
    std::optional<StanzaError> destroy(const Jid& from, const xml::Element& d);
    std::optional<StanzaError> register_get(const Jid& from, xml::Element& answer);
    std::optional<StanzaError> register_set(const Jid& from, const xml::Element& query);
    std::optional<StanzaError> mam_query(const Jid& from, const xml::Element& iq,
                                         const xml::Element& query, xml::Element& answer);
    void iq_to_occupant(const Jid& from, const xml::Element& iq, const std::string& nick);
    /// Stores the room row (persistent rooms).
    void save();

    /// Sends a stanza (no 'to') to one session; a gone local session leaves the room.
    void send_to(const Jid& to, const router::SharedBytes& bytes, std::int64_t wait_for = 0,
                 const Jid* from = nullptr);
    void send_to(const Jid& to, const xml::Element& stanza);
    void send_error(const Jid& to, const xml::Element& stanza, const StanzaError& e);
    void prune_gone();
    std::string occupant_id_for(const Jid& bare) const;
    std::string nick_jid(std::string_view nick) const
    {
        return jid_.str() + "/" + std::string(nick);
    }

    MucService& service_;
    Jid jid_;
    RoomConfig config_;
    std::string creator_;
    bool locked_ = false;
    bool destroyed_ = false;
    bool just_created_ = false;                                   // the first join gets status 201
    std::map<std::string, Occupant, std::less<>> occupants_;      // by nick
    std::map<std::string, std::string, std::less<>> by_session_;  // full JID -> nick
    std::map<std::string, Affiliation, std::less<>> affiliations_;     // bare JID -> affiliation
    std::map<std::string, std::string, std::less<>> registered_;       // bare JID -> nick
    std::map<std::string, std::string, std::less<>> pending_members_;  // bare JID -> nick
    std::deque<HistoryEntry> history_;
    std::optional<xml::Element> subject_;  // the subject message, from room/nick, no 'to'
    std::vector<Jid> gone_;                // local sessions found closed while sending
    // IQs forwarded to an occupant: our id -> (requester's full JID, its id).
    std::map<std::string, std::pair<Jid, std::string>, std::less<>> forwarded_iqs_;
    // Expires with the room: archive outcomes arriving later find it gone.
    std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace chorus::modules::muc
