// The MUC service end to end over fake sessions: creation, joins with several devices under
// one nick, group chat fan-out after the room archive commits, private messages, moderation.
#include "modules/muc/muc.h"

#include <gtest/gtest.h>

#include "../module_test_server.h"

namespace chorus {
namespace {

using router::testing::carbons;
using router::testing::imng;
using router::testing::legacy;
using testing::ModuleTestServer;
using FakeSession = router::testing::FakeSession;

constexpr std::string_view room = "tea@conference.localhost";

std::size_t count(const FakeSession& s, std::string_view needle)
{
    std::size_t n = 0;
    for (const auto& b : s.sent) {
        n += b.find(needle) != std::string::npos;
    }
    return n;
}

std::string join_stanza(std::string_view nick, std::string_view extra = "")
{
    return "<presence to='" + std::string(room) + "/" + std::string(nick) +
           "'><x xmlns='http://jabber.org/protocol/muc'>" + std::string(extra) + "</x></presence>";
}

const std::string instant_config =
    "<iq type='set' id='cfg' to='tea@conference.localhost'><query "
    "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
    "type='submit'/></query></iq>";

class Muc : public ::testing::Test {
protected:
    Muc()
    {
        for (auto u : {"juliet", "romeo", "nurse"}) {
            t.add_account(std::string(u) + "@localhost");
        }
    }
    /// juliet/laptop creates the room (instant) and stays as its owner.
    FakeSession& create_room()
    {
        auto& owner = t.bind("juliet@localhost/laptop", legacy());
        t.send(owner, join_stanza("Juliet"));
        EXPECT_EQ(count(owner, "code='201'"), 1u);
        t.send(owner, instant_config);
        EXPECT_EQ(count(owner, "type='result' id='cfg'") + count(owner, "id='cfg' type='result'"),
                  1u);
        owner.sent.clear();
        return owner;
    }
    ModuleTestServer t;
};

TEST_F(Muc, ALockedRoomAdmitsNobodyButItsOwnerUntilConfigured)
{
    auto& owner = t.bind("juliet@localhost/laptop", legacy());
    t.send(owner, join_stanza("Juliet"));
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_stanza("Romeo"));
    EXPECT_EQ(count(romeo, "item-not-found"), 1u);
    t.send(owner, instant_config);
    romeo.sent.clear();
    t.send(romeo, join_stanza("Romeo"));
    EXPECT_EQ(count(romeo, "code='110'"), 1u);
    EXPECT_EQ(count(romeo, "<subject/>"), 1u) << "the join ends with the (empty) subject";
    EXPECT_EQ(count(owner, "from='tea@conference.localhost/Romeo'"), 1u);
}

TEST_F(Muc, GroupChatCarriesTheRoomsStanzaIdAndReachesEveryDeviceOnce)
{
    auto& laptop = create_room();
    auto& phone = t.bind("juliet@localhost/phone", imng());
    auto& tablet = t.bind("juliet@localhost/tablet", carbons());
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(phone, join_stanza("Juliet"));
    t.send(tablet, join_stanza("Juliet"));
    t.send(romeo, join_stanza("Romeo"));
    EXPECT_EQ(count(romeo, "from='tea@conference.localhost/Juliet'"), 1u)
        << "one Juliet, however many devices";
    EXPECT_EQ(count(laptop, "from='tea@conference.localhost/Juliet'"), 0u)
        << "Juliet's own other devices joining changes nothing for the room";
    for (auto* s : {&laptop, &phone, &tablet, &romeo}) {
        s->sent.clear();
    }
    t.send(romeo,
           "<message to='tea@conference.localhost' type='groupchat' id='m1'><body>Hi</body>"
           "<origin-id xmlns='urn:xmpp:sid:0' id='o1'/></message>");
    for (auto* s : {&laptop, &phone, &tablet, &romeo}) {
        EXPECT_EQ(s->sent.size(), 1u) << s->jid().str();
        EXPECT_EQ(count(*s, "by='tea@conference.localhost'"), 1u) << s->jid().str();
        EXPECT_EQ(count(*s, "origin-id"), 1u);
        EXPECT_EQ(count(*s, "occupant-id"), 1u);
        EXPECT_EQ(count(*s, "to='" + s->jid().str() + "'"), 1u);
    }
    // A private message to the nick reaches each of Juliet's devices once; no Carbons copy.
    t.send(romeo,
           "<message to='tea@conference.localhost/Juliet' type='chat'><body>psst</body>"
           "</message>");
    for (auto* s : {&laptop, &phone, &tablet}) {
        EXPECT_EQ(count(*s, "psst"), 1u) << s->jid().str();
        EXPECT_EQ(count(*s, "urn:xmpp:carbons:2"), 0u);
    }
}

TEST_F(Muc, CopiesLeaveOnlyAfterTheRoomArchiveCommits)
{
    auto& laptop = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_stanza("Romeo"));
    laptop.sent.clear();
    romeo.sent.clear();
    // DESIGN.md "archive before delivery": routed, but held until the group commit.
    auto msg = testing::parse_stanza(
        "<message to='tea@conference.localhost' type='groupchat'><body>held</body></message>");
    t.server().router().from_session(romeo, std::move(*msg));
    EXPECT_EQ(count(laptop, "held"), 0u);
    EXPECT_EQ(count(romeo, "held"), 0u);
    EXPECT_GT(t.server().router().gate().waiting_sessions(), 0u);
    t.settle();
    EXPECT_EQ(count(laptop, "held"), 1u);
    EXPECT_EQ(count(romeo, "held"), 1u);
}

TEST_F(Muc, AnOccupantTheUsersBlockListCoversIsNotHeard)
{
    auto& laptop = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_stanza("Romeo"));
    t.send(laptop,
           "<iq type='set' id='bl'><block xmlns='urn:xmpp:blocking'><item "
           "jid='tea@conference.localhost/Romeo'/></block></iq>");
    laptop.sent.clear();
    t.send(romeo,
           "<message to='tea@conference.localhost' type='groupchat'><body>hidden</body></message>");
    t.send(romeo,
           "<message to='tea@conference.localhost/Juliet' type='chat'><body>hidden "
           "pm</body></message>");
    EXPECT_EQ(count(laptop, "hidden"), 0u) << "XEP-0191: the blocked occupant is not heard";
    EXPECT_EQ(count(romeo, ">hidden<"), 1u) << "the others (and the sender) still get it";
}

TEST_F(Muc, LeavingFromOneDeviceKeepsTheNickInTheRoom)
{
    auto& laptop = create_room();
    auto& phone = t.bind("juliet@localhost/phone", imng());
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(phone, join_stanza("Juliet"));
    t.send(romeo, join_stanza("Romeo"));
    romeo.sent.clear();
    t.send(phone, "<presence to='tea@conference.localhost/Juliet' type='unavailable'/>");
    EXPECT_EQ(count(phone, "type='unavailable'"), 1u);
    EXPECT_EQ(count(romeo, "type='unavailable'"), 0u);
    t.close(laptop);  // the presence module leaves the room for the closed session
    EXPECT_EQ(count(romeo, "type='unavailable'"), 1u);
}

TEST_F(Muc, NickChangesKicksAndBans)
{
    auto& owner = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_stanza("Romeo"));
    t.send(romeo, "<presence to='tea@conference.localhost/Romeo2'/>");
    EXPECT_EQ(count(owner, "code='303'"), 1u);
    EXPECT_EQ(count(owner, "nick='Romeo2'"), 1u);
    auto& nurse = t.bind("nurse@localhost/pc", legacy());
    t.send(nurse, join_stanza("Juliet"));
    EXPECT_EQ(count(nurse, "conflict"), 1u);
    t.send(romeo,
           "<iq type='set' id='k' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item nick='Juliet' "
           "role='none'/></query></iq>");
    EXPECT_EQ(count(romeo, "forbidden"), 1u) << "a participant cannot kick";
    t.send(owner,
           "<iq type='set' id='k' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item nick='Romeo2' "
           "role='none'><reason>bye</reason></item></query></iq>");
    EXPECT_EQ(count(romeo, "code='307'"), 1u);
    romeo.sent.clear();
    t.send(owner,
           "<iq type='set' id='b' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item jid='romeo@localhost' "
           "affiliation='outcast'/></query></iq>");
    t.send(romeo, join_stanza("Romeo"));
    EXPECT_EQ(count(romeo, "forbidden"), 1u);
}

TEST_F(Muc, HistoryOnJoinHonoursMaxstanzasAndTheArchiveAnswersQueries)
{
    auto& owner = create_room();
    for (int i = 0; i < 5; ++i) {
        t.send(owner, "<message to='tea@conference.localhost' type='groupchat'><body>line " +
                          std::to_string(i) + "</body></message>");
    }
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_stanza("Romeo", "<history maxstanzas='2'/>"));
    EXPECT_EQ(count(romeo, "urn:xmpp:delay"), 2u);
    EXPECT_EQ(count(romeo, "line 4"), 1u);
    EXPECT_EQ(count(romeo, "line 2"), 0u);
    romeo.sent.clear();
    t.send(romeo,
           "<iq type='set' id='q' to='tea@conference.localhost'><query "
           "xmlns='urn:xmpp:mam:2' queryid='x'><set "
           "xmlns='http://jabber.org/protocol/rsm'><max>3</max></set></query></iq>");
    EXPECT_EQ(count(romeo, "<result xmlns='urn:xmpp:mam:2'"), 3u);
    EXPECT_EQ(count(romeo, "<count>5</count>"), 1u);
}

TEST_F(Muc, MembersOnlyAndPasswordRoomsRefuseWithTheXepsErrors)
{
    auto& owner = create_room();
    t.send(owner,
           "<iq type='set' id='c2' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='muc#roomconfig_membersonly'><value>1</value></field>"
           "<field var='muc#roomconfig_roomsecret'><value>pw</value></field>"
           "<field var='muc#roomconfig_passwordprotectedroom'><value>1</value></field>"
           "</x></query></iq>");
    EXPECT_EQ(count(owner, "code='104'"), 1u);
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_stanza("Romeo", "<password>pw</password>"));
    EXPECT_EQ(count(romeo, "registration-required"), 1u);
    t.send(owner,
           "<iq type='set' id='m' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item jid='romeo@localhost' "
           "affiliation='member'/></query></iq>");
    t.send(romeo, join_stanza("Romeo"));
    EXPECT_EQ(count(romeo, "not-authorized"), 1u);
    t.send(romeo, join_stanza("Romeo", "<password>pw</password>"));
    EXPECT_EQ(count(romeo, "code='110'"), 1u);
}

TEST_F(Muc, ServiceAndRoomAnswerDisco)
{
    create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    auto info = t.ask(romeo,
                      "<iq type='get' id='d' to='conference.localhost'><query "
                      "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    EXPECT_EQ(count(romeo, "http://jabber.org/protocol/muc'"), 1u);
    t.ask(romeo,
          "<iq type='get' id='i' to='conference.localhost'><query "
          "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    EXPECT_EQ(count(romeo, "jid='tea@conference.localhost'"), 1u);
    t.ask(romeo,
          "<iq type='get' id='r' to='tea@conference.localhost'><query "
          "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    EXPECT_EQ(count(romeo, "muc_temporary"), 1u);
    EXPECT_EQ(count(romeo, "urn:xmpp:mam:2"), 1u);
    t.ask(romeo,
          "<iq type='get' id='p' to='tea@conference.localhost/Juliet'><ping "
          "xmlns='urn:xmpp:ping'/></iq>");
    EXPECT_EQ(count(romeo, "not-acceptable"), 1u) << "XEP-0410: not joined";
}

}  // namespace
}  // namespace chorus
