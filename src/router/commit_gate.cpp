// CommitGate: held copies and watched messages, released by the archive writer's reports.
#include "router/commit_gate.h"

#include <algorithm>

namespace chorus::router {

CommitGate::~CommitGate()
{
    for (Session* s : waiting_) {
        s->gate_ = nullptr;
    }
}

bool CommitGate::failed(std::int64_t id) const noexcept
{
    return std::any_of(failed_.begin(), failed_.end(),
                       [id](const Range& r) { return id > r.after && id <= r.through; });
}

void CommitGate::decide(PendingMessage& p)
{
    const bool committed = !failed(p.last_id) && !failed(p.first_id);
    if (p.outcome) {
        p.outcome(committed);
    } else if (on_settled_) {
        on_settled_(p, committed);
    }
}

void CommitGate::watch(PendingMessage pending)
{
    if (pending.last_id <= settled_ && watched_.empty()) {
        decide(pending);
        return;
    }
    watched_.push_back(std::move(pending));
}

void CommitGate::settle(std::int64_t through, bool committed)
{
    if (through <= settled_) {
        return;
    }
    if (!committed) {
        if (failed_.size() >= max_failed_ranges) {
            failed_.erase(failed_.begin());
        }
        failed_.push_back({settled_, through});
    }
    settled_ = through;
    // Outcomes first (offline storage, errors to senders), so the sender's own copies that
    // wait for the same entries leave after the message is stored everywhere.
    while (!watched_.empty() && watched_.front().last_id <= settled_) {
        PendingMessage p = std::move(watched_.front());
        watched_.pop_front();
        decide(p);
    }
    // A release writes; a write never adds a session to waiting_ (ids <= settled_ pass).
    std::erase_if(waiting_, [](Session* s) { return s->release_held(); });
}

void CommitGate::wait(Session& s)
{
    waiting_.push_back(&s);
}

void CommitGate::forget(Session& s) noexcept
{
    std::erase(waiting_, &s);
}

}  // namespace chorus::router
