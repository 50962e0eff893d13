// Tests for migration 6 in src/storage/sqlite/schema.cpp: the single `archive` table of
// migration 5 becomes archive_jids / archive_bodies / archive_items with nothing lost.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>
#include <vector>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite_archive.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view juliet = "juliet@capulet.lit";
constexpr std::string_view romeo = "romeo@montague.lit";
constexpr std::string_view nurse = "nurse@capulet.lit";

const int newest = static_cast<int>(schema_migrations().size());

struct OldRow {
    std::int64_t id;
    std::string_view owner, with;
    std::int64_t stamp;
    bool outgoing;
    std::string_view stanza;
};

// Romeo's message 1 is in both archives, each with its own copy, as migration 5 stored it.
const OldRow old_rows[] = {
    {1, romeo, juliet, 1000, true, "<message to='juliet@capulet.lit'><body>Hi</body></message>"},
    {2, juliet, romeo, 1000, false, "<message to='juliet@capulet.lit'><body>Hi</body></message>"},
    {3, juliet, nurse, 2000, true, "<message to='nurse@capulet.lit'><body>Anon!</body></message>"},
    {5, juliet, romeo, 3000, true, "<message to='romeo@montague.lit'/>"},
    {7, romeo, juliet, 4000, false, "<message from='juliet' type='chat'>&amp;</message>"},
};

ArchiveQuery query_of(std::string_view owner, std::optional<std::string> with = std::nullopt)
{
    ArchiveQuery q;
    q.owner = owner;
    q.with = std::move(with);
    return q;
}

class ArchiveMigrationTest : public ::testing::Test {
protected:
    ArchiveMigrationTest()
    {
        namespace fs = std::filesystem;
        std::string pattern = (fs::temp_directory_path() / "chorus-migration-XXXXXX").string();
        EXPECT_NE(mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        fs::create_directories(data_dir());
    }
    ~ArchiveMigrationTest() override
    {
        archive_.reset();
        reader_.reset();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    std::string data_dir() const { return root_ + "/data"; }
    std::string file() const { return data_dir() + "/chorus.sqlite"; }

    // A database as a server before migration 6 left it, holding rows.
    void write_old_archive(std::span<const OldRow> rows)
    {
        auto old = Database::open_file(file(), schema_migrations().first(5));
        ASSERT_TRUE(old.has_value()) << old.error().message;
        ASSERT_EQ((*old)->schema_version(), 5);
        auto insert = (*old)->prepare(
            "INSERT INTO archive (id, owner, with_jid, stamp, outgoing, stanza) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        ASSERT_TRUE(insert.has_value()) << insert.error().message;
        for (const auto& r : rows) {
            insert->bind(1, r.id)
                .bind(2, r.owner)
                .bind(3, r.with)
                .bind(4, r.stamp)
                .bind(5, std::int64_t{r.outgoing})
                .bind(6, r.stanza);
            ASSERT_TRUE(insert->run()) << r.id;
            insert->reset();
        }
    }
    // The newest schema, and the archive on it as sqlite_storage.cpp builds it.
    void open_migrated()
    {
        auto reader = Database::open(data_dir());
        ASSERT_TRUE(reader.has_value()) << reader.error().message;
        reader_ = std::move(*reader);
        auto writer = Database::open(data_dir());
        ASSERT_TRUE(writer.has_value()) << writer.error().message;
        archive_ = std::make_unique<SqliteArchive>(*reader_, std::move(*writer));
    }
    std::int64_t sql_int(std::string_view sql)
    {
        auto s = reader_->prepare(sql);
        EXPECT_TRUE(s.has_value()) << sql;
        if (!s) {
            return -1;
        }
        auto row = s->step();
        return row && *row ? s->column_int64(0) : -1;
    }
    void expect_rows_of(std::string_view owner)
    {
        std::vector<const OldRow*> want;
        for (const auto& r : old_rows) {
            if (r.owner == owner) {
                want.push_back(&r);
            }
        }
        const auto page = archive_->query(query_of(owner));
        ASSERT_EQ(page.items.size(), want.size()) << owner;
        EXPECT_EQ(page.count, want.size());
        EXPECT_TRUE(page.complete);
        for (std::size_t i = 0; i < want.size(); ++i) {
            const auto& got = page.items[i];
            EXPECT_EQ(got.id, want[i]->id);
            EXPECT_EQ(got.owner, owner);
            EXPECT_EQ(got.with, want[i]->with) << got.id;
            EXPECT_EQ(got.stamp_us, want[i]->stamp) << got.id;
            EXPECT_EQ(got.outgoing, want[i]->outgoing) << got.id;
            EXPECT_EQ(got.stanza, want[i]->stanza) << got.id;
        }
    }

    std::string root_;
    std::unique_ptr<Database> reader_;  // declared before archive_: destroyed after it
    std::unique_ptr<SqliteArchive> archive_;
};

TEST_F(ArchiveMigrationTest, OldArchiveRowsComeBackThroughTheNewTables)
{
    ASSERT_NO_FATAL_FAILURE(write_old_archive(old_rows));
    ASSERT_NO_FATAL_FAILURE(open_migrated());
    EXPECT_EQ(reader_->schema_version(), newest);
    expect_rows_of(juliet);
    expect_rows_of(romeo);
    EXPECT_EQ(archive_->max_id(), 7);
    EXPECT_TRUE(archive_->contains(juliet, 5));
    EXPECT_FALSE(archive_->contains(juliet, 7));
    const auto with_romeo = archive_->query(query_of(juliet, "romeo@montague.lit"));
    EXPECT_EQ(with_romeo.count, 2u);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM sqlite_master WHERE name = 'archive'"), 0);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_jids"), 3);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_bodies"), 5);
}

TEST_F(ArchiveMigrationTest, NewAppendsReuseTheMigratedJidsAndContinueTheIds)
{
    ASSERT_NO_FATAL_FAILURE(write_old_archive(old_rows));
    ASSERT_NO_FATAL_FAILURE(open_migrated());
    const auto next = archive_->max_id() + 1;
    archive_->append({next, juliet, nurse, 5000, false, "<message from='nurse'/>"});
    EXPECT_EQ(archive_->max_id(), 8);
    const auto page = archive_->query(query_of(juliet, std::string(nurse)));
    EXPECT_EQ(page.count, 2u);
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, 3);
    EXPECT_EQ(page.items[1].id, 8);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_jids"), 3);
}

TEST_F(ArchiveMigrationTest, AnEmptyOldArchiveMigratesToAnEmptyOne)
{
    ASSERT_NO_FATAL_FAILURE(write_old_archive({}));
    ASSERT_NO_FATAL_FAILURE(open_migrated());
    EXPECT_EQ(reader_->schema_version(), newest);
    EXPECT_EQ(archive_->max_id(), 0);
    EXPECT_EQ(archive_->query(query_of(juliet)).count, 0u);
}

}  // namespace
}  // namespace chorus::storage::sqlite
