// Tests for src/modules/presence/: RFC 6121 §3 subscriptions (with §3.4 pre-approval and
// requests kept for offline users) and §4 presence (broadcast, probes, directed, unavailable).
#include "modules/presence/presence.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "modules/module_test_server.h"
#include "stanza/namespaces.h"
#include "storage/roster.h"

namespace chorus::modules::presence {
namespace {

using chorus::testing::ModuleTestServer;
using chorus::testing::parse_stanza;
using FakeSession = ModuleTestServer::FakeSession;

class PresenceModuleTest : public ::testing::Test {
protected:
    PresenceModuleTest()
    {
        for (const char* a : {"juliet@localhost", "romeo@localhost", "nurse@localhost"}) {
            t_.add_account(a);
        }
    }

    /// A session that asked for the roster and, when `available`, sent initial presence.
    FakeSession& login(std::string_view full, bool available = true, int priority = 0)
    {
        auto& s = t_.bind(full);
        t_.ask(s, "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
        if (available) {
            t_.send(s,
                    "<presence><priority>" + std::to_string(priority) + "</priority></presence>");
        }
        s.sent.clear();
        return s;
    }

    /// The presence stanzas s received, as "type from" strings ("available" for none).
    static std::vector<std::string> presences(const FakeSession& s)
    {
        std::vector<std::string> out;
        for (const auto& bytes : s.sent) {
            auto e = parse_stanza(bytes);
            if (e && e->name() == "presence") {
                const auto type = e->attr("type");
                out.push_back((type.empty() ? std::string("available") : std::string(type)) + " " +
                              std::string(e->attr("from")));
            }
        }
        return out;
    }

    /// The subscription attribute (plus ask/approved) of each roster push s received.
    static std::vector<std::string> pushes(const FakeSession& s)
    {
        std::vector<std::string> out;
        for (const auto& bytes : s.sent) {
            auto e = parse_stanza(bytes);
            if (e && e->name() == "iq" && e->attr("type") == "set") {
                const auto& item = *e->child("query", ns::roster)->first_element();
                std::string text =
                    std::string(item.attr("jid")) + " " + std::string(item.attr("subscription"));
                if (item.has_attr("ask")) {
                    text += " ask";
                }
                if (item.has_attr("approved")) {
                    text += " approved";
                }
                out.push_back(text);
            }
        }
        return out;
    }

    static bool has(const std::vector<std::string>& v, std::string_view s)
    {
        return std::find(v.begin(), v.end(), s) != v.end();
    }

    static void clear(std::initializer_list<FakeSession*> sessions)
    {
        for (auto* s : sessions) {
            s->sent.clear();
        }
    }

    /// juliet and romeo subscribe to each other ('both').
    void befriend(FakeSession& juliet, FakeSession& romeo)
    {
        t_.send(juliet, "<presence to='romeo@localhost' type='subscribe'/>");
        t_.send(romeo, "<presence to='juliet@localhost' type='subscribed'/>");
        t_.send(romeo, "<presence to='juliet@localhost' type='subscribe'/>");
        t_.send(juliet, "<presence to='romeo@localhost' type='subscribed'/>");
        clear({&juliet, &romeo});
    }

    ModuleTestServer t_;
};

TEST_F(PresenceModuleTest, ARequestAndItsApprovalGiveBothSidesPushesAndPresence)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    t_.send(juliet,
            "<presence to='romeo@localhost' type='subscribe'><status>hi</status>"
            "</presence>");
    EXPECT_EQ(pushes(juliet), std::vector<std::string>{"romeo@localhost none ask"});
    EXPECT_EQ(presences(romeo), std::vector<std::string>{"subscribe juliet@localhost"});
    EXPECT_TRUE(pushes(romeo).empty());  // §3.1.3: a request alone is not a roster item
    clear({&juliet, &romeo});

    t_.send(romeo, "<presence to='juliet@localhost' type='subscribed'/>");
    EXPECT_EQ(pushes(romeo), std::vector<std::string>{"juliet@localhost from"});
    EXPECT_EQ(pushes(juliet), std::vector<std::string>{"romeo@localhost to"});
    const auto got = presences(juliet);
    EXPECT_TRUE(has(got, "subscribed romeo@localhost"));
    EXPECT_TRUE(has(got, "available romeo@localhost/orchard"));  // §3.1.5
    EXPECT_TRUE(presences(romeo).empty());
}

TEST_F(PresenceModuleTest, ARequestToAnOfflineUserArrivesAtItsNextInitialPresence)
{
    auto& juliet = login("juliet@localhost/balcony");
    t_.send(juliet, "<presence to='romeo@localhost' type='subscribe'/>");
    auto& romeo = t_.bind("romeo@localhost/orchard");
    t_.send(romeo, "<presence/>");
    EXPECT_TRUE(has(presences(romeo), "subscribe juliet@localhost"));
    // Still unanswered: the next device gets it too.
    auto& romeo2 = t_.bind("romeo@localhost/pda");
    t_.send(romeo2, "<presence/>");
    EXPECT_TRUE(has(presences(romeo2), "subscribe juliet@localhost"));
    // Answered: no device gets it again.
    t_.send(romeo, "<presence to='juliet@localhost' type='subscribed'/>");
    auto& romeo3 = t_.bind("romeo@localhost/car");
    t_.send(romeo3, "<presence/>");
    EXPECT_FALSE(has(presences(romeo3), "subscribe juliet@localhost"));
}

TEST_F(PresenceModuleTest, AHugeStoredRequestKeepsOnlyItsAddressing)
{
    auto& juliet = login("juliet@localhost/balcony");
    t_.send(juliet, "<presence to='romeo@localhost' type='subscribe'><status>" +
                        std::string(5000, 'x') + "</status></presence>");
    auto& romeo = t_.bind("romeo@localhost/orchard");
    t_.send(romeo, "<presence/>");
    ASSERT_TRUE(has(presences(romeo), "subscribe juliet@localhost"));
    for (const auto& bytes : romeo.sent) {
        EXPECT_LT(bytes.size(), 4096u);
    }
}

TEST_F(PresenceModuleTest, APreApprovedRequestIsApprovedByTheServer)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    t_.send(romeo, "<presence to='juliet@localhost' type='subscribed'/>");
    EXPECT_EQ(pushes(romeo), std::vector<std::string>{"juliet@localhost none approved"});
    EXPECT_TRUE(presences(juliet).empty());  // §3.4: nothing is routed
    clear({&juliet, &romeo});

    t_.send(juliet, "<presence to='romeo@localhost' type='subscribe'/>");
    EXPECT_FALSE(has(presences(romeo), "subscribe juliet@localhost"));  // never delivered
    EXPECT_EQ(pushes(romeo), std::vector<std::string>{"juliet@localhost from"});
    const auto got = presences(juliet);
    EXPECT_TRUE(has(got, "subscribed romeo@localhost"));
    EXPECT_TRUE(has(got, "available romeo@localhost/orchard"));
    EXPECT_EQ(pushes(juliet).back(), "romeo@localhost to");
}

TEST_F(PresenceModuleTest, BroadcastsReachSubscribersAndOwnResourcesWhatEverTheirPriority)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& hidden = login("juliet@localhost/hidden", true, -1);
    auto& romeo = login("romeo@localhost/orchard");
    auto& nurse = login("nurse@localhost/kitchen");
    befriend(juliet, romeo);
    t_.send(romeo, "<presence><show>away</show></presence>");
    EXPECT_TRUE(has(presences(juliet), "available romeo@localhost/orchard"));
    EXPECT_TRUE(has(presences(hidden), "available romeo@localhost/orchard"));  // §4.7.2.3
    EXPECT_TRUE(has(presences(romeo), "available romeo@localhost/orchard"));   // §4.4.2
    EXPECT_TRUE(presences(nurse).empty());
    clear({&juliet, &hidden, &romeo});
    t_.send(juliet, "<presence/>");
    EXPECT_TRUE(has(presences(hidden), "available juliet@localhost/balcony"));
}

TEST_F(PresenceModuleTest, InitialPresenceProbesContactsAndLearnsTheOwnOtherResources)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    befriend(juliet, romeo);
    auto& laptop = t_.bind("juliet@localhost/laptop");
    t_.send(laptop, "<presence/>");
    const auto got = presences(laptop);
    EXPECT_TRUE(has(got, "available romeo@localhost/orchard"));  // the probe's answer
    EXPECT_TRUE(has(got, "available juliet@localhost/balcony"));
    EXPECT_TRUE(has(got, "available juliet@localhost/laptop"));
    // The probe is answered to the new session only, and never shown to romeo.
    EXPECT_FALSE(has(presences(juliet), "available romeo@localhost/orchard"));
    EXPECT_TRUE(has(presences(juliet), "available juliet@localhost/laptop"));
    for (const auto& p : presences(romeo)) {
        EXPECT_EQ(p.find("probe"), std::string::npos) << p;
    }
}

TEST_F(PresenceModuleTest, AProbeForAnOfflineContactIsAnsweredUnavailable)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    befriend(juliet, romeo);
    t_.close(romeo);
    auto& laptop = t_.bind("juliet@localhost/laptop");
    t_.send(laptop, "<presence/>");
    EXPECT_TRUE(has(presences(laptop), "unavailable romeo@localhost"));
}

// RFC 6121 §4.3.2 (and the §3.1.5 examples): presence answered from the server's memory
// says when it was set, with a XEP-0203 delay from the server's domain.
TEST_F(PresenceModuleTest, PresenceFromStoredStateCarriesTheTimeItWasSet)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    befriend(juliet, romeo);
    const auto set_at = format_xep82(t_.clock().now());
    t_.send(romeo, "<presence><show>away</show></presence>");
    t_.clock().advance(std::chrono::minutes(5));
    auto& laptop = t_.bind("juliet@localhost/laptop");
    t_.send(laptop, "<presence/>");
    int stamped = 0;
    for (const auto& bytes : laptop.sent) {
        auto e = parse_stanza(bytes);
        if (!e || e->name() != "presence" || e->attr("type") != "") {
            continue;
        }
        const auto* delay = e->child("delay", ns::delay);
        if (e->attr("from") == "romeo@localhost/orchard") {  // the probe's answer
            ASSERT_NE(delay, nullptr) << bytes;
            EXPECT_EQ(delay->attr("stamp"), set_at);
            EXPECT_EQ(delay->attr("from"), "localhost");
            ++stamped;
        } else if (e->attr("from") == "juliet@localhost/balcony") {  // an own resource's
            EXPECT_NE(delay, nullptr) << bytes;
            ++stamped;
        } else {  // laptop's own broadcast, live: no delay
            EXPECT_EQ(delay, nullptr) << bytes;
        }
    }
    EXPECT_EQ(stamped, 2);
    // Live broadcasts carry none.
    EXPECT_EQ(parse_stanza(juliet.sent.back())->child("delay", ns::delay), nullptr);
}

// RFC 6121 §4.3.2: a probe for an account that no longer exists is answered 'unsubscribed',
// which ends the prober's stale subscription.
TEST_F(PresenceModuleTest, AProbeForADeletedAccountIsAnsweredUnsubscribed)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    befriend(juliet, romeo);
    const Jid gone = *Jid::parse("romeo@localhost");
    t_.server().hooks().account_deleting.run(gone);
    ASSERT_TRUE(t_.server().accounts().remove("romeo", "localhost").has_value());
    t_.close(romeo);
    auto& laptop = t_.bind("juliet@localhost/laptop");
    t_.send(laptop, "<presence/>");
    EXPECT_TRUE(has(presences(laptop), "unsubscribed romeo@localhost"));
    EXPECT_EQ(pushes(juliet).back(), "romeo@localhost from") << "no longer subscribed to him";
}

TEST_F(PresenceModuleTest, AClosedSessionIsUnavailableToSubscribersAndDirectedRecipients)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    auto& nurse = login("nurse@localhost/kitchen");
    befriend(juliet, romeo);
    t_.send(romeo, "<presence to='nurse@localhost'/>");  // directed, §4.6
    EXPECT_TRUE(has(presences(nurse), "available romeo@localhost/orchard"));
    clear({&juliet, &nurse});
    t_.close(romeo);  // no unavailable presence: a dropped connection
    EXPECT_EQ(presences(juliet), std::vector<std::string>{"unavailable romeo@localhost/orchard"});
    EXPECT_EQ(presences(nurse), std::vector<std::string>{"unavailable romeo@localhost/orchard"});
}

TEST_F(PresenceModuleTest, ADeletedAccountIsUnavailableToItsSubscribersOnce)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    auto& phone = login("romeo@localhost/phone");
    befriend(juliet, romeo);
    clear({&juliet});
    // As XEP-0077 cancellation runs: the hook, the data gone, then the sessions close.
    t_.server().hooks().account_deleting.run(*Jid::parse("romeo@localhost"));
    ASSERT_TRUE(t_.server().accounts().remove("romeo", "localhost"));
    t_.close(romeo);
    t_.close(phone);
    const std::vector<std::string> want = {"unavailable romeo@localhost/orchard",
                                           "unavailable romeo@localhost/phone"};
    EXPECT_EQ(presences(juliet), want);
}

TEST_F(PresenceModuleTest, ExplicitUnavailableGoesToSubscribersDirectedAndTheSenderOnce)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    auto& nurse = login("nurse@localhost/kitchen");
    befriend(juliet, romeo);
    t_.send(romeo, "<presence to='nurse@localhost'/>");
    t_.send(romeo, "<presence to='juliet@localhost'/>");  // directed to a subscriber too
    clear({&juliet, &nurse, &romeo});
    t_.send(romeo, "<presence type='unavailable'/>");
    EXPECT_EQ(presences(juliet), std::vector<std::string>{"unavailable romeo@localhost/orchard"});
    EXPECT_EQ(presences(nurse), std::vector<std::string>{"unavailable romeo@localhost/orchard"});
    EXPECT_EQ(presences(romeo), std::vector<std::string>{"unavailable romeo@localhost/orchard"});
    clear({&juliet, &nurse});
    t_.close(romeo);  // already unavailable: nothing more
    EXPECT_TRUE(presences(juliet).empty());
    EXPECT_TRUE(presences(nurse).empty());
}

TEST_F(PresenceModuleTest, UnsubscribeStopsPresenceAndTellsBothRosters)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    befriend(juliet, romeo);
    t_.send(juliet, "<presence to='romeo@localhost' type='unsubscribe'/>");
    EXPECT_EQ(pushes(juliet), std::vector<std::string>{"romeo@localhost from"});
    EXPECT_EQ(pushes(romeo), std::vector<std::string>{"juliet@localhost to"});
    EXPECT_TRUE(has(presences(romeo), "unsubscribe juliet@localhost"));
    EXPECT_TRUE(has(presences(juliet), "unavailable romeo@localhost/orchard"));  // §3.3.3
    clear({&juliet, &romeo});
    t_.send(romeo, "<presence><show>dnd</show></presence>");
    EXPECT_TRUE(presences(juliet).empty());
}

TEST_F(PresenceModuleTest, CancellingASubscriptionSendsUnavailableFirst)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    befriend(juliet, romeo);
    t_.send(romeo, "<presence to='juliet@localhost' type='unsubscribed'/>");
    EXPECT_EQ(presences(juliet), (std::vector<std::string>{"unavailable romeo@localhost/orchard",
                                                           "unsubscribed romeo@localhost"}));
    EXPECT_EQ(pushes(juliet), std::vector<std::string>{"romeo@localhost from"});
    EXPECT_EQ(pushes(romeo), std::vector<std::string>{"juliet@localhost to"});
}

TEST_F(PresenceModuleTest, DenyingARequestFromAStrangerLeavesNoRosterItem)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    t_.send(juliet, "<presence to='romeo@localhost' type='subscribe'/>");
    t_.send(romeo, "<presence to='juliet@localhost' type='unsubscribed'/>");
    EXPECT_TRUE(pushes(romeo).empty());
    EXPECT_EQ(pushes(juliet).back(), "romeo@localhost none");
    auto r = t_.ask(romeo, "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
    EXPECT_EQ(r.child("query", ns::roster)->element_count(), 0u);
}

TEST_F(PresenceModuleTest, ProbesReachNoClientAndAStaleSubscriptionIsCorrected)
{
    auto& juliet = login("juliet@localhost/balcony");
    auto& romeo = login("romeo@localhost/orchard");
    t_.send(romeo, "<presence to='juliet@localhost' type='probe'/>");
    EXPECT_TRUE(presences(juliet).empty());
    EXPECT_TRUE(presences(romeo).empty());  // 'unsubscribed' changed nothing (A.3.4 None)

    befriend(juliet, romeo);
    // juliet's side forgets romeo (as after a restore from an old backup): romeo's probe
    // is answered 'unsubscribed' (§4.3.2), which ends his stale subscription (A.3.4).
    auto& store = t_.server().storage().roster();
    ASSERT_TRUE(store.remove("juliet@localhost", "romeo@localhost").has_value());
    t_.send(romeo, "<presence to='juliet@localhost' type='probe'/>");
    EXPECT_TRUE(presences(juliet).empty());
    EXPECT_EQ(presences(romeo), std::vector<std::string>{"unsubscribed juliet@localhost"});
    EXPECT_EQ(pushes(romeo), std::vector<std::string>{"juliet@localhost from"});
}

TEST_F(PresenceModuleTest, ARequestForANonExistentAccountIsAnsweredUnsubscribed)
{
    auto& juliet = login("juliet@localhost/balcony");
    t_.send(juliet, "<presence to='ghost@localhost' type='subscribe'/>");
    EXPECT_TRUE(has(presences(juliet), "unsubscribed ghost@localhost"));  // RFC 6121 §8.5.1
    EXPECT_EQ(pushes(juliet).back(), "ghost@localhost none");
    EXPECT_EQ(
        t_.ask(juliet, "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>").attr("type"),
        "result");
}

TEST_F(PresenceModuleTest, SubscriptionStanzasToOneselfOrWithoutAddresseeAreDropped)
{
    auto& juliet = login("juliet@localhost/balcony");
    t_.send(juliet, "<presence to='juliet@localhost' type='subscribe'/>");
    t_.send(juliet, "<presence type='subscribe'/>");
    EXPECT_TRUE(pushes(juliet).empty());
    EXPECT_TRUE(presences(juliet).empty());
}

}  // namespace
}  // namespace chorus::modules::presence
