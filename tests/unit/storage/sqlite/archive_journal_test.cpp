// Tests for src/storage/sqlite/archive_journal.cpp: what is appended is replayed after a
// reopen; a torn or corrupt tail ends replay at the last whole frame; frames of the first
// format (byte-wise FNV-1a checksum, magic "CHAJ") from an older chorusd still replay.
#include "storage/sqlite/archive_journal.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>

namespace chorus::storage::sqlite {
namespace {

namespace fs = std::filesystem;

class ArchiveJournalTest : public ::testing::Test {
protected:
    ArchiveJournalTest()
    {
        std::string pattern = (fs::temp_directory_path() / "chorus-journal-XXXXXX").string();
        EXPECT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    ~ArchiveJournalTest() override { fs::remove_all(dir_); }

    /// Appends entries first..last (two items per message: sender's and recipient's).
    static void append(ArchiveJournal& j, std::int64_t first, std::int64_t last)
    {
        ArchiveBatch batch;
        for (auto id = first; id <= last; ++id) {
            const std::string stanza = "<message id='m" + std::to_string(id) + "'><body>hello " +
                                       std::string(static_cast<std::size_t>(id % 13), 'x') +
                                       "</body></message>";
            batch.add({id, "alice@localhost", "bob@localhost", id * 10, true, stanza});
            batch.add({id, "bob@localhost", "alice@localhost", id * 10, false, stanza});
        }
        ASSERT_TRUE(j.append(batch).has_value());
    }

    std::vector<std::string> replayed() const
    {
        auto j = ArchiveJournal::open(dir_, false);
        EXPECT_TRUE(j.has_value());
        std::vector<std::string> out;
        (*j)->replay([&](const ArchiveEntry& e) {
            out.push_back(std::to_string(e.id) + " " + std::string(e.owner) + " " +
                          std::string(e.stanza));
        });
        return out;
    }

    fs::path only_segment() const
    {
        std::vector<fs::path> segments;
        for (const auto& f : fs::directory_iterator(dir_)) {
            if (fs::file_size(f.path()) > 0) {
                segments.push_back(f.path());
            }
        }
        EXPECT_EQ(segments.size(), 1u);
        return segments.empty() ? fs::path() : segments.front();
    }

    std::string dir_;
};

std::string read_file(const fs::path& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& data)
{
    std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

TEST_F(ArchiveJournalTest, WhatIsAppendedIsReplayedInOrderAfterReopening)
{
    {
        auto j = ArchiveJournal::open(dir_, false);
        ASSERT_TRUE(j.has_value());
        append(**j, 1, 3);
        append(**j, 4, 4);
    }
    const auto got = replayed();
    ASSERT_EQ(got.size(), 8u);
    EXPECT_EQ(got[0], "1 alice@localhost <message id='m1'><body>hello x</body></message>");
    EXPECT_EQ(got[1], "1 bob@localhost <message id='m1'><body>hello x</body></message>");
    EXPECT_EQ(got[7], "4 bob@localhost <message id='m4'><body>hello xxxx</body></message>");
}

TEST_F(ArchiveJournalTest, ATornOrCorruptTailEndsReplayAtTheLastWholeFrame)
{
    {
        auto j = ArchiveJournal::open(dir_, false);
        ASSERT_TRUE(j.has_value());
        append(**j, 1, 2);
        append(**j, 3, 4);
    }
    const auto segment = only_segment();
    const auto whole = read_file(segment);
    write_file(segment, whole.substr(0, whole.size() - 3));  // the write a crash cut short
    EXPECT_EQ(replayed().size(), 4u);

    auto flipped = whole;
    flipped[flipped.size() - 10] ^= 0x20;  // a stale byte inside the last frame
    write_file(segment, flipped);
    EXPECT_EQ(replayed().size(), 4u);
}

TEST_F(ArchiveJournalTest, FramesOfTheFirstFormatStillReplay)
{
    {
        auto j = ArchiveJournal::open(dir_, false);
        ASSERT_TRUE(j.has_value());
        append(**j, 1, 2);
    }
    // Rewrite the one frame as chorusd 2026-12-01 wrote it: magic "CHAJ", FNV-1a checksum.
    const auto segment = only_segment();
    auto data = read_file(segment);
    std::uint32_t length = 0;
    std::memcpy(&length, data.data() + 4, 4);
    ASSERT_EQ(data.size(), 16u + length);
    std::uint64_t h = 1469598103934665603ULL;
    for (std::size_t i = 16; i < data.size(); ++i) {
        h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ULL;
    }
    const std::uint32_t old_magic = 0x4a414843;
    std::memcpy(data.data(), &old_magic, 4);
    std::memcpy(data.data() + 8, &h, 8);
    write_file(segment, data);
    EXPECT_EQ(replayed().size(), 4u);
}

}  // namespace
}  // namespace chorus::storage::sqlite
