// XEP-0198 bookkeeping: counters modulo 2^32, the unacked queue, durable inbound acks.
#include "stream/stream_management.h"

#include <charconv>

#include "stanza/namespaces.h"
#include "stanza/stream_error.h"

namespace chorus::stream {

void StreamManagement::sent(router::SharedBytes bytes, LivenessClock::time_point now)
{
    if (unacked() == 0) {
        oldest_unacked_ = now;
    }
    unacked_.push_back(std::move(bytes));
    ++sent_;
}

bool StreamManagement::acked(SmCount h, LivenessClock::time_point now)
{
    // Unsigned differences: correct across the wrap at 2^32 (XEP-0198 §4).
    const SmCount newly = h - acked_;
    if (newly > sent_ - acked_) {
        return false;  // more than sent, or an h older than the last ack
    }
    request_outstanding_ = false;
    for (SmCount i = 0; i < newly; ++i) {
        unacked_[head_++].reset();
    }
    acked_ = h;
    if (head_ == unacked_.size()) {
        unacked_.clear();
        head_ = 0;
    } else if (newly > 0) {
        oldest_unacked_ = now;  // the oldest left was sent before, but was just ack-requested
        if (head_ >= 64 && head_ * 2 >= unacked_.size()) {
            unacked_.erase(unacked_.begin(), unacked_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }
    return true;
}

std::vector<router::SharedBytes> StreamManagement::unacked_stanzas() const
{
    return {unacked_.begin() + static_cast<std::ptrdiff_t>(head_), unacked_.end()};
}

std::vector<router::SharedBytes> StreamManagement::take_unacked()
{
    auto out = unacked_stanzas();
    unacked_.clear();
    head_ = 0;
    acked_ = sent_;
    return out;
}

bool StreamManagement::should_request(std::size_t after, LivenessClock::duration interval,
                                      LivenessClock::time_point now) const noexcept
{
    if (request_outstanding_ || unacked() == 0) {
        return false;
    }
    return unacked() >= after || now - oldest_unacked_ >= interval;
}

void StreamManagement::received(std::int64_t seq, std::int64_t settled)
{
    ++received_;
    if (seq > settled) {
        pending_.push_back({received_, seq});
    }
}

SmCount StreamManagement::durable_count(std::int64_t settled)
{
    // Archive ids grow in append order and settle in that order: the settled ones are a
    // prefix.
    std::size_t done = 0;
    while (done < pending_.size() && pending_[done].seq <= settled) {
        ++done;
    }
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(done));
    if (pending_.empty()) {
        return received_;
    }
    return pending_.front().count - 1;
}

void StreamManagement::trim()
{
    if (unacked() == 0) {
        std::vector<router::SharedBytes>().swap(unacked_);
        head_ = 0;
    }
    if (pending_.empty()) {
        std::vector<Pending>().swap(pending_);
    }
}

std::string ack_element(SmCount h)
{
    std::string out = "<a xmlns='";
    out += ns::sm;
    out += "' h='";
    out += std::to_string(h);
    out += "'/>";
    return out;
}

std::optional<SmCount> parse_count(std::string_view text) noexcept
{
    SmCount value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end) {
        return std::nullopt;
    }
    return value;
}

std::string handled_count_too_high(SmCount h, SmCount sent)
{
    // XEP-0198 §4: <undefined-condition/> with the application condition.
    std::string out = serialize_stream_error(
        {StreamCondition::undefined_condition, "You acknowledged more stanzas than were sent"});
    std::string app = "<handled-count-too-high xmlns='";
    app += ns::sm;
    app += "' h='" + std::to_string(h) + "' send-count='" + std::to_string(sent) + "'/>";
    out.insert(out.size() - std::string_view("</stream:error>").size(), app);
    return out;
}

}  // namespace chorus::stream
