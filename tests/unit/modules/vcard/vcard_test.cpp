// Tests for src/modules/vcard/vcard.cpp: XEP-0054 own and others' vCards.
#include "modules/vcard/vcard.h"

#include <gtest/gtest.h>

#include "modules/module_test_server.h"

namespace chorus::modules::vcard {
namespace {

using chorus::testing::ModuleTestServer;
using router::testing::legacy;

class VcardModuleTest : public ::testing::Test {
protected:
    VcardModuleTest()
    {
        t_.add_account("juliet@localhost");
        t_.add_account("romeo@localhost");
    }
    ModuleTestServer t_;
};

TEST_F(VcardModuleTest, AdvertisesVcardTemp)
{
    EXPECT_TRUE(t_.server().disco().server_features.contains(std::string(ns::vcard)));
}

TEST_F(VcardModuleTest, RefusesWrongTypesAndChildren)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(juliet, "<iq type='get' id='1'><VCARD xmlns='vcard-temp'/></iq>")),
              "service-unavailable");
    EXPECT_EQ(ModuleTestServer::condition(t_.ask(juliet,
                                                 "<iq type='get' id='2'><vCard xmlns='vcard-temp'/>"
                                                 "<vCard xmlns='vcard-temp'/></iq>")),
              "bad-request");
    EXPECT_EQ(ModuleTestServer::condition(t_.ask(
                  juliet, "<iq type='get' id='3' to='localhost'><vCard xmlns='vcard-temp'/></iq>")),
              "service-unavailable")
        << "the server itself has no vCard";
}

TEST_F(VcardModuleTest, OwnVcardIsEmptyUntilSetThenReadByAnyone)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    auto empty = t_.ask(juliet, "<iq type='get' id='1'><vCard xmlns='vcard-temp'/></iq>");
    ASSERT_EQ(empty.attr("type"), "result");
    ASSERT_NE(empty.child("vCard", ns::vcard), nullptr);
    EXPECT_EQ(empty.child("vCard", ns::vcard)->element_count(), 0u);

    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(romeo,
                         "<iq type='get' id='2' to='juliet@localhost'><vCard xmlns='vcard-temp'/>"
                         "</iq>")),
              "service-unavailable")
        << "XEP-0054 §3.3: the same answer as for no such account";

    auto set = t_.ask(juliet,
                      "<iq type='set' id='3'><vCard xmlns='vcard-temp'>"
                      "<FN>Juliet Capulet</FN><NICKNAME>jc</NICKNAME>"
                      "<EMAIL><INTERNET/><USERID>j@c.lit</USERID></EMAIL></vCard></iq>");
    EXPECT_EQ(set.attr("type"), "result");

    for (auto* who : {&juliet, &romeo}) {
        auto got = t_.ask(*who,
                          "<iq type='get' id='4' to='juliet@localhost'>"
                          "<vCard xmlns='vcard-temp'/></iq>");
        ASSERT_EQ(got.attr("type"), "result");
        const auto* card = got.child("vCard", ns::vcard);
        ASSERT_NE(card, nullptr);
        EXPECT_EQ(card->child_text("FN", ns::vcard), "Juliet Capulet");
        EXPECT_EQ(card->child("EMAIL", ns::vcard)->child_text("USERID", ns::vcard), "j@c.lit");
        EXPECT_EQ(got.attr("from"), "juliet@localhost");
    }
}

TEST_F(VcardModuleTest, SettingAnotherUsersVcardIsForbidden)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    EXPECT_EQ(
        ModuleTestServer::condition(t_.ask(romeo,
                                           "<iq type='set' id='1' to='juliet@localhost'>"
                                           "<vCard xmlns='vcard-temp'><FN>Mine</FN></vCard></iq>")),
        "forbidden");
}

TEST_F(VcardModuleTest, AVcardOverTheLimitIsNotAcceptable)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    const std::string photo(70 * 1024, 'A');
    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(juliet, "<iq type='set' id='1'><vCard xmlns='vcard-temp'><PHOTO><BINVAL>" +
                                     photo + "</BINVAL></PHOTO></vCard></iq>")),
              "not-acceptable");
}

}  // namespace
}  // namespace chorus::modules::vcard
