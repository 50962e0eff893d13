// XEP-0012 Last Activity: the server's uptime, and for a local account either 0 (online)
// or the time since its last session ended, with the status of its last unavailable
// presence, to requesters allowed to see its presence.
#include "modules/last/last.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <unordered_map>

#include "modules/last/last_permission.h"
#include "modules/module_context.h"
#include "stanza/namespaces.h"
#include "storage/last_activity.h"
#include "storage/roster.h"

namespace chorus::modules::last {
namespace {

using router::Session;

xml::Element query(std::int64_t seconds, std::string_view status = {})
{
    xml::Element q("query", std::string(ns::last));
    q.set_attr("seconds", std::to_string(seconds < 0 ? 0 : seconds));
    if (!status.empty()) {
        q.add_text(status);
    }
    return q;
}

std::int64_t to_us(std::chrono::system_clock::time_point t)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

class LastModule {
public:
    explicit LastModule(Server& server)
        : server_(server),
          store_(server.storage().last_activity()),
          roster_(server.storage().roster()),
          started_us_(to_us(server.clock().now()))
    {
    }

    /// XEP-0012 §5: to the server, the time since it started.
    IqResult server_uptime(IqRequest&) { return IqResult::with(query(seconds_since(started_us_))); }

    /// XEP-0012 §4: to an account's bare JID, answered by the server for the account.
    IqResult account(IqRequest& r)
    {
        const auto& owner = r.to();
        const bool own = r.from_own_account();
        std::optional<storage::RosterItem> item;
        if (!own) {
            item = roster_.item(owner.str(), r.from().bare_view());
        }
        if (!may_see_last_activity(own, item)) {
            return StanzaError::forbidden("Only contacts who see this account's presence may ask");
        }
        for (const Session* s : server_.sessions().account(owner.str())) {
            if (s->flags().available) {
                return IqResult::with(query(0));
            }
        }
        auto last = store_.get(owner.str());
        if (!last) {
            spdlog::error("last: reading the last activity of {}: {}", owner.str(),
                          last.error().message);
            return StanzaError::internal_server_error();
        }
        if (!*last) {
            return StanzaError::item_not_found("This account has not been online yet");
        }
        return IqResult::with(query(seconds_since((*last)->stamp_us), (*last)->status));
    }

    /// presence_out: remembers the status of a session's unavailable broadcast.
    void on_presence(Session& s, const xml::Element& presence)
    {
        if (presence.has_attr("to") || presence.attr("type") != "unavailable") {
            return;
        }
        statuses_[s.id()] = presence.child_text("status", ns::client);
    }

    /// session_closed: when the account's last session ends, that is its last activity.
    void on_session_closed(Session& s)
    {
        std::string status;
        if (auto it = statuses_.find(s.id()); it != statuses_.end()) {
            status = std::move(it->second);
            statuses_.erase(it);
        }
        for (const Session* other : server_.sessions().account(s.jid().bare_view())) {
            if (other->id() != s.id()) {
                return;
            }
        }
        // A cancelled account's sessions close after its data is gone: store nothing.
        if (!server_.accounts().exists(s.jid().node(), s.jid().domain())) {
            return;
        }
        const auto owner = s.jid().bare_str();
        storage::LastActivity last{.stamp_us = to_us(server_.clock().now()),
                                   .status = std::move(status)};
        if (auto r = store_.put(owner, last); !r) {
            spdlog::error("last: storing the last activity of {}: {}", owner, r.error().message);
        }
    }

private:
    std::int64_t seconds_since(std::int64_t stamp_us) const
    {
        return (to_us(server_.clock().now()) - stamp_us) / 1'000'000;
    }

    Server& server_;
    storage::LastActivityStore& store_;
    storage::Roster& roster_;
    std::int64_t started_us_;
    std::unordered_map<std::uint64_t, std::string> statuses_;  // by session id
};

}  // namespace

ModuleSpec spec()
{
    return {.name = "last",
            .xeps = {{12, "2.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto m = std::make_shared<LastModule>(ctx.server());
                ctx.add_feature(ns::last, Disco::server);
                ctx.on_iq(IqType::get, ns::last, "query",
                          [m](IqRequest& r) { return m->server_uptime(r); });
                ctx.on_iq(
                    IqType::get, ns::last, "query", [m](IqRequest& r) { return m->account(r); },
                    Addressee::account);
                ctx.hook(&Hooks::presence_out, Phase::validate,
                         [m](Session& s, xml::Element& presence) {
                             m->on_presence(s, presence);
                             return Verdict::pass;
                         });
                ctx.hook(&Hooks::session_closed, Phase::deliver,
                         [m](Session& s) { m->on_session_closed(s); });
            }};
}

}  // namespace chorus::modules::last
