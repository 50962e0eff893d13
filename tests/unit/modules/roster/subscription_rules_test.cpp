// Tests for src/modules/roster/subscription_rules.cpp: one row per row of RFC 6121
// Appendix A (A.2.1-A.2.4 outbound, A.3.1-A.3.4 inbound), plus §3.4 pre-approval.
#include "modules/roster/subscription_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace chorus::modules::roster {
namespace {

using enum SubState;
using D = Direction;
using T = SubType;

// The columns: forward (outbound: routed to the contact; inbound: delivered to the user),
// push (roster push), auto (server answers 'subscribed'), pres (user's presence to the
// contact), unav (unavailable from the user's resources to the contact).
struct Expect {
    SubState next;
    bool forward = false;
    bool push = false;
    bool auto_subscribed = false;
    bool send_presence = false;
    bool send_unavailable = false;
    bool approved = false;
};
struct Row {
    const char* name;
    Direction direction;
    SubType type;
    SubState from;
    bool approved;
    Expect want;
};

constexpr auto out = D::outbound;
constexpr auto in = D::inbound;
constexpr bool y = true;
constexpr bool n = false;

// One Appendix A row per line.
// clang-format off
const Row rows[] = {
    // A.2.1 outbound subscribe: always routed; "None"/"None + Pending In"/"From" change.
    {"A21_None", out, T::subscribe, none, n, {none_out, y, y}},
    {"A21_NonePendingOut", out, T::subscribe, none_out, n, {none_out, y, n}},
    {"A21_NonePendingIn", out, T::subscribe, none_in, n, {none_out_in, y, y}},
    {"A21_NonePendingOutIn", out, T::subscribe, none_out_in, n, {none_out_in, y, n}},
    {"A21_To", out, T::subscribe, to, n, {to, y, n}},
    {"A21_ToPendingIn", out, T::subscribe, to_in, n, {to_in, y, n}},
    {"A21_From", out, T::subscribe, from, n, {from_out, y, y}},
    {"A21_FromPendingOut", out, T::subscribe, from_out, n, {from_out, y, n}},
    {"A21_Both", out, T::subscribe, both, n, {both, y, n}},
    // A.2.2 outbound subscribed: approves a pending request; elsewhere §3.4 pre-approval.
    {"A22_None_Pre", out, T::subscribed, none, n, {none, n, y, n, n, n, y}},
    {"A22_NonePendingOut_Pre", out, T::subscribed, none_out, n, {none_out, n, y, n, n, n, y}},
    {"A22_NonePendingIn", out, T::subscribed, none_in, n, {from, y, y, n, y}},
    {"A22_NonePendingOutIn", out, T::subscribed, none_out_in, n, {from_out, y, y, n, y}},
    {"A22_To_Pre", out, T::subscribed, to, n, {to, n, y, n, n, n, y}},
    {"A22_ToPendingIn", out, T::subscribed, to_in, n, {both, y, y, n, y}},
    {"A22_From", out, T::subscribed, from, n, {from}},
    {"A22_FromPendingOut", out, T::subscribed, from_out, n, {from_out}},
    {"A22_Both", out, T::subscribed, both, n, {both}},
    // A.2.3 outbound unsubscribe: always routed.
    {"A23_None", out, T::unsubscribe, none, n, {none, y, n}},
    {"A23_NonePendingOut", out, T::unsubscribe, none_out, n, {none, y, y}},
    {"A23_NonePendingIn", out, T::unsubscribe, none_in, n, {none_in, y, n}},
    {"A23_NonePendingOutIn", out, T::unsubscribe, none_out_in, n, {none_in, y, y}},
    {"A23_To", out, T::unsubscribe, to, n, {none, y, y}},
    {"A23_ToPendingIn", out, T::unsubscribe, to_in, n, {none_in, y, y}},
    {"A23_From", out, T::unsubscribe, from, n, {from, y, n}},
    {"A23_FromPendingOut", out, T::unsubscribe, from_out, n, {from, y, y}},
    {"A23_Both", out, T::unsubscribe, both, n, {from, y, y}},
    // A.2.4 outbound unsubscribed: denies a request or cancels the contact's subscription.
    {"A24_None", out, T::unsubscribed, none, n, {none}},
    {"A24_NonePendingOut", out, T::unsubscribed, none_out, n, {none_out}},
    {"A24_NonePendingIn", out, T::unsubscribed, none_in, n, {none, y, y}},
    {"A24_NonePendingOutIn", out, T::unsubscribed, none_out_in, n, {none_out, y, y}},
    {"A24_To", out, T::unsubscribed, to, n, {to}},
    {"A24_ToPendingIn", out, T::unsubscribed, to_in, n, {to, y, y}},
    {"A24_From", out, T::unsubscribed, from, n, {none, y, y, n, n, y}},
    {"A24_FromPendingOut", out, T::unsubscribed, from_out, n, {none_out, y, y, n, n, y}},
    {"A24_Both", out, T::unsubscribed, both, n, {to, y, y, n, n, y}},
    // A.3.1 inbound subscribe: new requests delivered; subscribers answered by the server.
    {"A31_None", in, T::subscribe, none, n, {none_in, y, n}},
    {"A31_NonePendingOut", in, T::subscribe, none_out, n, {none_out_in, y, n}},
    {"A31_NonePendingIn", in, T::subscribe, none_in, n, {none_in}},
    {"A31_NonePendingOutIn", in, T::subscribe, none_out_in, n, {none_out_in}},
    {"A31_To", in, T::subscribe, to, n, {to_in, y, n}},
    {"A31_ToPendingIn", in, T::subscribe, to_in, n, {to_in}},
    {"A31_From", in, T::subscribe, from, n, {from, n, n, y, y}},
    {"A31_FromPendingOut", in, T::subscribe, from_out, n, {from_out, n, n, y, y}},
    {"A31_Both", in, T::subscribe, both, n, {both, n, n, y, y}},
    // A.3.2 inbound subscribed
    {"A32_None", in, T::subscribed, none, n, {none}},
    {"A32_NonePendingOut", in, T::subscribed, none_out, n, {to, y, y}},
    {"A32_NonePendingIn", in, T::subscribed, none_in, n, {none_in}},
    {"A32_NonePendingOutIn", in, T::subscribed, none_out_in, n, {to_in, y, y}},
    {"A32_To", in, T::subscribed, to, n, {to}},
    {"A32_ToPendingIn", in, T::subscribed, to_in, n, {to_in}},
    {"A32_From", in, T::subscribed, from, n, {from}},
    {"A32_FromPendingOut", in, T::subscribed, from_out, n, {both, y, y}},
    {"A32_Both", in, T::subscribed, both, n, {both}},
    // A.3.3 inbound unsubscribe
    {"A33_None", in, T::unsubscribe, none, n, {none}},
    {"A33_NonePendingOut", in, T::unsubscribe, none_out, n, {none_out}},
    {"A33_NonePendingIn", in, T::unsubscribe, none_in, n, {none, y, n}},
    {"A33_NonePendingOutIn", in, T::unsubscribe, none_out_in, n, {none_out, y, n}},
    {"A33_To", in, T::unsubscribe, to, n, {to}},
    {"A33_ToPendingIn", in, T::unsubscribe, to_in, n, {to, y, n}},
    {"A33_From", in, T::unsubscribe, from, n, {none, y, y, n, n, y}},
    {"A33_FromPendingOut", in, T::unsubscribe, from_out, n, {none_out, y, y, n, n, y}},
    {"A33_Both", in, T::unsubscribe, both, n, {to, y, y, n, n, y}},
    // A.3.4 inbound unsubscribed
    {"A34_None", in, T::unsubscribed, none, n, {none}},
    {"A34_NonePendingOut", in, T::unsubscribed, none_out, n, {none, y, y}},
    {"A34_NonePendingIn", in, T::unsubscribed, none_in, n, {none_in}},
    {"A34_NonePendingOutIn", in, T::unsubscribed, none_out_in, n, {none_in, y, y}},
    {"A34_To", in, T::unsubscribed, to, n, {none, y, y}},
    {"A34_ToPendingIn", in, T::unsubscribed, to_in, n, {none_in, y, y}},
    {"A34_From", in, T::unsubscribed, from, n, {from}},
    {"A34_FromPendingOut", in, T::unsubscribed, from_out, n, {from, y, y}},
    {"A34_Both", in, T::unsubscribed, both, n, {from, y, y}},
    // §3.4 pre-approval: recorded once, cancelled by 'unsubscribed', used by a request.
    {"PreApproval_Twice_NoChange", out, T::subscribed, none, y, {none, n, n, n, n, n, y}},
    {"PreApproval_CancelledInNone", out, T::unsubscribed, none, y, {none, n, y}},
    {"PreApproval_CancelledInTo", out, T::unsubscribed, to, y, {to, n, y}},
    {"PreApproval_UsedInNone", in, T::subscribe, none, y, {from, n, y, y, y}},
    {"PreApproval_UsedInNonePendingOut", in, T::subscribe, none_out, y, {from_out, n, y, y, y}},
    {"PreApproval_UsedInTo", in, T::subscribe, to, y, {both, n, y, y, y}},
    {"PreApproval_KeptBySubscribe", out, T::subscribe, none, y, {none_out, y, y, n, n, n, y}},
    {"PreApproval_KeptWhenUnsubscribed", in, T::unsubscribed, to, y, {none, y, y, n, n, n, y}},
};
// clang-format on

class SubscriptionRules : public testing::TestWithParam<Row> {};

TEST_P(SubscriptionRules, MatchesAppendixA)
{
    const auto& r = GetParam();
    const auto t = apply(r.direction, r.type, {r.from, r.approved});
    EXPECT_EQ(t.next.state, r.want.next);
    EXPECT_EQ(t.next.approved, r.want.approved);
    EXPECT_EQ(t.forward, r.want.forward);
    EXPECT_EQ(t.push, r.want.push);
    EXPECT_EQ(t.auto_subscribed, r.want.auto_subscribed);
    EXPECT_EQ(t.send_presence, r.want.send_presence);
    EXPECT_EQ(t.send_unavailable, r.want.send_unavailable);
}

INSTANTIATE_TEST_SUITE_P(Rows, SubscriptionRules, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(SubscriptionRules, WithoutPreApprovalSupportSubscribedWithoutRequestChangesNothing)
{
    const auto t = apply(D::outbound, T::subscribed, {none, false}, false);
    EXPECT_EQ(t, (Transition{.next = {none, false}}));
}

// state_of/set_state map the nine states onto the stored fields and back.
TEST(SubscriptionRules, StoredFieldsRoundTripEveryState)
{
    for (auto s : {none, none_out, none_in, none_out_in, to, to_in, from, from_out, both}) {
        storage::RosterItem item;
        set_state(item, {s, false});
        EXPECT_EQ(state_of(item).state, s) << static_cast<int>(s);
    }
    storage::RosterItem item;
    set_state(item, {none_out_in, false});
    EXPECT_EQ(item.subscription, storage::Subscription::none);
    EXPECT_TRUE(item.ask_out);
    EXPECT_TRUE(item.pending_in);
    set_state(item, {both, true});  // 'approved' is meaningless once the contact has 'from'
    EXPECT_EQ(item.subscription, storage::Subscription::both);
    EXPECT_FALSE(item.ask_out || item.pending_in || item.approved);
}

TEST(SubscriptionRules, AnsweringARequestForgetsTheStoredStanza)
{
    storage::RosterItem item;
    set_state(item, {none_in, false});
    item.pending_stanza = "<presence type='subscribe'/>";
    set_state(item, {from, false});
    EXPECT_TRUE(item.pending_stanza.empty());
}

}  // namespace
}  // namespace chorus::modules::roster
