// Session: the send path every session shares: copies held for the archive, in order.
#include "router/session.h"

#include "router/commit_gate.h"
#include "stanza/stanza_bytes.h"

namespace chorus::router {

Session::~Session()
{
    if (gate_) {
        gate_->forget(*this);
    }
}

void Session::send(const xml::Element& stanza)
{
    send_bytes(std::make_shared<const std::string>(serialize_stanza(stanza)));
}

void Session::send_bytes(SharedBytes bytes)
{
    if (held() == 0) {
        write_bytes(std::move(bytes));
        return;
    }
    held_bytes_ += bytes->size();
    held_->push_back({0, std::move(bytes)});
    held_changed();
}

void Session::send_bytes_after(CommitGate& gate, std::int64_t id, SharedBytes bytes)
{
    if (held() == 0 && id <= gate.settled()) {
        if (!gate.failed(id)) {
            write_bytes(std::move(bytes));
        }
        return;
    }
    hold(gate, {id, std::move(bytes)});
}

void Session::send_control(SharedBytes bytes, CommitGate* gate, std::int64_t id)
{
    if (held() == 0 && (!gate || id <= gate->settled())) {
        write_control(std::move(bytes));
        return;
    }
    hold(gate ? *gate : *gate_, {id, std::move(bytes), true});
}

void Session::hold(CommitGate& gate, Held h)
{
    if (!held_) {
        held_ = std::make_unique<std::vector<Held>>();
    }
    held_bytes_ += h.bytes->size();
    held_->push_back(std::move(h));
    if (!gate_) {
        gate_ = &gate;
        gate.wait(*this);
    }
    held_changed();
}

void Session::take_held(Session& from)
{
    CommitGate* gate = from.gate_;
    if (!gate) {
        return;
    }
    gate->forget(from);
    from.gate_ = nullptr;
    for (std::size_t i = from.held_head_; from.held_ && i < from.held_->size(); ++i) {
        hold(*gate, std::move((*from.held_)[i]));
    }
    from.drop_held();
}

bool Session::release_held()
{
    CommitGate& gate = *gate_;
    const auto before = held_bytes_;
    bool done = true;
    while (held_ && held_head_ < held_->size()) {
        auto& h = (*held_)[held_head_];
        if (h.id > gate.settled()) {
            done = false;
            break;
        }
        ++held_head_;
        held_bytes_ -= h.bytes->size();
        if (h.control) {
            write_control(std::move(h.bytes));
        } else if (h.id == 0 || !gate.failed(h.id)) {
            write_bytes(std::move(h.bytes));  // may close (and drop_held) this session
        } else {
            h.bytes.reset();
        }
    }
    if (done) {
        if (held_) {
            held_->clear();
        }
        held_head_ = 0;
        gate_ = nullptr;
    }
    if (held_bytes_ != before) {
        held_changed();
    }
    return done;
}

void Session::drop_held() noexcept
{
    if (held_) {
        held_->clear();  // the gate still lists this session: its next release ends that
    }
    held_head_ = 0;
    held_bytes_ = 0;
}

void Session::trim_held() noexcept
{
    if (held_ && held() == 0) {
        held_.reset();
        held_head_ = 0;
    }
}

}  // namespace chorus::router
