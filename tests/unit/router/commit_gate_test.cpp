// Tests for src/router/commit_gate.cpp and the held send path of src/router/session.cpp:
// copies of archived messages leave only once committed, in routing order.
#include "router/commit_gate.h"

#include <gtest/gtest.h>

#include "router/fake_session.h"

namespace chorus::router {
namespace {

using testing::FakeSession;
using testing::imng;

SharedBytes bytes(std::string text)
{
    return std::make_shared<const std::string>(std::move(text));
}

TEST(CommitGate, ACopyWaitsForItsEntrysCommit)
{
    CommitGate gate;
    FakeSession phone("juliet@localhost/phone", imng());
    phone.send_bytes_after(gate, 10, bytes("m10"));
    EXPECT_TRUE(phone.sent.empty());
    gate.settle(9, true);
    EXPECT_TRUE(phone.sent.empty()) << "entry 10 is not committed yet";
    gate.settle(10, true);
    EXPECT_EQ(phone.sent, std::vector<std::string>{"m10"});
    EXPECT_EQ(gate.waiting_sessions(), 0u);
}

TEST(CommitGate, LaterStanzasQueueBehindHeldCopiesAndLeaveInOrder)
{
    CommitGate gate;
    FakeSession phone("juliet@localhost/phone", imng());
    phone.send_bytes_after(gate, 10, bytes("m10"));
    phone.send_bytes(bytes("presence"));  // not archived, but routed after m10
    phone.send_bytes_after(gate, 12, bytes("m12"));
    phone.send_bytes(bytes("iq"));
    gate.settle(11, true);
    EXPECT_EQ(phone.sent, (std::vector<std::string>{"m10", "presence"}));
    gate.settle(12, true);
    EXPECT_EQ(phone.sent, (std::vector<std::string>{"m10", "presence", "m12", "iq"}));
    phone.send_bytes(bytes("after"));
    EXPECT_EQ(phone.sent.back(), "after") << "nothing held: straight to the wire";
}

TEST(CommitGate, ACopyOfACommittedEntryLeavesAtOnce)
{
    CommitGate gate;
    gate.settle(20, true);
    FakeSession phone("juliet@localhost/phone", imng());
    phone.send_bytes_after(gate, 20, bytes("m20"));
    EXPECT_EQ(phone.sent, std::vector<std::string>{"m20"});
    EXPECT_EQ(gate.waiting_sessions(), 0u);
}

TEST(CommitGate, CopiesOfALostBatchNeverLeaveButWhatFollowsDoes)
{
    CommitGate gate;
    FakeSession phone("juliet@localhost/phone", imng());
    phone.send_bytes_after(gate, 5, bytes("m5"));
    phone.send_bytes(bytes("presence"));
    phone.send_bytes_after(gate, 7, bytes("m7"));
    gate.settle(3, true);
    gate.settle(5, false);  // the batch held entries 4 and 5
    gate.settle(7, true);
    EXPECT_EQ(phone.sent, (std::vector<std::string>{"presence", "m7"}));
    EXPECT_FALSE(gate.failed(3));
    EXPECT_TRUE(gate.failed(4));
    EXPECT_TRUE(gate.failed(5));
    EXPECT_FALSE(gate.failed(7));
}

TEST(CommitGate, WatchedMessagesSettleBeforeHeldCopiesLeave)
{
    std::vector<std::string> events;
    FakeSession phone("juliet@localhost/phone", imng());
    CommitGate gate([&](PendingMessage& p, bool committed) {
        events.push_back(std::to_string(p.last_id) + (committed ? " stored" : " lost") + " after " +
                         std::to_string(phone.sent.size()) + " sent");
    });
    gate.watch({.last_id = 3});
    phone.send_bytes_after(gate, 3, bytes("reflection"));
    gate.watch({.last_id = 4, .first_id = 3});
    gate.settle(3, true);
    EXPECT_EQ(events, (std::vector<std::string>{"3 stored after 0 sent"}));
    EXPECT_EQ(phone.sent.size(), 1u);
    gate.settle(4, false);
    EXPECT_EQ(events.back(), "4 lost after 1 sent");
    EXPECT_EQ(gate.watched(), 0u);
}

TEST(CommitGate, AMessageIsLostWhenItsSendersEntryWas)
{
    std::vector<bool> outcomes;
    CommitGate gate([&](PendingMessage&, bool committed) { outcomes.push_back(committed); });
    gate.watch({.last_id = 8, .first_id = 7});
    gate.settle(7, false);  // the sender's entry went with one batch
    gate.settle(8, true);   // the recipient's with the next
    EXPECT_EQ(outcomes, std::vector<bool>{false});
}

TEST(CommitGate, ASessionGoneBeforeTheCommitIsForgotten)
{
    CommitGate gate;
    {
        FakeSession phone("juliet@localhost/phone", imng());
        phone.send_bytes_after(gate, 10, bytes("m10"));
        EXPECT_EQ(gate.waiting_sessions(), 1u);
    }
    EXPECT_EQ(gate.waiting_sessions(), 0u);
    gate.settle(10, true);  // must not touch the destroyed session
}

TEST(CommitGate, AnIdleSessionFreesItsHeldBuffer)
{
    CommitGate gate;
    FakeSession phone("juliet@localhost/phone", imng());
    phone.send_bytes_after(gate, 1, bytes("m1"));
    gate.settle(1, true);
    EXPECT_EQ(phone.held(), 0u);
    phone.trim_held();
    phone.send_bytes(bytes("next"));
    EXPECT_EQ(phone.sent.back(), "next");
}

TEST(CommitGate, ControlBytesWaitForTheirEntryAndLeaveEvenIfItWasLost)
{
    // XEP-0198: an <a/> for a stanza whose archive entry is pending waits for the commit,
    // and answers for it either way (the sender got an error if it was lost).
    CommitGate gate;
    FakeSession phone("juliet@localhost/phone", imng());
    phone.send_control(bytes("a1"));
    EXPECT_EQ(phone.sent, std::vector<std::string>{"a1"}) << "nothing held: at once";
    phone.send_bytes_after(gate, 5, bytes("m5"));
    phone.send_control(bytes("a2"), &gate, 5);
    phone.send_control(bytes("a3"));
    gate.settle(5, false);
    EXPECT_EQ(phone.sent, (std::vector<std::string>{"a1", "a2", "a3"}));
}

TEST(CommitGate, AResumingSessionTakesOverHeldCopiesInOrder)
{
    CommitGate gate;
    FakeSession old_conn("juliet@localhost/phone", imng());
    FakeSession new_conn("juliet@localhost/phone", imng());
    old_conn.send_bytes_after(gate, 4, bytes("m4"));
    old_conn.send_bytes(bytes("presence"));
    new_conn.send_control(bytes("resumed"), &gate, 3);
    new_conn.take_held(old_conn);
    EXPECT_EQ(old_conn.held(), 0u);
    EXPECT_EQ(gate.waiting_sessions(), 1u);
    gate.settle(4, true);
    EXPECT_TRUE(old_conn.sent.empty());
    EXPECT_EQ(new_conn.sent, (std::vector<std::string>{"resumed", "m4", "presence"}));
}

TEST(CommitGate, AMessageWithItsOwnOutcomeIsDecidedByItAlone)
{
    int router_calls = 0;
    std::vector<std::string> outcomes;
    CommitGate gate([&](PendingMessage&, bool) { ++router_calls; });
    gate.watch(
        {.last_id = 2, .outcome = [&](bool c) { outcomes.push_back(c ? "2 ok" : "2 lost"); }});
    gate.watch(
        {.last_id = 3, .outcome = [&](bool c) { outcomes.push_back(c ? "3 ok" : "3 lost"); }});
    gate.settle(2, false);
    gate.settle(3, true);
    // Already settled: decided at once.
    gate.watch(
        {.last_id = 1, .outcome = [&](bool c) { outcomes.push_back(c ? "1 ok" : "1 lost"); }});
    gate.watch(
        {.last_id = 3, .outcome = [&](bool c) { outcomes.push_back(c ? "3 ok" : "3 lost"); }});
    EXPECT_EQ(outcomes, (std::vector<std::string>{"2 lost", "3 ok", "1 lost", "3 ok"}));
    EXPECT_EQ(router_calls, 0);
}

}  // namespace
}  // namespace chorus::router
