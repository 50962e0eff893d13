// XEP-0045 §7.2 (entering), §7.6 (nick change), §7.7 (presence), §7.14 (exiting), with
// several devices of one user sharing one nick (each device joins; the nick leaves with
// the last one).
#include <algorithm>

#include "base/clock.h"
#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"

namespace chorus::modules::muc {
namespace {

/// The presence children an occupant shows to the room: show, status, caps and the like;
/// never our own elements (a client must not forge them, XEP-0421 §4).
xml::Element kept_children(const xml::Element& p)
{
    xml::Element kept("presence", std::string(ns::client));
    for (const auto& c : p.nodes()) {
        if (c.is_text() || c.ns() == ns::muc || c.ns() == ns::muc_user ||
            c.ns() == ns::occupant_id || c.is("delay", ns::delay)) {
            continue;
        }
        kept.add_child(c);
    }
    return kept;
}

}  // namespace

xml::Element Room::presence_of(const Occupant& o, std::string_view type, bool with_jid, bool self,
                               const std::vector<int>& codes, const xml::Element* extra,
                               const std::string* new_nick) const
{
    xml::Element p("presence", std::string(ns::client));
    p.set_attr("from", nick_jid(o.nick));
    if (!type.empty()) {
        p.set_attr("type", type);
    }
    for (const auto& c : o.presence.nodes()) {
        // Unavailable presence keeps only a status (RFC 6121 §4.5.1).
        if (type.empty() || c.is("status", ns::client)) {
            p.add_child(c);
        }
    }
    auto& x = p.add_child("x", std::string(ns::muc_user));
    auto& item = x.add_child("item", std::string(ns::muc_user));
    item.set_attr("affiliation", affiliation_name(o.affiliation))
        .set_attr("role", role_name(type == "unavailable" ? Role::none : o.role));
    if (with_jid) {
        item.set_attr("jid", o.sessions.empty() ? o.bare.str() : o.sessions.front().str());
    }
    if (new_nick) {
        item.set_attr("nick", *new_nick);
    }
    if (extra) {
        for (const auto& c : extra->nodes()) {
            if (c.is("destroy", ns::muc_user)) {
                x.add_child(c);
            } else if (!c.is_text()) {
                item.add_child(c);  // <actor/>, <reason/>
            }
        }
    }
    std::vector<int> all = codes;
    if (self) {
        all.push_back(110);
    }
    std::sort(all.begin(), all.end());
    add_status_codes(x, all);
    p.add_child("occupant-id", std::string(ns::occupant_id)).set_attr("id", o.occupant_id);
    return p;
}

const router::SharedBytes& Room::shown_presence(const Occupant& o, bool with_jid) const
{
    auto& slot = o.shown[with_jid];
    if (!slot) {
        slot = std::make_shared<const std::string>(
            serialize_stanza(presence_of(o, {}, with_jid, false, {}, nullptr, nullptr)));
    }
    return slot;
}

void Room::broadcast_presence(const Occupant& o, std::string_view type,
                              const std::vector<int>& codes, const xml::Element* extra,
                              const std::string* new_nick)
{
    o.changed();  // every change an occupant shows is broadcast
    // Three forms at most, each serialized once: the occupant's own, and the others' with
    // or without its real JID (muc#roomconfig_whois).
    router::SharedBytes own, with_jid, without_jid;
    auto form = [&](bool self, bool jid) {
        auto& slot = self ? own : (jid ? with_jid : without_jid);
        if (!slot) {
            slot = std::make_shared<const std::string>(
                serialize_stanza(presence_of(o, type, jid, self, codes, extra, new_nick)));
        }
        return slot;
    };
    const auto sender = Jid::parse(nick_jid(o.nick));
    for (const auto& [nick, viewer] : occupants_) {
        const bool self = &viewer == &o;
        if (!self && !sees_presence(viewer.role, o.role, config_)) {
            continue;  // muc#roomconfig_presencebroadcast hides this role from the viewer
        }
        const auto bytes = form(self, self || sees_real_jids(viewer.role, config_));
        for (const auto& s : viewer.sessions) {
            send_to(s, bytes, 0, self || !sender ? nullptr : &*sender);
        }
    }
    if (!occupants_.contains(o.nick)) {  // already removed (kicked, last device gone)
        const auto bytes = form(true, true);
        for (const auto& s : o.sessions) {
            send_to(s, bytes);
        }
    }
}

void Room::join(const Jid& from, const xml::Element& p, const std::string& nick)
{
    const Jid bare = from.bare();
    const auto* muc_x = p.child("x", ns::muc);
    Occupant* existing = occupant_by_nick(nick);
    const bool same_user = existing && existing->bare.bare_view() == bare.bare_view();
    auto reserved = std::find_if(registered_.begin(), registered_.end(), [&](const auto& kv) {
        return kv.second == nick && kv.first != bare.bare_view();
    });
    const std::size_t cap = config_.max_occupants
                                ? std::min(config_.max_occupants, service_.limits().max_occupants)
                                : service_.limits().max_occupants;
    EntryFacts facts{
        .affiliation = affiliation_of(bare),
        .password_ok = muc_x && muc_x->child_text("password", ns::muc) == config_.password,
        .room_full = !same_user && occupants_.size() >= cap,
        .nick_taken = existing && !same_user,
        .nick_reserved = reserved != registered_.end(),
        .locked = locked_,
    };
    if (auto refusal = entry_refusal(facts, config_)) {
        send_error(from, p, *refusal);
        return;
    }
    if (!service_.count_join(bare)) {
        send_error(from, p,
                   StanzaError::policy_violation("You are joining rooms too fast; wait a minute")
                       .with_type(ErrorType::wait));
        return;
    }
    if (!same_user && !service_.may_join_another_room(bare)) {
        send_error(from, p,
                   StanzaError::resource_constraint("You are in as many rooms as allowed"));
        return;
    }
    by_session_[from.str()] = nick;
    Occupant* o = existing;
    if (same_user) {
        o->sessions.push_back(from);  // multi-session nick: the others see nothing new
    } else {
        Occupant fresh;
        fresh.nick = nick;
        fresh.bare = bare;
        fresh.sessions = {from};
        fresh.affiliation = facts.affiliation;
        fresh.role = default_role(facts.affiliation, config_);
        fresh.presence = kept_children(p);
        fresh.occupant_id = occupant_id_for(bare);
        o = &occupants_.emplace(nick, std::move(fresh)).first->second;
        service_.joined(bare);
    }
    // §7.2.3: the others' presence first, then the newcomer's own, to the joining device.
    const bool sees = sees_real_jids(o->role, config_);
    for (const auto& [other_nick, other] : occupants_) {
        if (&other != o && sees_presence(o->role, other.role, config_)) {
            send_to(from, shown_presence(other, sees));
        }
    }
    if (!same_user) {
        const auto sender = Jid::parse(nick_jid(o->nick));
        for (const auto& [other_nick, other] : occupants_) {
            if (&other == o || !sees_presence(other.role, o->role, config_)) {
                continue;
            }
            const auto& form = shown_presence(*o, sees_real_jids(other.role, config_));
            for (const auto& s : other.sessions) {
                send_to(s, form, 0, sender ? &*sender : nullptr);
            }
        }
    }
    std::vector<int> codes;
    if (config_.whois == Whois::anyone) {
        codes.push_back(100);  // §7.2.4: the room shows real JIDs
    }
    if (config_.archive && service_.server().hooks().archive) {
        codes.push_back(170);  // §7.2.12: the room is logged
    }
    if (just_created_) {
        codes.push_back(201);  // §10.1.1
        just_created_ = false;
    }
    send_to(from, presence_of(*o, {}, true, true, codes, nullptr, nullptr));
    send_history(from, muc_x ? muc_x->child("history", ns::muc) : nullptr);
    send_subject(from);
}

void Room::update_presence(Occupant& o, const Jid& /*from*/, const xml::Element& p)
{
    o.presence = kept_children(p);
    broadcast_presence(o, {}, {});
}

void Room::change_nick(Occupant& o, const Jid& from, const xml::Element& p, const std::string& nick)
{
    Occupant* existing = occupant_by_nick(nick);
    auto reserved = std::find_if(registered_.begin(), registered_.end(), [&](const auto& kv) {
        return kv.second == nick && kv.first != o.bare.bare_view();
    });
    if ((existing && existing->bare.bare_view() != o.bare.bare_view()) ||
        reserved != registered_.end()) {
        send_error(from, p, StanzaError::conflict("That nickname is in use or registered"));
        return;
    }
    if (auto refusal = nick_change_refusal(config_)) {  // muc#roomconfig_canchangenick
        send_error(from, p, *refusal);
        return;
    }
    if (existing) {
        // The user's other device holds that nick: this device moves over to it.
        leave(o, from, nullptr, {});
        join(from, p, nick);
        return;
    }
    // §7.6.3: unavailable with 303 and the new nick, then available as the new nick; every
    // device of the occupant moves with it.
    broadcast_presence(o, "unavailable", {303}, nullptr, &nick);
    Occupant moved = std::move(o);
    occupants_.erase(moved.nick);
    moved.nick = nick;
    moved.presence = kept_children(p);
    for (const auto& s : moved.sessions) {
        by_session_[s.str()] = nick;
    }
    auto& renamed = occupants_.emplace(nick, std::move(moved)).first->second;
    broadcast_presence(renamed, {}, {});
}

void Room::leave(Occupant& o, const Jid& from, const xml::Element* p, std::vector<int> codes,
                 const xml::Element* /*actor_item*/)
{
    if (p) {
        o.presence = kept_children(*p);
    }
    by_session_.erase(from.str());
    std::erase(o.sessions, from);
    o.changed();  // its first device (the JID shown) may have gone
    if (!o.sessions.empty()) {
        // Another device keeps the nick: only this one is told it left (§7.14 per device).
        send_to(from, presence_of(o, "unavailable", true, true, codes, nullptr, nullptr));
        return;
    }
    Occupant gone = std::move(o);
    occupants_.erase(gone.nick);
    service_.left(gone.bare);
    gone.sessions = {from};
    broadcast_presence(gone, "unavailable", codes);
}

void Room::session_gone(const Jid& full)
{
    Occupant* o = occupant_of(full);
    if (!o) {
        return;
    }
    by_session_.erase(full.str());
    std::erase(o->sessions, full);
    o->changed();
    if (o->sessions.empty()) {
        Occupant gone = std::move(*o);
        occupants_.erase(gone.nick);
        service_.left(gone.bare);
        broadcast_presence(gone, "unavailable", {333});  // removed: its connection is gone
    }
}

void Room::remove_occupant(const std::string& nick)
{
    auto it = occupants_.find(nick);
    if (it == occupants_.end()) {
        return;
    }
    for (const auto& s : it->second.sessions) {
        by_session_.erase(s.str());
    }
    service_.left(it->second.bare);
    occupants_.erase(it);
}

void Room::apply_role(Occupant& o, Role role, const std::vector<int>& codes, const Jid& actor,
                      const std::string& reason)
{
    xml::Element extra("extra", std::string(ns::muc_user));
    if (Occupant* a = occupant_of(actor)) {
        extra.add_child("actor", std::string(ns::muc_user)).set_attr("nick", a->nick);
    }
    if (!reason.empty()) {
        extra.add_child("reason", std::string(ns::muc_user)).add_text(reason);
    }
    if (role != Role::none) {
        const Role old = o.role;
        o.role = role;
        broadcast_presence(o, {}, codes, &extra);
        // Viewers that saw the old role and may not see the new one see the occupant go.
        router::SharedBytes gone[2];
        for (const auto& [nick, viewer] : occupants_) {
            if (&viewer == &o || !sees_presence(viewer.role, old, config_) ||
                sees_presence(viewer.role, role, config_)) {
                continue;
            }
            const bool jid = sees_real_jids(viewer.role, config_);
            if (!gone[jid]) {
                gone[jid] = std::make_shared<const std::string>(serialize_stanza(
                    presence_of(o, "unavailable", jid, false, {}, nullptr, nullptr)));
            }
            for (const auto& s : viewer.sessions) {
                send_to(s, gone[jid]);
            }
        }
        return;
    }
    // §8.2: the kicked (or banned) occupant and everyone else see it go, every device of it.
    Occupant gone = o;
    remove_occupant(o.nick);
    broadcast_presence(gone, "unavailable", codes, &extra);
}

void Room::evict_all(const std::vector<int>& codes)
{
    std::vector<std::string> nicks;
    for (const auto& [nick, o] : occupants_) {
        nicks.push_back(nick);
    }
    for (const auto& nick : nicks) {
        if (Occupant* o = occupant_by_nick(nick)) {
            Occupant gone = *o;
            remove_occupant(nick);
            broadcast_presence(gone, "unavailable", codes);
        }
    }
}

void Room::send_history(const Jid& to, const xml::Element* req)
{
    // §7.2.15: maxstanzas, maxchars, seconds and since limit what a joiner gets.
    // muc#maxhistoryfetch: the room keeps history_length messages, a joiner gets at most this.
    std::size_t max_stanzas = std::min(history_.size(), config_.max_history_fetch);
    std::size_t max_chars = SIZE_MAX;
    std::optional<std::chrono::system_clock::time_point> since;
    const auto now = service_.server().clock().now();
    if (req) {
        auto number = [&](std::string_view attr, std::size_t& out) {
            const auto v = req->attr(attr);
            if (!v.empty()) {
                try {
                    out = std::min<std::size_t>(out, std::stoul(std::string(v)));
                } catch (...) {  // not a number: the attribute is ignored
                }
            }
        };
        number("maxstanzas", max_stanzas);
        number("maxchars", max_chars);
        std::size_t seconds = SIZE_MAX;
        number("seconds", seconds);
        if (seconds != SIZE_MAX) {
            since = now - std::chrono::seconds(seconds);
        }
        std::chrono::system_clock::time_point t;
        if (!req->attr("since").empty() && parse_xep82(req->attr("since"), t)) {
            since = since ? std::max(*since, t) : t;
        }
    }
    std::vector<std::pair<std::string, std::int64_t>> picked;  // bytes, archive entry
    std::size_t chars = 0;
    for (auto it = history_.rbegin(); it != history_.rend() && picked.size() < max_stanzas; ++it) {
        if (since && it->stamp < *since) {
            break;
        }
        xml::Element m = it->message;
        m.add_child("delay", std::string(ns::delay))
            .set_attr("from", jid_.str())
            .set_attr("stamp", format_xep82(it->stamp));
        auto bytes = serialize_stanza(m);
        if (chars + bytes.size() > max_chars) {
            break;
        }
        chars += bytes.size();
        picked.emplace_back(std::move(bytes), it->seq);
    }
    // A message not committed yet reaches the joiner once it is, like the occupants' copies.
    for (auto it = picked.rbegin(); it != picked.rend(); ++it) {
        send_to(to, std::make_shared<const std::string>(std::move(it->first)), it->second);
    }
}

void Room::send_subject(const Jid& to)
{
    if (subject_) {
        send_to(to, *subject_);
        return;
    }
    // §7.2.16: the subject always ends the join, empty when none was set.
    xml::Element m("message", std::string(ns::client));
    m.set_attr("from", jid_.str()).set_attr("type", "groupchat");
    m.add_child("subject", std::string(ns::client));
    send_to(to, m);
}

}  // namespace chorus::modules::muc
