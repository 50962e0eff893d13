// Tests for src/storage/sqlite/sqlite_rooms.cpp (XEP-0045 persistent rooms) on a temp dir.
#include "storage/sqlite/sqlite_rooms.h"

#include <gtest/gtest.h>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

class SqliteRoomsTest : public ::testing::Test {
protected:
    testing::TempDatabase temp_;
    std::unique_ptr<SqliteRooms> store_ = std::make_unique<SqliteRooms>(temp_.db());
};

TEST_F(SqliteRoomsTest, ARoomIsStoredReplacedAndListedByService)
{
    EXPECT_FALSE(store_->room("tea@conference.localhost")->has_value());
    ASSERT_TRUE(
        store_->put_room({"tea@conference.localhost", "name=Tea\n", "", "", "juliet@localhost"}));
    ASSERT_TRUE(store_->put_room({"cafe@conference.localhost", "", "", "", "romeo@localhost"}));
    ASSERT_TRUE(store_->put_room({"x@conference.example.org", "", "", "", "romeo@localhost"}));
    ASSERT_TRUE(store_->put_room(
        {"tea@conference.localhost", "name=Tea 2\n", "Earl Grey", "Juliet", "someone@else"}));
    auto room = *store_->room("tea@conference.localhost");
    ASSERT_TRUE(room.has_value());
    EXPECT_EQ(room->config, "name=Tea 2\n");
    EXPECT_EQ(room->subject, "Earl Grey");
    EXPECT_EQ(room->subject_nick, "Juliet");
    EXPECT_EQ(room->creator, "juliet@localhost") << "the creator is kept from the first row";
    auto rooms = *store_->rooms_of("conference.localhost");
    ASSERT_EQ(rooms.size(), 2u);
    EXPECT_EQ(rooms[0].jid, "cafe@conference.localhost");
    EXPECT_EQ(*store_->count_created_by("romeo@localhost"), 2u);
}

TEST_F(SqliteRoomsTest, AffiliationsAreSetReplacedAndRemovedWithTheRoom)
{
    const std::string room = "tea@conference.localhost";
    ASSERT_TRUE(store_->put_room({room, "", "", "", "juliet@localhost"}));
    ASSERT_TRUE(store_->set_affiliation(room, {"juliet@localhost", "owner", "", ""}));
    ASSERT_TRUE(store_->set_affiliation(room, {"romeo@localhost", "member", "Romeo", ""}));
    ASSERT_TRUE(store_->set_affiliation(room, {"tybalt@localhost", "outcast", "", "rude"}));
    ASSERT_TRUE(store_->set_affiliation(room, {"romeo@localhost", "admin", "Romeo", ""}));
    ASSERT_TRUE(store_->set_affiliation(room, {"tybalt@localhost", "none", "", ""}));
    auto affs = *store_->affiliations(room);
    ASSERT_EQ(affs.size(), 2u);
    EXPECT_EQ(affs[1].jid, "romeo@localhost");
    EXPECT_EQ(affs[1].affiliation, "admin");
    EXPECT_EQ(affs[1].nick, "Romeo");
    ASSERT_TRUE(store_->delete_room(room));
    EXPECT_FALSE(store_->room(room)->has_value());
    EXPECT_TRUE(store_->affiliations(room)->empty());
}

}  // namespace
}  // namespace chorus::storage::sqlite
