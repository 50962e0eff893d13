// lib/client/catchup: live messages and MAM pages in every interleaving end with every
// archived message stored once, in archive order, and a cursor that never skips a gap.
#include "client/catchup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace chorus::client {
namespace {

ChatMessage msg(int id)
{
    ChatMessage m;
    m.stanza_id = "id" + std::to_string(100 + id);  // opaque to the client; 100+ keeps order
    m.body = "body " + std::to_string(id);
    m.peer = "romeo@localhost";
    return m;
}

/// The client's store as the library keeps it: messages in commit order and the cursor.
struct FakeStore {
    std::vector<std::string> ids;
    std::string cursor;
    bool has(std::string_view id) const
    {
        return std::find(ids.begin(), ids.end(), id) != ids.end();
    }
    /// Applies a batch and checks the invariant the cursor exists for: every archived
    /// message up to the cursor is stored (a catch-up after it misses nothing).
    void apply(const CommitBatch& b, int archived_upto)
    {
        for (const auto& m : b.messages) {
            ASSERT_FALSE(has(m.stanza_id)) << "duplicate " << m.stanza_id;
            ids.push_back(m.stanza_id);
        }
        if (b.cursor) {
            ASSERT_GE(*b.cursor, cursor) << "cursor moved backwards";
            cursor = *b.cursor;
        }
        for (int i = 1; i <= archived_upto; ++i) {
            if (msg(i).stanza_id <= cursor) {
                ASSERT_TRUE(has(msg(i).stanza_id)) << "gap before cursor " << cursor << ": " << i;
            }
        }
    }
};

enum class Ev { live, page };

/// Every merge of a live sequence and a page sequence (positions of the live events).
void merges(std::size_t lives, std::size_t pages, std::vector<Ev>& cur,
            std::vector<std::vector<Ev>>& out)
{
    if (lives == 0 && pages == 0) {
        out.push_back(cur);
        return;
    }
    for (auto [n, ev] : {std::pair{lives, Ev::live}, std::pair{pages, Ev::page}}) {
        if (n > 0) {
            cur.push_back(ev);
            merges(ev == Ev::live ? lives - 1 : lives, ev == Ev::page ? pages - 1 : pages, cur,
                   out);
            cur.pop_back();
        }
    }
}

TEST(CatchUp, EveryInterleavingOfLiveAndPagesStoresEachMessageOnceInArchiveOrder)
{
    constexpr int total = 7;  // archive ids 1..7 at the end
    constexpr int page_size = 2;
    int cases = 0;
    for (int stored = 0; stored <= 2; ++stored) {                     // cursor before (re)connect
        for (int answered = stored; answered <= total; ++answered) {  // archive end at the query
            // The session was bound before the query: messages from first_live on arrive
            // live too (those up to `answered` both ways); everything after `answered`
            // only arrives live.
            for (int first_live = stored + 1; first_live <= answered + 1; ++first_live) {
                std::vector<std::vector<ChatMessage>> pages;
                for (int i = stored + 1; i <= answered; i += page_size) {
                    std::vector<ChatMessage> page;
                    for (int j = i; j < i + page_size && j <= answered; ++j) {
                        page.push_back(msg(j));
                    }
                    pages.push_back(std::move(page));
                }
                if (pages.empty()) {
                    pages.emplace_back();  // an empty <fin complete='true'/>
                }
                std::vector<ChatMessage> live;
                for (int i = first_live; i <= total; ++i) {
                    live.push_back(msg(i));
                }
                if (stored > 0) {
                    live.insert(live.begin(), msg(stored));  // an SM re-send of a stored one
                }
                std::vector<std::vector<Ev>> orders;
                std::vector<Ev> cur;
                merges(live.size(), pages.size(), cur, orders);
                for (const auto& order : orders) {
                    SCOPED_TRACE(testing::Message() << "stored=" << stored << " answered="
                                                    << answered << " first_live=" << first_live);
                    FakeStore store;
                    for (int i = 1; i <= stored; ++i) {
                        store.ids.push_back(msg(i).stanza_id);
                        store.cursor = msg(i).stanza_id;
                    }
                    CatchUp c([&](std::string_view id) { return store.has(id); });
                    c.begin();
                    std::size_t li = 0, pi = 0;
                    int archived = answered;
                    for (auto ev : order) {
                        if (ev == Ev::live) {
                            const auto& m = live[li++];
                            archived = std::max(archived, std::stoi(m.stanza_id.substr(2)) - 100);
                            store.apply(c.on_live(m), archived);
                        } else {
                            auto& page = pages[pi++];
                            const auto last = page.empty() ? std::string() : page.back().stanza_id;
                            store.apply(c.on_page(page, last), archived);
                            if (pi == pages.size()) {
                                store.apply(c.finish(), archived);
                            }
                        }
                        ASSERT_FALSE(testing::Test::HasFatalFailure());
                    }
                    std::vector<std::string> want;
                    for (int i = 1; i <= total; ++i) {
                        want.push_back(msg(i).stanza_id);
                    }
                    ASSERT_EQ(store.ids, want);
                    ASSERT_EQ(store.cursor, msg(total).stanza_id);
                    ++cases;
                }
            }
        }
    }
    EXPECT_GT(cases, 1000);
}

TEST(CatchUp, LiveMessagesWaitWhileCatchingUp)
{
    CatchUp c(nullptr);
    c.begin();
    EXPECT_TRUE(c.on_live(msg(3)).messages.empty());
    EXPECT_TRUE(c.on_live(msg(3)).messages.empty());  // the same id twice is held once
    EXPECT_EQ(c.held(), 1u);
    auto page = c.on_page({msg(1), msg(2)}, msg(2).stanza_id);
    EXPECT_EQ(page.messages.size(), 2u);
    EXPECT_EQ(page.cursor, msg(2).stanza_id);
    auto rest = c.finish();
    ASSERT_EQ(rest.messages.size(), 1u);
    EXPECT_EQ(rest.cursor, msg(3).stanza_id);
    EXPECT_FALSE(c.active());
}

TEST(CatchUp, APageOfKnownMessagesStillMovesTheCursor)
{
    CatchUp c([](std::string_view) { return true; });
    c.begin();
    auto page = c.on_page({msg(1), msg(2)}, msg(2).stanza_id);
    EXPECT_TRUE(page.messages.empty());
    EXPECT_EQ(page.cursor, msg(2).stanza_id);
}

TEST(CatchUp, AKnownLiveMessageDoesNotMoveTheCursorBack)
{
    std::vector<std::string> stored{msg(1).stanza_id, msg(2).stanza_id};
    CatchUp c([&](std::string_view id) {
        return std::find(stored.begin(), stored.end(), id) != stored.end();
    });
    auto b = c.on_live(msg(1));  // an SM re-send after the catch-up
    EXPECT_TRUE(b.messages.empty());
    EXPECT_FALSE(b.cursor);
}

TEST(CatchUp, ALiveMessageWithoutStanzaIdAsksForAResync)
{
    CatchUp c(nullptr);
    auto m = msg(1);
    m.stanza_id.clear();
    auto b = c.on_live(m);
    EXPECT_TRUE(b.resync);
    EXPECT_TRUE(b.messages.empty());
}

TEST(CatchUp, AnAbortedCatchUpDropsHeldMessagesAndTheNextOneFetchesThem)
{
    std::vector<std::string> stored;
    CatchUp c([&](std::string_view id) {
        return std::find(stored.begin(), stored.end(), id) != stored.end();
    });
    c.begin();
    EXPECT_TRUE(c.on_live(msg(2)).messages.empty());
    c.abort();
    EXPECT_EQ(c.held(), 0u);
    c.begin();
    auto page = c.on_page({msg(1), msg(2)}, msg(2).stanza_id);
    ASSERT_EQ(page.messages.size(), 2u);
    EXPECT_TRUE(c.finish().messages.empty());
}

}  // namespace
}  // namespace chorus::client
