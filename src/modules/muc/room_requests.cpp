// XEP-0045 §7.10 with §9.9: a user asking to register with a members-only room becomes a
// request that the room's admins and owners receive as a muc#register form; one of them
// approving it makes the user a member with the requested nick.
#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::muc {
namespace {

// Requests waiting for an admin per room; past it new ones are refused, not queued.
constexpr std::size_t max_pending_requests = 100;

}  // namespace

std::optional<StanzaError> Room::request_membership(const Jid& bare, const std::string& nick)
{
    for (const auto& [jid, n] : pending_members_) {
        if (n == nick && jid != bare.bare_view()) {
            return StanzaError::conflict("Someone else asked for that nickname");
        }
    }
    if (!pending_members_.contains(bare.bare_view()) &&
        pending_members_.size() >= max_pending_requests) {
        return StanzaError::resource_constraint("Too many membership requests wait already")
            .with_type(ErrorType::wait);
    }
    pending_members_[bare.bare_str()] = nick;
    // §9.9 Example: the request as a form to approve (muc#register_allow), sent to every
    // admin and owner's account (a normal message: offline ones read it later).
    xml::Element m("message", std::string(ns::client));
    m.set_attr("from", jid_.str());
    m.add_child("body", std::string(ns::client))
        .add_text(bare.bare_str() + " asks to become a member of " + jid_.str() + " as " + nick);
    auto& f = m.add_child("x", std::string(ns::data_forms));
    f.set_attr("type", "form");
    f.add_child("title", std::string(ns::data_forms)).add_text("Registration request");
    f.add_child("instructions", std::string(ns::data_forms))
        .add_text("To approve this request, check \"Allow\" and submit the form to the room.");
    add_field(f, "FORM_TYPE", "hidden", {}, {std::string(ns::muc_register)});
    add_field(f, "muc#jid", "jid-single", "User ID", {bare.bare_str()});
    add_field(f, "muc#register_roomnick", "text-single", "Nickname", {nick});
    add_field(f, "muc#register_allow", "boolean", "Allow this person to register with the room?",
              {"0"});
    for (auto a : {Affiliation::owner, Affiliation::admin}) {
        for (const auto& jid : affiliated(a)) {
            if (jid.find('@') == std::string::npos) {
                continue;  // a whole domain: nobody to ask
            }
            xml::Element copy = m;
            copy.set_attr("to", jid).set_attr("id", service_.next_id());
            service_.server().router().route(std::move(copy));
        }
    }
    return std::nullopt;
}

void Room::answer_membership_request(const Jid& from, const xml::Element& m,
                                     const xml::Element& form)
{
    if (form.attr("type") == "cancel") {
        return;  // §9.9: the admin skips the request; it stays for another
    }
    if (affiliation_of(from) < Affiliation::admin) {
        send_error(from, m, StanzaError::forbidden("Only admins and owners approve members"));
        return;
    }
    const auto user = Jid::parse(field_value(form, "muc#jid"));
    auto it = user ? pending_members_.find(user->bare_view()) : pending_members_.end();
    if (it == pending_members_.end()) {
        send_error(from, m, StanzaError::item_not_found("No such membership request"));
        return;
    }
    const std::string nick = it->second;
    pending_members_.erase(it);
    if (!field_true(form, "muc#register_allow")) {
        return;  // denied: the request is gone
    }
    if (affiliation_of(*user) == Affiliation::outcast) {
        return;  // banned meanwhile: a ban wins over an old request
    }
    registered_[user->bare_str()] = nick;
    // The user learns it from status 101 (set_affiliation), and may enter now.
    if (auto e = set_affiliation(from, user->bare(), Affiliation::member, {})) {
        send_error(from, m, *e);
    }
}

}  // namespace chorus::modules::muc
