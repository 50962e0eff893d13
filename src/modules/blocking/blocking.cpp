// XEP-0191 Blocking Command: the block list IQs and their pushes, and the filters that stop
// stanzas between an account and the JIDs it blocked, in both directions.
#include "modules/blocking/blocking.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "modules/blocking/blocking_match.h"
#include "modules/module_context.h"
#include "router/router.h"
#include "stanza/namespaces.h"
#include "storage/blocklist.h"
#include "storage/roster.h"

namespace chorus::modules::blocking {
namespace {

using router::Session;

struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept
    {
        return std::hash<std::string_view>{}(s);
    }
};

/// The <item jid='...'/> children of a <block/> or <unblock/>, prepared and without
/// duplicates, or the error to answer.
Result<std::vector<Jid>, StanzaError> parse_items(const xml::Element& payload)
{
    std::vector<Jid> out;
    for (const auto& child : payload.nodes()) {
        if (child.is_text()) {
            continue;
        }
        if (!child.is("item", ns::blocking)) {
            return unexpected(StanzaError::bad_request("Only <item/> elements are allowed"));
        }
        auto jid = Jid::parse(child.attr("jid"));
        if (!jid) {
            return unexpected(StanzaError::jid_malformed("An item's 'jid' is not a valid JID"));
        }
        if (std::find(out.begin(), out.end(), *jid) == out.end()) {
            out.push_back(std::move(*jid));
        }
    }
    return out;
}

xml::Element list_element(std::string_view name, std::span<const Jid> items)
{
    xml::Element e(std::string(name), std::string(ns::blocking));
    for (const auto& jid : items) {
        e.add_child("item", std::string(ns::blocking)).set_attr("jid", jid.str());
    }
    return e;
}

std::vector<std::string> strings(std::span<const Jid> jids)
{
    std::vector<std::string> out;
    out.reserve(jids.size());
    for (const auto& j : jids) {
        out.push_back(j.str());
    }
    return out;
}

class BlockingModule {
public:
    explicit BlockingModule(Server& server)
        : server_(server), store_(server.storage().blocklist()), roster_(server.storage().roster())
    {
    }

    IqResult get(IqRequest& r)
    {
        if (!r.from_own_account()) {
            return StanzaError::forbidden("A block list is visible to its owner only");
        }
        auto stored = store_.items(r.to().str());
        if (!stored) {
            spdlog::error("blocking: reading the list of {}: {}", r.to().str(),
                          stored.error().message);
            return StanzaError::internal_server_error();
        }
        if (r.has_session()) {  // XEP-0191 §3.3: pushes go to sessions that asked for the list
            requested_.insert(r.session().id());
        }
        xml::Element list("blocklist", std::string(ns::blocking));
        for (const auto& jid : *stored) {
            list.add_child("item", std::string(ns::blocking)).set_attr("jid", jid);
        }
        return IqResult::with(std::move(list));
    }

    IqResult block(IqRequest& r)
    {
        if (!r.from_own_account()) {
            return StanzaError::forbidden("Only the owner changes a block list");
        }
        auto items = parse_items(r.payload());
        if (!items) {
            return items.error();
        }
        if (items->empty()) {  // XEP-0191 §3.3: a <block/> without items is a bad request
            return StanzaError::bad_request("A block command needs at least one item");
        }
        const auto owner = r.to().str();
        const std::vector<Jid> before = load(owner);
        if (auto stored = store_.add(owner, strings(*items)); !stored) {
            spdlog::error("blocking: storing the list of {}: {}", owner, stored.error().message);
            return StanzaError::internal_server_error();
        }
        cache_.erase(owner);
        std::vector<Jid> added;
        for (const auto& jid : *items) {
            if (std::find(before.begin(), before.end(), jid) == before.end()) {
                added.push_back(jid);
            }
        }
        appear_offline_to(owner, added);
        push(owner, list_element("block", *items));
        return IqResult::empty();
    }

    IqResult unblock(IqRequest& r)
    {
        if (!r.from_own_account()) {
            return StanzaError::forbidden("Only the owner changes a block list");
        }
        auto items = parse_items(r.payload());
        if (!items) {
            return items.error();
        }
        const auto owner = r.to().str();
        // XEP-0191 §3.5: an <unblock/> without items empties the whole list.
        const std::vector<Jid> unblocked = items->empty() ? load(owner) : *items;
        auto stored = items->empty() ? store_.clear(owner) : store_.remove(owner, strings(*items));
        if (!stored) {
            spdlog::error("blocking: storing the list of {}: {}", owner, stored.error().message);
            return StanzaError::internal_server_error();
        }
        cache_.erase(owner);
        push(owner, list_element("unblock", *items));
        restore_presence(r.to(), unblocked);
        return IqResult::empty();
    }

    /// hooks.blocks: for services that deliver without stanza_in (a room's fan-out).
    bool hides(std::string_view owner, const Jid& from)
    {
        return !list_is_empty(owner) && blocks(owner, from);
    }

    /// stanza_in: what a blocked entity sends to the account goes no further (XEP-0191 §3.3).
    Verdict inbound(const Jid& owner, xml::Element& stanza)
    {
        // Most accounts block nobody: decide without parsing a JID (this runs per stanza).
        if (stanza.name() != "presence" && list_is_empty(owner.str())) {
            return Verdict::pass;
        }
        auto from = Jid::parse(stanza.attr("from"));
        if (!from || from->bare_view() == owner.str() || is_own_server(*from)) {
            return Verdict::pass;
        }
        if (blocks(owner.str(), *from)) {
            // Presence is dropped without a word; a message or an IQ request gets the answer
            // of an account that is not there, so the user appears offline to the contact.
            const auto type = stanza.attr("type");
            const bool iq_request = stanza.name() == "iq" && (type == "get" || type == "set");
            if (iq_request || stanza.name() == "message") {
                server_.router().bounce(stanza, StanzaError::service_unavailable());
            }
            return Verdict::stop;
        }
        // Presence a local account's server sends for it without passing stanza_out (its
        // broadcasts, probe answers, unavailable at session end) to a JID it blocked.
        if (stanza.name() == "presence" && !announcing_ && !from->node().empty() &&
            server_.is_local_domain(from->domain())) {
            const auto to = Jid::parse(stanza.attr("to")).value_or(owner);
            if (blocks(from->bare_str(), to)) {
                return Verdict::stop;
            }
        }
        return Verdict::pass;
    }

    /// stanza_out: what the account sends to a JID it blocked (XEP-0191 §3.3).
    Verdict outbound(Session& sender, xml::Element& stanza)
    {
        const auto to_attr = stanza.attr("to");
        if (to_attr.empty() || list_is_empty(sender.jid().bare_view())) {
            return Verdict::pass;
        }
        auto to = Jid::parse(to_attr);
        if (!to || to->bare_view() == sender.jid().bare_view() || is_own_server(*to) ||
            !blocks(sender.jid().bare_view(), *to)) {
            return Verdict::pass;
        }
        const auto type = stanza.attr("type");
        const bool answerable = stanza.name() == "message" ||
                                (stanza.name() == "iq" && (type == "get" || type == "set"));
        if (answerable) {
            auto error = StanzaError::not_acceptable("You have blocked this contact")
                             .with_type(ErrorType::cancel)
                             .with_app_condition(ns::blocking_errors, "blocked");
            if (auto reply = error_reply(stanza, error)) {
                sender.send(*reply);
            }
        }
        return Verdict::stop;  // presence, IQ results and errors: dropped silently
    }

    void session_closed(Session& s)
    {
        requested_.erase(s.id());
        const auto& sessions = server_.sessions().account(s.jid().bare_view());
        const bool last = std::none_of(sessions.begin(), sessions.end(),
                                       [&](const Session* o) { return o->id() != s.id(); });
        if (last) {
            if (auto it = cache_.find(s.jid().bare_view()); it != cache_.end()) {
                cache_.erase(it);
            }
        }
    }

private:
    /// The local server itself: a domain item blocks the users there, but never cuts a
    /// session off from its own server (pings, disco, every server-addressed IQ).
    bool is_own_server(const Jid& jid) const
    {
        return jid.node().empty() && jid.resource().empty() &&
               server_.is_local_domain(jid.domain());
    }

    std::vector<Jid> load(const std::string& owner)
    {
        std::vector<Jid> out;
        auto stored = store_.items(owner);
        if (!stored) {
            // Fails open: a storage outage must not silence every conversation.
            spdlog::error("blocking: reading the list of {}: {}", owner, stored.error().message);
            return out;
        }
        for (const auto& s : *stored) {
            if (auto jid = Jid::parse(s)) {
                out.push_back(std::move(*jid));
            }
        }
        return out;
    }

    /// Whether owner blocks nobody (the cached or stored list is empty).
    bool list_is_empty(std::string_view owner)
    {
        if (auto it = cache_.find(owner); it != cache_.end()) {
            return it->second.empty();
        }
        auto list = load(std::string(owner));
        const bool empty = list.empty();
        if (!server_.sessions().account(owner).empty()) {
            cache_.emplace(std::string(owner), std::move(list));
        }
        return empty;
    }

    /// Whether owner's list covers other. Lists of accounts with sessions stay in memory
    /// until their last session ends; others are read per stanza.
    bool blocks(std::string_view owner, const Jid& other)
    {
        if (auto it = cache_.find(owner); it != cache_.end()) {
            return is_blocked(it->second, other);
        }
        auto list = load(std::string(owner));
        const bool blocked = is_blocked(list, other);
        if (!server_.sessions().account(owner).empty()) {
            cache_.emplace(std::string(owner), std::move(list));
        }
        return blocked;
    }

    /// XEP-0191 §3.3: each available session of the user sends unavailable presence to
    /// the newly blocked JIDs, so they stop seeing the user online.
    void appear_offline_to(const std::string& owner, std::span<const Jid> items)
    {
        announcing_ = true;
        for (Session* s : server_.sessions().account(owner)) {
            if (!s->flags().available) {
                continue;
            }
            for (const auto& jid : items) {
                xml::Element presence("presence", std::string(ns::client));
                presence.set_attr("from", s->jid().str())
                    .set_attr("to", jid.str())
                    .set_attr("type", "unavailable");
                server_.router().route(std::move(presence));
            }
        }
        announcing_ = false;
    }

    /// XEP-0191 §3.4: after unblocking, presence flows again as the subscriptions allow.
    /// Both directions are asked for with probes, which the presence module answers by
    /// RFC 6121 §4.3.2 (current presence of each available resource, or unavailable): one
    /// on the contact's behalf for the user's presence, one per available session of the
    /// user for the contact's.
    void restore_presence(const Jid& owner, std::span<const Jid> unblocked)
    {
        std::vector<const Session*> available;
        for (const Session* s : server_.sessions().account(owner.bare_view())) {
            if (s->flags().available) {
                available.push_back(s);
            }
        }
        if (available.empty()) {
            return;
        }
        std::vector<xml::Element> probes;  // collected first: routing may change the table
        for (const auto& jid : unblocked) {
            if (jid.node().empty()) {
                continue;  // a domain or service: no roster subscription to restore
            }
            const auto item = roster_.item(owner.str(), jid.bare_view());
            if (!item || item->request_only) {
                continue;
            }
            const auto sub = item->subscription;
            if (sub == storage::Subscription::from || sub == storage::Subscription::both) {
                probes.push_back(probe(jid.str(), owner.str()));
            }
            if (sub == storage::Subscription::to || sub == storage::Subscription::both) {
                for (const Session* s : available) {
                    probes.push_back(probe(s->jid().str(), jid.str()));
                }
            }
        }
        for (auto& p : probes) {
            server_.router().route(std::move(p));
        }
    }

    xml::Element probe(std::string_view from, std::string_view to)
    {
        xml::Element p("presence", std::string(ns::client));
        p.set_attr("type", "probe")
            .set_attr("from", from)
            .set_attr("to", to)
            .set_attr("id", server_.next_id());
        return p;
    }

    /// XEP-0191 §3.3, §3.4: the change goes to every session that requested the list.
    void push(const std::string& owner, const xml::Element& payload)
    {
        for (Session* s : server_.sessions().account(owner)) {
            if (!requested_.contains(s->id())) {
                continue;
            }
            xml::Element iq("iq", std::string(ns::client));
            iq.set_attr("to", s->jid().str())
                .set_attr("id", server_.next_id())
                .set_attr("type", "set");
            iq.add_child(payload);
            s->send(iq);
        }
    }

    Server& server_;
    storage::Blocklist& store_;
    storage::Roster& roster_;  // read only: subscriptions decide what returns
    // by owner's bare JID
    std::unordered_map<std::string, std::vector<Jid>, StringHash, std::equal_to<>> cache_;
    std::unordered_set<std::uint64_t> requested_;  // ids of sessions
    bool announcing_ = false;  // our own unavailable presence to newly blocked JIDs passes
};

}  // namespace

ModuleSpec spec()
{
    return {.name = "blocking",
            .xeps = {{191, "1.3"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto m = std::make_shared<BlockingModule>(ctx.server());
                ctx.add_feature(ns::blocking, Disco::server);
                ctx.add_feature(ns::blocking, Disco::account);
                ctx.on_iq(
                    IqType::get, ns::blocking, "blocklist", [m](IqRequest& r) { return m->get(r); },
                    Addressee::account);
                ctx.on_iq(
                    IqType::set, ns::blocking, "block", [m](IqRequest& r) { return m->block(r); },
                    Addressee::account);
                ctx.on_iq(
                    IqType::set, ns::blocking, "unblock",
                    [m](IqRequest& r) { return m->unblock(r); }, Addressee::account);
                ctx.hook(&Hooks::stanza_in, Phase::validate,
                         [m](const Jid& owner, xml::Element& stanza) {
                             return m->inbound(owner, stanza);
                         });
                ctx.provide(&Hooks::blocks, [m](std::string_view owner, const Jid& from) {
                    return m->hides(owner, from);
                });
                ctx.hook(&Hooks::stanza_out, Phase::validate,
                         [m](Session& sender, xml::Element& stanza) {
                             return m->outbound(sender, stanza);
                         });
                ctx.hook(&Hooks::session_closed, Phase::deliver,
                         [m](Session& s) { m->session_closed(s); });
            }};
}

}  // namespace chorus::modules::blocking
