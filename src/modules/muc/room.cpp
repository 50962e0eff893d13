// Room: construction, lookups, delivery to occupants' sessions, stanza dispatch, and the
// room's disco (XEP-0045 §6.4, §6.5). Presence, messages, admin and owner use live beside.
#include "modules/muc/room.h"

#include <spdlog/spdlog.h>

#include "base/encoding.h"
#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"

namespace chorus::modules::muc {

Room::Room(MucService& service, Jid jid, RoomConfig config)
    : service_(service), jid_(std::move(jid)), config_(std::move(config))
{
    if (config_.salt.empty()) {
        config_.salt = hex_encode(random_bytes(16));
    }
}

void Room::load(const std::string& subject, const std::string& subject_nick,
                const std::vector<std::pair<Jid, Affiliation>>& affiliations,
                const std::map<std::string, std::string>& nicks)
{
    for (const auto& [jid, a] : affiliations) {
        if (a != Affiliation::none) {
            affiliations_[jid.bare_str()] = a;
        }
    }
    for (const auto& [jid, nick] : nicks) {
        registered_[jid] = nick;
    }
    if (!subject.empty() || !subject_nick.empty()) {
        xml::Element m("message", std::string(ns::client));
        m.set_attr("from", subject_nick.empty() ? jid_.str() : nick_jid(subject_nick));
        m.set_attr("type", "groupchat");
        m.add_child("subject", std::string(ns::client)).add_text(subject);
        subject_ = std::move(m);
    }
}

void Room::create(const Jid& creator, bool instant)
{
    creator_ = creator.bare_str();
    affiliations_[creator_] = Affiliation::owner;
    locked_ = !instant;
    just_created_ = true;
}

Affiliation Room::affiliation_of(const Jid& real) const
{
    if (auto it = affiliations_.find(real.bare_view()); it != affiliations_.end()) {
        return it->second;
    }
    if (auto it = affiliations_.find(real.domain()); it != affiliations_.end()) {
        return it->second;  // XEP-0045 §9.1: a whole domain may be banned (or admitted)
    }
    return Affiliation::none;
}

Occupant* Room::occupant_of(const Jid& full)
{
    auto it = by_session_.find(full.str());
    return it == by_session_.end() ? nullptr : occupant_by_nick(it->second);
}

Occupant* Room::occupant_by_nick(std::string_view nick)
{
    auto it = occupants_.find(nick);
    return it == occupants_.end() ? nullptr : &it->second;
}

std::string Room::occupant_id_for(const Jid& bare) const
{
    // XEP-0421 §4: stable per user and room, and not reversible to the real JID without
    // the room's secret salt.
    return base64_encode(sha1(config_.salt + "\n" + jid_.str() + "\n" + bare.bare_str()));
}

void Room::send_to(const Jid& to, const router::SharedBytes& bytes, std::int64_t wait_for,
                   const Jid* from)
{
    if (!service_.deliver(to, bytes, wait_for, from)) {
        gone_.push_back(to);
    }
}

void Room::send_to(const Jid& to, const xml::Element& stanza)
{
    send_to(to, std::make_shared<const std::string>(serialize_stanza(stanza)));
}

void Room::send_error(const Jid& /*to*/, const xml::Element& stanza, const StanzaError& e)
{
    service_.server().router().bounce(stanza, e);
}

void Room::prune_gone()
{
    // Bounded: each pass removes sessions, and a room has finitely many.
    for (int pass = 0; pass < 64 && !gone_.empty(); ++pass) {
        auto gone = std::move(gone_);
        gone_.clear();
        for (const auto& jid : gone) {
            session_gone(jid);
        }
    }
}

void Room::on_presence(const Jid& from, const xml::Element& p, const std::string& nick)
{
    const auto type = p.attr("type");
    Occupant* o = occupant_of(from);
    if (type == "error") {
        if (o) {
            session_gone(from);  // its server could not deliver to it: it is not here
        }
    } else if (type == "unavailable") {
        if (o) {
            leave(*o, from, &p, {});
        }
    } else if (type.empty()) {
        if (nick.empty()) {
            send_error(from, p, StanzaError::jid_malformed("A nickname is required"));
        } else if (!o) {
            join(from, p, nick);
        } else if (o->nick == nick) {
            update_presence(*o, from, p);
        } else {
            change_nick(*o, from, p, nick);
        }
    }
    prune_gone();
}

std::int64_t Room::on_message(const Jid& from, const xml::Element& m, const std::string& nick)
{
    const auto type = m.attr("type");
    Occupant* o = occupant_of(from);
    if (type == "error") {
        return 0;  // an occupant's client refused something we sent: nothing to answer
    }
    const auto* x = m.child("x", ns::muc_user);
    if (nick.empty() && x) {
        if (const auto* inv = x->child("invite", ns::muc_user)) {
            (void)inv;
            invite(o, from, m, *x);
        } else if (x->child("decline", ns::muc_user)) {
            decline(from, *x);
        }
        prune_gone();
        return 0;
    }
    if (const auto* form = m.child("x", ns::data_forms); form && nick.empty()) {
        if (o && form_type(*form) == ns::muc_request) {
            voice_request(*o, *form);
            return 0;
        }
        if (form_type(*form) == ns::muc_register) {
            answer_membership_request(from, m, *form);  // admins need not be in the room
            prune_gone();
            return 0;
        }
    }
    if (!o) {
        send_error(from, m,
                   StanzaError::not_acceptable("You are not in this room")
                       .with_type(ErrorType::cancel));  // §7.4
        return 0;
    }
    std::int64_t entry = 0;
    if (m.attr("type") == "groupchat") {
        if (!nick.empty()) {
            send_error(from, m, StanzaError::bad_request("Group chat messages go to the room"));
        } else {
            entry = groupchat(*o, from, m);
        }
    } else if (!nick.empty()) {
        private_message(*o, from, m, nick);
    } else {
        send_error(from, m,
                   StanzaError::bad_request("A message to the room must be of type groupchat"));
    }
    prune_gone();
    return entry;
}

xml::Element Room::disco_info() const
{
    xml::Element q("query", std::string(ns::disco_info));
    q.add_child("identity", std::string(ns::disco_info))
        .set_attr("category", "conference")
        .set_attr("type", "text")
        .set_attr("name", config_.name.empty() ? jid_.node() : config_.name);
    std::vector<std::string_view> features = {
        ns::disco_info,
        ns::disco_items,
        ns::muc,
        ns::muc_stable_id,
        ns::muc_self_ping,
        ns::occupant_id,
        ns::sid,
        config_.public_room ? "muc_public" : "muc_hidden",
        config_.members_only ? "muc_membersonly" : "muc_open",
        config_.moderated ? "muc_moderated" : "muc_unmoderated",
        config_.whois == Whois::anyone ? "muc_nonanonymous" : "muc_semianonymous",
        config_.password_protected() ? "muc_passwordprotected" : "muc_unsecured",
        config_.persistent ? "muc_persistent" : "muc_temporary",
        ns::register_,
    };
    if (config_.archive && service_.server().hooks().archive) {
        features.push_back(ns::mam);
    }
    for (auto f : features) {
        q.add_child("feature", std::string(ns::disco_info)).set_attr("var", f);
    }
    // §6.4 Example 10: muc#roominfo extended info.
    auto& form = q.add_child("x", std::string(ns::data_forms));
    form.set_attr("type", "result");
    add_field(form, "FORM_TYPE", "hidden", {}, {std::string(ns::muc_roominfo)});
    add_field(form, "muc#roominfo_description", {}, "Description", {config_.description});
    add_field(form, "muc#roominfo_occupants", {}, "Number of occupants",
              {std::to_string(occupants_.size())});
    add_field(form, "muc#roominfo_subject", {}, "Subject",
              {subject_ ? subject_->child_text("subject", ns::client) : std::string()});
    add_field(form, "muc#roomconfig_allowpm", {}, "Who may send private messages",
              {config_.allow_pm ? "anyone" : "none"});
    add_field(form, "muc#maxhistoryfetch", {}, "Most history messages sent to joiners",
              {std::to_string(config_.max_history_fetch)});
    add_field(form, "muc#roominfo_subjectmod", {}, "Occupants may change the subject",
              {config_.change_subject ? "1" : "0"});
    if (!config_.lang.empty()) {
        add_field(form, "muc#roominfo_lang", {}, "Language of the discussion", {config_.lang});
    }
    if (!config_.pubsub.empty()) {
        add_field(form, "muc#roominfo_pubsub", {}, "Publish-subscribe node", {config_.pubsub});
    }
    return q;
}

xml::Element Room::disco_items(const Jid& asker) const
{
    xml::Element q("query", std::string(ns::disco_items));
    // §6.5: occupants are listed only where their nicks are no secret.
    const bool inside = by_session_.contains(asker.str());
    if (config_.public_room || inside) {
        for (const auto& [nick, o] : occupants_) {
            q.add_child("item", std::string(ns::disco_items))
                .set_attr("jid", nick_jid(nick))
                .set_attr("name", nick);
        }
    }
    return q;
}

}  // namespace chorus::modules::muc
