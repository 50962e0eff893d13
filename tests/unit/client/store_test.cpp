// lib/client/store: the device's conversation by stanza-id, the cursor and pending messages.
#include "client/store.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

namespace chorus::client {
namespace {

class StoreTest : public testing::Test {
protected:
    void SetUp() override
    {
        path_ = std::filesystem::temp_directory_path() /
                ("chorus-client-store-" + std::to_string(::getpid()) + ".sqlite");
        std::filesystem::remove(path_);
        auto s = Store::open(path_.string());
        ASSERT_TRUE(s) << s.error();
        store_ = std::move(*s);
    }
    void TearDown() override
    {
        store_.reset();
        for (auto suffix : {"", "-wal", "-shm"}) {
            std::filesystem::remove(path_.string() + suffix);
        }
    }
    static ChatMessage msg(std::string id, std::string peer, std::string body)
    {
        ChatMessage m;
        m.stanza_id = std::move(id);
        m.peer = std::move(peer);
        m.body = std::move(body);
        m.from = m.peer + "/r";
        m.to = "juliet@localhost";
        m.stamp = "2026-12-02T06:00:00Z";
        return m;
    }
    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, ABatchStoresMessagesOnceAndTheCursorWithThem)
{
    CommitBatch b;
    b.messages = {msg("1", "romeo@localhost", "a"), msg("2", "nurse@localhost", "b")};
    b.cursor = "2";
    ASSERT_TRUE(store_->commit(b, {{"sm.h", "7"}}));
    ASSERT_TRUE(store_->commit(b));  // again: nothing doubled
    EXPECT_EQ(store_->message_count(), 2u);
    EXPECT_EQ(store_->get(keys::cursor), "2");
    EXPECT_EQ(store_->get("sm.h"), "7");
    EXPECT_TRUE(store_->has_message("1"));
    EXPECT_FALSE(store_->has_message("3"));
    const auto romeo = store_->history(std::string_view("romeo@localhost"));
    ASSERT_EQ(romeo.size(), 1u);
    EXPECT_EQ(romeo[0], b.messages[0]);
}

TEST_F(StoreTest, ThePendingOwnMessageIsReplacedByTheArchivedCopy)
{
    auto pending = msg("", "romeo@localhost", "hello");
    pending.outgoing = true;
    pending.origin_id = "o1";
    ASSERT_TRUE(store_->add_pending(pending));
    EXPECT_EQ(store_->history(std::nullopt, true).size(), 1u);
    EXPECT_TRUE(store_->history(std::nullopt).empty());  // pending is not history yet
    auto archived = pending;
    archived.stanza_id = "9";
    CommitBatch b;
    b.messages = {archived};
    ASSERT_TRUE(store_->commit(b));
    const auto all = store_->history(std::nullopt, true);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].stanza_id, "9");
}

TEST_F(StoreTest, SettingsSurviveReopening)
{
    ASSERT_TRUE(store_->set(keys::sm_id, "abc"));
    store_.reset();
    auto s = Store::open(path_.string());
    ASSERT_TRUE(s);
    EXPECT_EQ((*s)->get(keys::sm_id), "abc");
    EXPECT_TRUE((*s)->erase(keys::sm_id));
    EXPECT_FALSE((*s)->get(keys::sm_id));
}

}  // namespace
}  // namespace chorus::client
