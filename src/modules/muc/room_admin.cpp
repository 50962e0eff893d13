// XEP-0045 §8 (moderator use cases: kick, voice, role lists) and §9/§10 affiliation
// changes and lists (ban, membership, admins, owners) through muc#admin.
#include <spdlog/spdlog.h>

#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::muc {

std::optional<StanzaError> Room::admin_get(const Jid& from, const xml::Element& query,
                                           xml::Element& answer)
{
    const auto* item = query.child("item", ns::muc_admin);
    if (!item) {
        return StanzaError::bad_request("Say which list: <item affiliation/> or <item role/>");
    }
    answer = xml::Element("query", std::string(ns::muc_admin));
    const Occupant* actor = occupant_of(from);
    if (!item->attr("affiliation").empty()) {
        const auto list = parse_affiliation(item->attr("affiliation"));
        if (!list || *list == Affiliation::none) {
            return StanzaError::bad_request("No such affiliation list");
        }
        if (!may_read_list(affiliation_of(from), actor ? actor->role : Role::none, *list,
                           config_)) {
            return StanzaError::forbidden("You may not read that list");
        }
        for (const auto& [jid, a] : affiliations_) {
            if (a != *list) {
                continue;
            }
            auto& i = answer.add_child("item", std::string(ns::muc_admin));
            i.set_attr("affiliation", affiliation_name(a)).set_attr("jid", jid);
            if (auto r = registered_.find(jid); r != registered_.end()) {
                i.set_attr("nick", r->second);
            }
        }
        return std::nullopt;
    }
    const auto role = parse_role(item->attr("role"));
    if (!role || *role == Role::none) {
        return StanzaError::bad_request("No such role list");
    }
    if (!actor || !may_read_role_list(actor->role)) {
        return StanzaError::forbidden("Only moderators read role lists");  // §8.5, §9.8
    }
    for (const auto& [nick, o] : occupants_) {
        if (o.role == *role) {
            answer.add_child("item", std::string(ns::muc_admin))
                .set_attr("role", role_name(o.role))
                .set_attr("affiliation", affiliation_name(o.affiliation))
                .set_attr("nick", nick)
                .set_attr("jid", o.sessions.front().str());
        }
    }
    return std::nullopt;
}

std::optional<StanzaError> Room::admin_set(const Jid& from, const xml::Element& query)
{
    bool any = false;
    for (const auto& item : query.nodes()) {
        if (!item.is("item", ns::muc_admin)) {
            continue;
        }
        any = true;
        const auto reason = item.child_text("reason", ns::muc_admin);
        if (!item.attr("role").empty()) {
            const auto role = parse_role(item.attr("role"));
            Occupant* target = occupant_by_nick(item.attr("nick"));
            if (!role) {
                return StanzaError::bad_request("No such role");
            }
            if (!target) {
                return StanzaError::item_not_found("No occupant has that nickname");
            }
            const Occupant* actor = occupant_of(from);
            const auto refusal = role_change_refusal({
                .actor_role = actor ? actor->role : Role::none,
                .actor_affiliation = affiliation_of(from),
                .target_affiliation = target->affiliation,
                .target_role = target->role,
                .new_role = *role,
            });
            if (refusal) {
                return refusal;
            }
            if (target->role != *role) {
                apply_role(*target, *role,
                           *role == Role::none ? std::vector<int>{307} : std::vector<int>{}, from,
                           reason);
            }
            continue;
        }
        const auto aff = parse_affiliation(item.attr("affiliation"));
        if (!aff) {
            return StanzaError::bad_request("An item needs a role or an affiliation");
        }
        std::optional<Jid> target;
        if (!item.attr("jid").empty()) {
            target = Jid::parse(item.attr("jid"));
            if (!target) {
                return StanzaError::jid_malformed("The item's JID is not valid");
            }
        } else if (const Occupant* o = occupant_by_nick(item.attr("nick"))) {
            target = o->bare;
        } else {
            return StanzaError::item_not_found("No occupant has that nickname");
        }
        if (auto e = set_affiliation(from, target->bare(), *aff, reason)) {
            return e;
        }
    }
    if (!any) {
        return StanzaError::bad_request("No item to change");
    }
    return std::nullopt;
}

std::optional<StanzaError> Room::set_affiliation(const Jid& actor, const Jid& target, Affiliation a,
                                                 const std::string& reason)
{
    const auto old = affiliation_of(target);
    std::size_t owners = 0;
    for (const auto& [jid, x] : affiliations_) {
        owners += x == Affiliation::owner;
    }
    const auto refusal = affiliation_change_refusal({
        .actor = affiliation_of(actor),
        .target_old = old,
        .target_new = a,
        .last_owner = old == Affiliation::owner && owners == 1,
    });
    if (refusal) {
        return refusal;
    }
    if (a == Affiliation::none) {
        affiliations_.erase(target.bare_str());
    } else {
        affiliations_[target.bare_str()] = a;
    }
    store_affiliation(target, a, reason);
    // The user's nicks in the room see the change (§9.1 ban: removed with 301; §9.4 a
    // members-only room removes a former member with 321).
    std::vector<std::string> nicks;
    for (const auto& [nick, o] : occupants_) {
        if (o.bare.bare_view() == target.bare_view()) {
            nicks.push_back(nick);
        }
    }
    if (nicks.empty() && target.node().size()) {
        // §9.3, §9.4, §10.6: status 101 tells a user away from the room its new affiliation.
        xml::Element m("message", std::string(ns::client));
        m.set_attr("from", jid_.str()).set_attr("to", target.bare_str());
        m.set_attr("id", service_.next_id());
        auto& x = m.add_child("x", std::string(ns::muc_user));
        x.add_child("item", std::string(ns::muc_user))
            .set_attr("affiliation", affiliation_name(a))
            .set_attr("jid", target.bare_str());
        add_status_codes(x, {101});
        service_.server().router().route(std::move(m));
    }
    for (const auto& nick : nicks) {
        Occupant* o = occupant_by_nick(nick);
        if (!o) {
            continue;
        }
        o->affiliation = a;
        if (a == Affiliation::outcast) {
            apply_role(*o, Role::none, {301}, actor, reason);
        } else if (config_.members_only && a == Affiliation::none) {
            apply_role(*o, Role::none, {321}, actor, reason);
        } else {
            // The role follows the affiliation (§5.1.2), except a moderator granted by
            // an admin stays one while still entitled to it.
            auto role = default_role(a, config_);
            if (o->role == Role::moderator && role != Role::moderator && a != Affiliation::none) {
                role = Role::moderator;
            }
            apply_role(*o, role, {}, actor, reason);
        }
    }
    return std::nullopt;
}

void Room::store_affiliation(const Jid& target, Affiliation a, const std::string& reason)
{
    if (!config_.persistent) {
        return;  // a temporary room's affiliations live as long as the room
    }
    std::string nick;
    if (auto it = registered_.find(target.bare_view()); it != registered_.end()) {
        nick = it->second;
    }
    auto r = service_.store().set_affiliation(
        jid_.str(), {target.bare_str(), std::string(affiliation_name(a)), nick, reason});
    if (!r) {
        spdlog::error("muc: cannot store an affiliation of {}: {}", jid_.str(), r.error().message);
    }
}

}  // namespace chorus::modules::muc
