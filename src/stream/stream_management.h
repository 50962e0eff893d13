// XEP-0198 Stream Management (urn:xmpp:sm:3): the per-session counters and queues, and the
// table of resumable sessions. Pure bookkeeping (no sockets, no clock reads), so the
// arithmetic modulo 2^32 and the ack ranges are unit tests; C2sSession carries it out
// (c2s_stream_management.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "router/session.h"
#include "stream/liveness.h"

namespace chorus::stream {

/// XEP-0198 §4: h counts stanzas modulo 2^32, so every difference below is unsigned.
using SmCount = std::uint32_t;

/// The state of one session that sent <enable/>; allocated only then (memory per idle
/// session is a tracked figure).
class StreamManagement {
public:
    /// Counters start at `start`: 0 per XEP-0198 §4 (tests start near 2^32).
    StreamManagement(std::string id, bool resume, SmCount start = 0)
        : id_(std::move(id)), sent_(start), acked_(start), received_(start), resume_(resume)
    {
    }

    /// The resumption id (XEP-0198 §5); empty when the session cannot be resumed.
    const std::string& id() const noexcept { return id_; }
    bool resumable() const noexcept { return resume_; }

    // Outbound: stanzas written to the client, kept until its <a h/> covers them.

    /// A stanza (message, presence, iq) was written: it waits for the client's ack.
    void sent(router::SharedBytes bytes, LivenessClock::time_point now);
    /// Stanzas written since <enable/>, modulo 2^32.
    SmCount sent_count() const noexcept { return sent_; }
    /// The last h the client acknowledged.
    SmCount acked_count() const noexcept { return acked_; }
    std::size_t unacked() const noexcept { return unacked_.size() - head_; }
    /// The client handled stanzas through h (an <a/> or a <resume/>): they leave the
    /// queue. False, and nothing changes, when h covers more than was sent (XEP-0198 §4
    /// handled-count-too-high) or lies before the last ack.
    bool acked(SmCount h, LivenessClock::time_point now);
    /// The unacknowledged stanzas, oldest first (re-sent on resumption, re-routed or
    /// dropped when the session ends unresumed).
    std::vector<router::SharedBytes> unacked_stanzas() const;
    /// Takes the unacknowledged stanzas out (the session ends).
    std::vector<router::SharedBytes> take_unacked();

    /// Whether to send <r/> now: the client holds `after` unacked stanzas, or one has
    /// waited `interval`; never while a request is unanswered.
    bool should_request(std::size_t after, LivenessClock::duration interval,
                        LivenessClock::time_point now) const noexcept;
    void requested() noexcept { request_outstanding_ = true; }

    // Inbound: stanzas the client sent, acknowledged once durable.

    /// One stanza from the client was handled; seq is the archive entry its outcome
    /// waits for (0: none), settled the archive's committed-through id now.
    void received(std::int64_t seq, std::int64_t settled);
    /// Stanzas received since <enable/>, modulo 2^32.
    SmCount received_count() const noexcept { return received_; }
    /// The h to acknowledge: every stanza up to the first one whose archive entry is not
    /// settled yet (ROUTING.md "under SM the sender's stanza is acked only once it is
    /// committed"). Forgets what has settled.
    SmCount durable_count(std::int64_t settled);
    /// The archive entry to wait for before all received stanzas are durable (0: none).
    std::int64_t last_pending_seq() const noexcept
    {
        return pending_.empty() ? 0 : pending_.back().seq;
    }

    // The connection is gone and the session waits for a <resume/>.
    bool detached() const noexcept { return detached_since_.has_value(); }
    void detach(LivenessClock::time_point now) noexcept { detached_since_ = now; }
    void attach() noexcept
    {
        detached_since_.reset();
        request_outstanding_ = false;
    }
    bool expired(LivenessClock::duration timeout, LivenessClock::time_point now) const noexcept
    {
        return detached_since_ && now - *detached_since_ >= timeout;
    }
    /// Frees the queue's spare capacity (an idle session keeps none).
    void trim();

    /// Keeps a detached session alive while no I/O does.
    std::shared_ptr<void> keepalive;

private:
    struct Pending {
        SmCount count;  // the stanza's number (received_ after it)
        std::int64_t seq;
    };
    std::string id_;
    std::vector<router::SharedBytes> unacked_;  // [head_, end) wait for an ack
    std::size_t head_ = 0;
    std::vector<Pending> pending_;  // received stanzas whose archive entries are not settled
    SmCount sent_ = 0;
    SmCount acked_ = 0;
    SmCount received_ = 0;
    bool resume_ = false;
    bool request_outstanding_ = false;
    LivenessClock::time_point oldest_unacked_{};  // when the oldest unacked stanza was sent
    std::optional<LivenessClock::time_point> detached_since_;
};

/// XEP-0198 §4: the <a/> answer and the elements that carry h.
std::string ack_element(SmCount h);
/// Parses an h attribute: a decimal in [0, 2^32); nullopt otherwise.
std::optional<SmCount> parse_count(std::string_view text) noexcept;
/// XEP-0198 §4: the stream error for an ack of more stanzas than were sent.
std::string handled_count_too_high(SmCount h, SmCount sent);

/// Resumption ids of the sessions that enabled resumption, attached or detached
/// (XEP-0198 §5). Single-threaded, like the session table.
template <typename S>
class ResumptionTable {
public:
    void add(const std::string& id, S* session) { by_id_[id] = session; }
    /// The session under id, if it belongs to account `bare` (XEP-0198 §5: only the
    /// entity that enabled it may resume it).
    S* find(std::string_view id, std::string_view bare) const
    {
        auto it = by_id_.find(std::string(id));
        if (it == by_id_.end() || it->second->jid().bare_view() != bare) {
            return nullptr;
        }
        return it->second;
    }
    /// Forgets id if session still owns it (a resumed session took it over otherwise).
    void remove(const std::string& id, const S* session)
    {
        auto it = by_id_.find(id);
        if (it != by_id_.end() && it->second == session) {
            by_id_.erase(it);
        }
    }
    std::size_t size() const noexcept { return by_id_.size(); }

private:
    std::unordered_map<std::string, S*> by_id_;
};

}  // namespace chorus::stream
