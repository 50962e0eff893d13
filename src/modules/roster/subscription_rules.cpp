// RFC 6121 Appendix A as tables: one row per existing state for each stanza and direction.
#include "modules/roster/subscription_rules.h"

#include <array>

namespace chorus::modules::roster {
namespace {

using enum SubState;

// One cell of Appendix A: the result for one existing state.
struct Row {
    SubState next;
    bool forward = false;
    bool push = false;
    bool auto_subscribed = false;
    bool send_presence = false;
    bool send_unavailable = false;
};
using Table = std::array<Row, 9>;  // indexed by the existing SubState

constexpr bool F = true;  // forward
constexpr bool P = true;  // push
constexpr bool _ = false;

// A.2.1: the user's server routes every outbound subscribe, whatever the state, so the
// contact's server can answer a repeated request (A.3.1 auto-replies when subscribed).
constexpr Table outbound_subscribe{{
    {none_out, F, P},
    {none_out, F, _},
    {none_out_in, F, P},
    {none_out_in, F, _},
    {to, F, _},
    {to_in, F, _},
    {from_out, F, P},
    {from_out, F, _},
    {both, F, _},
}};

// A.2.2: approving a pending request; without one, §3.4 pre-approval (handled in apply()).
// The user's presence goes to the new subscriber at once (§3.1.5).
constexpr Table outbound_subscribed{{
    {none},
    {none_out},
    {from, F, P, _, true},
    {from_out, F, P, _, true},
    {to},
    {both, F, P, _, true},
    {from},
    {from_out},
    {both},
}};

// A.2.3: routed whatever the state, like subscribe.
constexpr Table outbound_unsubscribe{{
    {none, F, _},
    {none, F, P},
    {none_in, F, _},
    {none_in, F, P},
    {none, F, P},
    {none_in, F, P},
    {from, F, _},
    {from, F, P},
    {from, F, P},
}};

// A.2.4: denying a request or cancelling the contact's subscription; a cancelled
// subscriber gets unavailable presence from the user's resources (§3.2.2).
constexpr Table outbound_unsubscribed{{
    {none},
    {none_out},
    {none, F, P},
    {none_out, F, P},
    {to},
    {to, F, P},
    {none, F, P, _, _, true},
    {none_out, F, P, _, _, true},
    {to, F, P, _, _, true},
}};

// A.3.1: a new request is delivered (pending_in is not part of the pushed item, so no
// push); a repeated one is not; an existing subscriber is answered by the server.
constexpr Table inbound_subscribe{{
    {none_in, F, _},
    {none_out_in, F, _},
    {none_in},
    {none_out_in},
    {to_in, F, _},
    {to_in},
    {from, _, _, true, true},
    {from_out, _, _, true, true},
    {both, _, _, true, true},
}};

// A.3.2
constexpr Table inbound_subscribed{{
    {none},
    {to, F, P},
    {none_in},
    {to_in, F, P},
    {to},
    {to_in},
    {from},
    {both, F, P},
    {both},
}};

// A.3.3: the contact withdraws its request or its subscription; a withdrawn subscription
// also means unavailable presence from the user's resources to the contact (§3.3.3).
constexpr Table inbound_unsubscribe{{
    {none},
    {none_out},
    {none, F, _},
    {none_out, F, _},
    {to},
    {to, F, _},
    {none, F, P, _, _, true},
    {none_out, F, P, _, _, true},
    {to, F, P, _, _, true},
}};

// A.3.4
constexpr Table inbound_unsubscribed{{
    {none},
    {none, F, P},
    {none_in},
    {none_in, F, P},
    {none, F, P},
    {none_in, F, P},
    {from},
    {from, F, P},
    {from, F, P},
}};

constexpr const Table& table(Direction d, SubType t) noexcept
{
    const bool out = d == Direction::outbound;
    switch (t) {
        case SubType::subscribe:
            return out ? outbound_subscribe : inbound_subscribe;
        case SubType::subscribed:
            return out ? outbound_subscribed : inbound_subscribed;
        case SubType::unsubscribe:
            return out ? outbound_unsubscribe : inbound_unsubscribe;
        case SubType::unsubscribed:
            break;
    }
    return out ? outbound_unsubscribed : inbound_unsubscribed;
}

// §3.4 applies where neither side has asked anything of the other that 'subscribed' could
// answer: no 'from' and no pending inbound request.
constexpr bool can_preapprove(SubState s) noexcept
{
    return s == none || s == none_out || s == to;
}

constexpr SubState with_from(SubState s) noexcept
{
    return s == none ? from : s == none_out ? from_out : both;  // 'to' gains 'from': both
}

}  // namespace

bool has_to(SubState s) noexcept
{
    return s == to || s == to_in || s == both;
}
bool has_from(SubState s) noexcept
{
    return s == from || s == from_out || s == both;
}

Transition apply(Direction direction, SubType type, SubscriptionState current,
                 bool preapproval) noexcept
{
    const auto s = current.state;
    if (can_preapprove(s)) {
        if (direction == Direction::outbound && type == SubType::subscribed) {
            // §3.4.1: record the pre-approval; nothing is routed (no request to answer).
            if (!preapproval || current.approved) {
                return {.next = current};
            }
            return {.next = {s, true}, .push = true};
        }
        if (direction == Direction::outbound && type == SubType::unsubscribed) {
            // §3.4: 'unsubscribed' cancels a pre-approval; otherwise there is nothing to undo.
            if (!current.approved) {
                return {.next = current};
            }
            return {.next = {s, false}, .push = true};
        }
        if (direction == Direction::inbound && type == SubType::subscribe && current.approved) {
            // §3.4.2: a pre-approved request is approved by the server, never delivered.
            return {.next = {with_from(s), false},
                    .push = true,
                    .auto_subscribed = true,
                    .send_presence = true};
        }
    }
    const Row& row = table(direction, type)[static_cast<std::size_t>(s)];
    Transition t{.next = {row.next, current.approved && !has_from(row.next)},
                 .forward = row.forward,
                 .push = row.push,
                 .auto_subscribed = row.auto_subscribed,
                 .send_presence = row.send_presence,
                 .send_unavailable = row.send_unavailable};
    if (t.next.approved != current.approved) {
        t.push = true;  // the approved='true' attribute disappears from the item
    }
    return t;
}

SubscriptionState state_of(const storage::RosterItem& item) noexcept
{
    using storage::Subscription;
    SubState s = none;
    switch (item.subscription) {
        case Subscription::to:
            s = item.pending_in ? to_in : to;
            break;
        case Subscription::from:
            s = item.ask_out ? from_out : from;
            break;
        case Subscription::both:
            s = both;
            break;
        case Subscription::none:
        case Subscription::remove:
            s = item.ask_out ? (item.pending_in ? none_out_in : none_out)
                             : (item.pending_in ? none_in : none);
            break;
    }
    return {s, item.approved && !has_from(s)};
}

void set_state(storage::RosterItem& item, SubscriptionState state) noexcept
{
    using storage::Subscription;
    const auto s = state.state;
    item.subscription = has_to(s) && has_from(s) ? Subscription::both
                        : has_to(s)              ? Subscription::to
                        : has_from(s)            ? Subscription::from
                                                 : Subscription::none;
    item.ask_out = s == none_out || s == none_out_in || s == from_out;
    item.pending_in = s == none_in || s == none_out_in || s == to_in;
    item.approved = state.approved && !has_from(s);
    if (!item.pending_in) {
        item.pending_stanza.clear();
    }
}

bool parse_sub_type(std::string_view type, SubType& out) noexcept
{
    if (type == "subscribe") {
        out = SubType::subscribe;
    } else if (type == "subscribed") {
        out = SubType::subscribed;
    } else if (type == "unsubscribe") {
        out = SubType::unsubscribe;
    } else if (type == "unsubscribed") {
        out = SubType::unsubscribed;
    } else {
        return false;
    }
    return true;
}

std::string_view sub_type_name(SubType type) noexcept
{
    switch (type) {
        case SubType::subscribe:
            return "subscribe";
        case SubType::subscribed:
            return "subscribed";
        case SubType::unsubscribe:
            return "unsubscribe";
        case SubType::unsubscribed:
            break;
    }
    return "unsubscribed";
}

}  // namespace chorus::modules::roster
