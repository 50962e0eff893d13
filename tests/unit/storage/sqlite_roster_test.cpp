// Tests for src/storage/sqlite/sqlite_roster.cpp: items, versions (RFC 6121 §2.6), groups.
#include "storage/sqlite/sqlite_roster.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

namespace chorus::storage::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteRosterTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "chorus-roster-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        open();
    }

    void TearDown() override
    {
        roster_.reset();
        db_.reset();
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    void open()
    {
        roster_.reset();
        db_.reset();
        auto db = Database::open(root_);
        ASSERT_TRUE(db.has_value()) << db.error().message;
        db_ = std::move(*db);
        roster_ = std::make_unique<SqliteRoster>(*db_);
    }

    static RosterItem romeo()
    {
        RosterItem item;
        item.contact = "romeo@example.net";
        item.name = "Romeo";
        item.subscription = Subscription::both;
        item.groups = {"Friends", "Lovers"};
        return item;
    }

    std::string root_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<SqliteRoster> roster_;
};

TEST_F(SqliteRosterTest, AnEmptyRosterHasVersionZeroAndNoItems)
{
    EXPECT_EQ(roster_->version("juliet@example.com"), 0u);
    EXPECT_TRUE(roster_->items("juliet@example.com").empty());
    EXPECT_FALSE(roster_->item("juliet@example.com", "romeo@example.net").has_value());
}

TEST_F(SqliteRosterTest, PutStoresEveryFieldAndBumpsTheVersion)
{
    RosterItem item = romeo();
    item.subscription = Subscription::none;
    item.ask_out = true;
    item.pending_in = true;
    item.approved = true;
    item.request_only = true;
    item.pending_stanza = "<presence type='subscribe'/>";
    auto v = roster_->put("juliet@example.com", item);
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(*v, 1u);
    open();  // from disk, not from a cache
    auto got = roster_->item("juliet@example.com", "romeo@example.net");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->name, "Romeo");
    EXPECT_EQ(got->subscription, Subscription::none);
    EXPECT_TRUE(got->ask_out && got->pending_in && got->approved && got->request_only);
    EXPECT_EQ(got->groups, item.groups);
    EXPECT_EQ(got->pending_stanza, item.pending_stanza);
    EXPECT_EQ(roster_->version("juliet@example.com"), 1u);
}

TEST_F(SqliteRosterTest, EveryChangeBumpsOnlyTheOwnersVersion)
{
    ASSERT_TRUE(roster_->put("juliet@example.com", romeo()).has_value());
    RosterItem nurse;
    nurse.contact = "nurse@example.com";
    ASSERT_TRUE(roster_->put("juliet@example.com", nurse).has_value());
    auto updated = romeo();
    updated.name = "R";
    EXPECT_EQ(*roster_->put("juliet@example.com", updated), 3u);
    EXPECT_EQ(*roster_->remove("juliet@example.com", "nurse@example.com"), 4u);
    EXPECT_EQ(roster_->version("juliet@example.com"), 4u);
    EXPECT_EQ(roster_->version("romeo@example.net"), 0u);
    const auto items = roster_->items("juliet@example.com");
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].name, "R");
}

TEST_F(SqliteRosterTest, RemovingAMissingItemIsNotFoundAndKeepsTheVersion)
{
    ASSERT_TRUE(roster_->put("juliet@example.com", romeo()).has_value());
    auto r = roster_->remove("juliet@example.com", "tybalt@example.net");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, StorageError::Code::not_found);
    EXPECT_EQ(roster_->version("juliet@example.com"), 1u);  // rolled back with the delete
}

TEST_F(SqliteRosterTest, ItemsComeInContactOrderPerOwner)
{
    for (const char* c : {"c@x", "a@x", "b@x"}) {
        RosterItem item;
        item.contact = c;
        ASSERT_TRUE(roster_->put("juliet@example.com", item).has_value());
    }
    RosterItem other;
    other.contact = "z@x";
    ASSERT_TRUE(roster_->put("romeo@example.net", other).has_value());
    const auto items = roster_->items("juliet@example.com");
    ASSERT_EQ(items.size(), 3u);
    EXPECT_EQ(items[0].contact, "a@x");
    EXPECT_EQ(items[2].contact, "c@x");
}

TEST(RosterGroups, AnyGroupNameSurvivesTheColumnEncoding)
{
    const std::vector<std::string> groups = {"plain", "two\nlines", "back\\slash", "\\n", "é"};
    EXPECT_EQ(decode_groups(encode_groups(groups)), groups);
    EXPECT_TRUE(decode_groups(encode_groups({})).empty());
    EXPECT_EQ(encode_groups({"a", "b"}), "a\nb");
}

}  // namespace
}  // namespace chorus::storage::sqlite
