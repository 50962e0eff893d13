// Tests for src/storage/sqlite/sqlite_offline.cpp (XEP-0160 queues) on a temp directory.
#include "storage/sqlite/sqlite_offline.h"

#include <gtest/gtest.h>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

class SqliteOfflineTest : public ::testing::Test {
protected:
    testing::TempDatabase temp_;
    std::unique_ptr<SqliteOffline> store_ = std::make_unique<SqliteOffline>(temp_.db());

    std::vector<std::string> stanzas(std::string_view owner)
    {
        auto messages = store_->messages(owner);
        EXPECT_TRUE(messages.has_value());
        std::vector<std::string> out;
        for (const auto& m : *messages) {
            out.push_back(m.stanza);
        }
        return out;
    }
};

TEST_F(SqliteOfflineTest, AnEmptyQueueHasNoMessages)
{
    EXPECT_EQ(*store_->count("juliet@localhost"), 0u);
    EXPECT_TRUE(store_->messages("juliet@localhost")->empty());
}

TEST_F(SqliteOfflineTest, MessagesComeBackInArrivalOrderPerOwner)
{
    ASSERT_TRUE(store_->store("juliet@localhost", 30, "<message id='a'/>"));
    ASSERT_TRUE(store_->store("romeo@localhost", 10, "<message id='x'/>"));
    ASSERT_TRUE(store_->store("juliet@localhost", 20, "<message id='b'/>"));  // clock went back
    EXPECT_EQ(stanzas("juliet@localhost"),
              (std::vector<std::string>{"<message id='a'/>", "<message id='b'/>"}));
    EXPECT_EQ(*store_->count("juliet@localhost"), 2u);
    EXPECT_EQ(*store_->count("romeo@localhost"), 1u);
    auto messages = store_->messages("juliet@localhost");
    EXPECT_LT((*messages)[0].id, (*messages)[1].id);
    EXPECT_EQ((*messages)[0].stamp_us, 30);
}

TEST_F(SqliteOfflineTest, RemoveThroughKeepsLaterArrivalsAndOtherOwners)
{
    ASSERT_TRUE(store_->store("juliet@localhost", 1, "<message id='a'/>"));
    ASSERT_TRUE(store_->store("romeo@localhost", 1, "<message id='x'/>"));
    const auto delivered = store_->messages("juliet@localhost")->back().id;
    ASSERT_TRUE(store_->store("juliet@localhost", 2, "<message id='b'/>"));
    ASSERT_TRUE(store_->remove_through("juliet@localhost", delivered));
    EXPECT_EQ(stanzas("juliet@localhost"), std::vector<std::string>{"<message id='b'/>"});
    EXPECT_EQ(*store_->count("romeo@localhost"), 1u);
}

TEST_F(SqliteOfflineTest, ExpireDeletesOnlyOlderMessagesOfThatOwner)
{
    ASSERT_TRUE(store_->store("juliet@localhost", 100, "<message id='old'/>"));
    ASSERT_TRUE(store_->store("juliet@localhost", 200, "<message id='new'/>"));
    ASSERT_TRUE(store_->store("romeo@localhost", 100, "<message id='x'/>"));
    EXPECT_EQ(*store_->expire("juliet@localhost", 200), 1u);
    EXPECT_EQ(stanzas("juliet@localhost"), std::vector<std::string>{"<message id='new'/>"});
    EXPECT_EQ(*store_->count("romeo@localhost"), 1u);
}

TEST_F(SqliteOfflineTest, ExpireAllSweepsEveryOwner)
{
    ASSERT_TRUE(store_->store("juliet@localhost", 100, "<message id='a'/>"));
    ASSERT_TRUE(store_->store("romeo@localhost", 150, "<message id='x'/>"));
    ASSERT_TRUE(store_->store("romeo@localhost", 300, "<message id='y'/>"));
    EXPECT_EQ(*store_->expire_all(200), 2u);
    EXPECT_EQ(*store_->count("juliet@localhost"), 0u);
    EXPECT_EQ(stanzas("romeo@localhost"), std::vector<std::string>{"<message id='y'/>"});
}

TEST_F(SqliteOfflineTest, QueuesSurviveARestartAndIdsKeepGrowing)
{
    ASSERT_TRUE(store_->store("juliet@localhost", 1, "<message id='a'/>"));
    const auto first = store_->messages("juliet@localhost")->front().id;
    ASSERT_TRUE(store_->remove_through("juliet@localhost", first));
    store_.reset();
    temp_.reopen();
    store_ = std::make_unique<SqliteOffline>(temp_.db());
    ASSERT_TRUE(store_->store("juliet@localhost", 2, "<message id='b'/>"));
    // AUTOINCREMENT: an id is never reused, so remove_through cannot hit a later message.
    EXPECT_GT(store_->messages("juliet@localhost")->front().id, first);
}

}  // namespace
}  // namespace chorus::storage::sqlite
