// XEP-0163 §4.3: who gets an account's notifications. The account's PEP service learns the
// presence its account receives (its own resources' too) with each entity's XEP-0115 caps;
// a caps hash is asked for once (disco#info to the first entity showing it) and cached.
#include <spdlog/spdlog.h>

#include "modules/pep/pep_module.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::pep {

Verdict PepModule::on_presence_in(const Jid& to, xml::Element& presence)
{
    const auto type = presence.attr("type");
    if (!type.empty() && type != "unavailable") {
        return Verdict::pass;
    }
    auto from = Jid::parse(presence.attr("from"));
    if (!from || !from->is_full()) {
        return Verdict::pass;
    }
    const std::string account = to.bare_str();
    const bool own = from->bare_view() == account;
    if (type == "unavailable") {
        if (auto it = recipients_.find(account); it != recipients_.end()) {
            it->second.erase(from->str());
            if (it->second.empty()) {
                recipients_.erase(it);
            }
        }
        return Verdict::pass;
    }
    // Presence reaches an account from its contacts and from entities it sent directed
    // presence to; only the former are PEP recipients (XEP-0163 §4.3.3 'presence').
    if (!own) {
        auto item = roster_.item(account, from->bare_view());
        if (!item || item->request_only) {
            return Verdict::pass;
        }
    }
    const auto* c = presence.child("c", ns::caps);
    const std::string ver = c ? std::string(c->attr("ver")) : std::string();
    auto& map = recipients_[account];
    auto [it, fresh] = map.try_emplace(from->str());
    if (!fresh && it->second.ver == ver) {
        return Verdict::pass;  // a status change: nothing new to send
    }
    it->second.ver = ver;
    it->second.notify = nullptr;
    if (ver.empty() || c->attr("hash").empty()) {
        it->second.notify = std::make_shared<const NotifySet>();  // legacy caps: none
        return Verdict::pass;
    }
    if (auto known = caps_.find(ver)) {
        it->second.notify = known;
        send_last_items(to.bare(), *from, *known);
        return Verdict::pass;
    }
    ask_caps(account, *from, *c);
    return Verdict::pass;
}

void PepModule::ask_caps(const std::string& account, const Jid& entity, const xml::Element& c)
{
    const std::string ver(c.attr("ver"));
    if (auto p = pending_by_ver_.find(ver); p != pending_by_ver_.end()) {
        pending_[p->second].waiting.emplace_back(account, entity.str());  // asked already
        return;
    }
    if (pending_.size() >= max_pending_caps_queries) {
        auto oldest = pending_.begin();
        pending_by_ver_.erase(oldest->second.ver);
        pending_.erase(oldest);
    }
    const auto id = "caps-" + server_.next_id();
    pending_[id] = PendingQuery{ver, {{account, entity.str()}}};
    pending_by_ver_[ver] = id;
    // From a local domain: the answer, addressed to it, reaches hooks.iq_response.
    const std::string from = server_.is_local_domain(entity.domain())
                                 ? entity.domain()
                                 : server_.config().domains.front();
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "get")
        .set_attr("id", id)
        .set_attr("from", from)
        .set_attr("to", entity.str());
    iq.add_child("query", std::string(ns::disco_info))
        .set_attr("node", std::string(c.attr("node")) + "#" + ver);
    server_.router().route(std::move(iq));
}

void PepModule::on_iq_response(const xml::Element& iq)
{
    auto it = pending_.find(std::string(iq.attr("id")));
    if (it == pending_.end()) {
        return;
    }
    PendingQuery query = std::move(it->second);
    pending_.erase(it);
    pending_by_ver_.erase(query.ver);
    const auto* result = iq.child("query", ns::disco_info);
    auto nodes = std::make_shared<const NotifySet>(
        iq.attr("type") == "result" && result ? notify_nodes(*result) : NotifySet{});
    // XEP-0115 §5.4: only a verified hash is cached for others; an unverified answer
    // still describes the entities that were waiting for it.
    if (result && iq.attr("type") == "result" && caps_ver_sha1(*result) == query.ver) {
        caps_.add(query.ver, nodes);
    } else {
        spdlog::debug("pep: caps {} did not verify; not cached", query.ver);
    }
    for (const auto& [account, full] : query.waiting) {
        auto acc = recipients_.find(account);
        if (acc == recipients_.end()) {
            continue;
        }
        auto r = acc->second.find(full);
        if (r == acc->second.end() || r->second.ver != query.ver) {
            continue;  // gone, or changed caps meanwhile
        }
        r->second.notify = nodes;
        if (auto jid = Jid::parse(full)) {
            send_last_items(*Jid::parse(account), *jid, *nodes);
        }
    }
}

}  // namespace chorus::modules::pep
