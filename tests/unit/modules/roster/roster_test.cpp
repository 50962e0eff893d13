// Tests for src/modules/roster/roster.cpp and roster_xml.cpp: RFC 6121 §2 get/set/remove,
// pushes to interested resources, §2.6 versioning, and the validation errors of §2.3.3.
#include "modules/roster/roster.h"

#include <gtest/gtest.h>

#include "modules/module_test_server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::roster {
namespace {

using chorus::testing::ModuleTestServer;
using chorus::testing::parse_stanza;
using FakeSession = ModuleTestServer::FakeSession;

class RosterModuleTest : public ::testing::Test {
protected:
    RosterModuleTest()
    {
        t_.add_account("juliet@localhost");
        t_.add_account("romeo@localhost");
    }

    /// Every stanza s was sent with this name, parsed.
    static std::vector<xml::Element> received(const FakeSession& s, std::string_view name)
    {
        std::vector<xml::Element> out;
        for (const auto& bytes : s.sent) {
            auto e = parse_stanza(bytes);
            if (e && e->name() == name) {
                out.push_back(std::move(*e));
            }
        }
        return out;
    }

    /// The roster pushes s received: each push's single item.
    static std::vector<xml::Element> pushes(const FakeSession& s)
    {
        std::vector<xml::Element> out;
        for (auto& iq : received(s, "iq")) {
            if (iq.attr("type") == "set") {
                const auto* q = iq.child("query", ns::roster);
                EXPECT_NE(q, nullptr);
                EXPECT_TRUE(q && q->has_attr("ver"));
                if (q && q->first_element()) {
                    out.push_back(*q->first_element());
                }
            }
        }
        return out;
    }

    xml::Element get(FakeSession& s, std::string_view ver_attr = {})
    {
        return t_.ask(s, "<iq type='get' id='g'><query xmlns='jabber:iq:roster'" +
                             std::string(ver_attr) + "/></iq>");
    }

    xml::Element set(FakeSession& s, std::string_view item)
    {
        return t_.ask(s, "<iq type='set' id='s'><query xmlns='jabber:iq:roster'>" +
                             std::string(item) + "</query></iq>");
    }

    ModuleTestServer t_;
};

TEST_F(RosterModuleTest, AdvertisesRosterVersioningAndPreApprovalStreamFeatures)
{
    std::vector<xml::Element> features;
    t_.server().hooks().stream_features.run(features);
    auto has = [&](std::string_view name, std::string_view ns) {
        return std::any_of(features.begin(), features.end(),
                           [&](const auto& e) { return e.is(name, ns); });
    };
    EXPECT_TRUE(has("ver", ns::roster_ver));
    EXPECT_TRUE(has("sub", ns::presence_preapproval));
}

TEST_F(RosterModuleTest, GetAnswersTheRosterWithItsVersionAndMakesTheSessionInterested)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    EXPECT_EQ(set(phone,
                  "<item jid='nurse@localhost' name='Nurse'><group>Servants</group>"
                  "</item>")
                  .attr("type"),
              "result");
    EXPECT_FALSE(phone.flags().interested);
    auto answer = get(phone);
    ASSERT_EQ(answer.attr("type"), "result");
    EXPECT_TRUE(phone.flags().interested);
    const auto* q = answer.child("query", ns::roster);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->attr("ver"), "1");
    ASSERT_EQ(q->element_count(), 1u);
    const auto& item = *q->first_element();
    EXPECT_EQ(item.attr("jid"), "nurse@localhost");
    EXPECT_EQ(item.attr("name"), "Nurse");
    EXPECT_EQ(item.attr("subscription"), "none");
    EXPECT_FALSE(item.has_attr("ask"));
    EXPECT_EQ(item.child_text("group", ns::roster), "Servants");
}

TEST_F(RosterModuleTest, GetWithTheCurrentVersionIsAnEmptyResultAndAnOldOneTheFullRoster)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    set(phone, "<item jid='nurse@localhost'/>");
    auto current = get(phone, " ver='1'");
    EXPECT_EQ(current.attr("type"), "result");
    EXPECT_EQ(current.element_count(), 0u);  // §2.6.3: changes come as pushes
    auto old = get(phone, " ver='0'");
    const auto* q = old.child("query", ns::roster);
    ASSERT_NE(q, nullptr);
    EXPECT_EQ(q->attr("ver"), "1");
    EXPECT_EQ(q->element_count(), 1u);
    auto fresh = get(phone, " ver=''");  // §2.6.2: an empty ver asks for everything
    EXPECT_NE(fresh.child("query", ns::roster), nullptr);
}

TEST_F(RosterModuleTest, SetPushesToEveryInterestedResourceOnly)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    auto& laptop = t_.bind("juliet@localhost/laptop");
    auto& watch = t_.bind("juliet@localhost/watch");  // never asks for the roster
    get(phone);
    get(laptop);
    phone.sent.clear();
    laptop.sent.clear();
    auto answer = set(phone, "<item jid='nurse@localhost' name='Nurse'/>");
    EXPECT_EQ(answer.attr("type"), "result");
    EXPECT_EQ(answer.attr("id"), "s");
    for (auto* s : {&phone, &laptop}) {
        auto p = pushes(*s);
        ASSERT_EQ(p.size(), 1u) << s->jid().str();
        EXPECT_EQ(p[0].attr("jid"), "nurse@localhost");
        EXPECT_EQ(p[0].attr("subscription"), "none");
    }
    EXPECT_TRUE(pushes(watch).empty());
}

TEST_F(RosterModuleTest, UpdateReplacesNameAndGroupsAndIgnoresAClientsSubscriptionValue)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    get(phone);
    set(phone, "<item jid='nurse@localhost' name='Nurse'><group>A</group></item>");
    phone.sent.clear();
    // §2.1.5: 'both' from the client is ignored (slixmpp echoes the current state).
    auto answer = set(phone,
                      "<item jid='nurse@localhost' name='Angelica' subscription='both'>"
                      "<group>B</group><group>C</group></item>");
    EXPECT_EQ(answer.attr("type"), "result");
    auto p = pushes(phone);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].attr("name"), "Angelica");
    EXPECT_EQ(p[0].attr("subscription"), "none");
    EXPECT_EQ(p[0].element_count(), 2u);
}

struct BadSet {
    const char* name;
    const char* query_children;
    const char* condition;
};
const BadSet bad_sets[] = {
    {"TwoItems", "<item jid='a@localhost'/><item jid='b@localhost'/>", "bad-request"},
    {"NoItem", "", "bad-request"},
    {"NoJid", "<item name='x'/>", "bad-request"},
    {"MalformedJid", "<item jid='a@b@c'/>", "jid-malformed"},
    {"FullJid", "<item jid='a@localhost/phone'/>", "bad-request"},
    {"UnknownSubscription", "<item jid='a@localhost' subscription='maybe'/>", "bad-request"},
    {"DuplicateGroup", "<item jid='a@localhost'><group>G</group><group>G</group></item>",
     "bad-request"},
    {"EmptyGroup", "<item jid='a@localhost'><group/></item>", "not-acceptable"},
    {"OwnJid", "<item jid='juliet@localhost'/>", "not-allowed"},
    {"RemoveUnknown", "<item jid='nobody@localhost' subscription='remove'/>", "item-not-found"},
};

class RosterSetErrors : public RosterModuleTest, public ::testing::WithParamInterface<BadSet> {};

TEST_P(RosterSetErrors, AnswersTheRfcCondition)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    get(phone);
    auto answer = set(phone, GetParam().query_children);
    EXPECT_EQ(ModuleTestServer::condition(answer), GetParam().condition);
    EXPECT_EQ(
        t_.ask(phone, "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>").attr("type"),
        "result");  // STYLE.md: a bad-input test ends with a ping
}

INSTANTIATE_TEST_SUITE_P(Rows, RosterSetErrors, ::testing::ValuesIn(bad_sets),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(RosterModuleTest, NamesAndGroupsOverTheLimitAreNotAcceptable)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    const std::string long_text(1024, 'x');
    EXPECT_EQ(ModuleTestServer::condition(
                  set(phone, "<item jid='a@localhost' name='" + long_text + "'/>")),
              "not-acceptable");
    EXPECT_EQ(ModuleTestServer::condition(
                  set(phone, "<item jid='a@localhost'><group>" + long_text + "</group></item>")),
              "not-acceptable");
    EXPECT_EQ(
        set(phone, "<item jid='a@localhost' name='" + std::string(1023, 'x') + "'/>").attr("type"),
        "result");
}

TEST_F(RosterModuleTest, AnotherAccountsRosterIsForbidden)
{
    auto& romeo = t_.bind("romeo@localhost/pc");
    auto g = t_.ask(romeo,
                    "<iq type='get' id='x' to='juliet@localhost'>"
                    "<query xmlns='jabber:iq:roster'/></iq>");
    EXPECT_EQ(ModuleTestServer::condition(g), "forbidden");
    auto s = t_.ask(romeo,
                    "<iq type='set' id='y' to='juliet@localhost'><query "
                    "xmlns='jabber:iq:roster'><item jid='a@localhost'/></query></iq>");
    EXPECT_EQ(ModuleTestServer::condition(s), "forbidden");
}

TEST_F(RosterModuleTest, AnUnknownRosterChildIsServiceUnavailable)
{
    auto& phone = t_.bind("juliet@localhost/phone");
    auto a = t_.ask(phone, "<iq type='get' id='x'><items xmlns='jabber:iq:roster'/></iq>");
    EXPECT_EQ(ModuleTestServer::condition(a), "service-unavailable");
}

TEST_F(RosterModuleTest, RemoveDeletesPushesAndCancelsBothSubscriptions)
{
    auto& juliet = t_.bind("juliet@localhost/phone");
    auto& romeo = t_.bind("romeo@localhost/pc");
    get(juliet);
    get(romeo);
    // Mutual subscription through the presence module.
    t_.send(juliet, "<presence to='romeo@localhost' type='subscribe'/>");
    t_.send(romeo, "<presence to='juliet@localhost' type='subscribed'/>");
    t_.send(romeo, "<presence to='juliet@localhost' type='subscribe'/>");
    t_.send(juliet, "<presence to='romeo@localhost' type='subscribed'/>");
    auto before = pushes(juliet);
    ASSERT_FALSE(before.empty());
    EXPECT_EQ(before.back().attr("subscription"), "both");
    juliet.sent.clear();
    romeo.sent.clear();

    auto answer = set(juliet, "<item jid='romeo@localhost' subscription='remove'/>");
    EXPECT_EQ(answer.attr("type"), "result");
    auto p = pushes(juliet);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].attr("subscription"), "remove");
    EXPECT_EQ(get(juliet).child("query", ns::roster)->element_count(), 0u);
    // §2.5.2: romeo got 'unsubscribe' and 'unsubscribed'; his item is back to none.
    auto romeo_pushes = pushes(romeo);
    ASSERT_FALSE(romeo_pushes.empty());
    EXPECT_EQ(romeo_pushes.back().attr("subscription"), "none");
}

}  // namespace
}  // namespace chorus::modules::roster
