// Router: stanza dispatch by kind and addressee (RFC 6120 §10, RFC 6121 §8, ROUTING.md).
#include "router/router.h"

#include <spdlog/spdlog.h>

#include "base/check.h"
#include "base/metrics.h"
#include "router/delivery_rules.h"
#include "server/server.h"
#include "stanza/message_facts.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "stanza/stream_error.h"
#include "storage/accounts.h"

namespace chorus {

using router::CopyForm;
using router::Session;

Router::Router(Server& server)
    : server_(server),
      bare_policy_(server.config().message_to_bare == "all" ? router::BarePolicy::all
                                                            : router::BarePolicy::highest),
      gate_([this](router::PendingMessage& p, bool committed) { on_settled(p, committed); })
{
}

bool Router::skips_archive(const MessageFacts& facts) const
{
    // ROUTING.md "Archive rules": transient messages are not archived unless the server
    // switch says so, and then <no-store/> and <no-permanent-store/> still keep them out.
    return facts.transient && (!server_.config().archive_transient || facts.no_store);
}

bool Router::account_exists(const Jid& bare)
{
    if (bare.node().empty() || !server_.is_local_domain(bare.domain())) {
        return false;
    }
    if (!server_.sessions().account(bare.bare_view()).empty()) {
        return true;
    }
    return server_.accounts().exists(bare.node(), bare.domain());
}

void Router::bounce(const xml::Element& stanza, StanzaError error)
{
    if (auto reply = error_reply(stanza, error)) {
        route(std::move(*reply));
    }
}

const Jid* Router::parse_to(std::string_view text)
{
    // Bounded: when full, start again (cheaper than LRU bookkeeping on every stanza).
    static constexpr std::size_t max_cached = 16384;
    auto it = jid_cache_.find(text);
    if (it == jid_cache_.end()) {
        if (jid_cache_.size() >= max_cached) {
            jid_cache_.clear();
        }
        it = jid_cache_.emplace(std::string(text), Jid::parse(text)).first;
    }
    return it->second ? &*it->second : nullptr;
}

std::int64_t Router::from_session(Session& sender, xml::Element stanza)
{
    stanza.set_attr("from", sender.jid().str());  // RFC 6120 §8.1.2.1: the server stamps it
    const Jid* to = nullptr;
    if (auto to_attr = stanza.attr("to"); !to_attr.empty()) {
        to = parse_to(to_attr);
        if (!to) {
            bounce(stanza, StanzaError::jid_malformed("The 'to' address is not a valid JID"));
            return 0;
        }
    }
    if (server_.hooks().stanza_out.run(sender, stanza) == modules::Verdict::stop) {
        return 0;
    }
    if (stanza.name() == "message") {
        return message_from_session(sender, std::move(stanza), to ? *to : sender.jid().bare());
    }
    if (stanza.name() == "presence") {
        presence_from_session(sender, std::move(stanza), to);
    } else {
        iq_from_session(sender, std::move(stanza), to);
    }
    return 0;
}

std::int64_t Router::message_from_session(Session& sender, xml::Element msg, const Jid& to)
{
    const Jid owner = sender.jid().bare();
    if (msg.child("stanza-id", ns::sid)) {
        strip_stanza_ids(msg, owner.str());  // XEP-0359 §4: only our archive names ids by us
    }
    const bool remote = !server_.is_local_domain(to.domain());
    if (remote) {
        if (const auto* component = server_.components().find(to.domain())) {
            // XEP-0198: acked once the service's archive has it (a room's group chat).
            return component->handle(std::move(msg));
        }
        if (!server_.remote()) {
            route_remote(msg, to, &sender);  // no federation to reach it: answered there
            return 0;
        }
    }
    const auto& own = server_.sessions().account(owner.str());
    const auto facts = scan_message(msg);
    router::OutboundInput in{
        .type = router::message_type(msg.attr("type")),
        .to_full_jid = to.is_full(),
        .has_marker = facts.marker,
        .is_muc_pm = facts.muc_user,
        .to_own_account = to.bare_view() == owner.str(),
        .transient = skips_archive(facts),
        .carbons_eligible = facts.carbons_eligible,
    };
    const auto plan = router::plan_outbound(in, sender, own);
    ++metrics().outbound_rows[static_cast<std::size_t>(plan.rule)];  // issue 16
    std::string bytes = serialize_stanza(msg);
    std::optional<ArchiveRef> ref;
    if (plan.archive && server_.hooks().archive) {
        ref = server_.hooks().archive(owner, to.bare_view(), bytes, true, plan.reaches_imng);
    }
    // The sender's own copies are made now and queued after the delivery: they wait for
    // the message's last archive entry, so a device that saw its reflection can rely on
    // the message being stored for everyone (and offline, if it went there).
    router::SharedBytes reflection;
    std::vector<router::SharedBytes> own_copies;
    own_copies.reserve(plan.copies.size());
    for (const auto& d : plan.copies) {
        if (d.form == CopyForm::reflection) {
            if (!reflection) {  // XEP-0409: the archived version, once for the whole set
                reflection = std::make_shared<const std::string>(
                    ref ? with_stanza_id(bytes, ref->id(), owner.str()) : bytes);
            }
            own_copies.push_back(reflection);
        } else {
            own_copies.push_back(std::make_shared<const std::string>(
                carbon_copy(bytes, "sent", owner.str(), d.session->jid().str())));
        }
    }
    const std::int64_t sender_entry = ref ? ref->seq() : 0;
    std::int64_t wait_for = sender_entry;
    if (remote) {
        // ROUTING.md O1/O2 hold whatever the remote server does with it, and the remote
        // copy leaves once the sender's archive has it, behind earlier held messages.
        gate_.watch({.last_id = sender_entry, .message = std::move(msg), .remote = true});
    } else if (!to.node().empty()) {
        wait_for = deliver_message(to, std::move(msg), std::move(bytes), sender_entry);
    } else if (sender_entry) {  // a message to the server itself: nothing handles it
        gate_.watch({.last_id = sender_entry, .message = std::move(msg)});  // RFC 6120 §10.3.1
    }
    for (std::size_t i = 0; i < own_copies.size(); ++i) {
        auto* session = plan.copies[i].session;
        if (wait_for) {
            session->send_bytes_after(gate_, wait_for, std::move(own_copies[i]));
        } else {
            session->send_bytes(std::move(own_copies[i]));
        }
    }
    return wait_for;
}

router::InboundPlan Router::plan_for(const Jid& to, const xml::Element& msg,
                                     const MessageFacts& facts)
{
    const auto& sessions = server_.sessions().account(to.bare_view());
    router::InboundInput in{
        .facts = {.type = router::message_type(msg.attr("type")),
                  .to_full_jid = to.is_full(),
                  .has_marker = facts.marker,
                  .is_muc_pm = facts.muc_user},
        .account_exists = !sessions.empty() || account_exists(to.bare()),
        .transient = skips_archive(facts),
        .carbons_eligible = !facts.marker && facts.carbons_eligible,
        .resource = to.resource(),
        .policy = bare_policy_,
    };
    return router::plan_inbound(in, sessions);
}

void Router::send_inbound_copies(const router::InboundPlan& plan, const xml::Element& msg,
                                 const std::string& owner, const router::SharedBytes& as_sent,
                                 const std::optional<ArchiveRef>& ref)
{
    const std::int64_t entry = ref ? ref->seq() : 0;
    auto send = [&](Session& s, router::SharedBytes b) {
        if (entry) {
            s.send_bytes_after(gate_, entry, std::move(b));
        } else {
            s.send_bytes(std::move(b));
        }
    };
    router::SharedBytes to_bare;
    for (const auto& d : plan.deliveries) {
        switch (d.form) {
            case CopyForm::as_sent:
                send(*d.session, as_sent);
                break;
            case CopyForm::to_bare:
                if (!to_bare) {  // ROUTING.md R5: strip the resource when forking
                    xml::Element copy = msg;
                    copy.set_attr("to", owner);
                    auto b = serialize_stanza(copy);
                    to_bare = std::make_shared<const std::string>(
                        ref ? with_stanza_id(b, ref->id(), owner) : std::move(b));
                }
                send(*d.session, to_bare);
                break;
            case CopyForm::carbon_received:
                send(*d.session, std::make_shared<const std::string>(carbon_copy(
                                     *as_sent, "received", owner, d.session->jid().str())));
                break;
            case CopyForm::carbon_sent:
            case CopyForm::reflection:
                break;  // outbound forms only
        }
    }
}

std::int64_t Router::deliver_message(const Jid& to, xml::Element msg, std::string bytes,
                                     std::int64_t sender_entry)
{
    const Jid owner = to.bare();
    auto facts = scan_message(msg);
    if (facts.has_stanza_id) {
        const auto before = msg.nodes().size();
        strip_stanza_ids(msg, owner.str());
        if (msg.nodes().size() != before) {
            bytes.clear();
        }
    }
    if (server_.hooks().stanza_in.run(owner, msg) == modules::Verdict::stop) {
        return sender_entry;
    }
    const auto plan = plan_for(to, msg, facts);
    ++metrics().inbound_rows[static_cast<std::size_t>(plan.rule)];  // issue 16
    metrics().fanout_copies += plan.deliveries.size();
    if (plan.bounce) {
        bounce(msg, StanzaError{*plan.bounce, ErrorType::cancel, {}, {}, {}});
        return sender_entry;
    }
    if (bytes.empty() && (!plan.deliveries.empty() || plan.archive)) {
        bytes = serialize_stanza(msg);
    }
    std::optional<ArchiveRef> ref;
    if (plan.archive && server_.hooks().archive) {
        // 'from' was stamped by this server (a prepared JID): its bare part ends at '/'.
        const auto from = msg.attr("from");
        ref = server_.hooks().archive(owner, from.substr(0, from.find('/')), bytes, false,
                                      plan.reaches_imng);
    }
    if (ref) {  // the archived form, once: every copy below carries the same stanza-id
        bytes = with_stanza_id(bytes, ref->id(), owner.str());
    }
    if (!plan.deliveries.empty()) {
        // Shared by every copy as sent, and read by the other forms: never copied.
        send_inbound_copies(plan, msg, owner.str(),
                            std::make_shared<const std::string>(std::move(bytes)), ref);
    }
    const std::int64_t entry = ref ? ref->seq() : 0;
    const std::int64_t last = std::max(entry, sender_entry);
    if (ref && plan.offline) {
        auto& sid = msg.add_child("stanza-id", std::string(ns::sid));
        sid.set_attr("id", ref->id()).set_attr("by", owner.str());
    }
    if (last) {  // stored offline (or answered with an error) once the archive has it
        gate_.watch({.last_id = last,
                     .first_id = entry && sender_entry ? sender_entry : 0,
                     .message = std::move(msg),
                     .offline = plan.offline,
                     .archived = entry != 0});
    } else if (plan.offline) {
        store_offline(owner, msg, false);
    }
    return last;
}

void Router::on_settled(router::PendingMessage& p, bool committed)
{
    if (committed && !p.offline && !p.remote) {
        return;  // the common case: its copies have left; nothing to parse
    }
    auto& msg = p.message;
    const auto to = Jid::parse(msg.attr("to"));
    if (!committed) {
        // Part of the message is not in the archive: no copy of it left (they carry its
        // stanza-id); the sender may try again when the storage recovers.
        if (to) {
            strip_stanza_ids(msg, to->bare_str());
        }
        auto reply = error_reply(msg, StanzaError::resource_constraint(
                                          "The message could not be stored; it was not delivered"));
        if (!reply) {
            return;
        }
        // Straight to the sending session: routed, the error would be archived (ROUTING.md
        // R3) in the same storage that just failed, and dropped with it.
        const auto sender = Jid::parse(reply->attr("to"));
        if (Session* s = sender ? server_.sessions().find(*sender) : nullptr) {
            s->send(*reply);
        } else {
            route(std::move(*reply));
        }
        return;
    }
    if (!to) {
        return;
    }
    if (p.remote) {
        return route_remote(msg, *to, nullptr, true);
    }
    // Nobody could take it when it was routed; a session may have come since (its offline
    // queue already read), so the inbound rules are asked again. It carries its stanza-id.
    const auto plan = plan_for(*to, msg, scan_message(msg));
    const auto owner = to->bare_str();
    if (!plan.deliveries.empty()) {
        send_inbound_copies(plan, msg, owner,
                            std::make_shared<const std::string>(serialize_stanza(msg)), {});
    }
    if (plan.offline) {
        store_offline(to->bare(), msg, p.archived);
    }
}

void Router::store_offline(const Jid& owner, xml::Element& msg, bool archived)
{
    const bool stored = server_.hooks().store_offline && server_.hooks().store_offline(owner, msg);
    if (stored) {
        return;
    }
    // Asked only for archived messages: the answer costs a storage read.
    const bool imng_device =
        archived && server_.hooks().has_imng_device && server_.hooks().has_imng_device(owner);
    if (auto answer = router::offline_refused_answer(archived, imng_device)) {
        if (archived) {
            strip_stanza_ids(msg, owner.str());  // the sender's copy names no archive of U
        }
        bounce(msg,
               StanzaError{
                   *answer, ErrorType::cancel, "The recipient's offline storage is full", {}, {}});
    }
}

void Router::presence_from_session(Session& sender, xml::Element presence, const Jid* to)
{
    if (!to) {  // RFC 6121 §4.2, §4.4: broadcast presence sets the session's state
        auto& flags = sender.flags();
        const auto type = presence.attr("type");
        if (type.empty()) {
            const bool initial = !flags.available;
            flags.available = true;
            const auto prio = presence.child_text("priority", ns::client);
            flags.priority = prio.empty() ? 0 : std::clamp(std::atoi(prio.c_str()), -128, 127);
            if (server_.hooks().presence_out.run(sender, presence) == modules::Verdict::stop) {
                return;
            }
            if (initial) {
                server_.hooks().initial_presence.run(sender);
            }
            return;
        }
        if (type == "unavailable") {
            flags.available = false;
        }
        server_.hooks().presence_out.run(sender, presence);
        return;
    }
    if (server_.hooks().presence_out.run(sender, presence) == modules::Verdict::stop) {
        return;
    }
    route(std::move(presence));
}

void Router::deliver_presence(const Jid& to, const xml::Element& presence)
{
    const auto& sessions = server_.sessions().account(to.bare_view());
    router::SharedBytes bytes;
    for (Session* s : sessions) {
        const bool wanted = to.is_full() ? s->jid() == to : s->flags().available;
        if (wanted) {
            if (!bytes) {
                bytes = std::make_shared<const std::string>(serialize_stanza(presence));
            }
            s->send_bytes(bytes);
        }
    }
}

void Router::iq_from_session(Session& sender, xml::Element iq, const Jid* to)
{
    const auto type = iq.attr("type");
    const bool request = type == "get" || type == "set";
    if (!request && type != "result" && type != "error") {
        if (auto reply = error_reply(iq, StanzaError::bad_request("Unknown IQ type"))) {
            sender.send(*reply);
        }
        return;
    }
    if (!iq.has_attr("id")) {
        if (auto reply = error_reply(iq, StanzaError::bad_request("An IQ must have an id"))) {
            sender.send(*reply);
        }
        return;
    }
    if (to && (to->is_full() || !server_.is_local_domain(to->domain()))) {
        return deliver_iq(*to, std::move(iq), &sender);
    }
    if (!request) {  // a result or error for the server or an account: consumed
        server_.hooks().iq_response.run(iq);
        return;
    }
    if (iq.element_count() != 1) {
        sender.send(
            iq_reply(iq, StanzaError::bad_request("An IQ get or set must have exactly one child")));
        return;
    }
    const bool to_server = to && to->node().empty();
    const Jid addressee = to ? *to : sender.jid().bare();
    modules::IqRequest req(server_, iq, *iq.first_element(), sender.jid(), addressee, &sender);
    auto& dispatcher = server_.iq();
    const auto t = type == "get" ? modules::IqType::get : modules::IqType::set;
    const auto& payload = *iq.first_element();
    auto where = to_server ? modules::Addressee::server : modules::Addressee::account;
    // An IQ without 'to' is for the own account; the server answers what the account does
    // not handle itself (ping, version, disco of the service).
    if (!to && !dispatcher.has({t, payload.ns(), payload.name(), where})) {
        where = modules::Addressee::server;
    }
    if (!to_server && !account_exists(addressee)) {
        sender.send(iq_reply(iq, StanzaError::service_unavailable()));
        return;
    }
    if (!to_server && addressee.bare_view() != sender.jid().bare_view() &&
        server_.hooks().stanza_in.run(addressee, iq) == modules::Verdict::stop) {
        return;
    }
    sender.send(dispatcher.dispatch(req, where));
}

void Router::deliver_iq(const Jid& to, xml::Element iq, Session* sender)
{
    const bool request = iq.attr("type") == "get" || iq.attr("type") == "set";
    if (!server_.is_local_domain(to.domain())) {
        return route_remote(iq, to, sender);
    }
    if (Session* target = server_.sessions().find(to)) {
        if (server_.hooks().stanza_in.run(to.bare(), iq) == modules::Verdict::stop) {
            return;
        }
        target->send(iq);
        return;
    }
    if (request) {  // RFC 6121 §8.5.3.2.1: no such resource
        auto reply = iq_reply(iq, StanzaError::service_unavailable());
        if (sender) {
            sender->send(reply);
        } else {
            route(std::move(reply));
        }
    }
}

void Router::route(xml::Element stanza)
{
    auto to = Jid::parse(stanza.attr("to"));
    if (!to) {
        spdlog::debug("dropping server stanza without a valid 'to'");
        return;
    }
    if (!server_.is_local_domain(to->domain())) {
        return route_remote(stanza, *to, nullptr);
    }
    if (to->node().empty()) {
        if (stanza.name() == "iq" &&
            (stanza.attr("type") == "get" || stanza.attr("type") == "set") &&
            stanza.element_count() == 1) {
            const auto from = Jid::parse(stanza.attr("from")).value_or(*to);
            modules::IqRequest req(server_, stanza, *stanza.first_element(), from, *to, nullptr);
            route(server_.iq().dispatch(req, modules::Addressee::server));
        } else if (stanza.name() == "iq") {
            server_.hooks().iq_response.run(stanza);
        }
        return;
    }
    if (stanza.name() == "message") {
        deliver_message(*to, std::move(stanza), {});
        return;
    }
    if (stanza.name() == "presence") {
        if (server_.hooks().stanza_in.run(to->bare(), stanza) == modules::Verdict::stop ||
            server_.hooks().presence_in.run(*to, stanza) == modules::Verdict::stop) {
            return;
        }
        return deliver_presence(*to, stanza);
    }
    if (to->is_full()) {
        return deliver_iq(*to, std::move(stanza), nullptr);
    }
    const auto type = stanza.attr("type");
    if ((type == "get" || type == "set") && stanza.element_count() == 1) {
        if (server_.hooks().stanza_in.run(*to, stanza) == modules::Verdict::stop) {
            return;
        }
        const auto from = Jid::parse(stanza.attr("from")).value_or(Jid());
        modules::IqRequest req(server_, stanza, *stanza.first_element(), from, *to, nullptr);
        route(server_.iq().dispatch(req, modules::Addressee::account));
    }
}

bool Router::deliver_to_session(const Jid& to, router::SharedBytes bytes, std::int64_t wait_for)
{
    Session* target = server_.sessions().find(to);
    if (!target) {
        return false;
    }
    if (wait_for) {
        target->send_bytes_after(gate_, wait_for, std::move(bytes));
    } else {
        target->send_bytes(std::move(bytes));
    }
    return true;
}

}  // namespace chorus
