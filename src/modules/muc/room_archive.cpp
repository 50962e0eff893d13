// XEP-0313 on the room (queries of the room archive, and the history a loaded room takes
// back from it) and IQs between occupants (XEP-0045 §7.x forwarding, XEP-0410 self-ping).
#include <spdlog/spdlog.h>

#include "base/clock.h"
#include "modules/mam/mam_query.h"
#include "modules/muc/muc_service.h"
#include "modules/muc/muc_xml.h"
#include "modules/muc/room.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::modules::muc {
namespace {

// IQs forwarded between occupants and not answered yet, per room; past it the oldest is
// forgotten (its late answer is dropped).
constexpr std::size_t max_forwarded_iqs = 256;

}  // namespace

void Room::restore_history()
{
    // The room's history outlives a restart: the newest archived messages, as joiners
    // would have got them before it.
    auto& hooks = service_.server().hooks();
    if (!config_.archive || !hooks.archive) {
        return;
    }
    storage::ArchiveQuery q;
    q.owner = jid_.str();
    q.max = std::min(config_.history_length, service_.limits().max_history);
    q.from_end = true;
    if (q.max == 0) {
        return;
    }
    const auto page = service_.server().storage().archive().query(q);
    for (const auto& m : page.items) {
        auto msg = parse_stanza_bytes(m.stanza);
        if (!msg || !msg->child("body", ns::client)) {
            continue;
        }
        const auto id = mam::format_archive_id(m.id);
        msg->add_child("stanza-id", std::string(ns::sid))
            .set_attr("id", id)
            .set_attr("by", jid_.str());
        const auto stamp =
            std::chrono::system_clock::time_point(std::chrono::microseconds(m.stamp_us));
        history_.push_back({std::move(*msg), stamp, m.stanza.size()});
    }
}

std::optional<StanzaError> Room::mam_query(const Jid& from, const xml::Element& /*iq*/,
                                           const xml::Element& query, xml::Element& answer)
{
    const auto a = affiliation_of(from);
    if (a == Affiliation::outcast || (config_.members_only && a == Affiliation::none)) {
        return StanzaError::forbidden("Only members read this room's archive");
    }
    if (!service_.server().hooks().archive) {
        return StanzaError::service_unavailable("This server keeps no archive");
    }
    auto q = mam::parse_query(query, jid_.str());
    if (!q) {
        return q.error();
    }
    auto& archive = service_.server().storage().archive();
    for (auto id : {q->after_id, q->before_id}) {
        if (id && !archive.contains(jid_.str(), *id)) {
            return StanzaError::item_not_found("No such archive id");
        }
    }
    const auto page = archive.query(*q);
    const auto queryid = query.attr("queryid");
    for (const auto& m : page.items) {
        // XEP-0313 §5.1.2: results come from the archive's JID, the room.
        std::string out = "<message from='";
        xml::escape_attr(jid_.str(), out);
        out += "' id='" + service_.next_id() + "'><result xmlns='";
        out += ns::mam;
        out += '\'';
        if (!queryid.empty()) {
            out += " queryid='";
            xml::escape_attr(queryid, out);
            out += '\'';
        }
        const auto id = mam::format_archive_id(m.id);
        out += " id='" + id + "'><forwarded xmlns='";
        out += ns::forward;
        out += "'><delay xmlns='";
        out += ns::delay;
        out += "' stamp='";
        out += format_xep82(
            std::chrono::system_clock::time_point(std::chrono::microseconds(m.stamp_us)));
        out += "'/>";
        append_qualified(with_stanza_id(m.stanza, id, jid_.str()), out);
        out += "</forwarded></result></message>";
        send_to(from, std::make_shared<const std::string>(std::move(out)));
    }
    answer = mam::fin_element(page, queryid);
    return std::nullopt;
}

void Room::iq_to_occupant(const Jid& from, const xml::Element& iq, const std::string& nick)
{
    const auto type = iq.attr("type");
    if (type == "result" || type == "error") {
        // An answer to an IQ we forwarded: back to the asker, as from this nick.
        auto it = forwarded_iqs_.find(iq.attr("id"));
        if (it == forwarded_iqs_.end()) {
            return;
        }
        xml::Element back = iq;
        const Occupant* responder = occupant_of(from);
        back.set_attr("from", responder ? nick_jid(responder->nick) : jid_.str());
        back.set_attr("id", it->second.second);
        back.remove_attr("to");
        const auto asker = it->second.first;
        forwarded_iqs_.erase(it);
        send_to(asker, back);
        return;
    }
    const Occupant* o = occupant_of(from);
    if (!o) {
        // XEP-0410 §3: a client that is not joined learns so from not-acceptable.
        send_error(from, iq, StanzaError::not_acceptable("You are not in this room"));
        return;
    }
    const auto* payload = iq.first_element();
    if (o->nick == nick && payload && payload->is("ping", ns::ping)) {
        xml::Element pong("iq", std::string(ns::client));
        pong.set_attr("type", "result")
            .set_attr("id", iq.attr("id"))
            .set_attr("from", nick_jid(nick));
        send_to(from, pong);  // XEP-0410 §3.1: the room answers for a joined device
        return;
    }
    const Occupant* target = occupant_by_nick(nick);
    if (!target) {
        send_error(from, iq, StanzaError::item_not_found("No occupant has that nickname"));
        return;
    }
    if (forwarded_iqs_.size() >= max_forwarded_iqs) {
        forwarded_iqs_.erase(forwarded_iqs_.begin());  // oldest ids are smallest: muc-<hex>
    }
    const auto id = service_.next_id();
    forwarded_iqs_[id] = {from, std::string(iq.attr("id"))};
    xml::Element fwd = iq;
    fwd.set_attr("from", nick_jid(o->nick)).set_attr("id", id);
    fwd.remove_attr("to");
    // §7.x: a vCard request goes to the user's account, not one device.
    const bool vcard = payload && payload->ns() == ns::vcard;
    send_to(vcard ? target->bare : target->sessions.front(), fwd);
}

}  // namespace chorus::modules::muc
