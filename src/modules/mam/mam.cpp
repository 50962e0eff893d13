// XEP-0313 MAM (urn:xmpp:mam:2, #extended): the archive hook the router calls for every
// message ROUTING.md archives, and the query/prefs/metadata IQs.
#include "modules/mam/mam.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <unordered_map>

#include "base/clock.h"
#include "base/metrics.h"
#include "modules/mam/mam_query.h"
#include "modules/module_context.h"
#include "router/router.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "storage/archive.h"
#include "storage/roster.h"
#include "xml/serializer.h"

namespace chorus::modules::mam {
namespace {

// Archive entries waiting for the writer beyond which the server stops reading stanzas,
// and the level at which it reads again (ReadGate); checked every few hundred appends. The
// room also sets the writer's batch size under load: with 32k rather than 16k, saturation
// measured 135-148k msg/s at 6.2-6.7 us instead of 111-115k at 6.9-7.1 (each owner's
// index pages are rewritten once per batch, for more entries). At most ~25 MB queued.
constexpr std::size_t backlog_high = 32768;
constexpr std::size_t backlog_low = 8192;
constexpr std::uint32_t backlog_check_every = 256;
constexpr auto backlog_poll = std::chrono::milliseconds(2);

struct State {
    // The server's (Storage owns it); null once the module is unloaded.
    storage::Archive* archive = nullptr;
    std::unique_ptr<boost::asio::steady_timer> backlog_timer;  // polls while reads are held
    std::uint32_t appends_since_check = 0;
    bool holding_reads = false;
    bool commit_posted = false;
    std::chrono::steady_clock::time_point first_append;  // of the pending group (metrics)
    storage::Roster* roster = nullptr;
    std::int64_t last_id = 0;
    const Clock* clock = nullptr;
    storage::ArchiveDefault server_default = storage::ArchiveDefault::always;
    // Preferences of every account seen, read once: the archive hook runs per message and
    // must not touch SQLite (nullopt: the account has none stored).
    std::unordered_map<std::string, std::optional<storage::ArchivePrefs>> prefs;

    const std::optional<storage::ArchivePrefs>& prefs_of(const std::string& owner)
    {
        auto it = prefs.find(owner);
        if (it == prefs.end()) {
            it = prefs.emplace(owner, archive->prefs(owner)).first;
        }
        return it->second;
    }

    std::int64_t now_us() const
    {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   clock->now().time_since_epoch())
            .count();
    }
    /// Ids grow with time and never repeat, also across restarts and clock steps back.
    std::int64_t next_id() { return last_id = std::max(last_id + 1, now_us()); }
};

// The group commit: everything appended since the last one goes to the journal at once,
// then the copies waiting for it leave (router::CommitGate).
void commit_now(State& st, Server& server)
{
    st.commit_posted = false;
    while (auto report = st.archive->commit()) {
        server.router().gate().settle(report->through_id, report->committed);
    }
    metrics().archive_commit.observe(std::chrono::steady_clock::now() - st.first_append);
}

// Once per turn of the event loop: posted at the first append, it runs after the handlers
// already queued (the reads being routed), so one write covers all their messages.
void schedule_commit(const std::shared_ptr<State>& st, Server& server)
{
    if (st->commit_posted) {
        return;
    }
    st->commit_posted = true;
    st->first_append = std::chrono::steady_clock::now();
    boost::asio::post(server.io(), [weak = std::weak_ptr<State>(st), &server] {
        if (auto st = weak.lock(); st && st->archive) {
            commit_now(*st, server);
        }
    });
}

// While the writer is behind, reads stay held; polled, as the writer thread cannot post
// to the I/O thread through the storage interface.
void watch_backlog(const std::shared_ptr<State>& st, ReadGate& gate)
{
    if (st->archive->backlog() <= backlog_low) {
        st->holding_reads = false;
        gate.release();
        return;
    }
    st->backlog_timer->expires_after(backlog_poll);
    st->backlog_timer->async_wait(
        [weak = std::weak_ptr<State>(st), &gate](boost::system::error_code ec) {
            auto st = weak.lock();
            if (st && st->archive && !ec) {
                watch_backlog(st, gate);
            }
        });
}

void check_backlog(const std::shared_ptr<State>& st, ReadGate& gate)
{
    if (++st->appends_since_check < backlog_check_every || st->holding_reads) {
        return;
    }
    st->appends_since_check = 0;
    if (st->archive->backlog() >= backlog_high) {
        spdlog::debug("mam: archive writer behind; reading paused");
        st->holding_reads = true;
        gate.hold();
        watch_backlog(st, gate);
    }
}

bool contains(const std::vector<std::string>& list, std::string_view jid)
{
    return std::find(list.begin(), list.end(), jid) != list.end();
}

// ROUTING.md "Archive rules": preferences decide only for messages that reach no IM-NG
// session; what was fanned out to an IM-NG set is archived for consistency.
bool wanted(State& st, const Jid& owner, std::string_view with, bool reaches_imng)
{
    if (reaches_imng) {
        return true;
    }
    const auto& prefs = st.prefs_of(owner.str());
    auto mode = st.server_default;
    if (prefs) {
        if (contains(prefs->never, with)) {
            return false;
        }
        if (contains(prefs->always, with)) {
            return true;
        }
        mode = prefs->default_mode;
    }
    if (mode == storage::ArchiveDefault::roster) {  // XEP-0313 §6.1: contacts only
        const auto item = st.roster->item(owner.str(), with);
        return item && !item->request_only;
    }
    return mode == storage::ArchiveDefault::always;
}

std::string result_message(const storage::ArchivedMessage& m, const Jid& to,
                           std::string_view queryid)
{
    std::string out = "<message to='";
    xml::escape_attr(to.str(), out);
    out += "'><result xmlns='";
    out += ns::mam;
    out += '\'';
    if (!queryid.empty()) {
        out += " queryid='";
        xml::escape_attr(queryid, out);
        out += '\'';
    }
    const auto id = format_archive_id(m.id);
    out += " id='" + id + "'><forwarded xmlns='";
    out += ns::forward;
    out += "'><delay xmlns='";
    out += ns::delay;
    out += "' stamp='";
    out +=
        format_xep82(std::chrono::system_clock::time_point(std::chrono::microseconds(m.stamp_us)));
    out += "'/>";
    // The same stanza-id every live copy carried (ROUTING.md: every copy, one id).
    append_qualified(with_stanza_id(m.stanza, id, m.owner), out);
    out += "</forwarded></result></message>";
    return out;
}

IqResult query(State& st, IqRequest& r)
{
    commit_now(st, r.server());  // a query sees every message routed before it
    if (!r.from_own_account()) {
        return StanzaError::forbidden("An archive can only be queried by its owner");
    }
    auto q = parse_query(r.payload(), r.to().bare_str());
    if (!q) {
        return q.error();
    }
    const auto owner = r.to().bare_str();
    for (auto id : {q->after_id, q->before_id}) {
        if (id && !st.archive->contains(owner, *id)) {
            return StanzaError::item_not_found("No such archive id");
        }
    }
    for (auto id : q->ids) {
        if (!st.archive->contains(owner, id)) {
            return StanzaError::item_not_found("No such archive id: " + format_archive_id(id));
        }
    }
    const auto page = st.archive->query(*q);
    const auto queryid = r.payload().attr("queryid");
    if (r.has_session()) {
        for (const auto& m : page.items) {
            r.session().send_bytes(
                std::make_shared<const std::string>(result_message(m, r.from(), queryid)));
        }
    }
    return IqResult::with(fin_element(page, queryid));
}

xml::Element prefs_element(const storage::ArchivePrefs& p)
{
    xml::Element prefs("prefs", std::string(ns::mam));
    prefs.set_attr("default", p.default_mode == storage::ArchiveDefault::never    ? "never"
                              : p.default_mode == storage::ArchiveDefault::roster ? "roster"
                                                                                  : "always");
    for (const auto* list : {&p.always, &p.never}) {
        auto& e = prefs.add_child(list == &p.always ? "always" : "never", std::string(ns::mam));
        for (const auto& jid : *list) {
            e.add_child("jid", std::string(ns::mam)).add_text(jid);
        }
    }
    return prefs;
}

IqResult prefs(State& st, IqRequest& r, bool set)
{
    if (!r.from_own_account()) {
        return StanzaError::forbidden();
    }
    const auto owner = r.to().bare_str();
    if (!set) {
        auto p = st.prefs_of(owner).value_or(storage::ArchivePrefs{st.server_default, {}, {}});
        return IqResult::with(prefs_element(p));
    }
    storage::ArchivePrefs p;
    const auto mode = r.payload().attr("default");
    if (mode == "always") {
        p.default_mode = storage::ArchiveDefault::always;
    } else if (mode == "never") {
        p.default_mode = storage::ArchiveDefault::never;
    } else if (mode == "roster") {
        p.default_mode = storage::ArchiveDefault::roster;
    } else {
        return StanzaError::bad_request("default must be always, never or roster");
    }
    for (const auto& list : r.payload().nodes()) {
        if (list.is_text() || list.ns() != ns::mam ||
            (list.name() != "always" && list.name() != "never")) {
            continue;
        }
        for (const auto& j : list.nodes()) {
            if (!j.is("jid", ns::mam)) {
                continue;
            }
            auto jid = Jid::parse(j.text());
            if (!jid) {
                return StanzaError::jid_malformed();
            }
            (list.name() == "always" ? p.always : p.never).push_back(jid->bare_str());
        }
    }
    st.archive->set_prefs(owner, p);
    st.prefs[owner] = p;
    return IqResult::with(prefs_element(p));
}

IqResult metadata(State& st, IqRequest& r)
{
    commit_now(st, r.server());
    if (!r.from_own_account()) {
        return StanzaError::forbidden();
    }
    xml::Element md("metadata", std::string(ns::mam));
    if (auto b = st.archive->bounds(r.to().bare_str())) {
        for (const auto* m : {&b->first, &b->second}) {
            md.add_child(m == &b->first ? "start" : "end", std::string(ns::mam))
                .set_attr("id", format_archive_id(m->id))
                .set_attr("timestamp", format_xep82(std::chrono::system_clock::time_point(
                                           std::chrono::microseconds(m->stamp_us))));
        }
    }
    return IqResult::with(std::move(md));
}

}  // namespace

ModuleSpec spec()
{
    return {.name = "mam",
            .xeps = {{313, "1.1.1"}, {359, "0.7.0"}, {59, "1.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto& server = ctx.server();
                auto st = std::make_shared<State>();
                st->archive = &server.storage().archive();
                st->roster = &server.storage().roster();
                st->last_id = st->archive->max_id();
                st->clock = &server.clock();
                const auto& d = server.config().mam_default;
                st->server_default = d == "never"    ? storage::ArchiveDefault::never
                                     : d == "roster" ? storage::ArchiveDefault::roster
                                                     : storage::ArchiveDefault::always;
                st->backlog_timer = std::make_unique<boost::asio::steady_timer>(server.io());
                ctx.on_unload([st, &gate = server.read_gate()] {
                    st->backlog_timer.reset();
                    if (st->holding_reads) {
                        st->holding_reads = false;
                        gate.release();
                    }
                    // Everything appended is committed and reported before the module goes, as
                    // when it owned the archive; the archive itself stays with the Storage.
                    st->archive->flush();
                    st->archive = nullptr;
                });
                for (auto where : {Disco::server, Disco::account}) {
                    ctx.add_feature(ns::mam, where);
                    ctx.add_feature(ns::mam_extended, where);
                    ctx.add_feature(ns::sid, where);
                }
                ctx.provide(
                    &Hooks::archive,
                    [st, &server, &gate = server.read_gate()](
                        const Jid& owner, std::string_view with, std::string_view bytes,
                        bool outgoing, bool reaches_imng) -> std::optional<ArchiveRef> {
                        if (!wanted(*st, owner, with, reaches_imng)) {
                            return std::nullopt;
                        }
                        const auto id = st->next_id();
                        st->archive->append({id, owner.str(), with, st->now_us(), outgoing, bytes});
                        schedule_commit(st, server);
                        check_backlog(st, gate);
                        ArchiveIdChars chars;
                        return ArchiveRef(format_archive_id(id, chars), id);
                    });
                // The account's queued messages reach the archive before it is deleted with
                // the rest of its data; its preferences must not outlive it in memory.
                ctx.hook(&Hooks::account_deleting, Phase::process,
                         [st, &server](const Jid& account) {
                             commit_now(*st, server);
                             st->archive->flush();
                             st->prefs.erase(account.bare_str());
                         });
                auto on = [&](IqType t, std::string_view el, auto fn) {
                    ctx.on_iq(
                        t, ns::mam, el, [st, fn](IqRequest& r) { return fn(*st, r); },
                        Addressee::account);
                };
                on(IqType::set, "query", [](State& s, IqRequest& r) { return query(s, r); });
                on(IqType::get, "query",
                   [](State&, IqRequest&) { return IqResult::with(query_form()); });
                on(IqType::get, "prefs", [](State& s, IqRequest& r) { return prefs(s, r, false); });
                on(IqType::set, "prefs", [](State& s, IqRequest& r) { return prefs(s, r, true); });
                on(IqType::get, "metadata", [](State& s, IqRequest& r) { return metadata(s, r); });
            }};
}

}  // namespace chorus::modules::mam
