// Tests for src/modules/last/last.cpp: XEP-0012 server uptime and accounts' last activity.
#include "modules/last/last.h"

#include <gtest/gtest.h>

#include "modules/last/last_permission.h"
#include "modules/module_test_server.h"
#include "storage/last_activity.h"
#include "storage/roster.h"

namespace chorus::modules::last {
namespace {

using chorus::testing::ModuleTestServer;
using router::testing::legacy;
using storage::Subscription;

struct PermissionRow {
    const char* name;
    bool own;
    std::optional<Subscription> item;  // the account's roster item for the requester
    bool want;
};

const PermissionRow permission_rows[] = {
    {"own_account", true, std::nullopt, true},
    {"stranger", false, std::nullopt, false},
    {"subscription_none", false, Subscription::none, false},
    {"subscription_to", false, Subscription::to, false},
    {"subscription_from", false, Subscription::from, true},
    {"subscription_both", false, Subscription::both, true},
};

class MaySeeLastActivity : public ::testing::TestWithParam<PermissionRow> {};

TEST_P(MaySeeLastActivity, FollowsPresenceSubscription)
{
    std::optional<storage::RosterItem> item;
    if (GetParam().item) {
        item.emplace();
        item->contact = "romeo@localhost";
        item->subscription = *GetParam().item;
    }
    EXPECT_EQ(may_see_last_activity(GetParam().own, item), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, MaySeeLastActivity, ::testing::ValuesIn(permission_rows),
                         [](const auto& info) { return std::string(info.param.name); });

class LastModuleTest : public ::testing::Test {
protected:
    LastModuleTest()
    {
        t_.add_account("juliet@localhost");
        t_.add_account("romeo@localhost");
        t_.add_account("tybalt@localhost");
    }

    void subscribe(std::string_view owner, std::string_view contact, Subscription s)
    {
        auto& roster = t_.server().storage().roster();
        storage::RosterItem item;
        item.contact = contact;
        item.subscription = s;
        ASSERT_TRUE(roster.put(owner, item));
    }

    xml::Element ask_last(ModuleTestServer::FakeSession& s, std::string_view to)
    {
        return t_.ask(s, "<iq type='get' id='l' to='" + std::string(to) +
                             "'><query xmlns='jabber:iq:last'/></iq>");
    }

    ModuleTestServer t_;
};

TEST_F(LastModuleTest, AdvertisesTheFeatureAndRefusesWrongTypes)
{
    EXPECT_TRUE(t_.server().disco().server_features.contains(std::string(ns::last)));
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(romeo,
                         "<iq type='set' id='1' to='localhost'><query xmlns='jabber:iq:last'/>"
                         "</iq>")),
              "service-unavailable");
    EXPECT_EQ(ModuleTestServer::condition(t_.ask(romeo,
                                                 "<iq type='set' id='2' to='juliet@localhost'>"
                                                 "<query xmlns='jabber:iq:last'/></iq>")),
              "service-unavailable");
    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(romeo,
                         "<iq type='get' id='3' to='localhost'><last xmlns='jabber:iq:last'/>"
                         "</iq>")),
              "service-unavailable");
}

TEST_F(LastModuleTest, TheServerAnswersItsUptime)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    t_.clock().advance(std::chrono::seconds(123));
    auto answer = ask_last(romeo, "localhost");
    ASSERT_EQ(answer.attr("type"), "result");
    EXPECT_EQ(answer.child("query", ns::last)->attr("seconds"), "123");
}

TEST_F(LastModuleTest, AccountsAnswerOnlyContactsWithASubscription)
{
    auto& tybalt = t_.bind("tybalt@localhost/street", legacy());
    EXPECT_EQ(ModuleTestServer::condition(ask_last(tybalt, "juliet@localhost")), "forbidden");
    subscribe("juliet@localhost", "tybalt@localhost", Subscription::to);
    EXPECT_EQ(ModuleTestServer::condition(ask_last(tybalt, "juliet@localhost")), "forbidden")
        << "juliet's presence does not go to tybalt";
    subscribe("juliet@localhost", "tybalt@localhost", Subscription::both);
    EXPECT_EQ(ModuleTestServer::condition(ask_last(tybalt, "juliet@localhost")), "item-not-found")
        << "juliet has never been online";
}

TEST_F(LastModuleTest, OnlineIsZeroAndOfflineCountsFromTheLastSessionWithItsStatus)
{
    subscribe("juliet@localhost", "romeo@localhost", Subscription::from);
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    auto& phone = t_.bind("juliet@localhost/phone", legacy());
    auto& laptop = t_.bind("juliet@localhost/laptop", legacy());
    auto answer = ask_last(romeo, "juliet@localhost");
    ASSERT_EQ(answer.attr("type"), "result");
    EXPECT_EQ(answer.child("query", ns::last)->attr("seconds"), "0");

    t_.send(phone, "<presence type='unavailable'><status>Phone off</status></presence>");
    t_.close(phone);
    t_.clock().advance(std::chrono::seconds(30));
    t_.send(laptop, "<presence type='unavailable'><status>Gone to Mantua</status></presence>");
    t_.close(laptop);
    t_.clock().advance(std::chrono::seconds(90));

    answer = ask_last(romeo, "juliet@localhost");
    ASSERT_EQ(answer.attr("type"), "result");
    const auto* query = answer.child("query", ns::last);
    EXPECT_EQ(query->attr("seconds"), "90") << "counted from the last session's end";
    EXPECT_EQ(query->text(), "Gone to Mantua");

    auto& again = t_.bind("juliet@localhost/phone", legacy());
    answer = t_.ask(again, "<iq type='get' id='own'><query xmlns='jabber:iq:last'/></iq>");
    EXPECT_EQ(answer.child("query", ns::last)->attr("seconds"), "0") << "own account, online";
}

TEST_F(LastModuleTest, ACancelledAccountLeavesNoLastActivityBehind)
{
    auto& phone = t_.bind("juliet@localhost/phone", legacy());
    ASSERT_TRUE(t_.server().accounts().remove("juliet", "localhost"));
    t_.close(phone);  // a cancelled account's sessions close after its data is gone
    auto& store = t_.server().storage().last_activity();
    EXPECT_FALSE(store.get("juliet@localhost")->has_value());

    auto& orchard = t_.bind("romeo@localhost/orchard", legacy());
    t_.close(orchard);
    EXPECT_TRUE(store.get("romeo@localhost")->has_value()) << "an account still there keeps it";
}

}  // namespace
}  // namespace chorus::modules::last
