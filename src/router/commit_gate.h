// CommitGate: copies of archived messages wait here until the archive's group commit that
// stores them (DESIGN.md "nothing that is archived leaves the server before its write is
// committed"); a message whose entries could not be stored is answered with an error.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "router/session.h"
#include "xml/element.h"

namespace chorus::router {

/// An archived message waiting for its entries' commit.
struct PendingMessage {
    std::int64_t last_id = 0;   // its newest archive entry: settled last
    std::int64_t first_id = 0;  // the sender's entry, 0 when none or the same
    xml::Element message{};     // as routed to the recipient, without our stanza-id
    bool offline = false;       // store it offline once committed
    bool archived = false;      // in the recipient's archive (not only the sender's)
    bool remote = false;        // for a remote domain: handed to s2s once committed
    /// When set, decides the message's fate instead of the gate's OnSettled (a component's
    /// message: a room answers its sender and sends its remote copies itself).
    std::function<void(bool committed)> outcome{};
};

/// Lives on the I/O thread. Archive ids grow in append order and the writer reports them
/// in that order, so "settled through id" is one number.
class CommitGate {
public:
    using OnSettled = std::function<void(PendingMessage&, bool committed)>;

    explicit CommitGate(OnSettled on_settled = {}) : on_settled_(std::move(on_settled)) {}
    CommitGate(const CommitGate&) = delete;
    CommitGate& operator=(const CommitGate&) = delete;
    ~CommitGate();

    void set_on_settled(OnSettled fn) { on_settled_ = std::move(fn); }
    /// Every archive entry through this id is committed or lost.
    std::int64_t settled() const noexcept { return settled_; }
    /// The entry was in a batch that could not be stored (remembered for recent failures).
    bool failed(std::int64_t id) const noexcept;
    /// The message's fate is decided once last_id settles (at once if it has).
    void watch(PendingMessage pending);
    /// The archive writer's report, in order: entries (settled(), through] are committed
    /// (or lost). Runs the watched messages' outcomes, then releases the held copies.
    void settle(std::int64_t through, bool committed);
    /// Messages and sessions waiting (for tests and metrics).
    std::size_t watched() const noexcept { return watched_.size(); }
    std::size_t waiting_sessions() const noexcept { return waiting_.size(); }

private:
    friend class Session;
    void wait(Session& s);
    void forget(Session& s) noexcept;
    /// Runs a settled message's outcome (its own, or on_settled_).
    void decide(PendingMessage& p);

    struct Range {
        std::int64_t after, through;  // (after, through]
    };
    // Failures kept to answer failed() for copies and messages settled by later reports.
    static constexpr std::size_t max_failed_ranges = 64;

    OnSettled on_settled_;
    std::int64_t settled_ = 0;
    std::vector<Range> failed_;
    std::deque<PendingMessage> watched_;
    std::vector<Session*> waiting_;
};

}  // namespace chorus::router
