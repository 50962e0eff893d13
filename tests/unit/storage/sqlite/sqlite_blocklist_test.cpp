// Tests for src/storage/sqlite/sqlite_blocklist.cpp (XEP-0191 lists) on a temp directory.
#include "storage/sqlite/sqlite_blocklist.h"

#include <gtest/gtest.h>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

using Items = std::vector<std::string>;

class SqliteBlocklistTest : public ::testing::Test {
protected:
    testing::TempDatabase temp_;
    std::unique_ptr<SqliteBlocklist> store_ = std::make_unique<SqliteBlocklist>(temp_.db());
    Items items(std::string_view owner) { return *store_->items(owner); }
};

TEST_F(SqliteBlocklistTest, ANewAccountBlocksNobody)
{
    EXPECT_TRUE(items("juliet@localhost").empty());
}

TEST_F(SqliteBlocklistTest, AddKeepsExistingItemsAndSortsThem)
{
    ASSERT_TRUE(store_->add("juliet@localhost", Items{"tybalt@localhost", "example.org"}));
    ASSERT_TRUE(store_->add("juliet@localhost", Items{"tybalt@localhost", "a@b/c"}));
    EXPECT_EQ(items("juliet@localhost"), (Items{"a@b/c", "example.org", "tybalt@localhost"}));
    EXPECT_TRUE(items("romeo@localhost").empty());
}

TEST_F(SqliteBlocklistTest, RemoveIgnoresAbsentItems)
{
    ASSERT_TRUE(store_->add("juliet@localhost", Items{"tybalt@localhost", "example.org"}));
    ASSERT_TRUE(store_->remove("juliet@localhost", Items{"example.org", "nobody@localhost"}));
    EXPECT_EQ(items("juliet@localhost"), Items{"tybalt@localhost"});
}

TEST_F(SqliteBlocklistTest, ClearEmptiesOnlyThatOwnersList)
{
    ASSERT_TRUE(store_->add("juliet@localhost", Items{"tybalt@localhost"}));
    ASSERT_TRUE(store_->add("romeo@localhost", Items{"tybalt@localhost"}));
    ASSERT_TRUE(store_->clear("juliet@localhost"));
    EXPECT_TRUE(items("juliet@localhost").empty());
    EXPECT_EQ(items("romeo@localhost"), Items{"tybalt@localhost"});
}

TEST_F(SqliteBlocklistTest, ListsSurviveARestart)
{
    ASSERT_TRUE(store_->add("juliet@localhost", Items{"tybalt@localhost"}));
    store_.reset();
    temp_.reopen();
    store_ = std::make_unique<SqliteBlocklist>(temp_.db());
    EXPECT_EQ(items("juliet@localhost"), Items{"tybalt@localhost"});
}

}  // namespace
}  // namespace chorus::storage::sqlite
