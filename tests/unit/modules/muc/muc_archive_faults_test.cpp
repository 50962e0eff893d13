// The room archive's outcomes: a lost batch sends no copy, leaves no history and answers
// the sender with <resource-constraint/>; XEP-0198 counts a group chat message handled only
// once its entry is committed; copies to remote occupants wait for the commit too.
#include <gtest/gtest.h>

#include <vector>

#include "modules/muc/muc.h"
#include "muc_fixture.h"
#include "server/remote_routes.h"
#include "stream/stream_management.h"

namespace chorus {
namespace {

using router::testing::legacy;
using testing::count;
using testing::join_tea;
using testing::MucFixture;

/// Federation as the router sees it: what it was handed, in order.
class FakeRemote final : public RemoteRoutes {
public:
    void send(const xml::Element& stanza, const Jid& to) override
    {
        sent.push_back(to.str() + " " + stanza.child_text("body", ns::client));
    }
    std::vector<std::string> sent;
};

class MucArchiveFaults : public MucFixture {
protected:
    /// The room archive takes entries without writing them: the test settles them.
    void hold_archive()
    {
        t.server().hooks().archive = [this](const Jid&, std::string_view, std::string_view, bool,
                                            bool) {
            next_seq_ = std::max(next_seq_, t.server().router().gate().settled()) + 1;
            return std::optional<ArchiveRef>(
                ArchiveRef("held-" + std::to_string(next_seq_), next_seq_));
        };
    }
    std::int64_t send_groupchat(testing::FakeSession& s, std::string_view body)
    {
        auto msg = testing::parse_stanza(
            "<message to='tea@conference.localhost' type='groupchat' id='g1'><body>" +
            std::string(body) + "</body></message>");
        return t.server().router().from_session(s, std::move(*msg));
    }
    std::int64_t next_seq_ = 0;
};

TEST_F(MucArchiveFaults, ALostBatchSendsNoCopyKeepsNoHistoryAndAnswersTheSender)
{
    auto& owner = create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    owner.sent.clear();
    romeo.sent.clear();
    hold_archive();
    const auto seq = send_groupchat(romeo, "lost words");
    ASSERT_GT(seq, 0) << "the message waits for the room archive";
    EXPECT_EQ(count(owner, "lost words"), 0u);
    t.server().router().gate().settle(seq, false);  // the journal refused the batch
    EXPECT_EQ(count(owner, "lost words"), 0u) << "no copy of a lost message leaves";
    EXPECT_EQ(count(romeo, "lost words"), 0u) << "not even the sender's reflection";
    ASSERT_EQ(count(romeo, "resource-constraint"), 1u);
    EXPECT_EQ(count(romeo, "type='wait'"), 1u);
    EXPECT_EQ(count(romeo, "id='g1'"), 1u) << "the error names the client's message";
    EXPECT_EQ(count(romeo, "from='tea@conference.localhost'"), 1u);

    const auto kept = send_groupchat(romeo, "kept words");
    t.server().router().gate().settle(kept, true);
    EXPECT_EQ(count(owner, "kept words"), 1u) << "what follows a lost batch leaves";
    auto& nurse = t.bind("nurse@localhost/pc", legacy());
    t.send(nurse, join_tea("Nurse"));
    EXPECT_EQ(count(nurse, "kept words"), 1u);
    EXPECT_EQ(count(nurse, "lost words"), 0u) << "history forgot the lost message";
}

TEST_F(MucArchiveFaults, StreamManagementAcksAGroupChatMessageOnceItsEntryIsCommitted)
{
    create_room();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    hold_archive();
    stream::StreamManagement sm("id", false);
    auto& gate = t.server().router().gate();
    const auto seq = send_groupchat(romeo, "counted");
    sm.received(seq, gate.settled());
    EXPECT_EQ(sm.durable_count(gate.settled()), 0u) << "not stored yet: not acknowledged";
    // A presence to the room waits for nothing, but is counted behind the message.
    auto presence = testing::parse_stanza("<presence to='tea@conference.localhost/Romeo'/>");
    sm.received(t.server().router().from_session(romeo, std::move(*presence)), gate.settled());
    EXPECT_EQ(sm.durable_count(gate.settled()), 0u);
    gate.settle(seq, true);
    EXPECT_EQ(sm.durable_count(gate.settled()), 2u);
}

TEST_F(MucArchiveFaults, RemoteOccupantsGetTheirCopiesOnlyOnceCommitted)
{
    create_room();
    FakeRemote remote;
    t.server().set_remote(&remote);
    auto join = testing::parse_stanza(
        "<presence from='mercutio@verona.example/pc' to='tea@conference.localhost/Mercutio'><x "
        "xmlns='http://jabber.org/protocol/muc'/></presence>");
    t.server().router().route(std::move(*join));
    remote.sent.clear();
    hold_archive();
    auto& romeo = t.bind("romeo@localhost/phone", legacy());
    t.send(romeo, join_tea("Romeo"));
    remote.sent.clear();
    const auto lost = send_groupchat(romeo, "never");
    const auto kept = send_groupchat(romeo, "later");
    EXPECT_TRUE(remote.sent.empty()) << "nothing leaves for s2s before the commit";
    auto& gate = t.server().router().gate();
    gate.settle(lost, false);
    gate.settle(kept, true);
    EXPECT_EQ(remote.sent, std::vector<std::string>{"mercutio@verona.example/pc later"});
    t.server().set_remote(nullptr);
}

}  // namespace
}  // namespace chorus
