// Router::redeliver_unacked (src/router/router.cpp): what becomes of the stanzas a session
// ended without resumption never acknowledged (ROUTING.md "Stream management").
#include <gtest/gtest.h>

#include "modules/module_test_server.h"
#include "router/fake_session.h"
#include "router/router.h"

namespace chorus {
namespace {

using router::testing::imng;
using router::testing::legacy;
using testing::ModuleTestServer;

std::vector<router::SharedBytes> shared(const std::vector<std::string>& sent)
{
    std::vector<router::SharedBytes> out;
    for (const auto& s : sent) {
        out.push_back(std::make_shared<const std::string>(s));
    }
    return out;
}

class RouterRedelivery : public ::testing::Test {
protected:
    RouterRedelivery()
    {
        t.add_account("juliet@localhost");
        t.add_account("romeo@localhost");
    }
    ModuleTestServer t;
};

TEST_F(RouterRedelivery, ALostLegacySessionsMessageReachesTheOtherLegacyResourceAsItWas)
{
    auto& laptop = t.bind("juliet@localhost/laptop", legacy(0));
    auto& desktop = t.bind("juliet@localhost/desktop", legacy(0));
    auto& phone = t.bind("juliet@localhost/phone", imng());
    auto& romeo = t.bind("romeo@localhost/pc", legacy(0));
    t.send(romeo, "<message to='juliet@localhost/laptop' type='chat'><body>hi</body></message>");
    ASSERT_EQ(laptop.sent.size(), 1u);
    ASSERT_NE(laptop.sent[0].find("<stanza-id"), std::string::npos) << "archived once";
    ASSERT_TRUE(desktop.sent.empty()) << "ROUTING.md R5: only the addressed legacy session";
    phone.sent.clear();
    t.close(laptop);
    t.server().router().redeliver_unacked(laptop, shared(laptop.sent));
    t.settle();
    // The same bytes, stanza-id included: no second archive entry, no new id.
    EXPECT_EQ(desktop.sent, laptop.sent);
    EXPECT_TRUE(phone.sent.empty()) << "the IM-NG device has its copy";
}

TEST_F(RouterRedelivery, ALostImngSessionsCopiesGoNowhere)
{
    auto& phone = t.bind("juliet@localhost/phone", imng());
    auto& desktop = t.bind("juliet@localhost/desktop", legacy(0));
    auto& romeo = t.bind("romeo@localhost/pc", legacy(0));
    t.send(romeo, "<message to='juliet@localhost' type='chat'><body>hi</body></message>");
    ASSERT_EQ(phone.sent.size(), 1u);
    desktop.sent.clear();
    t.close(phone);
    t.server().router().redeliver_unacked(phone, shared(phone.sent));
    t.settle();
    EXPECT_TRUE(desktop.sent.empty());
    EXPECT_TRUE(romeo.sent.empty()) << "not bounced either";
}

TEST_F(RouterRedelivery, AnUnansweredIqRequestIsBouncedAndPresenceIsDropped)
{
    auto& laptop = t.bind("juliet@localhost/laptop", legacy(0));
    auto& romeo = t.bind("romeo@localhost/pc", legacy(0));
    t.close(laptop);
    t.server().router().redeliver_unacked(
        laptop, shared({"<iq type='get' id='v1' from='romeo@localhost/pc' "
                        "to='juliet@localhost/laptop'><query xmlns='jabber:iq:version'/></iq>",
                        "<presence from='romeo@localhost/pc' to='juliet@localhost/laptop'/>"}));
    t.settle();
    ASSERT_EQ(romeo.sent.size(), 1u);
    const auto reply = testing::parse_stanza(romeo.sent[0]).value();
    EXPECT_EQ(reply.attr("id"), "v1");
    EXPECT_EQ(ModuleTestServer::condition(reply), "service-unavailable");
}

}  // namespace
}  // namespace chorus
