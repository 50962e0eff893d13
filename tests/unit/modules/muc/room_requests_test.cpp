// XEP-0045 §7.10/§9.9: registering with a members-only room is a request its admins and
// owners approve (or deny) with the muc#register form they receive.
#include <gtest/gtest.h>

#include "modules/muc/muc.h"
#include "muc_fixture.h"

namespace chorus {
namespace {

using router::testing::legacy;
using testing::count;
using testing::field;
using testing::join_tea;
using testing::MucFixture;

const std::string register_romeo =
    "<iq type='set' id='reg' to='tea@conference.localhost'><query "
    "xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
    "<field var='muc#register_roomnick'><value>Romeo</value></field></x></query></iq>";

std::string answer(std::string_view user, bool allow)
{
    return "<message to='tea@conference.localhost'><x xmlns='jabber:x:data' type='submit'>"
           "<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field>"
           "<field var='muc#jid'><value>" +
           std::string(user) + "</value></field><field var='muc#register_allow'><value>" +
           (allow ? "1" : "0") + "</value></field></x></message>";
}

class MembershipRequests : public MucFixture {};

TEST_F(MembershipRequests, AnAdminApprovesARequestAndTheUserMayEnter)
{
    auto& owner = create_room(field("muc#roomconfig_membersonly", {"1"}));
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    EXPECT_EQ(count(romeo, "registration-required"), 1u);
    romeo.sent.clear();
    t.send(romeo, register_romeo);
    EXPECT_EQ(count(romeo, "type='result'"), 1u) << "the request is taken";
    ASSERT_EQ(count(owner, "http://jabber.org/protocol/muc#register"), 1u)
        << "the owner gets the request form";
    EXPECT_EQ(count(owner, "var='muc#register_allow'"), 1u);
    EXPECT_EQ(count(owner, "<value>romeo@localhost</value>"), 1u);
    EXPECT_EQ(count(owner, "<value>Romeo</value>"), 1u);

    auto& nurse = t.bind("nurse@localhost/pc", legacy());
    t.send(nurse, answer("romeo@localhost", true));
    EXPECT_EQ(count(nurse, "forbidden"), 1u) << "only admins and owners approve";

    romeo.sent.clear();
    t.send(owner, answer("romeo@localhost", true));
    EXPECT_EQ(count(romeo, "code='101'"), 1u) << "status 101: his affiliation changed";
    t.send(romeo, join_tea("Romeo"));
    EXPECT_EQ(count(romeo, "code='110'"), 1u);
    EXPECT_EQ(count(romeo, "affiliation='member'"), 2u);
    owner.sent.clear();
    t.send(owner, answer("romeo@localhost", true));
    EXPECT_EQ(count(owner, "item-not-found"), 1u) << "a request is answered once";
    // The nick is registered: the nurse cannot take it.
    t.send(owner,
           "<iq type='set' id='m' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#admin'><item jid='nurse@localhost' "
           "affiliation='member'/></query></iq>");
    t.send(romeo, "<presence to='tea@conference.localhost/Romeo' type='unavailable'/>");
    nurse.sent.clear();
    t.send(nurse, join_tea("Romeo"));
    EXPECT_EQ(count(nurse, "conflict"), 1u);
}

TEST_F(MembershipRequests, ADeniedRequestIsForgotten)
{
    auto& owner = create_room(field("muc#roomconfig_membersonly", {"1"}));
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, register_romeo);
    t.send(owner, answer("romeo@localhost", false));
    romeo.sent.clear();
    t.send(romeo, join_tea("Romeo"));
    EXPECT_EQ(count(romeo, "registration-required"), 1u);
    owner.sent.clear();
    t.send(owner, answer("romeo@localhost", true));
    EXPECT_EQ(count(owner, "item-not-found"), 1u);
}

}  // namespace
}  // namespace chorus
