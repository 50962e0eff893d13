// Tests for src/stream/csi_queue.cpp: what an inactive client's session holds (XEP-0352),
// what leaves at once, and that nothing held is reordered.
#include "stream/csi_queue.h"

#include <gtest/gtest.h>

namespace chorus::stream {
namespace {

router::SharedBytes bytes(std::string text)
{
    return std::make_shared<const std::string>(std::move(text));
}

std::vector<std::string> texts(const std::vector<router::SharedBytes>& v)
{
    std::vector<std::string> out;
    for (const auto& b : v) {
        out.push_back(*b);
    }
    return out;
}

constexpr const char* chat_state =
    "<message from='romeo@localhost/a' to='juliet@localhost' type='chat'>"
    "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>";

struct Row {
    const char* name;
    const char* stanza;
    CsiKind want;
};
const Row rows[] = {
    {"AvailablePresenceIsHeld", "<presence from='romeo@localhost/a'><show>away</show></presence>",
     CsiKind::presence},
    {"UnavailablePresenceIsHeld", "<presence from='romeo@localhost/a' type='unavailable'/>",
     CsiKind::presence},
    {"SubscriptionRequestIsUrgent", "<presence from='romeo@localhost' type='subscribe'/>",
     CsiKind::urgent},
    {"PresenceErrorIsUrgent", "<presence from='x@y' type=\"error\"/>", CsiKind::urgent},
    {"ChatStateOnlyIsHeld", chat_state, CsiKind::chat_state},
    {"MessageWithBodyIsUrgent",
     "<message from='romeo@localhost/a' type='chat'><body>hi</body>"
     "<active xmlns='http://jabber.org/protocol/chatstates'/></message>",
     CsiKind::urgent},
    {"MessageErrorIsUrgent",
     "<message type='error'><gone xmlns='http://jabber.org/protocol/chatstates'/></message>",
     CsiKind::urgent},
    {"IqIsUrgent", "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>", CsiKind::urgent},
    {"StreamLevelBytesAreUrgent", "</stream:stream>", CsiKind::urgent},
};

class CsiKindRows : public ::testing::TestWithParam<Row> {};
TEST_P(CsiKindRows, MatchesRow)
{
    EXPECT_EQ(csi_kind(GetParam().stanza), GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(Rows, CsiKindRows, ::testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(CsiQueue, OnlyTheNewestPresenceOfASenderIsKeptAndOrderHolds)
{
    CsiQueue q;
    auto a1 = bytes("<presence from='romeo@localhost/a'><show>away</show></presence>");
    auto cs = bytes(chat_state);
    auto b1 = bytes("<presence from='nurse@localhost/b'/>");
    auto a2 = bytes("<presence from='romeo@localhost/a'/>");
    EXPECT_TRUE(q.hold(a1));
    EXPECT_TRUE(q.hold(cs));
    EXPECT_TRUE(q.hold(b1));
    EXPECT_TRUE(q.hold(a2));
    // Romeo's first presence goes; his newest comes after what came before it.
    EXPECT_EQ(texts(q.take()),
              (std::vector<std::string>{chat_state, "<presence from='nurse@localhost/b'/>",
                                        "<presence from='romeo@localhost/a'/>"}));
    EXPECT_TRUE(q.empty());
}

TEST(CsiQueue, AnUrgentStanzaIsNotHeld)
{
    CsiQueue q;
    auto held = bytes(chat_state);
    auto urgent = bytes("<message type='chat'><body>hi</body></message>");
    EXPECT_TRUE(q.hold(held));
    EXPECT_FALSE(q.hold(urgent));
    EXPECT_NE(urgent, nullptr) << "what is not held stays with the caller";
    EXPECT_EQ(q.size(), 1u);
}

TEST(CsiQueue, AFullQueueStopsHolding)
{
    CsiQueue q;
    for (std::size_t i = 0; i < CsiQueue::max_held; ++i) {
        auto b = bytes(chat_state);
        ASSERT_TRUE(q.hold(b));
    }
    auto one_more = bytes(chat_state);
    EXPECT_FALSE(q.hold(one_more));
}

}  // namespace
}  // namespace chorus::stream
