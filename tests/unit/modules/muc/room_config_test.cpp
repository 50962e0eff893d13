// muc#roomconfig fields beyond the basics, offered, stored and enforced: owner and admin
// lists, presence broadcast, nick changes, member list readers, history fetch, language and
// pubsub node (advertised in muc#roominfo), and the service's goodbye (status 332).
#include <gtest/gtest.h>

#include "modules/muc/muc.h"
#include "muc_fixture.h"

namespace chorus {
namespace {

using router::testing::legacy;
using testing::configure_tea;
using testing::count;
using testing::field;
using testing::join_tea;
using testing::MucFixture;

class RoomConfigFields : public MucFixture {};

TEST_F(RoomConfigFields, TheFormOffersEveryField)
{
    auto& owner = create_room();
    auto form = t.ask(owner,
                      "<iq type='get' id='f' to='tea@conference.localhost'><query "
                      "xmlns='http://jabber.org/protocol/muc#owner'/></iq>");
    const auto text = owner.sent.back();
    for (auto var : {"muc#roomconfig_roomowners", "muc#roomconfig_roomadmins",
                     "muc#roomconfig_presencebroadcast", "muc#roomconfig_canchangenick",
                     "muc#roomconfig_getmemberlist", "muc#maxhistoryfetch", "muc#roomconfig_lang",
                     "muc#roomconfig_pubsub"}) {
        EXPECT_NE(text.find(std::string("var='") + var + "'"), std::string::npos) << var;
    }
    EXPECT_NE(text.find("<value>juliet@localhost</value>"), std::string::npos)
        << "the owner list holds the creator";
}

TEST_F(RoomConfigFields, OwnerAndAdminListsSetAffiliations)
{
    auto& owner = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    owner.sent.clear();
    t.send(owner, configure_tea(
                      field("muc#roomconfig_roomowners", {"juliet@localhost", "nurse@localhost"}) +
                      field("muc#roomconfig_roomadmins", {"romeo@localhost"})));
    EXPECT_EQ(count(owner, "type='result'"), 1u);
    EXPECT_EQ(count(romeo, "affiliation='admin' role='moderator'"), 1u)
        << "romeo, in the room, sees his new affiliation";
    t.ask(owner,
                        "<iq type='get' id='o' to='tea@conference.localhost'><query "
                        "xmlns='http://jabber.org/protocol/muc#admin'><item "
                        "affiliation='owner'/></query></iq>");
    EXPECT_EQ(count(owner, "jid='nurse@localhost'"), 1u);
    // The lists are full lists: romeo left out of the admins loses the affiliation.
    romeo.sent.clear();
    t.send(owner, configure_tea(field("muc#roomconfig_roomadmins", {})));
    EXPECT_EQ(count(romeo, "affiliation='none' role='participant'"), 1u);
    owner.sent.clear();
    t.send(owner, configure_tea(field("muc#roomconfig_roomowners", {}), "none"));
    EXPECT_EQ(count(owner, "not-acceptable"), 1u) << "a room keeps an owner";
    t.send(owner, configure_tea(field("muc#roomconfig_roomowners", {"not a jid@@"}), "bad"));
    EXPECT_EQ(count(owner, "jid-malformed"), 1u);
}

TEST_F(RoomConfigFields, PresenceBroadcastHidesVisitorsFromAllButModerators)
{
    auto& owner =
        create_room(field("muc#roomconfig_moderatedroom", {"1"}) +
                    field("muc#roomconfig_presencebroadcast", {"moderator", "participant"}));
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));  // a visitor: the room is moderated
    EXPECT_EQ(count(romeo, "role='visitor'"), 1u) << "romeo sees himself";
    EXPECT_EQ(count(owner, "tea@conference.localhost/Romeo"), 1u) << "the moderator sees him";
    auto& nurse = t.bind("nurse@localhost/pc", legacy());
    t.send(owner,
           "<iq type='set' id='v' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item jid='nurse@localhost' "
           "affiliation='member'/></query></iq>");
    t.send(nurse, join_tea("Nurse"));
    EXPECT_EQ(count(nurse, "tea@conference.localhost/Romeo"), 0u)
        << "a participant does not see the visitor";
    EXPECT_EQ(count(nurse, "tea@conference.localhost/Juliet"), 1u);
    EXPECT_EQ(count(romeo, "tea@conference.localhost/Nurse"), 1u) << "participants are shown";
    nurse.sent.clear();
    t.send(owner,
           "<iq type='set' id='g' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item nick='Romeo' "
           "role='participant'/></query></iq>");
    EXPECT_EQ(count(nurse, "tea@conference.localhost/Romeo"), 1u) << "voiced: now shown";
    nurse.sent.clear();
    t.send(owner,
           "<iq type='set' id='r' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item nick='Romeo' "
           "role='visitor'/></query></iq>");
    EXPECT_EQ(count(nurse, "type='unavailable'"), 1u) << "hidden again: it goes for the nurse";
}

TEST_F(RoomConfigFields, NickChangesCanBeForbidden)
{
    create_room(field("muc#roomconfig_canchangenick", {"0"}));
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    romeo.sent.clear();
    t.send(romeo, "<presence to='tea@conference.localhost/Romeo2'/>");
    EXPECT_EQ(count(romeo, "not-acceptable"), 1u);
    EXPECT_EQ(count(romeo, "code='303'"), 0u);
}

TEST_F(RoomConfigFields, GetMemberListNamesTheRolesThatReadIt)
{
    auto& owner = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    const std::string ask =
        "<iq type='get' id='ml' to='tea@conference.localhost'><query "
        "xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member'/></query></iq>";
    t.ask(romeo, ask);
    EXPECT_EQ(count(romeo, "forbidden"), 1u) << "by default only moderators";
    t.send(owner,
           configure_tea(field("muc#roomconfig_getmemberlist", {"moderator", "participant"})));
    t.ask(romeo, ask);
    EXPECT_EQ(count(romeo, "type='result'"), 1u);
    owner.sent.clear();
    t.send(owner, configure_tea(field("muc#roomconfig_getmemberlist", {"king"}), "bad"));
    EXPECT_EQ(count(owner, "not-acceptable"), 1u);
}

TEST_F(RoomConfigFields, MaxHistoryFetchIsSeparateFromTheHistoryKept)
{
    auto& owner = create_room(field("muc#roomconfig_historylength", {"10"}) +
                              field("muc#maxhistoryfetch", {"2"}));
    for (int i = 0; i < 5; ++i) {
        t.send(owner, "<message to='tea@conference.localhost' type='groupchat'><body>line " +
                          std::to_string(i) + "</body></message>");
    }
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo", "<history maxstanzas='8'/>"));
    EXPECT_EQ(count(romeo, "urn:xmpp:delay"), 2u) << "muc#maxhistoryfetch caps the request";
    EXPECT_EQ(count(romeo, "line 4"), 1u);
    t.send(owner, configure_tea(field("muc#maxhistoryfetch", {"9"})));
    auto& nurse = t.bind("nurse@localhost/pc", legacy());
    t.send(nurse, join_tea("Nurse"));
    EXPECT_EQ(count(nurse, "urn:xmpp:delay"), 5u) << "the room kept all five";
}

TEST_F(RoomConfigFields, LanguageAndPubsubNodeAreCheckedAndAdvertised)
{
    auto& owner = create_room();
    t.send(owner, configure_tea(field("muc#roomconfig_lang", {"en GB"}), "l1"));
    EXPECT_EQ(count(owner, "not-acceptable"), 1u);
    t.send(owner, configure_tea(field("muc#roomconfig_pubsub", {"http://x"}), "p1"));
    EXPECT_EQ(count(owner, "not-acceptable"), 2u);
    t.send(owner,
           configure_tea(field("muc#roomconfig_lang", {"en-GB"}) +
                         field("muc#roomconfig_pubsub", {"xmpp:pubsub.localhost?;node=tea"})));
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.ask(romeo,
          "<iq type='get' id='d' to='tea@conference.localhost'><query "
          "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    const auto info = romeo.sent.back();
    EXPECT_NE(info.find("var='muc#roominfo_lang'"), std::string::npos);
    EXPECT_NE(info.find("<value>en-GB</value>"), std::string::npos);
    EXPECT_NE(info.find("var='muc#roominfo_pubsub'"), std::string::npos);
    EXPECT_NE(info.find("var='muc#maxhistoryfetch'"), std::string::npos);
}

TEST_F(RoomConfigFields, TheServiceStoppingTellsOccupantsWithStatus332)
{
    auto& owner = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    owner.sent.clear();
    romeo.sent.clear();
    t.server().hooks().server_stopping.run();
    EXPECT_EQ(count(owner, "code='332'"), 1u) << "Juliet leaves first: her own presence";
    EXPECT_EQ(count(romeo, "code='332'"), 2u) << "Juliet's, then his own";
    EXPECT_EQ(count(romeo, "type='unavailable'"), 2u);
}

}  // namespace
}  // namespace chorus
