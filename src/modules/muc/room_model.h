// XEP-0045 §5 as data: affiliations, roles, the room's configuration, and the permission
// tables (who may enter, speak, change a role or an affiliation). Pure: no stanzas, no I/O.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stanza/stanza_error.h"

namespace chorus::modules::muc {

/// XEP-0045 §5.2, ordered by rank (outcast lowest).
enum class Affiliation { outcast, none, member, admin, owner };
/// XEP-0045 §5.1, ordered by rank.
enum class Role { none, visitor, participant, moderator };

std::string_view affiliation_name(Affiliation a) noexcept;
std::string_view role_name(Role r) noexcept;
std::optional<Affiliation> parse_affiliation(std::string_view s) noexcept;
std::optional<Role> parse_role(std::string_view s) noexcept;

/// Who may see occupants' real JIDs (muc#roomconfig_whois).
enum class Whois { moderators, anyone };

/// A set of roles (muc#roomconfig_presencebroadcast, muc#roomconfig_getmemberlist): the
/// visitor, participant and moderator bits.
class RoleSet {
public:
    static RoleSet all() noexcept { return RoleSet(0b1110); }
    static RoleSet of(std::initializer_list<Role> roles) noexcept;
    /// Role names as a form carries them; nullopt for a name that is no role (or "none").
    static std::optional<RoleSet> parse(const std::vector<std::string>& names);
    bool contains(Role r) const noexcept { return bits_ & bit(r); }
    /// "moderator", "participant", "visitor" as present, in that order.
    std::vector<std::string> names() const;
    bool operator==(const RoleSet&) const = default;

private:
    explicit RoleSet(unsigned bits) : bits_(bits) {}
    static unsigned bit(Role r) noexcept { return 1u << static_cast<unsigned>(r); }
    unsigned bits_ = 0;
};

/// muc#roomconfig (XEP-0045 §10.2); defaults as Prosody and ejabberd ship them.
struct RoomConfig {
    std::string name;
    std::string description;
    bool persistent = false;
    bool public_room = true;  // listed in the service's disco#items
    bool members_only = false;
    bool moderated = false;
    std::string password;  // empty: none
    Whois whois = Whois::moderators;
    std::size_t history_length = 20;
    bool allow_pm = true;           // occupants may send private messages (visitors included)
    bool change_subject = false;    // participants (not only moderators) may set the subject
    bool allow_invites = false;     // members may invite in a members-only room
    bool archive = true;            // XEP-0313 on the room
    std::size_t max_occupants = 0;  // 0: the service's limit
    RoleSet presence_broadcast = RoleSet::all();  // roles whose presence others see
    bool can_change_nick = true;
    RoleSet member_list_readers = RoleSet::of({Role::moderator});  // besides admins, owners
    std::size_t max_history_fetch = 20;  // messages a joiner gets, of history_length kept
    std::string lang;                    // RFC 5646 tag of the room's language, or empty
    std::string pubsub;                  // XMPP URI of the room's pubsub node, or empty
    std::string salt;                    // secret input of XEP-0421 occupant ids (not in the form)

    bool password_protected() const noexcept { return !password.empty(); }
    /// "key=value" lines (storage); unknown keys are ignored when read back.
    std::string to_text() const;
    static RoomConfig from_text(std::string_view text);
};

/// XEP-0045 §5.1.2: the role an occupant gets on entering.
Role default_role(Affiliation a, const RoomConfig& c) noexcept;

struct EntryFacts {
    Affiliation affiliation = Affiliation::none;
    bool password_ok = true;
    bool room_full = false;
    bool nick_taken = false;     // by another user (the own devices share a nick)
    bool nick_reserved = false;  // registered by another user
    bool locked = false;         // created, not configured yet (§10.1.2)
};
/// XEP-0045 §7.2: the refusal for an entry attempt, in the order the XEP checks them.
std::optional<StanzaError> entry_refusal(const EntryFacts& f, const RoomConfig& c);

/// §7.4: may an occupant send a message of type groupchat.
bool may_speak(Role r) noexcept;
/// §8.1: may an occupant change the subject.
bool may_set_subject(Role r, const RoomConfig& c) noexcept;
/// §7.5: may an occupant send private messages.
bool may_send_pm(Role r, const RoomConfig& c) noexcept;
/// §7.8.2: may an occupant invite (in a members-only room only admins, owners and, when
/// allowed, members).
bool may_invite(Affiliation a, Role r, const RoomConfig& c) noexcept;

/// §8 and §9 role changes: nullopt when allowed, else the error the XEP names.
struct RoleChange {
    Role actor_role;
    Affiliation actor_affiliation;
    Affiliation target_affiliation;
    Role target_role;
    Role new_role;
};
std::optional<StanzaError> role_change_refusal(const RoleChange& c);

/// §9 and §10 affiliation changes.
struct AffiliationChange {
    Affiliation actor;
    Affiliation target_old;
    Affiliation target_new;
    bool last_owner = false;  // the target is the room's only owner
};
std::optional<StanzaError> affiliation_change_refusal(const AffiliationChange& c);

/// §9.5/§10.5: which lists an actor may read (member list per config, others by rank);
/// actor_role: the actor's role in the room (none when not in it).
bool may_read_list(Affiliation actor, Role actor_role, Affiliation list,
                   const RoomConfig& c) noexcept;
/// §9.8/§8.5: which role lists (moderators, participants) an actor may read.
bool may_read_role_list(Role actor) noexcept;

/// muc#roomconfig_presencebroadcast: does a viewer with role `viewer` see the presence
/// of an occupant with role `occupant` (moderators see everyone: they grant voice).
bool sees_presence(Role viewer, Role occupant, const RoomConfig& c) noexcept;
/// muc#roomconfig_canchangenick.
std::optional<StanzaError> nick_change_refusal(const RoomConfig& c);
/// muc#roomconfig_lang: an RFC 5646 tag shape (letters, digits, '-'), or empty.
bool valid_language_tag(std::string_view tag) noexcept;

/// §5.1.1: sees real JIDs of other occupants.
bool sees_real_jids(Role r, const RoomConfig& c) noexcept;

}  // namespace chorus::modules::muc
