// XEP-0045 §10 (owner: configuration, destruction), §7.10 (nick registration) and the
// room's IQ dispatch (the archive and IQs between occupants are in room_archive.cpp).
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "modules/mam/mam_query.h"
#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::modules::muc {
void Room::save()
{
    if (!config_.persistent || destroyed_) {
        return;
    }
    storage::StoredRoom row{jid_.str(), config_.to_text(), {}, {}, creator_};
    if (subject_) {
        row.subject = subject_->child_text("subject", ns::client);
        const auto from = Jid::parse(subject_->attr("from"));
        row.subject_nick = from ? std::string(from->resource()) : std::string();
    }
    if (auto r = service_.store().put_room(row); !r) {
        spdlog::error("muc: cannot store room {}: {}", jid_.str(), r.error().message);
    }
}

std::optional<StanzaError> Room::destroy(const Jid& /*from*/, const xml::Element& d)
{
    // §10.9: everyone leaves, told where the room went and why.
    xml::Element extra("extra", std::string(ns::muc_user));
    auto& out = extra.add_child("destroy", std::string(ns::muc_user));
    if (!d.attr("jid").empty()) {
        if (!Jid::parse(d.attr("jid"))) {
            return StanzaError::jid_malformed("The alternate venue is not a JID");
        }
        out.set_attr("jid", d.attr("jid"));
    }
    for (const auto& c : d.nodes()) {
        if (c.is("reason", ns::muc_owner) || c.is("password", ns::muc_owner)) {
            out.add_child(c.name(), std::string(ns::muc_user)).add_text(c.text());
        }
    }
    std::vector<std::string> nicks;
    for (const auto& [nick, o] : occupants_) {
        nicks.push_back(nick);
    }
    for (const auto& nick : nicks) {
        Occupant gone = *occupant_by_nick(nick);
        remove_occupant(nick);
        gone.affiliation = Affiliation::none;
        broadcast_presence(gone, "unavailable", {}, &extra);
    }
    destroyed_ = true;
    service_.forget_room(jid_.str());
    return std::nullopt;
}

std::optional<StanzaError> Room::owner_get(const Jid& from, xml::Element& answer)
{
    if (affiliation_of(from) != Affiliation::owner) {
        return StanzaError::forbidden("Only owners configure the room");  // §10.2
    }
    answer = config_form();
    return std::nullopt;
}

std::optional<StanzaError> Room::owner_set(const Jid& from, const xml::Element& query)
{
    if (affiliation_of(from) != Affiliation::owner) {
        return StanzaError::forbidden("Only owners configure or destroy the room");
    }
    if (const auto* d = query.child("destroy", ns::muc_owner)) {
        return destroy(from, *d);
    }
    if (const auto* form = query.child("x", ns::data_forms)) {
        return apply_config_form(*form, from);
    }
    return StanzaError::bad_request("Expected a form or <destroy/>");
}

std::optional<StanzaError> Room::register_get(const Jid& from, xml::Element& answer)
{
    const auto a = affiliation_of(from);
    if (a == Affiliation::outcast) {
        return StanzaError::forbidden("You are banned from this room");
    }
    answer = xml::Element("query", std::string(ns::register_));
    if (auto it = registered_.find(from.bare_view()); it != registered_.end()) {
        answer.add_child("registered", std::string(ns::register_));
        answer.add_child("username", std::string(ns::register_)).add_text(it->second);
        return std::nullopt;
    }
    answer.add_child("instructions", std::string(ns::register_))
        .add_text("Register a nickname for this room");
    auto& f = answer.add_child("x", std::string(ns::data_forms));
    f.set_attr("type", "form");
    add_field(f, "FORM_TYPE", "hidden", {}, {std::string(ns::muc_register)});
    add_field(f, "muc#register_roomnick", "text-single", "Nickname", {})
        .add_child("required", std::string(ns::data_forms));
    return std::nullopt;
}

std::optional<StanzaError> Room::register_set(const Jid& from, const xml::Element& query)
{
    const auto bare = from.bare();
    const auto a = affiliation_of(bare);
    if (a == Affiliation::outcast) {
        return StanzaError::forbidden("You are banned from this room");
    }
    if (query.child("remove", ns::register_)) {
        registered_.erase(bare.bare_str());
        if (a == Affiliation::member) {
            affiliations_.erase(bare.bare_str());
        }
        store_affiliation(bare, a == Affiliation::member ? Affiliation::none : a, {});
        return std::nullopt;
    }
    const auto* form = query.child("x", ns::data_forms);
    const auto nick = form ? field_value(*form, "muc#register_roomnick") : std::string();
    if (!form || form->attr("type") != "submit" || nick.empty()) {
        return StanzaError::bad_request("Submit muc#register_roomnick");
    }
    for (const auto& [jid, n] : registered_) {
        if (n == nick && jid != bare.bare_view()) {
            return StanzaError::conflict("That nickname is registered by someone else");
        }
    }
    if (const Occupant* o = occupant_by_nick(nick); o && o->bare.bare_view() != bare.bare_view()) {
        return StanzaError::conflict("That nickname is in use");
    }
    if (config_.members_only && a == Affiliation::none) {
        // §7.10 in a members-only room: membership is a request the admins approve (§9.9).
        return request_membership(bare, nick);
    }
    registered_[bare.bare_str()] = nick;
    const auto now = a == Affiliation::none ? Affiliation::member : a;
    affiliations_[bare.bare_str()] = now;
    store_affiliation(bare, now, {});
    return std::nullopt;
}

void Room::on_iq(const Jid& from, const xml::Element& iq, const std::string& nick)
{
    if (!nick.empty()) {
        iq_to_occupant(from, iq, nick);
        prune_gone();
        return;
    }
    const auto type = iq.attr("type");
    if (type != "get" && type != "set") {
        return;
    }
    const auto* q = iq.first_element();
    if (!q || iq.element_count() != 1) {
        send_error(from, iq, StanzaError::bad_request("An IQ get or set has one child"));
        return;
    }
    const bool get = type == "get";
    xml::Element payload;
    bool with_payload = true;
    std::optional<StanzaError> error;
    if (get && q->is("query", ns::disco_info)) {
        if (q->attr("node") == "x-roomuser-item") {
            // §7.12: the user's registered nick, if any.
            payload = xml::Element("query", std::string(ns::disco_info));
            payload.set_attr("node", "x-roomuser-item");
            if (auto it = registered_.find(from.bare_view()); it != registered_.end()) {
                payload.add_child("identity", std::string(ns::disco_info))
                    .set_attr("category", "conference")
                    .set_attr("type", "text")
                    .set_attr("name", it->second);
            }
        } else if (!q->attr("node").empty()) {
            error = StanzaError::item_not_found();
        } else {
            payload = disco_info();
        }
    } else if (get && q->is("query", ns::disco_items)) {
        payload = disco_items(from);
    } else if (q->is("query", ns::muc_admin)) {
        if (get) {
            error = admin_get(from, *q, payload);
        } else {
            error = admin_set(from, *q);
            with_payload = false;
        }
    } else if (q->is("query", ns::muc_owner)) {
        if (get) {
            error = owner_get(from, payload);
        } else {
            error = owner_set(from, *q);
            with_payload = false;
        }
    } else if (q->is("query", ns::register_)) {
        if (get) {
            error = register_get(from, payload);
        } else {
            error = register_set(from, *q);
            with_payload = false;
        }
    } else if (q->is("query", ns::mam)) {
        if (get) {
            payload = mam::query_form();
        } else {
            error = mam_query(from, iq, *q, payload);
        }
    } else if (get && q->is("ping", ns::ping)) {
        with_payload = false;
    } else {
        error = StanzaError::service_unavailable();
    }
    if (error) {
        send_error(from, iq, *error);
    } else {
        xml::Element result("iq", std::string(ns::client));
        result.set_attr("type", "result")
            .set_attr("id", iq.attr("id"))
            .set_attr("from", jid_.str());
        if (with_payload && !payload.name().empty()) {
            result.add_child(std::move(payload));
        }
        send_to(from, result);
    }
    prune_gone();
}

}  // namespace chorus::modules::muc
