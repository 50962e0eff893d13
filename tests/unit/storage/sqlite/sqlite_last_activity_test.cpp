// Tests for src/storage/sqlite/sqlite_last_activity.cpp (XEP-0012) on a temp directory.
#include "storage/sqlite/sqlite_last_activity.h"

#include <gtest/gtest.h>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

TEST(SqliteLastActivity, NothingBeforeTheFirstSessionEnds)
{
    testing::TempDatabase temp;
    SqliteLastActivity store(temp.db());
    auto got = store.get("juliet@localhost");
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(got->has_value());
}

TEST(SqliteLastActivity, PutReplacesStampAndStatus)
{
    testing::TempDatabase temp;
    SqliteLastActivity store(temp.db());
    ASSERT_TRUE(store.put("juliet@localhost", {.stamp_us = 10, .status = "Heading home"}));
    ASSERT_TRUE(store.put("juliet@localhost", {.stamp_us = 20, .status = ""}));
    ASSERT_TRUE(store.put("romeo@localhost", {.stamp_us = 5, .status = "Exiled"}));
    auto juliet = **store.get("juliet@localhost");
    EXPECT_EQ(juliet.stamp_us, 20);
    EXPECT_EQ(juliet.status, "");
    EXPECT_EQ((**store.get("romeo@localhost")).status, "Exiled");
}

TEST(SqliteLastActivity, RecordsSurviveARestart)
{
    testing::TempDatabase temp;
    {
        SqliteLastActivity store(temp.db());
        ASSERT_TRUE(store.put("juliet@localhost", {.stamp_us = 42, .status = "zzz"}));
    }
    temp.reopen();
    SqliteLastActivity store(temp.db());
    EXPECT_EQ((**store.get("juliet@localhost")).stamp_us, 42);
}

}  // namespace
}  // namespace chorus::storage::sqlite
