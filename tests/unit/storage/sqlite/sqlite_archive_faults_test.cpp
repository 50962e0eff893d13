// Tests for src/storage/sqlite/sqlite_archive.cpp and archive_journal.cpp when storage fails:
// a group commit whose journal write fails is refused as a whole (and said so), the log says
// it once per burst, storing resumes by itself; when only SQLite cannot write, the journal
// keeps the messages until it can, also across a restart. A full disk is RLIMIT_FSIZE for
// the journal (write() fails with EFBIG) and PRAGMA max_page_count for SQLite (SQLITE_FULL).
#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "storage/sqlite/sqlite_archive.h"
#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view juliet = "juliet@capulet.lit";
constexpr std::string_view romeo = "romeo@montague.lit";

std::string chat(std::string_view body)
{
    return "<message to='juliet@capulet.lit' type='chat'><body>" + std::string(body) +
           "</body></message>";
}

int lines_with(const std::string& text, std::string_view phrase)
{
    int n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        n += line.find(phrase) != std::string::npos;
    }
    return n;
}

/// Files may not grow past their size now while it lives (a full disk for write()).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        getrlimit(RLIMIT_FSIZE, &saved_);
        old_handler_ = signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a signal
        rlimit limit = saved_;
        limit.rlim_cur = bytes;
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &saved_);
        signal(SIGXFSZ, old_handler_);
    }

private:
    rlimit saved_{};
    void (*old_handler_)(int) = nullptr;
};

class SqliteArchiveFaultsTest : public ::testing::Test {
protected:
    SqliteArchiveFaultsTest()
    {
        previous_logger_ = spdlog::default_logger();
        auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log_);
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("faults", sink));
        open();
    }
    ~SqliteArchiveFaultsTest() override
    {
        archive_.reset();
        spdlog::set_default_logger(previous_logger_);
    }
    void open()
    {
        auto writer = Database::open_file(temp_.db().path(), schema_migrations());
        ASSERT_TRUE(writer.has_value());
        writer_db_ = writer->get();
        archive_ = std::make_unique<SqliteArchive>(temp_.db(), std::move(*writer));
    }
    void add(std::int64_t id, std::string_view body, std::size_t padding = 0)
    {
        archive_->append({id, juliet, romeo, id * 1000, false,
                          chat(std::string(body) + std::string(padding, 'x'))});
    }
    std::optional<Archive::CommitReport> commit() { return archive_->commit(); }
    bool stored(std::int64_t id) { return archive_->contains(juliet, id); }
    /// The writer's connection: only while its thread is idle (after a flush).
    void set_max_pages(const std::string& value)
    {
        ASSERT_TRUE(writer_db_->exec("PRAGMA max_page_count = " + value));
    }
    std::string journal_dir() { return temp_.db().path() + "-archive-log"; }
    std::uintmax_t journal_bytes()
    {
        std::uintmax_t n = 0;
        for (const auto& f : std::filesystem::directory_iterator(journal_dir())) {
            n += f.file_size();
        }
        return n;
    }

    testing::TempDatabase temp_;
    Database* writer_db_ = nullptr;
    std::unique_ptr<SqliteArchive> archive_;
    std::ostringstream log_;
    std::shared_ptr<spdlog::logger> previous_logger_;
};

TEST_F(SqliteArchiveFaultsTest, AJournalWriteThatFailsRefusesItsWholeBatch)
{
    add(1, "stored");
    EXPECT_EQ(commit()->committed, true);
    archive_->flush();
    {
        FileSizeLimit full(0);  // nothing may grow: every write past the end fails
        add(2, "lost-a", 8192);
        add(3, "lost-b", 8192);
        const auto report = commit();
        ASSERT_TRUE(report.has_value());
        EXPECT_EQ(report->through_id, 3);
        EXPECT_FALSE(report->committed);
    }
    EXPECT_TRUE(stored(1));
    EXPECT_FALSE(stored(2));
    EXPECT_FALSE(stored(3));
    EXPECT_FALSE(commit().has_value()) << "nothing left to report";
}

TEST_F(SqliteArchiveFaultsTest, TheLogSaysOncePerBurstAndStoringResumesByItself)
{
    {
        FileSizeLimit full(0);
        for (std::int64_t id = 1; id <= 3; ++id) {
            add(id, "refused", 8192);
            EXPECT_FALSE(commit()->committed);
        }
    }
    EXPECT_EQ(lines_with(log_.str(), "archive: cannot store messages"), 1) << log_.str();
    add(4, "after");
    EXPECT_TRUE(commit()->committed);
    EXPECT_EQ(lines_with(log_.str(), "archive: storing again; 3 messages in 3 batches"), 1)
        << log_.str();
    EXPECT_TRUE(stored(4));
    EXPECT_GE(archive_->max_id(), 4);
}

TEST_F(SqliteArchiveFaultsTest, WhenOnlySqliteCannotWriteTheJournalKeepsTheMessages)
{
    add(1, "first");
    ASSERT_TRUE(commit()->committed);
    archive_->flush();
    set_max_pages("1");  // below what it has: every insert is SQLITE_FULL
    add(2, "waits in the journal", 16384);
    ASSERT_TRUE(commit()->committed) << "the journal holds it: its copies may leave";
    // The writer retries every 100 ms; right after its first failure it is asleep, and
    // the test may use its connection: space returns.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (lines_with(log_.str(), "archive: cannot write the database") == 0 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    EXPECT_EQ(lines_with(log_.str(), "archive: cannot write the database"), 1) << log_.str();
    set_max_pages("1073741823");
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!stored(2) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(stored(2));
    EXPECT_EQ(lines_with(log_.str(), "archive: writing the database again"), 1) << log_.str();
}

TEST_F(SqliteArchiveFaultsTest, AfterACrashTheJournalFillsInWhatSqliteLacks)
{
    add(1, "one");
    ASSERT_TRUE(commit()->committed);
    archive_->flush();
    set_max_pages("1");
    add(2, "two", 16384);
    add(3, "three");
    ASSERT_TRUE(commit()->committed);
    archive_.reset();  // stops with SQLite still refusing: as good as a crash for SQLite
    EXPECT_GT(journal_bytes(), 16384u);
    open();  // a new writer connection: SQLite's default limit again
    EXPECT_TRUE(stored(1));
    EXPECT_TRUE(stored(2));
    EXPECT_TRUE(stored(3));
    EXPECT_EQ(archive_->max_id(), 3) << "ids continue after the replayed ones";
    add(4, "four");
    ASSERT_TRUE(commit()->committed);
    archive_->flush();
    EXPECT_TRUE(stored(4));
    ArchiveQuery all;
    all.owner = std::string(juliet);
    EXPECT_EQ(archive_->query(all).items.size(), 4u) << "each once";
}

TEST_F(SqliteArchiveFaultsTest, ATornTailIsIgnoredAtReplay)
{
    add(1, "one");
    ASSERT_TRUE(commit()->committed);
    set_max_pages("1");
    archive_->flush();
    add(2, "two");
    ASSERT_TRUE(commit()->committed);
    archive_.reset();
    // A crash in the middle of a write: half a frame at the end of the newest segment.
    std::filesystem::path newest;
    for (const auto& f : std::filesystem::directory_iterator(journal_dir())) {
        if (f.file_size() > 0 && (newest.empty() || f.path() > newest)) {
            newest = f.path();
        }
    }
    ASSERT_FALSE(newest.empty());
    const auto size = std::filesystem::file_size(newest);
    std::filesystem::resize_file(newest, size + 40);  // zeros: not a frame
    open();
    EXPECT_TRUE(stored(1));
    EXPECT_TRUE(stored(2));
    EXPECT_EQ(archive_->max_id(), 2);
}

}  // namespace
}  // namespace chorus::storage::sqlite
