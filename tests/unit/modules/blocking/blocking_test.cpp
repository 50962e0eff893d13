// Tests for src/modules/blocking/blocking.cpp: XEP-0191 IQs, pushes and both filters.
#include "modules/blocking/blocking.h"

#include <gtest/gtest.h>

#include "modules/module_test_server.h"
#include "storage/roster.h"

namespace chorus::modules::blocking {
namespace {

using chorus::testing::ModuleTestServer;
using chorus::testing::parse_stanza;
using router::testing::legacy;

class BlockingModuleTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        for (auto bare : {"juliet@localhost", "romeo@localhost", "tybalt@localhost"}) {
            t_.add_account(bare);
        }
    }

    /// Every stanza the session got, parsed.
    static std::vector<xml::Element> got(const ModuleTestServer::FakeSession& s)
    {
        std::vector<xml::Element> out;
        for (const auto& bytes : s.sent) {
            out.push_back(parse_stanza(bytes).value_or(xml::Element()));
        }
        return out;
    }

    static bool got_body(const ModuleTestServer::FakeSession& s, std::string_view body)
    {
        for (const auto& e : got(s)) {
            if (e.name() == "message" && e.child_text("body", ns::client) == body &&
                e.attr("type") != "error") {
                return true;
            }
        }
        return false;
    }

    ModuleTestServer t_;
};

TEST_F(BlockingModuleTest, AdvertisesTheFeatureOnServerAndAccount)
{
    EXPECT_TRUE(t_.server().disco().server_features.contains(std::string(ns::blocking)));
    EXPECT_TRUE(t_.server().disco().account_features.contains(std::string(ns::blocking)));
}

TEST_F(BlockingModuleTest, RefusesWrongTypesChildrenAndItems)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    struct Case {
        const char* iq;
        const char* condition;
    } cases[] = {
        {"<iq type='set' id='1'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
         "service-unavailable"},
        {"<iq type='get' id='2'><block xmlns='urn:xmpp:blocking'><item jid='a@b'/></block></iq>",
         "service-unavailable"},
        {"<iq type='get' id='3'><unblock xmlns='urn:xmpp:blocking'/></iq>", "service-unavailable"},
        {"<iq type='set' id='4'><blocked xmlns='urn:xmpp:blocking'/></iq>", "service-unavailable"},
        {"<iq type='set' id='5'><block xmlns='urn:xmpp:blocking'/></iq>", "bad-request"},
        {"<iq type='set' id='6'><block xmlns='urn:xmpp:blocking'><item/></block></iq>",
         "jid-malformed"},
        {"<iq type='set' id='7'><block xmlns='urn:xmpp:blocking'><item jid='a@@b'/></block></iq>",
         "jid-malformed"},
        {"<iq type='set' id='8'><block xmlns='urn:xmpp:blocking'><x jid='a@b'/></block></iq>",
         "bad-request"},
        {"<iq type='set' id='9'><unblock xmlns='urn:xmpp:blocking'><item jid=''/></unblock></iq>",
         "jid-malformed"},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(ModuleTestServer::condition(t_.ask(juliet, c.iq)), c.condition) << c.iq;
    }
    auto list =
        t_.ask(juliet, "<iq type='get' id='10'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    EXPECT_EQ(list.child("blocklist", ns::blocking)->element_count(), 0u) << "nothing stored";
}

TEST_F(BlockingModuleTest, AnotherAccountsListIsForbidden)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    EXPECT_EQ(ModuleTestServer::condition(t_.ask(romeo,
                                                 "<iq type='get' id='1' to='juliet@localhost'>"
                                                 "<blocklist xmlns='urn:xmpp:blocking'/></iq>")),
              "forbidden");
    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(romeo,
                         "<iq type='set' id='2' to='juliet@localhost'><block "
                         "xmlns='urn:xmpp:blocking'><item jid='romeo@localhost'/></block></iq>")),
              "forbidden");
}

TEST_F(BlockingModuleTest, BlockUnblockAndUnblockAllArePushedToSessionsThatAskedForTheList)
{
    auto& phone = t_.bind("juliet@localhost/phone", legacy());
    auto& laptop = t_.bind("juliet@localhost/laptop", legacy());
    t_.ask(phone, "<iq type='get' id='l'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    laptop.sent.clear();

    auto result = t_.ask(phone,
                         "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
                         "<item jid='Tybalt@localhost'/><item jid='capulet.lit'/>"
                         "</block></iq>");
    EXPECT_EQ(result.attr("type"), "result");
    ASSERT_EQ(phone.sent.size(), 2u) << "a push, then the result";
    auto push = parse_stanza(phone.sent.front()).value();
    EXPECT_EQ(push.attr("type"), "set");
    EXPECT_EQ(push.attr("to"), "juliet@localhost/phone");
    const auto* block = push.child("block", ns::blocking);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(block->element_count(), 2u);
    EXPECT_EQ(block->first_element()->attr("jid"), "tybalt@localhost") << "JIDs are prepared";
    EXPECT_TRUE(laptop.sent.empty()) << "the laptop never asked for the list";

    auto list = t_.ask(phone, "<iq type='get' id='l2'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    EXPECT_EQ(list.child("blocklist", ns::blocking)->element_count(), 2u);

    t_.ask(phone,
           "<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'>"
           "<item jid='capulet.lit'/></unblock></iq>");
    push = parse_stanza(phone.sent.front()).value();
    ASSERT_NE(push.child("unblock", ns::blocking), nullptr);
    EXPECT_EQ(push.child("unblock", ns::blocking)->first_element()->attr("jid"), "capulet.lit");

    t_.ask(phone, "<iq type='set' id='ua'><unblock xmlns='urn:xmpp:blocking'/></iq>");
    push = parse_stanza(phone.sent.front()).value();
    ASSERT_NE(push.child("unblock", ns::blocking), nullptr);
    EXPECT_EQ(push.child("unblock", ns::blocking)->element_count(), 0u) << "unblock-all push";
    list = t_.ask(phone, "<iq type='get' id='l3'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    EXPECT_EQ(list.child("blocklist", ns::blocking)->element_count(), 0u);
}

TEST_F(BlockingModuleTest, BlockedContactCannotReachTheUserNorTheUserIt)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& tybalt = t_.bind("tybalt@localhost/street", legacy());
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    t_.ask(juliet,
           "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
           "<item jid='tybalt@localhost'/></block></iq>");
    juliet.sent.clear();
    tybalt.sent.clear();

    // Inbound (XEP-0191 §3.3): message and IQ get service-unavailable, presence nothing.
    t_.send(tybalt,
            "<message to='juliet@localhost' type='chat' id='m1'><body>draw</body></message>");
    t_.send(tybalt, "<presence to='juliet@localhost'/>");
    t_.send(tybalt,
            "<iq to='juliet@localhost/balcony' type='get' id='i1'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>");
    EXPECT_TRUE(juliet.sent.empty()) << juliet.sent.front();
    auto answers = got(tybalt);
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_EQ(ModuleTestServer::condition(answers[0]), "service-unavailable");
    EXPECT_EQ(answers[0].name(), "message");
    EXPECT_EQ(ModuleTestServer::condition(answers[1]), "service-unavailable");
    EXPECT_EQ(answers[1].name(), "iq");

    // Outbound (§3.3): message refused with <blocked/>, presence dropped silently.
    auto refused = t_.ask(juliet,
                          "<message to='tybalt@localhost/street' id='m2'><body>go</body>"
                          "</message>");
    EXPECT_EQ(ModuleTestServer::condition(refused), "not-acceptable");
    EXPECT_NE(refused.child("error", ns::client)->child("blocked", ns::blocking_errors), nullptr);
    EXPECT_EQ(refused.child("error", ns::client)->attr("type"), "cancel");
    juliet.sent.clear();
    tybalt.sent.clear();
    t_.send(juliet, "<presence to='tybalt@localhost'/>");
    EXPECT_TRUE(juliet.sent.empty());
    EXPECT_TRUE(tybalt.sent.empty());

    // Others are unaffected.
    t_.send(romeo, "<message to='juliet@localhost' type='chat' id='m3'><body>hi</body></message>");
    EXPECT_TRUE(got_body(juliet, "hi"));

    // Unblocking restores both directions.
    t_.ask(juliet,
           "<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'>"
           "<item jid='tybalt@localhost'/></unblock></iq>");
    t_.send(tybalt,
            "<message to='juliet@localhost' type='chat' id='m4'><body>peace</body></message>");
    EXPECT_TRUE(got_body(juliet, "peace"));
    t_.send(juliet, "<message to='tybalt@localhost' type='chat' id='m5'><body>ok</body></message>");
    EXPECT_TRUE(got_body(tybalt, "ok"));
}

TEST_F(BlockingModuleTest, BlockingSendsUnavailableFromEachAvailableSession)
{
    auto& balcony = t_.bind("juliet@localhost/balcony", legacy());
    t_.bind("juliet@localhost/hidden", legacy(0, false));  // never sent presence
    auto& tybalt = t_.bind("tybalt@localhost/street", legacy());
    tybalt.sent.clear();
    t_.ask(balcony,
           "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
           "<item jid='tybalt@localhost'/></block></iq>");
    auto presences = got(tybalt);
    ASSERT_EQ(presences.size(), 1u);
    EXPECT_EQ(presences[0].name(), "presence");
    EXPECT_EQ(presences[0].attr("type"), "unavailable");
    EXPECT_EQ(presences[0].attr("from"), "juliet@localhost/balcony");
}

TEST_F(BlockingModuleTest, UnblockingRestoresPresenceBothWaysAsSubscriptionsAllow)
{
    auto& roster = t_.server().storage().roster();
    for (auto [owner, contact] : {std::pair{"juliet@localhost", "tybalt@localhost"},
                                  std::pair{"tybalt@localhost", "juliet@localhost"}}) {
        storage::RosterItem item;
        item.contact = contact;
        item.subscription = storage::Subscription::both;
        ASSERT_TRUE(roster.put(owner, item));
    }
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy(0, false));
    auto& tybalt = t_.bind("tybalt@localhost/street", legacy(0, false));
    t_.send(juliet, "<presence><status>on the balcony</status></presence>");
    t_.send(tybalt, "<presence><status>in the street</status></presence>");
    t_.ask(juliet,
           "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
           "<item jid='tybalt@localhost'/></block></iq>");
    juliet.sent.clear();
    tybalt.sent.clear();
    t_.ask(juliet, "<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'/></iq>");

    auto status_from = [&](const ModuleTestServer::FakeSession& s, std::string_view from) {
        for (const auto& e : got(s)) {
            if (e.name() == "presence" && e.attr("from") == from && e.attr("type").empty()) {
                return e.child_text("status", ns::client);
            }
        }
        return std::string("(none)");
    };
    EXPECT_EQ(status_from(tybalt, "juliet@localhost/balcony"), "on the balcony");
    EXPECT_EQ(status_from(juliet, "tybalt@localhost/street"), "in the street");
}

TEST_F(BlockingModuleTest, DomainItemsBlockEveryoneThere)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    t_.ask(juliet,
           "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
           "<item jid='localhost'/></block></iq>");
    juliet.sent.clear();
    t_.send(romeo, "<message to='juliet@localhost' type='chat' id='m'><body>hi</body></message>");
    EXPECT_TRUE(juliet.sent.empty());
    // Own resources are never blocked.
    auto& phone = t_.bind("juliet@localhost/phone", legacy());
    t_.send(phone,
            "<iq type='get' id='p' to='juliet@localhost/balcony'>"
            "<ping xmlns='urn:xmpp:ping'/></iq>");
    ASSERT_EQ(juliet.sent.size(), 1u);
    EXPECT_EQ(parse_stanza(juliet.sent[0])->attr("type"), "get");
    EXPECT_TRUE(phone.sent.empty());
    // Nor is the own server, though its domain is blocked.
    auto pong =
        t_.ask(phone, "<iq type='get' id='s' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    EXPECT_EQ(pong.attr("type"), "result");
}

TEST_F(BlockingModuleTest, ListIsReadAgainAfterTheLastSessionEnds)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    t_.ask(juliet,
           "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'>"
           "<item jid='tybalt@localhost'/></block></iq>");
    t_.close(juliet);
    auto& tybalt = t_.bind("tybalt@localhost/street", legacy());
    tybalt.sent.clear();
    // Juliet is offline: the stored list still applies (nothing reaches her offline queue).
    t_.send(tybalt, "<message to='juliet@localhost' type='chat' id='m'><body>x</body></message>");
    ASSERT_EQ(tybalt.sent.size(), 1u);
    EXPECT_EQ(ModuleTestServer::condition(*parse_stanza(tybalt.sent[0])), "service-unavailable");
    auto& again = t_.bind("juliet@localhost/balcony", legacy());
    auto list = t_.ask(again, "<iq type='get' id='l'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
    EXPECT_EQ(list.child("blocklist", ns::blocking)->element_count(), 1u);
}

}  // namespace
}  // namespace chorus::modules::blocking
