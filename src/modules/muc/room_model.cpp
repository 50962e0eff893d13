// XEP-0045 §5 permission tables; each function is one table of the XEP, tested row by row.
#include "modules/muc/room_model.h"

#include <charconv>

#include "base/encoding.h"

namespace chorus::modules::muc {
namespace {

bool parse_bool(std::string_view v) noexcept
{
    return v == "1" || v == "true";
}

std::size_t parse_size(std::string_view v, std::size_t fallback) noexcept
{
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    return ec == std::errc() && end == v.data() + v.size() ? n : fallback;
}

}  // namespace

std::string_view affiliation_name(Affiliation a) noexcept
{
    switch (a) {
        case Affiliation::outcast:
            return "outcast";
        case Affiliation::none:
            return "none";
        case Affiliation::member:
            return "member";
        case Affiliation::admin:
            return "admin";
        case Affiliation::owner:
            return "owner";
    }
    return "none";
}

std::string_view role_name(Role r) noexcept
{
    switch (r) {
        case Role::none:
            return "none";
        case Role::visitor:
            return "visitor";
        case Role::participant:
            return "participant";
        case Role::moderator:
            return "moderator";
    }
    return "none";
}

std::optional<Affiliation> parse_affiliation(std::string_view s) noexcept
{
    for (auto a : {Affiliation::outcast, Affiliation::none, Affiliation::member, Affiliation::admin,
                   Affiliation::owner}) {
        if (affiliation_name(a) == s) {
            return a;
        }
    }
    return std::nullopt;
}

std::optional<Role> parse_role(std::string_view s) noexcept
{
    for (auto r : {Role::none, Role::visitor, Role::participant, Role::moderator}) {
        if (role_name(r) == s) {
            return r;
        }
    }
    return std::nullopt;
}

RoleSet RoleSet::of(std::initializer_list<Role> roles) noexcept
{
    unsigned bits = 0;
    for (auto r : roles) {
        bits |= bit(r);
    }
    return RoleSet(bits);
}

std::optional<RoleSet> RoleSet::parse(const std::vector<std::string>& names)
{
    unsigned bits = 0;
    for (const auto& n : names) {
        const auto r = parse_role(n);
        if (!r || *r == Role::none) {
            return std::nullopt;
        }
        bits |= bit(*r);
    }
    return RoleSet(bits);
}

std::vector<std::string> RoleSet::names() const
{
    std::vector<std::string> out;
    for (auto r : {Role::moderator, Role::participant, Role::visitor}) {
        if (contains(r)) {
            out.emplace_back(role_name(r));
        }
    }
    return out;
}

std::string RoomConfig::to_text() const
{
    std::string out;
    auto line = [&](std::string_view k, std::string_view v) {
        out.append(k).append("=");
        append_escaped_line(v, out);  // a name or description may hold line breaks
        out += '\n';
    };
    auto flag = [&](std::string_view k, bool v) { line(k, v ? "1" : "0"); };
    line("name", name);
    line("description", description);
    flag("persistent", persistent);
    flag("public", public_room);
    flag("members_only", members_only);
    flag("moderated", moderated);
    line("password", password);
    line("whois", whois == Whois::anyone ? "anyone" : "moderators");
    line("history_length", std::to_string(history_length));
    flag("allow_pm", allow_pm);
    flag("change_subject", change_subject);
    flag("allow_invites", allow_invites);
    flag("archive", archive);
    line("max_occupants", std::to_string(max_occupants));
    auto roles = [&](std::string_view k, const RoleSet& set) {
        std::string v;
        for (const auto& n : set.names()) {
            v += (v.empty() ? "" : ",") + n;
        }
        line(k, v);
    };
    roles("presence_broadcast", presence_broadcast);
    flag("can_change_nick", can_change_nick);
    roles("member_list_readers", member_list_readers);
    line("max_history_fetch", std::to_string(max_history_fetch));
    line("lang", lang);
    line("pubsub", pubsub);
    line("salt", salt);
    return out;
}

RoomConfig RoomConfig::from_text(std::string_view text)
{
    RoomConfig c;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        const auto row = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        const auto eq = row.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const auto k = row.substr(0, eq);
        const auto v = row.substr(eq + 1);
        if (k == "name") {
            c.name = unescape_line(v);
        } else if (k == "description") {
            c.description = unescape_line(v);
        } else if (k == "persistent") {
            c.persistent = parse_bool(v);
        } else if (k == "public") {
            c.public_room = parse_bool(v);
        } else if (k == "members_only") {
            c.members_only = parse_bool(v);
        } else if (k == "moderated") {
            c.moderated = parse_bool(v);
        } else if (k == "password") {
            c.password = unescape_line(v);
        } else if (k == "whois") {
            c.whois = v == "anyone" ? Whois::anyone : Whois::moderators;
        } else if (k == "history_length") {
            c.history_length = parse_size(v, c.history_length);
        } else if (k == "allow_pm") {
            c.allow_pm = parse_bool(v);
        } else if (k == "change_subject") {
            c.change_subject = parse_bool(v);
        } else if (k == "allow_invites") {
            c.allow_invites = parse_bool(v);
        } else if (k == "archive") {
            c.archive = parse_bool(v);
        } else if (k == "max_occupants") {
            c.max_occupants = parse_size(v, 0);
        } else if (k == "salt") {
            c.salt = unescape_line(v);
        } else if (k == "presence_broadcast" || k == "member_list_readers") {
            std::vector<std::string> names;
            for (std::string_view rest = v; !rest.empty();) {
                const auto comma = rest.find(',');
                names.emplace_back(rest.substr(0, comma));
                rest =
                    comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
            if (auto set = RoleSet::parse(names)) {
                (k == "presence_broadcast" ? c.presence_broadcast : c.member_list_readers) = *set;
            }
        } else if (k == "can_change_nick") {
            c.can_change_nick = parse_bool(v);
        } else if (k == "max_history_fetch") {
            c.max_history_fetch = parse_size(v, c.max_history_fetch);
        } else if (k == "lang") {
            c.lang = unescape_line(v);
        } else if (k == "pubsub") {
            c.pubsub = unescape_line(v);
        }
    }
    return c;
}

Role default_role(Affiliation a, const RoomConfig& c) noexcept
{
    switch (a) {
        case Affiliation::owner:
        case Affiliation::admin:
            return Role::moderator;
        case Affiliation::member:
            return Role::participant;
        case Affiliation::none:
            if (c.members_only) {
                return Role::none;  // may not enter at all
            }
            return c.moderated ? Role::visitor : Role::participant;
        case Affiliation::outcast:
            return Role::none;
    }
    return Role::none;
}

std::optional<StanzaError> entry_refusal(const EntryFacts& f, const RoomConfig& c)
{
    const bool privileged =
        f.affiliation == Affiliation::owner || f.affiliation == Affiliation::admin;
    if (f.locked && f.affiliation != Affiliation::owner) {
        // §10.1.2: a room awaiting its configuration does not exist for anyone else yet.
        return StanzaError::item_not_found("This room is locked until its owner configures it");
    }
    if (f.affiliation == Affiliation::outcast) {
        return StanzaError::forbidden("You are banned from this room");  // §7.2.8
    }
    if (c.members_only && f.affiliation == Affiliation::none) {
        return StanzaError::registration_required("This room is members-only");  // §7.2.7
    }
    if (c.password_protected() && !f.password_ok && !privileged) {
        return StanzaError::not_authorized("A password is required to enter");  // §7.2.6
    }
    if (f.nick_taken || f.nick_reserved) {
        return StanzaError::conflict("That nickname is in use or registered");  // §7.2.9
    }
    if (f.room_full && !privileged) {
        return StanzaError::service_unavailable("The room is full");  // §7.2.10
    }
    return std::nullopt;
}

bool may_speak(Role r) noexcept
{
    return r == Role::participant || r == Role::moderator;
}

bool may_set_subject(Role r, const RoomConfig& c) noexcept
{
    return r == Role::moderator || (r == Role::participant && c.change_subject);
}

bool may_send_pm(Role r, const RoomConfig& c) noexcept
{
    return r != Role::none && c.allow_pm;
}

bool may_invite(Affiliation a, Role r, const RoomConfig& c) noexcept
{
    if (r == Role::none) {
        return false;
    }
    if (!c.members_only) {
        return true;
    }
    return a == Affiliation::owner || a == Affiliation::admin ||
           (a == Affiliation::member && c.allow_invites);
}

std::optional<StanzaError> role_change_refusal(const RoleChange& c)
{
    if (c.actor_role != Role::moderator) {
        return StanzaError::forbidden("Only moderators change roles");
    }
    // §8.2: "A user cannot be kicked by a moderator with a lower affiliation"; the same
    // holds for voice (§8.4).
    if (c.target_affiliation > c.actor_affiliation) {
        return StanzaError::not_allowed("The occupant's affiliation is higher than yours");
    }
    const bool actor_admin =
        c.actor_affiliation == Affiliation::admin || c.actor_affiliation == Affiliation::owner;
    const bool target_admin =
        c.target_affiliation == Affiliation::admin || c.target_affiliation == Affiliation::owner;
    if (c.new_role == Role::moderator) {
        if (!actor_admin) {
            return StanzaError::forbidden("Only admins and owners grant moderation");  // §9.6
        }
        return std::nullopt;
    }
    if (c.target_role == Role::moderator || target_admin) {
        // §9.7: moderation is revoked by admins and owners, never from an admin or owner.
        if (!actor_admin) {
            return StanzaError::forbidden("Only admins and owners revoke moderation");
        }
        if (target_admin && c.new_role != Role::none) {
            return StanzaError::not_allowed("Admins and owners keep their moderation");
        }
    }
    return std::nullopt;
}

std::optional<StanzaError> affiliation_change_refusal(const AffiliationChange& c)
{
    if (c.actor == Affiliation::owner) {
        if (c.last_owner && c.target_new != Affiliation::owner) {
            return StanzaError::conflict("A room keeps at least one owner");  // §10.6
        }
        return std::nullopt;
    }
    if (c.actor == Affiliation::admin) {
        auto low = [](Affiliation a) {
            return a == Affiliation::none || a == Affiliation::member || a == Affiliation::outcast;
        };
        if (low(c.target_old) && low(c.target_new)) {
            return std::nullopt;  // §9.1-§9.4: ban, membership
        }
        return StanzaError::not_allowed("Admins cannot change admins or owners");
    }
    return StanzaError::forbidden("Only admins and owners change affiliations");
}

bool may_read_list(Affiliation actor, Role actor_role, Affiliation list,
                   const RoomConfig& c) noexcept
{
    switch (list) {
        case Affiliation::member:
            // §9.5: the member list; members of a members-only room may read it too, and
            // occupants whose role muc#roomconfig_getmemberlist names.
            return actor >= Affiliation::admin ||
                   (c.members_only && actor == Affiliation::member) ||
                   (actor != Affiliation::outcast && actor_role != Role::none &&
                    c.member_list_readers.contains(actor_role));
        case Affiliation::outcast:
            return actor >= Affiliation::admin;
        case Affiliation::admin:
        case Affiliation::owner:
            return actor >= Affiliation::admin;  // §10.5, §10.8
        case Affiliation::none:
            return false;
    }
    return false;
}

bool may_read_role_list(Role actor) noexcept
{
    return actor == Role::moderator;
}

bool sees_presence(Role viewer, Role occupant, const RoomConfig& c) noexcept
{
    return viewer == Role::moderator || c.presence_broadcast.contains(occupant);
}

std::optional<StanzaError> nick_change_refusal(const RoomConfig& c)
{
    if (!c.can_change_nick) {
        return StanzaError::not_acceptable("Nicknames cannot be changed in this room");
    }
    return std::nullopt;
}

bool valid_language_tag(std::string_view tag) noexcept
{
    // RFC 5646 §2.1: subtags of 1 to 8 letters or digits, joined by '-'; the first letters.
    if (tag.empty()) {
        return true;
    }
    std::size_t run = 0;
    for (std::size_t i = 0; i < tag.size(); ++i) {
        const char ch = tag[i];
        const bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
        const bool digit = ch >= '0' && ch <= '9';
        if (ch == '-') {
            if (run == 0) {
                return false;
            }
            run = 0;
        } else if ((alpha || (digit && i > 0)) && ++run <= 8) {
            continue;
        } else {
            return false;
        }
    }
    return run > 0 && tag.size() <= 64;
}

bool sees_real_jids(Role r, const RoomConfig& c) noexcept
{
    return c.whois == Whois::anyone || r == Role::moderator;
}

}  // namespace chorus::modules::muc
