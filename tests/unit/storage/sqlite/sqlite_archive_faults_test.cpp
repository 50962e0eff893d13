// Tests for src/storage/sqlite/sqlite_archive.cpp when the disk is full: the writer's group
// commit fails as a whole, the commit listener says so, the log says it once per burst, and
// storing resumes by itself. A full disk is SQLITE_FULL; PRAGMA max_page_count on the
// writer's connection makes the same error without filling a disk.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_archive.h"
#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view juliet = "juliet@capulet.lit";
constexpr std::string_view romeo = "romeo@montague.lit";
constexpr std::string_view nurse = "nurse@capulet.lit";

struct Report {
    std::int64_t through = 0;
    bool committed = false;
    bool operator==(const Report&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Report& r)
{
    return out << "(" << r.through << ", " << (r.committed ? "committed" : "lost") << ")";
}

std::string chat(std::string_view to, std::string_view body)
{
    return "<message to='" + std::string(to) + "' type='chat'><body>" + std::string(body) +
           "</body></message>";
}

// Counts how many lines of text contain a phrase.
int lines_with(const std::string& text, std::string_view phrase)
{
    int n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        n += line.find(phrase) != std::string::npos;
    }
    return n;
}

class SqliteArchiveFaultsTest : public ::testing::Test {
protected:
    SqliteArchiveFaultsTest()
    {
        // The writer's log lines are what an operator sees; they go to a string here.
        previous_logger_ = spdlog::default_logger();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("faults", sink));
        auto writer = Database::open_file(temp_.db().path(), schema_migrations());
        EXPECT_TRUE(writer.has_value()) << (writer ? "" : writer.error().message);
        writer_db_ = writer->get();  // the archive owns it; the test reaches it only while
                                     // the writer thread is idle or parked in the listener
        archive_ = std::make_unique<SqliteArchive>(temp_.db(), std::move(*writer));
        archive_->set_commit_listener([this](std::int64_t through, bool committed) {
            std::unique_lock lock(mutex_);
            reports_.push_back({through, committed});
            changed_.notify_all();
            // Parked here, the writer has finished one batch and not taken the next: what
            // is appended meanwhile becomes one batch.
            changed_.wait(lock, [&] { return !hold_; });
        });
    }
    ~SqliteArchiveFaultsTest() override
    {
        release();
        archive_.reset();
        spdlog::set_default_logger(previous_logger_);
    }

    void add(std::int64_t id, std::string_view owner, std::string_view with,
             std::string_view stanza)
    {
        archive_->append({id, owner, with, id * 1000, false, stanza});
    }
    // Every report so far, once everything appended is committed or lost.
    std::vector<Report> reports()
    {
        archive_->flush();
        std::lock_guard lock(mutex_);
        return reports_;
    }
    // The writer stops in the listener after its next batch.
    void hold()
    {
        std::lock_guard lock(mutex_);
        hold_ = true;
    }
    // Waits until the writer reported a batch through this id and parked in the listener.
    Report parked_after(std::int64_t through)
    {
        std::unique_lock lock(mutex_);
        changed_.wait(lock,
                      [&] { return !reports_.empty() && reports_.back().through >= through; });
        return reports_.back();
    }
    void release()
    {
        {
            std::lock_guard lock(mutex_);
            hold_ = false;
        }
        changed_.notify_all();
    }

    // The writer's connection; called only while the writer thread is parked or idle.
    std::int64_t writer_int(const std::string& sql)
    {
        auto s = writer_db_->prepare(sql);
        EXPECT_TRUE(s.has_value()) << sql;
        if (!s) {
            return -1;
        }
        auto row = s->step();
        EXPECT_TRUE(row && *row) << sql;
        return row && *row ? s->column_int64(0) : -1;
    }
    // A full disk: the file may not grow past the pages it has now (SQLITE_FULL). Returns
    // how many bytes a stanza needs to need new pages whatever the free list holds.
    std::size_t fill_disk()
    {
        const auto pages = writer_int("PRAGMA page_count");
        EXPECT_EQ(writer_int("PRAGMA max_page_count = " + std::to_string(pages)), pages);
        const auto free = writer_int("PRAGMA freelist_count");
        return static_cast<std::size_t>((free + 16) * writer_int("PRAGMA page_size"));
    }
    // Space returns: SQLite's default limit.
    void free_disk() { EXPECT_GT(writer_int("PRAGMA max_page_count = 1073741823"), 1000); }
    std::string huge(std::string_view to, std::size_t bytes)
    {
        return chat(to, std::string(bytes, 'x'));
    }
    std::vector<std::int64_t> ids_of(std::string_view owner, std::optional<std::string> with = {})
    {
        ArchiveQuery q;
        q.owner = owner;
        q.with = std::move(with);
        std::vector<std::int64_t> out;
        for (const auto& m : archive_->query(q).items) {
            out.push_back(m.id);
        }
        return out;
    }

    testing::TempDatabase temp_;
    std::ostringstream log_;
    std::shared_ptr<spdlog::logger> previous_logger_;
    Database* writer_db_ = nullptr;
    std::unique_ptr<SqliteArchive> archive_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Report> reports_;
    bool hold_ = false;
};

using Ids = std::vector<std::int64_t>;

TEST_F(SqliteArchiveFaultsTest, AFailedCommitStoresNoEntryOfItsBatch)
{
    hold();
    add(1, juliet, romeo, chat(juliet, "before"));
    ASSERT_EQ(parked_after(1), (Report{1, true}));
    // Parked: 2 and 3 are one batch. Alone, 2 fits in the pages the file has (4 shows it);
    // 3 does not, and takes 2 down with it.
    const auto big = fill_disk();
    add(2, juliet, nurse, chat(juliet, "small, with a contact new to the archive"));
    add(3, juliet, romeo, huge(juliet, big));
    release();
    EXPECT_EQ(reports(), (std::vector<Report>{{1, true}, {3, false}}));
    EXPECT_EQ(ids_of(juliet), (Ids{1}));
    EXPECT_FALSE(archive_->contains(juliet, 2));
    EXPECT_FALSE(archive_->contains(juliet, 3));
    EXPECT_EQ(archive_->max_id(), 1);
    EXPECT_EQ(ids_of(juliet, std::string(nurse)), Ids{});

    add(4, juliet, romeo, chat(juliet, "small again, still no space"));
    EXPECT_EQ(reports().back(), (Report{4, true}));
    EXPECT_EQ(ids_of(juliet), (Ids{1, 4}));
}

TEST_F(SqliteArchiveFaultsTest, StoringResumesWhenSpaceReturns)
{
    add(1, juliet, romeo, chat(juliet, "before"));
    archive_->flush();  // idle writer: its connection is ours for a moment
    const auto big = fill_disk();
    add(2, juliet, nurse, huge(juliet, big));
    EXPECT_EQ(reports().back(), (Report{2, false}));
    add(3, romeo, juliet, huge(romeo, big));
    EXPECT_EQ(reports().back(), (Report{3, false}));

    free_disk();
    // The same sizes and the contact whose key the lost batches had added: all stored, and
    // the ids go on after the lost ones.
    add(4, juliet, nurse, huge(juliet, big));
    add(5, romeo, juliet, huge(romeo, big));
    add(6, juliet, nurse, chat(juliet, "after"));
    const auto all = reports();
    ASSERT_GE(all.size(), 4u);
    EXPECT_EQ(all[2], (Report{3, false}));
    EXPECT_EQ(all.back(), (Report{6, true}));
    for (std::size_t i = 3; i < all.size(); ++i) {  // 4..6, in one batch or more
        EXPECT_TRUE(all[i].committed) << all[i];
        EXPECT_GT(all[i].through, all[i - 1].through) << "reports come in id order";
    }
    EXPECT_EQ(ids_of(juliet), (Ids{1, 4, 6}));
    EXPECT_EQ(ids_of(juliet, std::string(nurse)), (Ids{4, 6}));
    EXPECT_EQ(ids_of(romeo), (Ids{5}));
    EXPECT_EQ(archive_->max_id(), 6);
}

TEST_F(SqliteArchiveFaultsTest, TheLogSaysOncePerBurstOfFailures)
{
    add(1, juliet, romeo, chat(juliet, "before"));
    archive_->flush();
    const auto big = fill_disk();
    for (std::int64_t id = 2; id <= 4; ++id) {  // three batches lost in one burst
        add(id, juliet, romeo, huge(juliet, big + id));
        EXPECT_EQ(reports().back(), (Report{id, false}));
    }
    EXPECT_EQ(lines_with(log_.str(), "archive: cannot store messages"), 1) << log_.str();
    EXPECT_EQ(lines_with(log_.str(), "database or disk is full"), 1) << "SQLite's SQLITE_FULL";
    EXPECT_EQ(lines_with(log_.str(), "archive: storing again"), 0) << log_.str();

    free_disk();
    add(5, juliet, romeo, chat(juliet, "after"));
    EXPECT_EQ(reports().back(), (Report{5, true}));
    EXPECT_EQ(lines_with(log_.str(), "archive: storing again; 3 messages in 3 batches"), 1)
        << log_.str();

    // A second burst is logged again, once.
    const auto bigger = fill_disk();
    add(6, juliet, romeo, huge(juliet, bigger));
    add(7, juliet, romeo, huge(juliet, bigger + 1));
    EXPECT_FALSE(reports().back().committed);
    EXPECT_EQ(lines_with(log_.str(), "archive: cannot store messages"), 2) << log_.str();
    EXPECT_EQ(ids_of(juliet), (Ids{1, 5}));
}

}  // namespace
}  // namespace chorus::storage::sqlite
