// TempDatabase: a migrated SQLite Database in a fresh temp directory, removed afterwards.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite::testing {

class TempDatabase {
public:
    TempDatabase()
    {
        namespace fs = std::filesystem;
        std::string pattern = (fs::temp_directory_path() / "chorus-storage-XXXXXX").string();
        EXPECT_NE(mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        reopen();
    }
    ~TempDatabase()
    {
        db_.reset();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    /// Closes and opens the same file again (what survives a restart).
    void reopen()
    {
        db_.reset();
        auto db = Database::open(root_ + "/data");
        EXPECT_TRUE(db.has_value()) << (db ? "" : db.error().message);
        db_ = std::move(*db);
    }
    Database& db() { return *db_; }

private:
    std::string root_;
    std::unique_ptr<Database> db_;
};

}  // namespace chorus::storage::sqlite::testing
