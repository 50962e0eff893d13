// XEP-0045 §10.2 room configuration: the muc#roomconfig form an owner gets and submits,
// its checks, and what a change does to the room (affiliations from the owner and admin
// lists, members-only removals, status 104/172/173 notices).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::muc {
namespace {

bool truthy(const std::string& v)
{
    return v == "1" || v == "true";
}

void add_options(xml::Element& field, const std::vector<std::string_view>& values)
{
    for (auto v : values) {
        field.add_child("option", std::string(ns::data_forms))
            .add_child("value", std::string(ns::data_forms))
            .add_text(v);
    }
}

/// A jid-multi field's values as bare JIDs; nullopt when one is not a JID.
std::optional<std::vector<Jid>> jid_list(const xml::Element& form, std::string_view var)
{
    std::vector<Jid> out;
    for (const auto& v : field_values(form, var)) {
        if (v.empty()) {
            continue;
        }
        auto jid = Jid::parse(v);
        if (!jid) {
            return std::nullopt;
        }
        out.push_back(jid->bare());
    }
    return out;
}

}  // namespace

std::vector<std::string> Room::affiliated(Affiliation a) const
{
    std::vector<std::string> out;
    for (const auto& [jid, x] : affiliations_) {
        if (x == a) {
            out.push_back(jid);
        }
    }
    return out;
}

xml::Element Room::config_form() const
{
    xml::Element q("query", std::string(ns::muc_owner));
    auto& f = q.add_child("x", std::string(ns::data_forms));
    f.set_attr("type", "form");
    f.add_child("title", std::string(ns::data_forms)).add_text("Configuration of " + jid_.str());
    auto b = [](bool v) { return std::vector<std::string>{v ? "1" : "0"}; };
    add_field(f, "FORM_TYPE", "hidden", {}, {std::string(ns::muc_roomconfig)});
    add_field(f, "muc#roomconfig_roomname", "text-single", "Name", {config_.name});
    add_field(f, "muc#roomconfig_roomdesc", "text-single", "Description", {config_.description});
    add_field(f, "muc#roomconfig_lang", "text-single", "Language of the discussion",
              {config_.lang});
    add_field(f, "muc#roomconfig_persistentroom", "boolean", "Persistent", b(config_.persistent));
    add_field(f, "muc#roomconfig_publicroom", "boolean", "Listed publicly", b(config_.public_room));
    add_field(f, "muc#roomconfig_membersonly", "boolean", "Members only", b(config_.members_only));
    add_field(f, "muc#roomconfig_moderatedroom", "boolean", "Moderated", b(config_.moderated));
    add_field(f, "muc#roomconfig_passwordprotectedroom", "boolean", "Password protected",
              b(config_.password_protected()));
    add_field(f, "muc#roomconfig_roomsecret", "text-private", "Password", {config_.password});
    add_options(add_field(f, "muc#roomconfig_whois", "list-single", "Who may see real JIDs",
                          {config_.whois == Whois::anyone ? "anyone" : "moderators"}),
                {"moderators", "anyone"});
    add_field(f, "muc#roomconfig_historylength", "text-single", "Messages of history kept",
              {std::to_string(config_.history_length)});
    add_field(f, "muc#maxhistoryfetch", "text-single", "Messages of history sent to joiners",
              {std::to_string(config_.max_history_fetch)});
    add_options(add_field(f, "muc#roomconfig_allowpm", "list-single",
                          "Who may send private messages", {config_.allow_pm ? "anyone" : "none"}),
                {"anyone", "none"});
    add_options(add_field(f, "muc#roomconfig_presencebroadcast", "list-multi",
                          "Roles whose presence is broadcast", config_.presence_broadcast.names()),
                {"moderator", "participant", "visitor"});
    add_options(
        add_field(f, "muc#roomconfig_getmemberlist", "list-multi",
                  "Roles that may read the member list", config_.member_list_readers.names()),
        {"moderator", "participant", "visitor"});
    add_field(f, "muc#roomconfig_changesubject", "boolean", "Participants may change the subject",
              b(config_.change_subject));
    add_field(f, "muc#roomconfig_canchangenick", "boolean", "Occupants may change nicknames",
              b(config_.can_change_nick));
    add_field(f, "muc#roomconfig_allowinvites", "boolean", "Members may invite",
              b(config_.allow_invites));
    add_field(f, "muc#roomconfig_enablearchiving", "boolean", "Archive messages (XEP-0313)",
              b(config_.archive));
    add_field(f, "muc#roomconfig_maxusers", "text-single", "Most occupants",
              {std::to_string(config_.max_occupants ? config_.max_occupants
                                                    : service_.limits().max_occupants)});
    add_field(f, "muc#roomconfig_pubsub", "text-single", "XMPP URI of the room's pubsub node",
              {config_.pubsub});
    add_field(f, "muc#roomconfig_roomowners", "jid-multi", "Owners",
              affiliated(Affiliation::owner));
    add_field(f, "muc#roomconfig_roomadmins", "jid-multi", "Admins",
              affiliated(Affiliation::admin));
    return q;
}

std::optional<StanzaError> Room::apply_config_form(const xml::Element& form, const Jid& from)
{
    if (form.attr("type") == "cancel") {
        if (locked_) {  // §10.1.3: cancelling the initial form destroys the new room
            evict_all({});
            destroyed_ = true;
        }
        return std::nullopt;
    }
    if (form.attr("type") != "submit") {
        return StanzaError::bad_request("Submit the form (type='submit') or cancel it");
    }
    RoomConfig c = config_;
    auto text = [&](std::string_view var, std::string& out) {
        if (has_field(form, var)) {
            out = field_value(form, var);
        }
    };
    auto flag = [&](std::string_view var, bool& out) {
        if (has_field(form, var)) {
            out = truthy(field_value(form, var));
        }
    };
    auto number = [&](std::string_view var, std::size_t& out) -> bool {
        if (!has_field(form, var)) {
            return true;
        }
        try {
            out = std::stoul(field_value(form, var));
            return true;
        } catch (...) {
            return false;
        }
    };
    auto roles = [&](std::string_view var, RoleSet& out) -> bool {
        if (!has_field(form, var)) {
            return true;
        }
        auto set = RoleSet::parse(field_values(form, var));
        if (set) {
            out = *set;
        }
        return set.has_value();
    };
    text("muc#roomconfig_roomname", c.name);
    text("muc#roomconfig_roomdesc", c.description);
    text("muc#roomconfig_lang", c.lang);
    text("muc#roomconfig_pubsub", c.pubsub);
    flag("muc#roomconfig_persistentroom", c.persistent);
    flag("muc#roomconfig_publicroom", c.public_room);
    flag("muc#roomconfig_membersonly", c.members_only);
    flag("muc#roomconfig_moderatedroom", c.moderated);
    flag("muc#roomconfig_changesubject", c.change_subject);
    flag("muc#roomconfig_canchangenick", c.can_change_nick);
    flag("muc#roomconfig_allowinvites", c.allow_invites);
    flag("muc#roomconfig_enablearchiving", c.archive);
    flag("mam", c.archive);  // ejabberd's name for the same switch
    text("muc#roomconfig_roomsecret", c.password);
    if (has_field(form, "muc#roomconfig_passwordprotectedroom") &&
        !field_true(form, "muc#roomconfig_passwordprotectedroom")) {
        c.password.clear();
    }
    if (has_field(form, "muc#roomconfig_whois")) {
        const auto w = field_value(form, "muc#roomconfig_whois");
        if (w != "anyone" && w != "moderators") {
            return StanzaError::not_acceptable("muc#roomconfig_whois: anyone or moderators");
        }
        c.whois = w == "anyone" ? Whois::anyone : Whois::moderators;
    }
    if (has_field(form, "muc#roomconfig_allowpm")) {
        const auto v = field_value(form, "muc#roomconfig_allowpm");
        c.allow_pm = v != "none" && v != "0" && v != "false";
    }
    if (!number("muc#roomconfig_historylength", c.history_length) ||
        !number("muc#maxhistoryfetch", c.max_history_fetch) ||
        !number("muc#roomconfig_maxusers", c.max_occupants)) {
        return StanzaError::not_acceptable("A number field holds no number");
    }
    if (!roles("muc#roomconfig_presencebroadcast", c.presence_broadcast) ||
        !roles("muc#roomconfig_getmemberlist", c.member_list_readers)) {
        return StanzaError::not_acceptable("A role list names moderator, participant, visitor");
    }
    if (c.history_length > service_.limits().max_history) {
        return StanzaError::not_acceptable("muc#roomconfig_historylength: at most " +
                                           std::to_string(service_.limits().max_history));
    }
    if (!valid_language_tag(c.lang)) {
        return StanzaError::not_acceptable("muc#roomconfig_lang: a language tag such as en-GB");
    }
    if (!c.pubsub.empty() && !c.pubsub.starts_with("xmpp:")) {
        return StanzaError::not_acceptable("muc#roomconfig_pubsub: an xmpp: URI");
    }
    const auto owners = jid_list(form, "muc#roomconfig_roomowners");
    const auto admins = jid_list(form, "muc#roomconfig_roomadmins");
    if (!owners || !admins) {
        return StanzaError::jid_malformed("An owner or admin is not a valid JID");
    }
    if (has_field(form, "muc#roomconfig_roomowners") && owners->empty()) {
        return StanzaError::not_acceptable("A room keeps at least one owner");  // §10.6
    }
    if (c.max_occupants > service_.limits().max_occupants) {
        c.max_occupants = service_.limits().max_occupants;
    }
    const bool was_persistent = config_.persistent;
    const bool whois_changed = c.whois != config_.whois;
    const bool became_members_only = c.members_only && !config_.members_only;
    const bool was_locked = locked_;
    config_ = std::move(c);
    locked_ = false;
    if (config_.persistent) {
        save();
        for (const auto& [jid, a] : affiliations_) {
            store_affiliation(*Jid::parse(jid), a, {});
        }
    } else if (was_persistent) {
        service_.forget_room(jid_.str());
    }
    while (history_.size() > config_.history_length) {
        history_.pop_front();
    }
    if (has_field(form, "muc#roomconfig_roomowners")) {
        set_list(from, Affiliation::owner, *owners);
    }
    if (has_field(form, "muc#roomconfig_roomadmins")) {
        set_list(from, Affiliation::admin, *admins);
    }
    if (became_members_only) {
        // §10.2: occupants without membership leave with 322.
        std::vector<std::string> out;
        for (const auto& [nick, o] : occupants_) {
            if (o.affiliation == Affiliation::none) {
                out.push_back(nick);
            }
        }
        for (const auto& nick : out) {
            apply_role(*occupant_by_nick(nick), Role::none, {322}, jid_, {});
        }
    }
    if (!was_locked) {
        // §10.2.1: occupants learn that the configuration changed (104), and how the
        // room's anonymity changed (172: now non-anonymous, 173: semi-anonymous).
        xml::Element m("message", std::string(ns::client));
        m.set_attr("from", jid_.str())
            .set_attr("type", "groupchat")
            .set_attr("id", service_.next_id());
        std::vector<int> codes = {104};
        if (whois_changed) {
            codes.push_back(config_.whois == Whois::anyone ? 172 : 173);
        }
        add_status_codes(m.add_child("x", std::string(ns::muc_user)), codes);
        fan_out(std::move(m), false, jid_);
    }
    return std::nullopt;
}

void Room::set_list(const Jid& actor, Affiliation a, const std::vector<Jid>& wanted)
{
    // muc#roomconfig_roomowners/roomadmins are the full lists: the listed JIDs get the
    // affiliation first (so the room never lacks an owner), then the unlisted lose it. A
    // JID in both lists stays an owner. Who loses it keeps membership in a members-only
    // room (it would be removed otherwise), as an owner revoking by muc#admin would choose.
    for (const auto& jid : wanted) {
        const auto now = affiliation_of(jid);
        if (now != a && !(a == Affiliation::admin && now == Affiliation::owner)) {
            if (auto e = set_affiliation(actor, jid, a, {})) {
                spdlog::debug("muc: {} keeps its affiliation: {}", jid.str(), e->text);
            }
        }
    }
    const auto fallback = config_.members_only ? Affiliation::member : Affiliation::none;
    for (const auto& jid : affiliated(a)) {
        const bool listed = std::any_of(wanted.begin(), wanted.end(),
                                        [&](const Jid& w) { return w.bare_view() == jid; });
        if (!listed) {
            if (auto e = set_affiliation(actor, *Jid::parse(jid), fallback, {})) {
                spdlog::debug("muc: {} keeps its affiliation: {}", jid, e->text);
            }
        }
    }
}

}  // namespace chorus::modules::muc
