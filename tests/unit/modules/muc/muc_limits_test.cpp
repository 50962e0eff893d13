// The MUC service's limits answer with errors, never silence (rooms per user, occupants per
// room, message size, join rate, history), and nick registration and IQs between occupants.
#include <gtest/gtest.h>

#include "../module_test_server.h"
#include "modules/muc/muc.h"

namespace chorus {
namespace {

using router::testing::legacy;
using testing::ModuleTestServer;
using FakeSession = router::testing::FakeSession;

std::size_t count(const FakeSession& s, std::string_view needle)
{
    std::size_t n = 0;
    for (const auto& b : s.sent) {
        n += b.find(needle) != std::string::npos;
    }
    return n;
}

std::string join(std::string_view room, std::string_view nick)
{
    return "<presence to='" + std::string(room) + "@conference.localhost/" + std::string(nick) +
           "'/>";  // groupchat 1.0: an instant room, unlocked at once
}

Config limited()
{
    Config c;
    c.muc.max_rooms_per_user = 2;
    c.muc.max_occupants = 2;
    c.muc.max_message_bytes = 1024;
    c.muc.max_joins_per_minute = 5;
    c.muc.max_history = 3;
    return c;
}

class MucLimits : public ::testing::Test {
protected:
    MucLimits() : t(limited())
    {
        for (auto u : {"juliet", "romeo", "nurse"}) {
            t.add_account(std::string(u) + "@localhost");
        }
    }
    ModuleTestServer t;
};

TEST_F(MucLimits, RoomsPerUserAndOccupantsPerRoom)
{
    auto& juliet = t.bind("juliet@localhost/a", legacy());
    t.send(juliet, join("one", "J"));
    t.send(juliet, join("two", "J"));
    t.send(juliet,
           "<iq type='set' id='p' to='one@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
           "type='submit'><field var='muc#roomconfig_persistentroom'><value>1</value>"
           "</field></x></query></iq>");
    t.send(juliet,
           "<iq type='set' id='p' to='two@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
           "type='submit'><field var='muc#roomconfig_persistentroom'><value>1</value>"
           "</field></x></query></iq>");
    juliet.sent.clear();
    t.send(juliet, join("three", "J"));
    EXPECT_EQ(count(juliet, "resource-constraint"), 1u) << "a third room is refused";

    auto& romeo = t.bind("romeo@localhost/a", legacy());
    auto& nurse = t.bind("nurse@localhost/a", legacy());
    t.send(romeo, join("one", "R"));
    t.send(nurse, join("one", "N"));
    EXPECT_EQ(count(romeo, "code='110'"), 1u);
    EXPECT_EQ(count(nurse, "service-unavailable"), 1u) << "XEP-0045 §7.2.10: the room is full";
}

TEST_F(MucLimits, LongMessagesAndFastJoinsGetErrors)
{
    auto& juliet = t.bind("juliet@localhost/a", legacy());
    t.send(juliet, join("one", "J"));
    juliet.sent.clear();
    t.send(juliet, "<message to='one@conference.localhost' type='groupchat'><body>" +
                       std::string(2000, 'x') + "</body></message>");
    EXPECT_EQ(count(juliet, "policy-violation"), 1u);
    for (int i = 0; i < 5; ++i) {  // leave and come back: each return counts as a join
        t.send(juliet, "<presence to='one@conference.localhost/J' type='unavailable'/>");
        t.send(juliet, join("one", "J"));
    }
    EXPECT_EQ(count(juliet, "policy-violation"), 2u) << "the fifth join in a minute is refused";
}

TEST_F(MucLimits, HistoryKeepsAtMostTheServiceLimit)
{
    auto& juliet = t.bind("juliet@localhost/a", legacy());
    t.send(juliet, join("one", "J"));
    for (int i = 0; i < 6; ++i) {
        t.send(juliet, "<message to='one@conference.localhost' type='groupchat'><body>h" +
                           std::to_string(i) + "</body></message>");
    }
    auto& romeo = t.bind("romeo@localhost/a", legacy());
    t.send(romeo, join("one", "R"));
    EXPECT_EQ(count(romeo, "urn:xmpp:delay"), 3u);
    EXPECT_EQ(count(romeo, ">h5<"), 1u);
}

TEST_F(MucLimits, RegisteredNicksAreReservedAndIqsReachOccupants)
{
    auto& juliet = t.bind("juliet@localhost/a", legacy());
    t.send(juliet, join("one", "J"));
    auto& romeo = t.bind("romeo@localhost/a", legacy());
    t.send(romeo,
           "<iq type='set' id='r' to='one@conference.localhost'><query xmlns='jabber:iq:register'>"
           "<x xmlns='jabber:x:data' type='submit'><field var='muc#register_roomnick'>"
           "<value>Romeo</value></field></x></query></iq>");
    EXPECT_EQ(count(romeo, "type='result'"), 1u);
    auto reg = t.ask(romeo,
                     "<iq type='get' id='r2' to='one@conference.localhost'><query "
                     "xmlns='jabber:iq:register'/></iq>");
    EXPECT_NE(reg.child("query", ns::register_)->child("registered", ns::register_), nullptr);
    t.send(juliet, "<presence to='one@conference.localhost/Romeo'/>");
    EXPECT_EQ(count(juliet, "conflict"), 1u) << "the nick is Romeo's";
    t.send(romeo, join("one", "Romeo"));
    // An IQ to an occupant is forwarded from the asker's nick and its answer comes back.
    juliet.sent.clear();
    t.send(juliet,
           "<iq type='get' id='v1' to='one@conference.localhost/Romeo'><query "
           "xmlns='jabber:iq:version'/></iq>");
    ASSERT_EQ(count(romeo, "jabber:iq:version"), 1u);
    auto fwd = testing::parse_stanza(romeo.sent.back());
    EXPECT_EQ(fwd->attr("from"), "one@conference.localhost/J");
    t.send(romeo, "<iq type='result' id='" + std::string(fwd->attr("id")) +
                      "' to='one@conference.localhost/J'><query xmlns='jabber:iq:version'>"
                      "<name>x</name></query></iq>");
    EXPECT_EQ(count(juliet, "id='v1'"), 1u);
    EXPECT_EQ(count(juliet, "from='one@conference.localhost/Romeo'"), 1u);
    // XEP-0410: a joined device pinging its own nick is answered by the room.
    auto pong = t.ask(romeo,
                      "<iq type='get' id='sp' to='one@conference.localhost/Romeo'><ping "
                      "xmlns='urn:xmpp:ping'/></iq>");
    EXPECT_EQ(pong.attr("type"), "result");
}

}  // namespace
}  // namespace chorus
