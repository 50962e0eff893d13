// Router::route_remote: IQs and presence for a remote domain keep their place behind a
// message that waits for its archive commit (one FIFO with the CommitGate, RFC 6120 §10.1).
#include <gtest/gtest.h>

#include "../modules/module_test_server.h"
#include "router/router.h"
#include "server/remote_routes.h"

namespace chorus {
namespace {

using chorus::testing::ModuleTestServer;

struct RecordingRemote final : RemoteRoutes {
    void send(const xml::Element& stanza, const Jid&) override
    {
        sent.push_back(std::string(stanza.name()) + ":" + std::string(stanza.attr("id")));
    }
    std::vector<std::string> sent;
};

TEST(RouterRemote, IqAndPresenceDoNotOvertakeAHeldMessage)
{
    ModuleTestServer t;
    RecordingRemote remote;
    t.server().set_remote(&remote);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");
    auto& router = t.server().router();

    router.from_session(
        alice, *testing::parse_stanza("<message to='bob@remote.example' id='m1' type='chat'>"
                                      "<body>first</body></message>"));
    ASSERT_EQ(router.gate().watched(), 1u) << "the message waits for its archive entry";
    router.from_session(alice, *testing::parse_stanza("<iq to='remote.example' id='q1' type='get'>"
                                                      "<ping xmlns='urn:xmpp:ping'/></iq>"));
    router.from_session(alice, *testing::parse_stanza(
                                   "<presence to='bob@remote.example' id='p1' type='subscribe'/>"));
    EXPECT_TRUE(remote.sent.empty()) << "nothing overtakes the held message";
    t.settle();
    EXPECT_EQ(remote.sent, (std::vector<std::string>{"message:m1", "iq:q1", "presence:p1"}));

    // Nothing held: straight through.
    router.from_session(alice, *testing::parse_stanza("<iq to='remote.example' id='q2' type='get'>"
                                                      "<ping xmlns='urn:xmpp:ping'/></iq>"));
    EXPECT_EQ(remote.sent.back(), "iq:q2");
    t.server().set_remote(nullptr);
}

}  // namespace
}  // namespace chorus
