// RFC 6121 §3 (presence subscriptions, with §3.4 pre-approval) and §4 (presence): which
// presence a session sends is dispatched here to subscriptions.cpp and broadcast.cpp.
// Roster items are written through the pure helpers in src/modules/roster/ (the roster
// module is never called: STYLE.md "Isolation").
#include "modules/presence/presence.h"

#include <memory>

#include "modules/module_context.h"
#include "modules/presence/presence_module.h"
#include "modules/roster/roster_push.h"
#include "router/router.h"
#include "stanza/namespaces.h"

namespace chorus::modules::presence {

PresenceModule::PresenceModule(Server& server) : server_(server), roster_(server.storage().roster())
{
}

Verdict PresenceModule::on_presence_out(router::Session& session, xml::Element& presence)
{
    const auto type = presence.attr("type");
    const auto to_attr = presence.attr("to");
    if (to_attr.empty()) {
        if (type.empty()) {
            broadcast_available(session, presence);  // §4.2, §4.4 (the router set the flags)
            return Verdict::pass;
        }
        if (type == "unavailable") {
            broadcast_unavailable(session, presence, true);  // §4.5
            return Verdict::pass;
        }
        return Verdict::stop;  // a subscription stanza or probe needs an addressee
    }
    const auto to = Jid::parse(to_attr);  // the router has already refused a bad 'to'
    if (!to) {
        return Verdict::stop;
    }
    roster::SubType sub{};
    if (roster::parse_sub_type(type, sub)) {
        outbound_subscription(session, sub, presence, *to);
        return Verdict::stop;  // routed (or not) by outbound_subscription
    }
    if (to->bare_view() != session.jid().bare_view()) {
        // §4.6: remember who got directed presence, to send it unavailable presence later.
        if (type.empty()) {
            auto& directed = sessions_[session.id()].directed;
            if (directed.size() < max_directed) {
                directed.insert(to->str());
            }
        } else if (type == "unavailable") {
            if (auto it = sessions_.find(session.id()); it != sessions_.end()) {
                it->second.directed.erase(to->str());
            }
        }
    }
    return Verdict::pass;  // directed presence, probes and errors: routed by the router
}

Verdict PresenceModule::on_presence_in(const Jid& to, xml::Element& presence)
{
    const auto type = presence.attr("type");
    roster::SubType sub{};
    const bool subscription = roster::parse_sub_type(type, sub);
    if (!subscription && type != "probe") {
        return Verdict::pass;  // available, unavailable and error presence is delivered
    }
    const auto from = Jid::parse(presence.attr("from"));
    if (!from) {
        return Verdict::stop;
    }
    const Jid user = to.bare();
    if (!account_exists(user)) {
        // RFC 6121 §8.5.1: a subscription request or probe for no account is answered
        // 'unsubscribed'; the other subscription stanzas are ignored.
        if (!subscription || sub == roster::SubType::subscribe) {
            send_unsubscribed(user, from->bare());
        }
        return Verdict::stop;
    }
    if (!subscription) {
        answer_probe(to, presence, *from);  // §4.3.2: probes never reach a client
        return Verdict::stop;
    }
    inbound_subscription(user, sub, presence, from->bare());
    return Verdict::stop;
}

void PresenceModule::on_initial_presence(router::Session& session)
{
    send_probes(session);
    deliver_stored_requests(session);
}

void PresenceModule::on_session_closed(router::Session& session)
{
    if (!sessions_.contains(session.id())) {
        return;
    }
    // §4.5.2: a session that ends without unavailable presence (a dropped connection
    // included) is announced unavailable as if it had sent it.
    session.flags().available = false;
    xml::Element gone("presence", std::string(ns::client));
    gone.set_attr("type", "unavailable").set_attr("from", session.jid().str());
    broadcast_unavailable(session, gone, false);
}

void PresenceModule::on_account_deleting(const Jid& account)
{
    const std::vector<router::Session*> sessions = server_.sessions().account(account.bare_view());
    for (router::Session* s : sessions) {
        on_session_closed(*s);  // announced once: the close that follows finds nothing to say
    }
}

bool PresenceModule::account_exists(const Jid& bare)
{
    if (!server_.sessions().account(bare.bare_view()).empty()) {
        return true;
    }
    return !bare.node().empty() && server_.is_local_domain(bare.domain()) &&
           server_.accounts().exists(bare.node(), bare.domain());
}

void PresenceModule::send_unsubscribed(const Jid& from, const Jid& to)
{
    server_.router().route(
        roster::subscription_stanza(server_, roster::SubType::unsubscribed, from, to));
}

ModuleSpec spec()
{
    return {.name = "presence", .xeps = {}, .depends = {}, .attach = [](ModuleContext& ctx) {
                auto m = std::make_shared<PresenceModule>(ctx.server());
                ctx.hook(
                    &Hooks::presence_out, Phase::process,
                    [m](router::Session& s, xml::Element& p) { return m->on_presence_out(s, p); });
                ctx.hook(&Hooks::presence_in, Phase::process,
                         [m](const Jid& to, xml::Element& p) { return m->on_presence_in(to, p); });
                ctx.hook(&Hooks::initial_presence, Phase::process,
                         [m](router::Session& s) { m->on_initial_presence(s); });
                ctx.hook(&Hooks::session_closed, Phase::process,
                         [m](router::Session& s) { m->on_session_closed(s); });
                ctx.hook(&Hooks::account_deleting, Phase::process,
                         [m](const Jid& account) { m->on_account_deleting(account); });
                // RFC 6121 §3.4: subscription pre-approval is announced as a stream feature.
                ctx.hook(&Hooks::stream_features, Phase::process,
                         [](std::vector<xml::Element>& features) {
                             features.emplace_back("sub", std::string(ns::presence_preapproval));
                         });
            }};
}

}  // namespace chorus::modules::presence
