// Tests for src/storage/sqlite/sqlite_vcards.cpp (XEP-0054 vCards) on a temp directory.
#include "storage/sqlite/sqlite_vcards.h"

#include <gtest/gtest.h>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

TEST(SqliteVcards, NoVcardUntilOneIsStored)
{
    testing::TempDatabase temp;
    SqliteVcards store(temp.db());
    auto got = store.get("juliet@localhost");
    ASSERT_TRUE(got.has_value());
    EXPECT_FALSE(got->has_value());
}

TEST(SqliteVcards, PutReplacesTheOwnersVcardOnly)
{
    testing::TempDatabase temp;
    SqliteVcards store(temp.db());
    ASSERT_TRUE(store.put("juliet@localhost", "<vCard xmlns='vcard-temp'><FN>J</FN></vCard>"));
    ASSERT_TRUE(store.put("romeo@localhost", "<vCard xmlns='vcard-temp'><FN>R</FN></vCard>"));
    ASSERT_TRUE(store.put("juliet@localhost", "<vCard xmlns='vcard-temp'><FN>Jc</FN></vCard>"));
    EXPECT_EQ(**store.get("juliet@localhost"), "<vCard xmlns='vcard-temp'><FN>Jc</FN></vCard>");
    EXPECT_EQ(**store.get("romeo@localhost"), "<vCard xmlns='vcard-temp'><FN>R</FN></vCard>");
}

TEST(SqliteVcards, VcardsSurviveARestart)
{
    testing::TempDatabase temp;
    {
        SqliteVcards store(temp.db());
        ASSERT_TRUE(store.put("juliet@localhost", "<vCard xmlns='vcard-temp'/>"));
    }
    temp.reopen();
    SqliteVcards store(temp.db());
    EXPECT_EQ(**store.get("juliet@localhost"), "<vCard xmlns='vcard-temp'/>");
}

}  // namespace
}  // namespace chorus::storage::sqlite
