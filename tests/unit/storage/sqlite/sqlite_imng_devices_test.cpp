// Tests for src/storage/sqlite/sqlite_imng_devices.cpp (XEP-0409 devices) on a temp directory.
#include "storage/sqlite/sqlite_imng_devices.h"

#include <gtest/gtest.h>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

TEST(SqliteImngDevices, AnAccountHasNoDeviceUntilOneEnablesImng)
{
    testing::TempDatabase temp;
    SqliteImngDevices store(temp.db());
    EXPECT_FALSE(*store.has_device("juliet@localhost"));
    ASSERT_TRUE(store.remember("juliet@localhost"));
    EXPECT_TRUE(*store.has_device("juliet@localhost"));
    EXPECT_FALSE(*store.has_device("romeo@localhost"));
}

TEST(SqliteImngDevices, RememberingTwiceIsHarmless)
{
    testing::TempDatabase temp;
    SqliteImngDevices store(temp.db());
    ASSERT_TRUE(store.remember("juliet@localhost"));
    ASSERT_TRUE(store.remember("juliet@localhost"));
    EXPECT_TRUE(*store.has_device("juliet@localhost"));
}

TEST(SqliteImngDevices, DevicesSurviveARestart)
{
    testing::TempDatabase temp;
    ASSERT_TRUE(SqliteImngDevices(temp.db()).remember("juliet@localhost"));
    temp.reopen();
    EXPECT_TRUE(*SqliteImngDevices(temp.db()).has_device("juliet@localhost"));
}

}  // namespace
}  // namespace chorus::storage::sqlite
