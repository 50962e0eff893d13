// XEP-0160 Best Practices for Handling Offline Messages: the store_offline provider, with
// XEP-0203 delay stamps, a per-account quota and age limit, and delivery at the first
// available presence of a legacy (non-IM-NG) session with non-negative priority.
#include "modules/offline/offline.h"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <unordered_set>

#include "base/clock.h"
#include "modules/module_context.h"
#include "stanza/message_facts.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "storage/offline.h"

namespace chorus::modules::offline {
namespace {

// Accounts that never log in again would keep expired messages until their next message
// arrives; a daily sweep bounds that without a scan per stored message.
constexpr auto sweep_interval = std::chrono::hours(24);

class OfflineModule : public std::enable_shared_from_this<OfflineModule> {
public:
    explicit OfflineModule(Server& server)
        : server_(server), store_(server.storage().offline()), sweep_(server.io())
    {
    }

    /// hooks.store_offline: false when the message cannot be kept (quota, storage failure).
    bool store(const Jid& owner, const xml::Element& message)
    {
        // XEP-0085 §5.5, XEP-0334: a message with nothing to keep (only chat states) is not
        // stored, and not bounced either: the sender expects no answer to it.
        if (is_transient(message)) {
            return true;
        }
        const auto now = now_us();
        expire(owner.str(), now);
        const auto count = store_.count(owner.str());
        if (!count) {
            return failed("counting the queue of " + owner.str(), count.error().message);
        }
        if (*count >= server_.config().offline_max_messages) {
            spdlog::debug("offline: queue of {} is full ({} messages)", owner.str(), *count);
            return false;
        }
        xml::Element copy = message;
        auto& delay = copy.add_child("delay", std::string(ns::delay));
        delay.set_attr("from", owner.domain());
        delay.set_attr("stamp", format_xep82(server_.clock().now()));
        delay.add_text("Offline Storage");
        if (auto r = store_.store(owner.str(), now, serialize_stanza(copy)); !r) {
            return failed("storing a message for " + owner.str(), r.error().message);
        }
        if (failures_ > 0) {
            spdlog::warn("offline: storing again; {} messages were refused", failures_);
            failures_ = 0;
        }
        return true;
    }

    /// initial_presence: hands the queue to a session that may take it, then deletes it.
    void on_initial_presence(router::Session& session)
    {
        // ROUTING.md: IM-NG sessions never receive the offline queue, they catch up from MAM.
        if (session.imng()) {
            return;
        }
        // XEP-0160 §3: only once the user is available with a non-negative priority; a
        // session that starts negative gets the queue when it raises its priority.
        if (session.flags().priority < 0) {
            waiting_.insert(session.id());
            return;
        }
        deliver(session);
    }

    /// presence_out: a waiting session that raised its priority to non-negative.
    void on_presence(router::Session& session, const xml::Element& presence)
    {
        if (waiting_.empty() || presence.has_attr("to") || !presence.attr("type").empty()) {
            return;
        }
        if (session.flags().priority >= 0 && !session.imng() && waiting_.erase(session.id())) {
            deliver(session);
        }
    }

    void on_session_closed(router::Session& session) { waiting_.erase(session.id()); }

    void start_sweeping()
    {
        (void)store_.expire_all(cutoff_us(now_us()));
        sweep_.expires_after(sweep_interval);
        sweep_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            if (auto self = weak.lock(); self && !ec) {
                self->start_sweeping();
            }
        });
    }
    void stop_sweeping() { sweep_.cancel(); }

private:
    /// Once per burst: a full disk fails every store until space returns.
    bool failed(const std::string& what, const std::string& why)
    {
        if (failures_++ == 0) {
            spdlog::error("offline: {}: {}; messages are refused until it can", what, why);
        }
        return false;
    }

    void deliver(router::Session& session)
    {
        const auto owner = session.jid().bare_str();
        expire(owner, now_us());
        auto messages = store_.messages(owner);
        if (!messages) {
            spdlog::error("offline: reading the queue of {}: {}", owner, messages.error().message);
            return;
        }
        if (messages->empty()) {
            return;
        }
        // Straight to the session, not through the router: these messages were archived
        // (and carbon-copied) when they first arrived (ROUTING.md "Archive rules").
        for (auto& m : *messages) {
            session.send_bytes(std::make_shared<const std::string>(std::move(m.stanza)));
        }
        if (auto r = store_.remove_through(owner, messages->back().id); !r) {
            spdlog::error("offline: deleting the delivered queue of {}: {}", owner,
                          r.error().message);
        }
        spdlog::debug("offline: delivered {} messages to {}", messages->size(),
                      session.jid().str());
    }

    void expire(const std::string& owner, std::int64_t now)
    {
        if (auto r = store_.expire(owner, cutoff_us(now)); !r) {
            spdlog::error("offline: expiring the queue of {}: {}", owner, r.error().message);
        }
    }

    std::int64_t now_us() const
    {
        return std::chrono::duration_cast<std::chrono::microseconds>(
                   server_.clock().now().time_since_epoch())
            .count();
    }

    std::int64_t cutoff_us(std::int64_t now) const
    {
        const auto max_age = std::chrono::hours(24) * server_.config().offline_max_age_days;
        return now - std::chrono::duration_cast<std::chrono::microseconds>(max_age).count();
    }

    Server& server_;
    std::uint64_t failures_ = 0;  // stores refused since the failure was logged
    storage::Offline& store_;
    boost::asio::steady_timer sweep_;
    std::unordered_set<std::uint64_t> waiting_;  // ids of sessions available below priority 0
};

}  // namespace

ModuleSpec spec()
{
    return {.name = "offline",
            .xeps = {{160, "1.0.1"}, {203, "2.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto m = std::make_shared<OfflineModule>(ctx.server());
                ctx.add_feature(ns::offline, Disco::server);
                ctx.provide(&Hooks::store_offline, [m](const Jid& owner, const xml::Element& msg) {
                    return m->store(owner, msg);
                });
                ctx.hook(&Hooks::initial_presence, Phase::deliver,
                         [m](router::Session& s) { m->on_initial_presence(s); });
                ctx.hook(&Hooks::presence_out, Phase::validate,
                         [m](router::Session& s, xml::Element& presence) {
                             m->on_presence(s, presence);
                             return Verdict::pass;
                         });
                ctx.hook(&Hooks::session_closed, Phase::deliver,
                         [m](router::Session& s) { m->on_session_closed(s); });
                m->start_sweeping();
                ctx.on_unload([m] { m->stop_sweeping(); });
            }};
}

}  // namespace chorus::modules::offline
