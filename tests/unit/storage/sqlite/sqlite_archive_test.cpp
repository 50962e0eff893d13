// Tests for src/storage/sqlite/sqlite_archive.cpp and sqlite_archive_query.cpp (XEP-0313
// storage, RSM paging per XEP-0059) on a temp directory, with two connections as in
// sqlite_storage.cpp.
#include "storage/sqlite/sqlite_archive.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view juliet = "juliet@capulet.lit";
constexpr std::string_view romeo = "romeo@montague.lit";
constexpr std::string_view nurse = "nurse@capulet.lit";
constexpr std::string_view benvolio = "benvolio@montague.lit";

std::string chat(std::string_view to, std::string_view body)
{
    return "<message to='" + std::string(to) + "' type='chat'><body>" + std::string(body) +
           "</body></message>";
}

std::vector<std::int64_t> ids_of(const ArchivePage& page)
{
    std::vector<std::int64_t> out;
    for (const auto& m : page.items) {
        out.push_back(m.id);
    }
    return out;
}

using Ids = std::vector<std::int64_t>;

// An ArchiveQuery with its fields named at the call, as mam_query.cpp fills one in.
// (Designated initializers would have to name every field before the last one set.)
class Q {
public:
    explicit Q(std::string_view owner) { q_.owner = owner; }
    Q& with(std::string_view jid)
    {
        q_.with = std::string(jid);
        return *this;
    }
    Q& start(std::int64_t us)
    {
        q_.start_us = us;
        return *this;
    }
    Q& end(std::int64_t us)
    {
        q_.end_us = us;
        return *this;
    }
    Q& after(std::int64_t id)
    {
        q_.after_id = id;
        return *this;
    }
    Q& before(std::int64_t id)
    {
        q_.before_id = id;
        return *this;
    }
    Q& ids(std::vector<std::int64_t> ids)
    {
        q_.ids = std::move(ids);
        return *this;
    }
    Q& max(std::size_t n)
    {
        q_.max = n;
        return *this;
    }
    Q& from_end()
    {
        q_.from_end = true;
        return *this;
    }
    const ArchiveQuery& query() const { return q_; }

private:
    ArchiveQuery q_;
};

class SqliteArchiveTest : public ::testing::Test {
protected:
    testing::TempDatabase temp_;
    std::unique_ptr<SqliteArchive> archive_ = make_archive();

    // The writer is a second connection to the same file, as sqlite_storage.cpp opens it.
    std::unique_ptr<SqliteArchive> make_archive()
    {
        auto writer = Database::open_file(temp_.db().path(), schema_migrations());
        EXPECT_TRUE(writer.has_value()) << (writer ? "" : writer.error().message);
        return std::make_unique<SqliteArchive>(temp_.db(), std::move(*writer));
    }
    // What a server restart does: every connection closed and opened again.
    void restart()
    {
        archive_.reset();
        temp_.reopen();
        archive_ = make_archive();
    }
    void add(std::int64_t id, std::string_view owner, std::string_view with, std::int64_t stamp,
             bool outgoing, std::string_view stanza)
    {
        archive_->append({id, owner, with, stamp, outgoing, stanza});
    }
    // A single integer from SQL on the reader connection.
    std::int64_t sql_int(std::string_view sql)
    {
        auto s = temp_.db().prepare(sql);
        EXPECT_TRUE(s.has_value()) << sql;
        if (!s) {
            return -1;
        }
        auto row = s->step();
        EXPECT_TRUE(row && *row) << sql;
        return row && *row ? s->column_int64(0) : -1;
    }
    // Juliet's 101..107 (stamps 1000..7000, every other one with the nurse), with Romeo's
    // own messages in between so counts must keep to the owner.
    void add_seven()
    {
        for (std::int64_t i = 0; i < 7; ++i) {
            const auto with = i % 2 ? nurse : romeo;
            add(101 + i, juliet, with, (i + 1) * 1000, false, chat(with, std::to_string(i)));
            add(201 + i, romeo, juliet, (i + 1) * 1000, true,
                chat(juliet, "r" + std::to_string(i)));
        }
    }
    ArchivePage run(const Q& q) { return archive_->query(q.query()); }
};

TEST_F(SqliteArchiveTest, AnEmptyArchiveHasNothing)
{
    const auto page = run(Q(juliet));
    EXPECT_TRUE(page.items.empty());
    EXPECT_TRUE(page.complete);
    EXPECT_EQ(page.count, 0u);
    EXPECT_EQ(archive_->max_id(), 0);
    EXPECT_FALSE(archive_->bounds(juliet).has_value());
}

TEST_F(SqliteArchiveTest, AppendedMessagesComeBackInOrderWithEveryField)
{
    add(10, juliet, romeo, 1500, true, chat(romeo, "Art thou not Romeo?"));
    add(20, romeo, juliet, 1600, false, "<message from='x'/>");
    add(30, juliet, nurse, 2500, false, chat(juliet, "Anon, good nurse!"));
    const auto page = run(Q(juliet));
    ASSERT_EQ(page.items.size(), 2u);
    const auto& first = page.items[0];
    EXPECT_EQ(first.id, 10);
    EXPECT_EQ(first.owner, juliet);
    EXPECT_EQ(first.with, romeo);
    EXPECT_EQ(first.stamp_us, 1500);
    EXPECT_TRUE(first.outgoing);
    EXPECT_EQ(first.stanza, chat(romeo, "Art thou not Romeo?"));
    const auto& second = page.items[1];
    EXPECT_EQ(second.id, 30);
    EXPECT_EQ(second.owner, juliet);
    EXPECT_EQ(second.with, nurse);
    EXPECT_EQ(second.stamp_us, 2500);
    EXPECT_FALSE(second.outgoing);
    EXPECT_EQ(second.stanza, chat(juliet, "Anon, good nurse!"));
    EXPECT_TRUE(page.complete);
    EXPECT_EQ(page.count, 2u);
    EXPECT_EQ(page.first_index, 0u);
}

TEST_F(SqliteArchiveTest, SenderAndRecipientCopiesOfOneMessageShareOneBody)
{
    const auto stanza = chat(juliet, "Wherefore art thou?");
    add(10, romeo, juliet, 100, true, stanza);   // the sender's copy
    add(11, juliet, romeo, 100, false, stanza);  // the recipient's, the next id
    const auto sent = run(Q(romeo));
    ASSERT_EQ(sent.items.size(), 1u);
    EXPECT_EQ(sent.items[0].id, 10);
    EXPECT_EQ(sent.items[0].with, juliet);
    EXPECT_TRUE(sent.items[0].outgoing);
    EXPECT_EQ(sent.items[0].stanza, stanza);
    const auto received = run(Q(juliet));
    ASSERT_EQ(received.items.size(), 1u);
    EXPECT_EQ(received.items[0].id, 11);
    EXPECT_EQ(received.items[0].with, romeo);
    EXPECT_FALSE(received.items[0].outgoing);
    EXPECT_EQ(received.items[0].stanza, stanza);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_items"), 2);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_bodies"), 1);
}

TEST_F(SqliteArchiveTest, DifferentStanzasDoNotShareABody)
{
    add(10, romeo, juliet, 100, true, chat(juliet, "one"));
    add(11, juliet, romeo, 100, false, chat(juliet, "two"));
    add(12, romeo, juliet, 100, true, chat(juliet, "one"));  // equal to 10, not to the last one
    archive_->flush();
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_bodies"), 3);
    EXPECT_EQ(ids_of(run(Q(romeo))), (Ids{10, 12}));
    EXPECT_EQ(run(Q(juliet)).items.at(0).stanza, chat(juliet, "two"));
}

TEST_F(SqliteArchiveTest, WithKeepsToOneContact)
{
    add_seven();
    const auto page = run(Q(juliet).with(nurse));
    EXPECT_EQ(ids_of(page), (Ids{102, 104, 106}));
    EXPECT_EQ(page.count, 3u);
    EXPECT_TRUE(page.complete);
    for (const auto& m : page.items) {
        EXPECT_EQ(m.with, nurse);
    }
}

TEST_F(SqliteArchiveTest, UnknownOwnerOrContactGivesAnEmptyCompletePage)
{
    add_seven();
    add(300, benvolio, romeo, 1, true, chat(romeo, "b"));
    struct Row {
        const char* name;
        Q q;
    };
    const Row rows[] = {
        {"unknown_contact", Q(juliet).with("tybalt@capulet.lit")},
        {"someone_elses_contact", Q(juliet).with(benvolio)},
        {"unknown_owner", Q("tybalt@capulet.lit")},
        {"contact_as_owner", Q(nurse)},
    };
    for (const auto& row : rows) {
        const auto page = run(row.q);
        EXPECT_TRUE(page.items.empty()) << row.name;
        EXPECT_TRUE(page.complete) << row.name;
        EXPECT_EQ(page.count, 0u) << row.name;
        EXPECT_EQ(page.first_index, 0u) << row.name;
    }
}

TEST_F(SqliteArchiveTest, StartAndEndAreInclusive)
{
    add_seven();
    const auto o = juliet;
    const auto both = run(Q(o).start(2000).end(4000));
    EXPECT_EQ(ids_of(both), (Ids{102, 103, 104}));
    EXPECT_EQ(both.count, 3u);
    EXPECT_EQ(ids_of(run(Q(o).start(6000))), (Ids{106, 107}));
    EXPECT_EQ(ids_of(run(Q(o).end(1000))), (Ids{101}));
    EXPECT_EQ(ids_of(run(Q(o).start(2001).end(2999))), Ids{});
    // With a contact too: the nurse's messages are at 2000, 4000 and 6000.
    EXPECT_EQ(ids_of(run(Q(o).with(nurse).start(4000))), (Ids{104, 106}));
}

TEST_F(SqliteArchiveTest, PagesForwardWithAfterId)
{
    add_seven();
    const auto o = juliet;
    const auto p1 = run(Q(o).max(3));
    EXPECT_EQ(ids_of(p1), (Ids{101, 102, 103}));
    EXPECT_FALSE(p1.complete);
    EXPECT_EQ(p1.count, 7u);
    EXPECT_EQ(p1.first_index, 0u);
    const auto p2 = run(Q(o).after(103).max(3));
    EXPECT_EQ(ids_of(p2), (Ids{104, 105, 106}));
    EXPECT_FALSE(p2.complete);
    EXPECT_EQ(p2.count, 7u);
    EXPECT_EQ(p2.first_index, 3u);
    const auto p3 = run(Q(o).after(106).max(3));
    EXPECT_EQ(ids_of(p3), (Ids{107}));
    EXPECT_TRUE(p3.complete);
    EXPECT_EQ(p3.count, 7u);
    EXPECT_EQ(p3.first_index, 6u);
    // A page that ends exactly at the last match is complete.
    const auto exact = run(Q(o).after(104).max(3));
    EXPECT_EQ(ids_of(exact), (Ids{105, 106, 107}));
    EXPECT_TRUE(exact.complete);
    const auto past = run(Q(o).after(107).max(3));
    EXPECT_TRUE(past.items.empty());
    EXPECT_TRUE(past.complete);
    EXPECT_EQ(past.count, 7u);
}

TEST_F(SqliteArchiveTest, PagesBackwardFromTheEndWithBeforeId)
{
    add_seven();
    const auto o = juliet;
    const auto p1 = run(Q(o).max(3).from_end());
    EXPECT_EQ(ids_of(p1), (Ids{105, 106, 107}));  // chronological within the page
    EXPECT_FALSE(p1.complete);
    EXPECT_EQ(p1.count, 7u);
    EXPECT_EQ(p1.first_index, 4u);
    const auto p2 = run(Q(o).before(105).max(3).from_end());
    EXPECT_EQ(ids_of(p2), (Ids{102, 103, 104}));
    EXPECT_FALSE(p2.complete);
    EXPECT_EQ(p2.first_index, 1u);
    const auto p3 = run(Q(o).before(102).max(3).from_end());
    EXPECT_EQ(ids_of(p3), (Ids{101}));
    EXPECT_TRUE(p3.complete);
    EXPECT_EQ(p3.count, 7u);
    EXPECT_EQ(p3.first_index, 0u);
    // before_id alone also pages backward (RSM <before>id</before>).
    EXPECT_EQ(ids_of(run(Q(o).before(104).max(2))), (Ids{102, 103}));
}

// Past 2,000 matching rows the count and the index are estimated (XEP-0059 §2.1: they MAY
// be approximate), from the ends when a page is near one, else from the id density.
TEST_F(SqliteArchiveTest, ALargeArchiveGetsAnApproximateCountAndExactIndexesNearItsEnds)
{
    constexpr std::int64_t n = 30000;  // juliet's; romeo's are in between
    for (std::int64_t i = 0; i < n; ++i) {
        const auto with = i % 2 ? nurse : romeo;
        add(2 * i + 1, juliet, with, i, false, chat(with, "m"));
        add(2 * i + 2, romeo, juliet, i, true, chat(juliet, "r"));
    }
    const auto near = [](std::size_t got, std::int64_t want) {
        return std::abs(static_cast<double>(got) - static_cast<double>(want)) <= 0.05 * want;
    };
    const auto newest = run(Q(juliet).from_end());
    ASSERT_EQ(newest.items.size(), 50u);
    EXPECT_TRUE(near(newest.count, n)) << newest.count;
    EXPECT_EQ(newest.first_index, newest.count - 50);  // counted from the newest end

    const auto oldest = run(Q(juliet));
    EXPECT_EQ(oldest.items.front().id, 1);
    EXPECT_EQ(oldest.first_index, 0u);  // counted from the oldest end

    const auto middle = run(Q(juliet).after(n));  // juliet's 15,001st message onwards
    EXPECT_TRUE(near(middle.first_index, n / 2)) << middle.first_index;
    EXPECT_FALSE(middle.complete);

    const auto by_contact = run(Q(juliet).with(nurse).from_end());
    EXPECT_TRUE(near(by_contact.count, n / 2)) << by_contact.count;
    EXPECT_EQ(by_contact.first_index, by_contact.count - 50);
    for (const auto& m : by_contact.items) {
        EXPECT_EQ(m.with, nurse);
    }
}

TEST_F(SqliteArchiveTest, PagingCountsOnlyTheFilteredMatches)
{
    add_seven();
    const auto o = juliet;
    const auto page = run(Q(o).with(romeo).after(101).max(2));
    EXPECT_EQ(ids_of(page), (Ids{103, 105}));
    EXPECT_FALSE(page.complete);
    EXPECT_EQ(page.count, 4u);        // 101, 103, 105, 107
    EXPECT_EQ(page.first_index, 1u);  // 101 comes before it
    // max 0 asks for the count only (XEP-0059 §2.7).
    const auto count_only = run(Q(o).max(0));
    EXPECT_TRUE(count_only.items.empty());
    EXPECT_EQ(count_only.count, 7u);
}

TEST_F(SqliteArchiveTest, IdsSelectExactlyThoseOfTheOwner)
{
    add_seven();
    const auto page = run(Q(juliet).ids({105, 102, 999, 201}));
    EXPECT_EQ(ids_of(page), (Ids{102, 105}));  // 201 is Romeo's
    EXPECT_EQ(page.count, 2u);
    EXPECT_TRUE(page.complete);
}

TEST_F(SqliteArchiveTest, ContainsOnlyTheOwnersOwnIds)
{
    add_seven();
    EXPECT_TRUE(archive_->contains(juliet, 101));
    EXPECT_TRUE(archive_->contains(juliet, 107));
    EXPECT_TRUE(archive_->contains(romeo, 201));
    EXPECT_FALSE(archive_->contains(juliet, 201));
    EXPECT_FALSE(archive_->contains(juliet, 108));
    EXPECT_FALSE(archive_->contains("tybalt@capulet.lit", 101));
}

TEST_F(SqliteArchiveTest, MaxIdIsTheLargestIdEvenWhenItsBodyIsShared)
{
    add(5, juliet, romeo, 1, true, chat(romeo, "first"));
    add(10, romeo, juliet, 2, true, chat(juliet, "shared"));
    add(11, juliet, romeo, 2, false, chat(juliet, "shared"));
    EXPECT_EQ(archive_->max_id(), 11);
    add(13, juliet, romeo, 3, false, chat(juliet, "again"));
    add(12, romeo, juliet, 3, true, chat(juliet, "again"));  // shared, the larger id first
    EXPECT_EQ(archive_->max_id(), 13);
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_bodies"), 3);
    EXPECT_EQ(ids_of(run(Q(romeo))), (Ids{10, 12}));
}

TEST_F(SqliteArchiveTest, BoundsAreTheOwnersOldestAndNewest)
{
    add_seven();
    const auto bounds = archive_->bounds(juliet);
    ASSERT_TRUE(bounds.has_value());
    EXPECT_EQ(bounds->first.id, 101);
    EXPECT_EQ(bounds->first.stamp_us, 1000);
    EXPECT_EQ(bounds->first.stanza, chat(romeo, "0"));
    EXPECT_EQ(bounds->second.id, 107);
    EXPECT_EQ(bounds->second.stamp_us, 7000);
    EXPECT_EQ(bounds->second.owner, juliet);
    EXPECT_EQ(archive_->bounds(romeo)->second.id, 207);
    EXPECT_FALSE(archive_->bounds("tybalt@capulet.lit").has_value());
}

TEST_F(SqliteArchiveTest, PrefsRoundTripPerOwner)
{
    EXPECT_FALSE(archive_->prefs(juliet).has_value());
    ArchivePrefs set;
    set.default_mode = ArchiveDefault::roster;
    set.always = {std::string(romeo), std::string(nurse)};
    set.never = {"tybalt@capulet.lit"};
    archive_->set_prefs(juliet, set);
    auto p = archive_->prefs(juliet);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->default_mode, ArchiveDefault::roster);
    EXPECT_EQ(p->always, (std::vector<std::string>{std::string(romeo), std::string(nurse)}));
    EXPECT_EQ(p->never, std::vector<std::string>{"tybalt@capulet.lit"});
    EXPECT_FALSE(archive_->prefs(romeo).has_value());
    archive_->set_prefs(juliet, ArchivePrefs{ArchiveDefault::never, {}, {}});  // replaces
    p = archive_->prefs(juliet);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->default_mode, ArchiveDefault::never);
    EXPECT_TRUE(p->always.empty());
    EXPECT_TRUE(p->never.empty());
}

TEST_F(SqliteArchiveTest, FlushCommitsEverythingAppended)
{
    for (std::int64_t i = 1; i <= 25; ++i) {
        add(i, juliet, romeo, i, true, chat(romeo, std::to_string(i)));
    }
    archive_->flush();
    EXPECT_EQ(archive_->backlog(), 0u);
    // Read straight from the table, not through query() (which flushes by itself).
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_items"), 25);
    EXPECT_EQ(sql_int("SELECT MAX(id) FROM archive_items"), 25);
}

TEST_F(SqliteArchiveTest, ManyOwnersInOneBatchEachGetTheirOwnInIdOrder)
{
    constexpr int owners = 50, per_owner = 40;
    auto owner = [](int o) { return "user" + std::to_string(o) + "@localhost"; };
    auto stanza = [](int o, int m) {
        return "<message id='" + std::to_string(o) + "-" + std::to_string(m) + "'/>";
    };
    // Interleaved, as live traffic arrives: the writer sorts by owner.
    for (int m = 0; m < per_owner; ++m) {
        for (int o = 0; o < owners; ++o) {
            add(1 + m * owners + o, owner(o), owner((o + 1) % owners), m, m % 2 == 0, stanza(o, m));
        }
    }
    for (int o = 0; o < owners; ++o) {
        const auto page = run(Q(owner(o)).max(100));
        ASSERT_EQ(page.items.size(), std::size_t{per_owner}) << owner(o);
        EXPECT_EQ(page.count, std::size_t{per_owner});
        for (int m = 0; m < per_owner; ++m) {
            const auto& item = page.items[m];
            EXPECT_EQ(item.id, 1 + m * owners + o);
            EXPECT_EQ(item.stanza, stanza(o, m));
            EXPECT_EQ(item.with, owner((o + 1) % owners));
            EXPECT_EQ(item.outgoing, m % 2 == 0);
        }
    }
    EXPECT_EQ(archive_->max_id(), owners * per_owner);
}

TEST_F(SqliteArchiveTest, DestroyingTheArchiveCommitsWhatIsPending)
{
    add(1, juliet, romeo, 1, true, chat(romeo, "a"));
    add(2, juliet, romeo, 2, true, chat(romeo, "b"));
    archive_.reset();  // no flush: the writer drains its queue before it stops
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_items"), 2);
}

TEST_F(SqliteArchiveTest, TheArchiveSurvivesARestartAndIdsContinue)
{
    add(10, romeo, juliet, 100, true, chat(juliet, "x"));
    add(11, juliet, romeo, 100, false, chat(juliet, "x"));
    add(12, juliet, nurse, 200, true, chat(nurse, "y"));
    archive_->flush();
    const auto jids = sql_int("SELECT COUNT(*) FROM archive_jids");
    restart();
    EXPECT_EQ(archive_->max_id(), 12);
    const auto page = run(Q(juliet));
    EXPECT_EQ(ids_of(page), (Ids{11, 12}));
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].stanza, chat(juliet, "x"));
    EXPECT_EQ(page.items[1].with, nurse);
    EXPECT_EQ(ids_of(run(Q(romeo))), (Ids{10}));
    add(archive_->max_id() + 1, juliet, romeo, 300, true, chat(romeo, "z"));
    EXPECT_EQ(archive_->max_id(), 13);
    EXPECT_EQ(ids_of(run(Q(juliet).with(romeo))), (Ids{11, 13}));
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM archive_jids"), jids);  // keys found, not re-added
}

// The reader's WAL hook belongs to the archive while it lives (its checkpoints run on the
// writer thread); the reader keeps committing, and gets SQLite's autocheckpoint back after.
TEST_F(SqliteArchiveTest, TheReaderCommitsWhileTheArchiveOwnsItsCheckpoints)
{
    // SQLite reports 0 while a WAL hook other than its autocheckpoint is installed.
    EXPECT_EQ(sql_int("PRAGMA wal_autocheckpoint"), 0);
    ASSERT_TRUE(temp_.db().exec("CREATE TABLE scratch (id INTEGER PRIMARY KEY, data BLOB)"));
    for (int i = 0; i < 100; ++i) {  // each its own commit, each through the hook
        ASSERT_TRUE(temp_.db().exec("INSERT INTO scratch (data) VALUES (zeroblob(16384))"));
    }
    add(1, juliet, romeo, 1, true, chat(romeo, "still archiving"));
    EXPECT_EQ(ids_of(run(Q(juliet))), (Ids{1}));
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM scratch"), 100);
    archive_.reset();
    EXPECT_EQ(sql_int("PRAGMA wal_autocheckpoint"), 1000);  // SQLite's default again
    ASSERT_TRUE(temp_.db().exec("INSERT INTO scratch (data) VALUES (zeroblob(16384))"));
    EXPECT_EQ(sql_int("SELECT COUNT(*) FROM scratch"), 101);
}

// A reader commit that leaves 8192 pages or more in the WAL (32 MiB) has the writer thread
// checkpoint them. Nothing else can: the reader's autocheckpoint is off and the writer has
// committed nothing. Once the checkpoint has run, the next commit starts the WAL over, so
// the file stops growing.
TEST_F(SqliteArchiveTest, AReaderCommitPastTheLimitIsCheckpointedByTheWriterThread)
{
    ASSERT_TRUE(temp_.db().exec("CREATE TABLE scratch (id INTEGER PRIMARY KEY, data BLOB)"));
    ASSERT_TRUE(temp_.db().exec("BEGIN"));
    for (int i = 0; i < 34; ++i) {  // 34 MiB in one commit
        ASSERT_TRUE(temp_.db().exec("INSERT INTO scratch (data) VALUES (zeroblob(1048576))"));
    }
    ASSERT_TRUE(temp_.db().exec("COMMIT"));
    const auto wal = temp_.db().path() + "-wal";
    auto size = std::filesystem::file_size(wal);
    ASSERT_GE(size, 8192 * static_cast<std::uintmax_t>(sql_int("PRAGMA page_size")));
    // The writer thread may be slow to get a core: a deadline that only a failure reaches.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    bool started_over = false;
    while (!started_over && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ASSERT_TRUE(temp_.db().exec("INSERT INTO scratch (data) VALUES (x'00')"));
        const auto now = std::filesystem::file_size(wal);
        started_over = now == size;  // a frame appended instead would have grown the file
        size = now;
    }
    EXPECT_TRUE(started_over) << "the WAL grew to " << size << " bytes: no checkpoint ran";
}

}  // namespace
}  // namespace chorus::storage::sqlite
