// XEP-0198 bookkeeping (src/stream/stream_management.cpp): h modulo 2^32, ack ranges,
// handled-count-too-high, the queue a resumption re-sends, durable inbound acks, the
// resumption table.
#include "stream/stream_management.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "jid/jid.h"

namespace chorus::stream {
namespace {

using std::chrono::seconds;

const LivenessClock::time_point t0{};

router::SharedBytes bytes(std::string text)
{
    return std::make_shared<const std::string>(std::move(text));
}

std::vector<std::string> texts(const std::vector<router::SharedBytes>& queue)
{
    std::vector<std::string> out;
    for (const auto& b : queue) {
        out.push_back(*b);
    }
    return out;
}

/// A session that sent `n` stanzas named s1..sn.
StreamManagement sent(int n)
{
    StreamManagement sm("id", true);
    for (int i = 1; i <= n; ++i) {
        sm.sent(bytes("s" + std::to_string(i)), t0);
    }
    return sm;
}

struct AckRow {
    const char* name;
    int sent;
    std::vector<SmCount> acks;  // in order; the last one is checked
    bool accepted;
    std::vector<std::string> left;
};
const AckRow ack_rows[] = {
    {"AckOfNothingKeepsAll", 3, {0}, true, {"s1", "s2", "s3"}},
    {"AckOfSomeDropsTheOldest", 3, {2}, true, {"s3"}},
    {"AckOfAllEmptiesTheQueue", 3, {3}, true, {}},
    {"AcksAccumulate", 4, {1, 3}, true, {"s4"}},
    {"RepeatedAckChangesNothing", 3, {2, 2}, true, {"s3"}},
    {"AckOfMoreThanSentIsRefused", 3, {4}, false, {"s1", "s2", "s3"}},
    {"AckOfMoreThanSentAfterAnAckIsRefused", 3, {2, 4}, false, {"s3"}},
    {"AckBehindTheLastAckIsRefused", 3, {2, 1}, false, {"s3"}},
    {"AckWithNothingSentIsFine", 0, {0}, true, {}},
    {"AckWithNothingSentButOneIsRefused", 0, {1}, false, {}},
};

class SmAcks : public testing::TestWithParam<AckRow> {};

TEST_P(SmAcks, MatchRow)
{
    const auto& row = GetParam();
    auto sm = sent(row.sent);
    bool accepted = true;
    for (SmCount h : row.acks) {
        accepted = sm.acked(h, t0);
    }
    EXPECT_EQ(accepted, row.accepted);
    EXPECT_EQ(texts(sm.unacked_stanzas()), row.left);
    EXPECT_EQ(sm.unacked(), row.left.size());
}

INSTANTIATE_TEST_SUITE_P(Rows, SmAcks, testing::ValuesIn(ack_rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StreamManagement, OutboundCountsWrapAroundAt2To32)
{
    constexpr SmCount near_wrap = std::numeric_limits<SmCount>::max() - 1;  // 2^32 - 2
    StreamManagement sm("id", true, near_wrap);
    for (int i = 1; i <= 4; ++i) {
        sm.sent(bytes("s" + std::to_string(i)), t0);
    }
    EXPECT_EQ(sm.sent_count(), 2u) << "2^32 - 2 + 4, modulo 2^32";
    EXPECT_FALSE(sm.acked(3, t0)) << "one more than sent, across the wrap";
    ASSERT_TRUE(sm.acked(std::numeric_limits<SmCount>::max(), t0));  // s1 handled
    EXPECT_EQ(texts(sm.unacked_stanzas()), (std::vector<std::string>{"s2", "s3", "s4"}));
    ASSERT_TRUE(sm.acked(1, t0));  // through s3: h went 2^32-1, 0, 1
    EXPECT_EQ(texts(sm.unacked_stanzas()), (std::vector<std::string>{"s4"}));
    ASSERT_TRUE(sm.acked(2, t0));
    EXPECT_EQ(sm.unacked(), 0u);
}

TEST(StreamManagement, InboundCountsWrapAroundAt2To32)
{
    StreamManagement sm("", false, std::numeric_limits<SmCount>::max());
    sm.received(0, 0);
    sm.received(8, 5);  // not yet durable
    EXPECT_EQ(sm.received_count(), 1u);
    EXPECT_EQ(sm.durable_count(5), 0u) << "the first stanza after the wrap is h=0";
    EXPECT_EQ(sm.durable_count(8), 1u);
}

TEST(StreamManagement, ParsesCountsUpTo2To32Minus1)
{
    EXPECT_EQ(parse_count("0"), 0u);
    EXPECT_EQ(parse_count("4294967295"), 4294967295u);
    EXPECT_EQ(parse_count("4294967296"), std::nullopt);
    EXPECT_EQ(parse_count("-1"), std::nullopt);
    EXPECT_EQ(parse_count(""), std::nullopt);
    EXPECT_EQ(parse_count("12a"), std::nullopt);
    EXPECT_EQ(parse_count(" 1"), std::nullopt);
}

TEST(StreamManagement, ResumptionResendsOnlyWhatHDoesNotCover)
{
    auto sm = sent(5);
    ASSERT_TRUE(sm.acked(1, t0));  // an <a/> before the connection died
    sm.detach(t0);
    ASSERT_TRUE(sm.acked(3, t0));  // <resume h='3'/>
    sm.attach();
    EXPECT_EQ(texts(sm.unacked_stanzas()), (std::vector<std::string>{"s4", "s5"}));
    // The re-sent stanzas stay queued until the client acks them on the new connection.
    sm.sent(bytes("s6"), t0);
    ASSERT_TRUE(sm.acked(6, t0));
    EXPECT_EQ(sm.unacked(), 0u);
}

TEST(StreamManagement, TakingTheQueueLeavesNothingUnacked)
{
    auto sm = sent(3);
    EXPECT_EQ(texts(sm.take_unacked()), (std::vector<std::string>{"s1", "s2", "s3"}));
    EXPECT_EQ(sm.unacked(), 0u);
    EXPECT_TRUE(sm.acked(3, t0)) << "the counters stay where they were";
}

TEST(StreamManagement, ALongQueueCompactsAsItIsAcked)
{
    auto sm = sent(1000);
    for (SmCount h = 10; h <= 990; h += 10) {
        ASSERT_TRUE(sm.acked(h, t0));
    }
    EXPECT_EQ(texts(sm.unacked_stanzas()).front(), "s991");
    EXPECT_EQ(sm.unacked(), 10u);
}

TEST(StreamManagement, RequestsAnAckAfterNStanzasOrTSeconds)
{
    StreamManagement sm("", false);
    EXPECT_FALSE(sm.should_request(3, seconds(30), t0)) << "nothing unacked";
    sm.sent(bytes("a"), t0);
    sm.sent(bytes("b"), t0);
    EXPECT_FALSE(sm.should_request(3, seconds(30), t0 + seconds(29)));
    EXPECT_TRUE(sm.should_request(3, seconds(30), t0 + seconds(30))) << "the oldest waited";
    sm.sent(bytes("c"), t0);
    EXPECT_TRUE(sm.should_request(3, seconds(30), t0)) << "three unacked";
    sm.requested();
    EXPECT_FALSE(sm.should_request(3, seconds(30), t0)) << "one request at a time";
    ASSERT_TRUE(sm.acked(1, t0 + seconds(5)));
    EXPECT_FALSE(sm.should_request(3, seconds(30), t0 + seconds(34)))
        << "the answer restarts the clock for what is left";
    EXPECT_TRUE(sm.should_request(3, seconds(30), t0 + seconds(35)));
}

TEST(StreamManagement, InboundStanzasAreAckedOnlyOnceTheirArchiveEntryIsSettled)
{
    StreamManagement sm("", false);
    sm.received(0, 0);   // 1: an IQ, nothing archived
    sm.received(10, 5);  // 2: a message whose entry 10 is not committed
    sm.received(0, 5);   // 3: presence, behind it
    sm.received(12, 5);  // 4: another message
    EXPECT_EQ(sm.received_count(), 4u);
    EXPECT_EQ(sm.durable_count(5), 1u);
    EXPECT_EQ(sm.last_pending_seq(), 12);
    EXPECT_EQ(sm.durable_count(10), 3u) << "entry 10 committed: through stanza 3";
    EXPECT_EQ(sm.durable_count(12), 4u);
    EXPECT_EQ(sm.last_pending_seq(), 0);
}

TEST(StreamManagement, AStanzaWhoseEntryIsAlreadySettledIsDurableAtOnce)
{
    StreamManagement sm("", false);
    sm.received(7, 9);
    EXPECT_EQ(sm.durable_count(9), 1u);
    EXPECT_EQ(sm.last_pending_seq(), 0);
}

TEST(StreamManagement, ADetachedSessionExpiresAfterTheTimeout)
{
    StreamManagement sm("id", true);
    EXPECT_FALSE(sm.expired(seconds(300), t0 + seconds(1000))) << "attached";
    sm.detach(t0);
    EXPECT_TRUE(sm.detached());
    EXPECT_FALSE(sm.expired(seconds(300), t0 + seconds(299)));
    EXPECT_TRUE(sm.expired(seconds(300), t0 + seconds(300)));
    sm.attach();
    EXPECT_FALSE(sm.detached());
}

TEST(StreamManagement, TooHighAckErrorNamesBothCounts)
{
    const auto e = handled_count_too_high(10, 8);
    EXPECT_NE(e.find("<undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"),
              std::string::npos);
    EXPECT_NE(e.find("<handled-count-too-high xmlns='urn:xmpp:sm:3' h='10' send-count='8'/>"),
              std::string::npos);
    EXPECT_TRUE(e.ends_with("</stream:error>"));
}

TEST(StreamManagement, AckElementCarriesH)
{
    EXPECT_EQ(ack_element(4294967295u), "<a xmlns='urn:xmpp:sm:3' h='4294967295'/>");
}

struct FakeResumable {
    Jid jid_;
    const Jid& jid() const { return jid_; }
};

TEST(ResumptionTable, FindsASessionOnlyForItsOwnAccount)
{
    ResumptionTable<FakeResumable> table;
    FakeResumable phone{*Jid::parse("juliet@localhost/phone")};
    table.add("abc", &phone);
    EXPECT_EQ(table.find("abc", "juliet@localhost"), &phone);
    EXPECT_EQ(table.find("abc", "romeo@localhost"), nullptr) << "XEP-0198 §5: same entity only";
    EXPECT_EQ(table.find("nope", "juliet@localhost"), nullptr);
}

TEST(ResumptionTable, ASuccessorKeepsTheIdWhenItsPredecessorIsRemoved)
{
    ResumptionTable<FakeResumable> table;
    FakeResumable old_conn{*Jid::parse("juliet@localhost/phone")};
    FakeResumable new_conn{*Jid::parse("juliet@localhost/phone")};
    table.add("abc", &old_conn);
    table.add("abc", &new_conn);  // resumed
    table.remove("abc", &old_conn);
    EXPECT_EQ(table.find("abc", "juliet@localhost"), &new_conn);
    table.remove("abc", &new_conn);
    EXPECT_EQ(table.size(), 0u);
}

}  // namespace
}  // namespace chorus::stream
