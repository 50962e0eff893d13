// XEP-0045 §7.4 (group chat messages), §7.5 (private messages), §7.8 (invitations),
// §8.1 (subject), §8.6 (voice requests), with XEP-0313 on the room: every archived group chat
// message is stored before any copy leaves (DESIGN.md "archive before delivery").
#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/message_facts.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"

namespace chorus::modules::muc {
namespace {

/// The sender's children we relay: never an id only the room may give (XEP-0359 §4
/// stanza-id by the room, XEP-0421 occupant-id) or the sender's addressing.
void copy_payload(const xml::Element& from, xml::Element& to, std::string_view room)
{
    for (const auto& c : from.nodes()) {
        if (c.is_text()) {
            continue;
        }
        if ((c.is("stanza-id", ns::sid) && c.attr("by") == room) || c.ns() == ns::occupant_id) {
            continue;
        }
        to.add_child(c);
    }
}

/// The room archive lost a sender's message: no copy of it left, and the sender hears so
/// (as the router answers a 1:1 message whose batch failed), straight to its session: a
/// routed error would be archived by the storage that just failed.
void lost_message_error(Server& server, const std::string& room, const std::string& to,
                        const std::string& id)
{
    xml::Element sent("message", std::string(ns::client));
    sent.set_attr("from", to).set_attr("to", room).set_attr("type", "groupchat");
    if (!id.empty()) {
        sent.set_attr("id", id);
    }
    auto reply = error_reply(
        sent, StanzaError::resource_constraint("The message could not be stored; it was not sent"));
    const auto sender = Jid::parse(to);
    if (!reply || !sender) {
        return;
    }
    if (!server.is_local_domain(sender->domain()) ||
        !server.router().deliver_to_session(
            *sender, std::make_shared<const std::string>(serialize_stanza(*reply)))) {
        server.router().route(std::move(*reply));
    }
}

}  // namespace

std::int64_t Room::fan_out(xml::Element msg, bool archive, const Jid& sender_real,
                           const Jid* sender, std::string_view id)
{
    auto bytes = serialize_stanza(msg);
    std::optional<ArchiveRef> ref;
    auto& server = service_.server();
    if (archive && config_.archive && server.hooks().archive) {
        ref = server.hooks().archive(jid_, sender_real.bare_str(), bytes, false, true);
    }
    if (ref) {  // XEP-0359: every copy names the room's archive entry
        bytes = with_stanza_id(bytes, ref->id(), jid_.str());
        msg.add_child("stanza-id", std::string(ns::sid))
            .set_attr("id", ref->id())
            .set_attr("by", jid_.str());
    }
    const auto shared = std::make_shared<const std::string>(std::move(bytes));
    const std::int64_t wait_for = ref ? ref->seq() : 0;
    const auto from = Jid::parse(msg.attr("from"));
    for (const auto& [nick, o] : occupants_) {
        for (const auto& s : o.sessions) {
            send_to(s, shared, wait_for, from ? &*from : nullptr);
        }
    }
    if (archive) {
        const auto keep = std::min(config_.history_length, service_.limits().max_history);
        history_.push_back({std::move(msg), server.clock().now(), shared->size(), wait_for});
        while (history_.size() > keep) {
            history_.pop_front();
        }
    }
    if (wait_for) {
        server.router().gate().watch(
            {.last_id = wait_for,
             .outcome = [&server, room = this, alive = std::weak_ptr<char>(alive_), wait_for,
                         room_jid = jid_.str(), to = sender ? sender->str() : std::string(),
                         id = std::string(id)](bool committed) {
                 if (committed) {
                     return;
                 }
                 if (alive.lock()) {
                     room->forget_history(wait_for);
                 }
                 if (!to.empty()) {
                     lost_message_error(server, room_jid, to, id);
                 }
             }});
    }
    return wait_for;
}

void Room::forget_history(std::int64_t seq)
{
    std::erase_if(history_, [seq](const HistoryEntry& h) { return h.seq == seq; });
}

std::int64_t Room::groupchat(Occupant& o, const Jid& from, const xml::Element& m)
{
    if (serialize_stanza(m).size() > service_.limits().max_message_bytes) {
        send_error(from, m, StanzaError::policy_violation("The message is too long"));
        return 0;
    }
    const bool subject_only = m.child("subject", ns::client) && !m.child("body", ns::client);
    if (subject_only) {
        set_subject(o, m);
        return 0;
    }
    if (!may_speak(o.role)) {
        // §7.4: visitors of a moderated room have no voice.
        send_error(from, m, StanzaError::forbidden("You have no voice in this room"));
        return 0;
    }
    xml::Element out("message", std::string(ns::client));
    out.set_attr("from", nick_jid(o.nick)).set_attr("type", "groupchat");
    if (!m.attr("id").empty()) {
        out.set_attr("id", m.attr("id"));  // clients match their reflection by id
    }
    if (!m.attr("xml:lang").empty()) {
        out.set_attr("xml:lang", m.attr("xml:lang"));
    }
    copy_payload(m, out, jid_.str());
    out.add_child("occupant-id", std::string(ns::occupant_id)).set_attr("id", o.occupant_id);
    return fan_out(std::move(out), !scan_message(m).transient, o.bare, &from, m.attr("id"));
}

void Room::set_subject(Occupant& o, const xml::Element& m)
{
    if (!may_set_subject(o.role, config_)) {
        send_error(o.sessions.front(), m,
                   StanzaError::forbidden("You may not change the subject of this room"));
        return;
    }
    xml::Element out("message", std::string(ns::client));
    out.set_attr("from", nick_jid(o.nick)).set_attr("type", "groupchat");
    if (!m.attr("id").empty()) {
        out.set_attr("id", m.attr("id"));
    }
    out.add_child("subject", std::string(ns::client)).add_text(m.child_text("subject", ns::client));
    out.add_child("occupant-id", std::string(ns::occupant_id)).set_attr("id", o.occupant_id);
    subject_ = out;
    save();
    fan_out(std::move(out), false, o.bare);
}

void Room::private_message(Occupant& o, const Jid& from, const xml::Element& m,
                           const std::string& nick)
{
    Occupant* target = occupant_by_nick(nick);
    if (!target) {
        send_error(from, m, StanzaError::item_not_found("No occupant has that nickname"));
        return;
    }
    if (!may_send_pm(o.role, config_)) {
        send_error(from, m, StanzaError::forbidden("Private messages are not allowed here"));
        return;
    }
    if (serialize_stanza(m).size() > service_.limits().max_message_bytes) {
        send_error(from, m, StanzaError::policy_violation("The message is too long"));
        return;
    }
    xml::Element out("message", std::string(ns::client));
    out.set_attr("from", nick_jid(o.nick));
    for (const auto& a : m.attrs()) {
        if (a.name == "type" || a.name == "id" || a.name == "xml:lang") {
            out.set_attr(a.name, a.value);
        }
    }
    copy_payload(m, out, jid_.str());
    // §7.5: the room marks a private message, so the recipient's server treats it as one
    // (ROUTING.md R7: only the addressed session, never carbon-copied).
    if (!out.child("x", ns::muc_user)) {
        out.add_child("x", std::string(ns::muc_user));
    }
    out.add_child("occupant-id", std::string(ns::occupant_id)).set_attr("id", o.occupant_id);
    const auto bytes = std::make_shared<const std::string>(serialize_stanza(out));
    // Every joined device of the recipient gets it once (the nick is the user, not one
    // device); the sending device itself does not, when it writes to its own nick.
    const auto sender = Jid::parse(nick_jid(o.nick));
    for (const auto& s : target->sessions) {
        if (s != from) {
            send_to(s, bytes, 0, sender ? &*sender : nullptr);
        }
    }
}

void Room::invite(Occupant* o, const Jid& from, const xml::Element& m, const xml::Element& x)
{
    if (!o) {
        send_error(from, m, StanzaError::not_acceptable("Only occupants may invite"));
        return;
    }
    if (!may_invite(o->affiliation, o->role, config_)) {
        send_error(from, m, StanzaError::forbidden("You may not invite to this room"));
        return;
    }
    for (const auto& inv : x.nodes()) {
        if (!inv.is("invite", ns::muc_user)) {
            continue;
        }
        auto to = Jid::parse(inv.attr("to"));
        if (!to) {
            send_error(from, m, StanzaError::jid_malformed("The invitee's JID is not valid"));
            return;
        }
        if (config_.members_only && affiliation_of(*to) == Affiliation::none) {
            // §7.8.2: inviting into a members-only room makes the invitee a member.
            affiliations_[to->bare_str()] = Affiliation::member;
            store_affiliation(to->bare(), Affiliation::member, {});
        }
        xml::Element out("message", std::string(ns::client));
        out.set_attr("from", jid_.str())
            .set_attr("to", to->str())
            .set_attr("id", service_.next_id());
        auto& ux = out.add_child("x", std::string(ns::muc_user));
        auto& i = ux.add_child("invite", std::string(ns::muc_user));
        i.set_attr("from", from.str());
        for (const auto& c : inv.nodes()) {
            if (c.is("reason", ns::muc_user) || c.is("continue", ns::muc_user)) {
                i.add_child(c);
            }
        }
        if (config_.password_protected()) {
            ux.add_child("password", std::string(ns::muc_user)).add_text(config_.password);
        }
        // XEP-0249 §3: the direct form too, for clients that only understand it.
        auto& direct = out.add_child("x", std::string(ns::direct_invite));
        direct.set_attr("jid", jid_.str());
        if (const auto reason = inv.child_text("reason", ns::muc_user); !reason.empty()) {
            direct.set_attr("reason", reason);
        }
        out.add_child("body", std::string(ns::client))
            .add_text(from.bare_str() + " invites you to the room " + jid_.str());
        service_.server().router().route(std::move(out));
    }
}

void Room::decline(const Jid& from, const xml::Element& x)
{
    const auto* d = x.child("decline", ns::muc_user);
    auto to = Jid::parse(d->attr("to"));
    if (!to) {
        return;  // §7.8: nobody to tell
    }
    xml::Element out("message", std::string(ns::client));
    out.set_attr("from", jid_.str()).set_attr("to", to->str()).set_attr("id", service_.next_id());
    auto& dx = out.add_child("x", std::string(ns::muc_user))
                   .add_child("decline", std::string(ns::muc_user));
    dx.set_attr("from", from.bare_str());
    if (const auto* reason = d->child("reason", ns::muc_user)) {
        dx.add_child(*reason);
    }
    service_.server().router().route(std::move(out));
}

void Room::voice_request(Occupant& o, const xml::Element& form)
{
    if (o.role == Role::moderator) {
        // §8.6 Example 95: a moderator's answer to a request.
        if (field_value(form, "muc#role") == "participant" &&
            field_true(form, "muc#request_allow")) {
            if (Occupant* t = occupant_by_nick(field_value(form, "muc#roomnick"));
                t && t->role == Role::visitor) {
                apply_role(*t, Role::participant, {}, o.sessions.front(), {});
            }
        }
        return;
    }
    if (o.role != Role::visitor) {
        return;
    }
    xml::Element out("message", std::string(ns::client));
    out.set_attr("from", jid_.str());
    auto& f = out.add_child("x", std::string(ns::data_forms));
    f.set_attr("type", "form");
    f.add_child("title", std::string(ns::data_forms)).add_text("Voice request");
    add_field(f, "FORM_TYPE", "hidden", {}, {std::string(ns::muc_request)});
    add_field(f, "muc#role", "list-single", "Requested role", {"participant"});
    add_field(f, "muc#jid", "jid-single", "User ID", {o.bare.str()});
    add_field(f, "muc#roomnick", "text-single", "Room Nickname", {o.nick});
    add_field(f, "muc#request_allow", "boolean", "Grant voice to this person?", {"false"});
    const auto bytes = std::make_shared<const std::string>(serialize_stanza(out));
    for (const auto& [nick, m] : occupants_) {
        if (m.role == Role::moderator) {
            for (const auto& s : m.sessions) {
                send_to(s, bytes);
            }
        }
    }
}

}  // namespace chorus::modules::muc
