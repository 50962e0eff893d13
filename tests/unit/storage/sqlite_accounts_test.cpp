// Tests for src/storage/sqlite/{database,statement,sqlite_accounts}.cpp on a temp directory.
#include "storage/sqlite/sqlite_accounts.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteAccountsTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (fs::temp_directory_path() / "chorus-accounts-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        data_dir_ = (fs::path(root_) / "data").string();  // missing: open() must create it
        open();
    }

    void TearDown() override
    {
        accounts_.reset();
        db_.reset();
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    void open()
    {
        accounts_.reset();
        db_.reset();
        auto db = Database::open(data_dir_);
        ASSERT_TRUE(db.has_value()) << db.error().message;
        db_ = std::move(*db);
        accounts_ = std::make_unique<SqliteAccounts>(*db_);
    }

    // Distinct, recognizable secrets without paying for PBKDF2.
    static Credentials fake_credentials(char tag)
    {
        Credentials c;
        c.sha1 = {std::string(16, tag), 4096, std::string(20, tag), std::string(20, '1')};
        c.sha256 = {std::string(16, '2'), 8192, std::string(32, tag), std::string(32, '3')};
        c.sha1.salt[0] = '\0';  // blobs keep embedded NULs
        return c;
    }

    static void expect_same(const Credentials& a, const Credentials& b)
    {
        EXPECT_EQ(a.sha1.salt, b.sha1.salt);
        EXPECT_EQ(a.sha1.iterations, b.sha1.iterations);
        EXPECT_EQ(a.sha1.stored_key, b.sha1.stored_key);
        EXPECT_EQ(a.sha1.server_key, b.sha1.server_key);
        EXPECT_EQ(a.sha256.salt, b.sha256.salt);
        EXPECT_EQ(a.sha256.iterations, b.sha256.iterations);
        EXPECT_EQ(a.sha256.stored_key, b.sha256.stored_key);
        EXPECT_EQ(a.sha256.server_key, b.sha256.server_key);
    }

    std::string root_;
    std::string data_dir_;
    std::unique_ptr<Database> db_;
    std::unique_ptr<SqliteAccounts> accounts_;
};

TEST_F(SqliteAccountsTest, OpenCreatesPrivateDataDirectoryAndDatabase)
{
    struct stat st {};
    ASSERT_EQ(stat(data_dir_.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    EXPECT_TRUE(fs::exists(fs::path(data_dir_) / "chorus.sqlite"));
}

TEST_F(SqliteAccountsTest, DatabaseUsesWalAndForeignKeys)
{
    auto mode = db_->prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode.has_value());
    ASSERT_TRUE(mode->step().value());
    EXPECT_EQ(mode->column_text(0), "wal");
    auto fk = db_->prepare("PRAGMA foreign_keys");
    ASSERT_TRUE(fk.has_value());
    ASSERT_TRUE(fk->step().value());
    EXPECT_EQ(fk->column_int64(0), 1);
}

TEST_F(SqliteAccountsTest, SchemaVersionIsNumberOfMigrations)
{
    EXPECT_EQ(db_->schema_version(), static_cast<int>(schema_migrations().size()));
    EXPECT_GE(db_->schema_version(), 1);
}

TEST_F(SqliteAccountsTest, CreateThenExists)
{
    EXPECT_FALSE(accounts_->exists("juliet", "localhost"));
    ASSERT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
    EXPECT_TRUE(accounts_->exists("juliet", "localhost"));
    EXPECT_FALSE(accounts_->exists("juliet", "example.com"));
    EXPECT_FALSE(accounts_->exists("romeo", "localhost"));
}

TEST_F(SqliteAccountsTest, CreatingTwiceFailsWithExists)
{
    ASSERT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
    auto again = accounts_->create("juliet", "localhost", fake_credentials('k'));
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, StorageError::Code::exists);
    EXPECT_EQ(again.error().message, "account juliet@localhost already exists");
    // The first account's secrets are untouched.
    expect_same(*accounts_->credentials("juliet", "localhost"), fake_credentials('j'));
}

TEST_F(SqliteAccountsTest, CredentialsRoundTrip)
{
    ASSERT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
    auto got = accounts_->credentials("juliet", "localhost");
    ASSERT_TRUE(got.has_value());
    expect_same(*got, fake_credentials('j'));
    EXPECT_FALSE(accounts_->credentials("romeo", "localhost").has_value());
}

TEST_F(SqliteAccountsTest, RealCredentialsRoundTripAndVerify)
{
    auto creds = make_credentials("pencil", 4096);
    ASSERT_TRUE(creds.has_value());
    ASSERT_TRUE(accounts_->create("juliet", "localhost", *creds).has_value());
    auto got = accounts_->credentials("juliet", "localhost");
    ASSERT_TRUE(got.has_value());
    EXPECT_TRUE(verify_password(got->sha256, ScramHash::sha256, "pencil"));
    EXPECT_TRUE(verify_password(got->sha1, ScramHash::sha1, "pencil"));
}

TEST_F(SqliteAccountsTest, SetCredentialsReplacesSecrets)
{
    ASSERT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
    ASSERT_TRUE(accounts_->set_credentials("juliet", "localhost", fake_credentials('x')));
    expect_same(*accounts_->credentials("juliet", "localhost"), fake_credentials('x'));
}

TEST_F(SqliteAccountsTest, SetCredentialsOfMissingAccountIsNotFound)
{
    auto r = accounts_->set_credentials("romeo", "localhost", fake_credentials('r'));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, StorageError::Code::not_found);
    EXPECT_FALSE(accounts_->exists("romeo", "localhost"));
}

TEST_F(SqliteAccountsTest, RemoveDeletesAccount)
{
    ASSERT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
    ASSERT_TRUE(accounts_->remove("juliet", "localhost").has_value());
    EXPECT_FALSE(accounts_->exists("juliet", "localhost"));
    EXPECT_FALSE(accounts_->credentials("juliet", "localhost").has_value());
    auto again = accounts_->remove("juliet", "localhost");
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, StorageError::Code::not_found);
    // The name is free again.
    EXPECT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
}

TEST_F(SqliteAccountsTest, ListIsSortedAndPerDomain)
{
    for (const char* node : {"romeo", "benvolio", "juliet", "mercutio"}) {
        ASSERT_TRUE(accounts_->create(node, "localhost", fake_credentials('a')).has_value());
    }
    ASSERT_TRUE(accounts_->create("tybalt", "example.com", fake_credentials('t')).has_value());
    EXPECT_EQ(accounts_->list("localhost"),
              (std::vector<std::string>{"benvolio", "juliet", "mercutio", "romeo"}));
    EXPECT_EQ(accounts_->list("example.com"), (std::vector<std::string>{"tybalt"}));
    EXPECT_TRUE(accounts_->list("nowhere.example").empty());
}

TEST_F(SqliteAccountsTest, ReopenKeepsData)
{
    ASSERT_TRUE(accounts_->create("juliet", "localhost", fake_credentials('j')).has_value());
    open();
    EXPECT_TRUE(accounts_->exists("juliet", "localhost"));
    expect_same(*accounts_->credentials("juliet", "localhost"), fake_credentials('j'));
    EXPECT_EQ(db_->schema_version(), static_cast<int>(schema_migrations().size()));
}

TEST_F(SqliteAccountsTest, MigrationsApplyInOrderAndOnlyOnce)
{
    std::string path = (fs::path(root_) / "migrations.sqlite").string();
    const std::string_view two[] = {"CREATE TABLE a (x INTEGER)", "CREATE TABLE b (y INTEGER)"};
    {
        auto db = Database::open_file(path, std::span(two, 1));
        ASSERT_TRUE(db.has_value()) << db.error().message;
        EXPECT_EQ((*db)->schema_version(), 1);
    }
    // Reopening with one more migration applies only the new one (re-running the first
    // would fail: table a exists).
    auto db = Database::open_file(path, two);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    EXPECT_EQ((*db)->schema_version(), 2);
    EXPECT_TRUE((*db)->exec("INSERT INTO b (y) VALUES (1)").has_value());
}

TEST_F(SqliteAccountsTest, FailedMigrationIsRolledBack)
{
    std::string path = (fs::path(root_) / "broken.sqlite").string();
    const std::string_view migrations[] = {"CREATE TABLE a (x INTEGER)",
                                           "CREATE TABLE c (z INTEGER); CREATE TABLE oops ("};
    auto db = Database::open_file(path, migrations);
    ASSERT_FALSE(db.has_value());
    EXPECT_NE(db.error().message.find("schema migration 2 failed"), std::string::npos)
        << db.error().message;
    auto first = Database::open_file(path, std::span(migrations, 1));
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ((*first)->schema_version(), 1);
    // Table c from the failed migration's first statement is gone with the rollback.
    EXPECT_FALSE((*first)->exec("INSERT INTO c (z) VALUES (1)").has_value());
}

TEST_F(SqliteAccountsTest, NewerSchemaThanBuildIsRefused)
{
    ASSERT_TRUE(db_->exec("PRAGMA user_version = 999").has_value());
    accounts_.reset();
    db_.reset();
    auto db = Database::open(data_dir_);
    ASSERT_FALSE(db.has_value());
    EXPECT_NE(db.error().message.find("newer than this build"), std::string::npos);
}

TEST_F(SqliteAccountsTest, StatementBindsAndReadsEveryType)
{
    auto stmt = db_->prepare("SELECT ?1, ?2, ?3, ?4, ?5");
    ASSERT_TRUE(stmt.has_value());
    using namespace std::string_view_literals;
    stmt->bind(1, "text"sv).bind(2, std::int64_t{-42}).bind(3, Blob{"a\0b"sv});
    stmt->bind(4, Blob{}).bind_null(5);
    ASSERT_TRUE(stmt->step().value());
    EXPECT_EQ(stmt->column_text(0), "text");
    EXPECT_EQ(stmt->column_int64(1), -42);
    EXPECT_EQ(stmt->column_blob(2), "a\0b"sv);
    EXPECT_FALSE(stmt->column_is_null(3));  // an empty blob is not NULL
    EXPECT_EQ(stmt->column_blob(3), ""sv);
    EXPECT_TRUE(stmt->column_is_null(4));
    EXPECT_FALSE(stmt->step().value());
    stmt->reset();  // also clears the bindings, so a re-run selects NULLs
    ASSERT_TRUE(stmt->step().value());
    EXPECT_TRUE(stmt->column_is_null(0));
}

TEST_F(SqliteAccountsTest, PrepareReportsSqlErrors)
{
    auto stmt = db_->prepare("SELEC nonsense");
    ASSERT_FALSE(stmt.has_value());
    EXPECT_EQ(stmt.error().code, StorageError::Code::backend);
    EXPECT_NE(stmt.error().message.find("syntax error"), std::string::npos);
}

}  // namespace
}  // namespace chorus::storage::sqlite
