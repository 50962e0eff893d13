// Components: stanzas to a served component domain reach its handler; the server lists it.
#include "server/components.h"

#include <gtest/gtest.h>

#include "../modules/module_test_server.h"
#include "modules/module_context.h"

namespace chorus {
namespace {

using testing::ModuleTestServer;

TEST(Components, StanzasForTheDomainReachItsHandlerWithFromStamped)
{
    Config config;
    config.muc.enabled = false;  // the MUC module would serve conference.localhost itself
    ModuleTestServer t(config);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");
    std::vector<xml::Element> got;
    modules::ModuleContext ctx(t.server(), "test-component");
    ctx.serve_domain("conference.localhost", {"conference", "text", "Rooms", [&](xml::Element s) {
                                                  got.push_back(s);
                                                  return std::int64_t{0};
                                              }});
    ASSERT_FALSE(ctx.failed());

    t.send(alice, "<presence to='room@conference.localhost/Al'/>");
    t.send(alice,
           "<message to='room@conference.localhost' type='groupchat'><body>hi</body></message>");
    t.send(alice,
           "<iq type='get' id='1' to='conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].name(), "presence");
    EXPECT_EQ(got[1].attr("from"), "alice@localhost/a");
    EXPECT_EQ(got[2].name(), "iq");
    EXPECT_TRUE(alice.sent.empty()) << "the component answers, not the router";

    auto items = t.ask(alice,
                       "<iq type='get' id='2' to='localhost'><query "
                       "xmlns='http://jabber.org/protocol/disco#items'/></iq>");
    const auto* q = items.child("query", ns::disco_items);
    ASSERT_NE(q, nullptr);
    bool listed = false;
    for (const auto& item : q->nodes()) {
        listed |= item.attr("jid") == "conference.localhost" && item.attr("name") == "Rooms";
    }
    EXPECT_TRUE(listed);
}

TEST(Components, ADomainServedTwiceOrALocalDomainIsRefused)
{
    ModuleTestServer t;
    modules::ModuleContext a(t.server(), "a");
    a.serve_domain("things.localhost",
                   {"pubsub", "service", "", [](xml::Element) { return std::int64_t{0}; }});
    modules::ModuleContext b(t.server(), "b");
    b.serve_domain("things.localhost",
                   {"pubsub", "service", "", [](xml::Element) { return std::int64_t{0}; }});
    EXPECT_FALSE(a.failed());
    EXPECT_TRUE(b.failed());
    modules::ModuleContext c(t.server(), "c");
    c.serve_domain("localhost",
                   {"pubsub", "service", "", [](xml::Element) { return std::int64_t{0}; }});
    EXPECT_TRUE(c.failed());
}

TEST(Components, UnloadStopsServingTheDomain)
{
    ModuleTestServer t;
    {
        modules::ModuleContext ctx(t.server(), "gone");
        ctx.serve_domain("files.localhost",
                         {"store", "file", "", [](xml::Element) { return std::int64_t{0}; }});
        EXPECT_NE(t.server().components().find("files.localhost"), nullptr);
    }
    EXPECT_EQ(t.server().components().find("files.localhost"), nullptr);
}

}  // namespace
}  // namespace chorus
