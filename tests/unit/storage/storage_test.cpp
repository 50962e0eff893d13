// Tests for src/storage/storage.cpp and its SQLite backend (sqlite_storage.cpp): open_storage
// from a Config on a temp directory, through the interfaces only, as the server uses it.
#include "storage/storage.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace chorus::storage {
namespace {

class OpenStorage : public ::testing::Test {
protected:
    OpenStorage()
    {
        namespace fs = std::filesystem;
        std::string pattern = (fs::temp_directory_path() / "chorus-storage-XXXXXX").string();
        EXPECT_NE(mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        config_.data_dir = root_ + "/data";
    }
    ~OpenStorage() override
    {
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }

    std::unique_ptr<Storage> open()
    {
        auto storage = open_storage(config_);
        EXPECT_TRUE(storage.has_value()) << (storage ? "" : storage.error());
        if (!storage) {
            return nullptr;
        }
        return std::move(*storage);
    }

    std::string root_;
    Config config_;
};

TEST_F(OpenStorage, SqliteHandsOutOneInstanceOfEachStore)
{
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    // Modules share a store (roster: the roster, presence, MAM, blocking and last modules).
    EXPECT_EQ(&storage->accounts(), &storage->accounts());
    EXPECT_EQ(&storage->roster(), &storage->roster());
    EXPECT_EQ(&storage->archive(), &storage->archive());
    EXPECT_EQ(&storage->offline(), &storage->offline());
    EXPECT_EQ(&storage->blocklist(), &storage->blocklist());
    EXPECT_EQ(&storage->vcards(), &storage->vcards());
    EXPECT_EQ(&storage->last_activity(), &storage->last_activity());
    EXPECT_EQ(&storage->imng_devices(), &storage->imng_devices());
}

TEST_F(OpenStorage, ARemovedAccountTakesItsDataFromEveryStore)
{
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    const std::string juliet = "juliet@localhost";
    ASSERT_TRUE(storage->accounts().create("juliet", "localhost", Credentials{}));
    RosterItem item;
    item.contact = "romeo@localhost";
    ASSERT_TRUE(storage->roster().put(juliet, item));
    ASSERT_TRUE(storage->offline().store(juliet, 1, "<message/>"));
    ASSERT_TRUE(storage->vcards().put(juliet, "<vCard xmlns='vcard-temp'/>"));
    ASSERT_TRUE(storage->imng_devices().remember(juliet));
    storage->archive().append({1, juliet, "romeo@localhost", 1, false, "<message/>"});
    storage->archive().flush();
    EXPECT_EQ(storage->archive().backlog(), 0U);

    ASSERT_TRUE(storage->accounts().remove("juliet", "localhost"));
    EXPECT_TRUE(storage->roster().items(juliet).empty());
    EXPECT_EQ(*storage->offline().count(juliet), 0U);
    EXPECT_FALSE(storage->vcards().get(juliet)->has_value());
    EXPECT_FALSE(*storage->imng_devices().has_device(juliet));
    ArchiveQuery q;
    q.owner = juliet;
    EXPECT_TRUE(storage->archive().query(q).items.empty());
}

TEST_F(OpenStorage, WhatWasStoredIsThereAfterReopening)
{
    config_.storage_durability = "power";  // synchronous=FULL on both connections
    {
        auto storage = open();
        ASSERT_NE(storage, nullptr);
        ASSERT_TRUE(storage->last_activity().put("juliet@localhost", {5, "away"}));
        storage->archive().append({7, "juliet@localhost", "romeo@localhost", 1, true, "<m/>"});
    }
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    auto last = storage->last_activity().get("juliet@localhost");
    ASSERT_TRUE(last && last->has_value());
    EXPECT_EQ((*last)->status, "away");
    EXPECT_EQ(storage->archive().max_id(), 7) << "the writer drains before it stops";
}

TEST_F(OpenStorage, AnUnknownBackendIsRefusedByName)
{
    config_.storage_backend = "postgres";
    auto storage = open_storage(config_);
    ASSERT_FALSE(storage.has_value());
    EXPECT_EQ(storage.error(), "storage.backend: no backend named 'postgres'");
}

TEST_F(OpenStorage, ADataDirThatIsAFileIsNamed)
{
    std::ofstream(config_.data_dir) << "not a directory";
    auto storage = open_storage(config_);
    ASSERT_FALSE(storage.has_value());
    EXPECT_NE(storage.error().find("cannot open storage in " + config_.data_dir), std::string::npos)
        << storage.error();
}

}  // namespace
}  // namespace chorus::storage
