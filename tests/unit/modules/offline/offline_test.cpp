// Tests for src/modules/offline/offline.cpp: XEP-0160 storage, quota, expiry and delivery.
#include "modules/offline/offline.h"

#include <gtest/gtest.h>

#include "modules/module_test_server.h"

namespace chorus::modules::offline {
namespace {

using chorus::testing::ModuleTestServer;
using chorus::testing::parse_stanza;
using router::testing::imng;
using router::testing::legacy;
using FakeSession = ModuleTestServer::FakeSession;

/// A session that is bound but has not sent presence yet.
router::SessionFlags fresh(bool is_imng = false)
{
    return {
        .imng = is_imng, .carbons = false, .available = false, .interested = false, .priority = 0};
}

class OfflineModuleTest : public ::testing::Test {
protected:
    explicit OfflineModuleTest(Config config = {}) : t_(std::move(config))
    {
        t_.add_account("juliet@localhost");
        t_.add_account("romeo@localhost");
    }

    void message(FakeSession& from, std::string_view body)
    {
        t_.send(from, "<message to='juliet@localhost' type='chat'><body>" + std::string(body) +
                          "</body></message>");
    }

    static std::vector<std::string> bodies(const FakeSession& s)
    {
        std::vector<std::string> out;
        for (const auto& bytes : s.sent) {
            auto e = parse_stanza(bytes);
            if (e && e->name() == "message") {
                out.push_back(e->child_text("body", ns::client));
            }
        }
        return out;
    }

    ModuleTestServer t_;
};

TEST_F(OfflineModuleTest, AdvertisesMsgofflineAndProvidesTheStore)
{
    EXPECT_TRUE(t_.server().disco().server_features.contains(std::string(ns::offline)));
    EXPECT_TRUE(static_cast<bool>(t_.server().hooks().store_offline));
}

TEST_F(OfflineModuleTest, DeliversOnceInOrderWithADelayStampAfterInitialPresence)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    const auto stored_at = format_xep82(t_.clock().now());
    message(romeo, "one");
    t_.clock().advance(std::chrono::seconds(5));
    message(romeo, "two");

    auto& balcony = t_.bind("juliet@localhost/balcony", fresh());
    EXPECT_TRUE(balcony.sent.empty()) << "nothing before initial presence";
    t_.send(balcony, "<presence/>");
    EXPECT_EQ(bodies(balcony), (std::vector<std::string>{"one", "two"}));
    auto first = parse_stanza(balcony.sent.front());
    for (const auto& bytes : balcony.sent) {
        if (auto e = parse_stanza(bytes); e && e->name() == "message") {
            first = e;
            break;
        }
    }
    const auto* delay = first->child("delay", ns::delay);
    ASSERT_NE(delay, nullptr);
    EXPECT_EQ(delay->attr("from"), "localhost");
    EXPECT_EQ(delay->attr("stamp"), stored_at);
    EXPECT_EQ(first->attr("from"), "romeo@localhost/orchard");

    t_.close(balcony);
    auto& again = t_.bind("juliet@localhost/balcony", fresh());
    t_.send(again, "<presence/>");
    EXPECT_TRUE(bodies(again).empty()) << "delivered messages are gone";
}

TEST_F(OfflineModuleTest, OfflineCopiesCarryTheArchivedStanzaId)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    message(romeo, "kept");
    auto& balcony = t_.bind("juliet@localhost/balcony", fresh());
    t_.send(balcony, "<presence/>");
    ASSERT_EQ(bodies(balcony).size(), 1u);
    for (const auto& bytes : balcony.sent) {
        if (auto e = parse_stanza(bytes); e && e->name() == "message") {
            const auto* sid = e->child("stanza-id", ns::sid);
            ASSERT_NE(sid, nullptr) << "ROUTING.md: offline copies carry the stanza-id";
            EXPECT_EQ(sid->attr("by"), "juliet@localhost");
        }
    }
}

TEST_F(OfflineModuleTest, ImngAndNegativePrioritySessionsDoNotTakeTheQueue)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    message(romeo, "wait");

    auto& phone = t_.bind("juliet@localhost/phone", fresh(true));
    t_.send(phone, "<presence/>");
    EXPECT_TRUE(bodies(phone).empty()) << "ROUTING.md: IM-NG sessions catch up from MAM";

    auto& bot = t_.bind("juliet@localhost/bot", fresh());
    t_.send(bot, "<presence><priority>-1</priority></presence>");
    EXPECT_TRUE(bodies(bot).empty()) << "XEP-0160: only non-negative priority";
    t_.send(bot, "<presence><priority>3</priority></presence>");
    EXPECT_EQ(bodies(bot), std::vector<std::string>{"wait"});
}

TEST_F(OfflineModuleTest, TransientMessagesAreNotStored)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    romeo.sent.clear();
    t_.send(romeo,
            "<message to='juliet@localhost' type='chat'>"
            "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    EXPECT_TRUE(romeo.sent.empty()) << "no bounce for a chat state";
    auto& balcony = t_.bind("juliet@localhost/balcony", fresh());
    t_.send(balcony, "<presence/>");
    EXPECT_TRUE(bodies(balcony).empty());
    for (const auto& bytes : balcony.sent) {
        EXPECT_EQ(bytes.find("<message"), std::string::npos) << bytes;
    }
}

TEST_F(OfflineModuleTest, ExpiredMessagesAreNeverDelivered)
{
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    message(romeo, "stale");
    t_.clock().advance(std::chrono::hours(24) * 31);  // default offline.max_age_days = 30
    message(romeo, "fresh");
    auto& balcony = t_.bind("juliet@localhost/balcony", fresh());
    t_.send(balcony, "<presence/>");
    EXPECT_EQ(bodies(balcony), std::vector<std::string>{"fresh"});
}

class OfflineQuotaTest : public OfflineModuleTest {
protected:
    static Config small_quota()
    {
        Config c;
        c.offline_max_messages = 2;
        return c;
    }
    OfflineQuotaTest() : OfflineModuleTest(small_quota()) {}
};

TEST_F(OfflineQuotaTest, AFullQueueRefusesTheMessage)
{
    const auto owner = *Jid::parse("juliet@localhost");
    auto msg = *parse_stanza(
        "<message from='romeo@localhost/o' to='juliet@localhost' "
        "type='chat'><body>x</body></message>");
    auto& store = t_.server().hooks().store_offline;
    EXPECT_TRUE(store(owner, msg));
    EXPECT_TRUE(store(owner, msg));
    EXPECT_FALSE(store(owner, msg)) << "offline.max_messages = 2";
    auto& balcony = t_.bind("juliet@localhost/balcony", fresh());
    t_.send(balcony, "<presence/>");
    EXPECT_EQ(bodies(balcony).size(), 2u);
    EXPECT_TRUE(store(owner, msg)) << "room again once delivered";
}

}  // namespace
}  // namespace chorus::modules::offline
