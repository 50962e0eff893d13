// Tests for src/storage/sqlite/account_data.cpp through SqliteAccounts::remove: a deleted
// account takes its rows in every table with it, and leaves every other account's alone,
// the archive bodies it shared with a local contact included.
#include "storage/sqlite/account_data.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/sqlite/sqlite_accounts.h"
#include "storage/sqlite/sqlite_archive.h"
#include "storage/sqlite/sqlite_blocklist.h"
#include "storage/sqlite/sqlite_imng_devices.h"
#include "storage/sqlite/sqlite_last_activity.h"
#include "storage/sqlite/sqlite_offline.h"
#include "storage/sqlite/sqlite_roster.h"
#include "storage/sqlite/sqlite_vcards.h"
#include "storage/sqlite/temp_database.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view juliet = "juliet@capulet.lit";
constexpr std::string_view romeo = "romeo@capulet.lit";
constexpr std::string_view friar = "laurence@verona.example";  // remote: no archive of its own

std::string chat(std::string_view from, std::string_view to, std::string_view body)
{
    return "<message from='" + std::string(from) + "' to='" + std::string(to) +
           "' type='chat'><body>" + std::string(body) + "</body></message>";
}

class AccountDataTest : public ::testing::Test {
protected:
    AccountDataTest()
    {
        auto writer = Database::open_file(temp_.db().path(), schema_migrations());
        EXPECT_TRUE(writer.has_value());
        archive_ = std::make_unique<SqliteArchive>(temp_.db(), std::move(*writer));
        for (auto who : {juliet, romeo}) {
            EXPECT_TRUE(accounts_.create(who.substr(0, who.find('@')), "capulet.lit", {}));
        }
    }

    // Everything an account can own, for owner, with contact as the other party.
    void fill(std::string_view owner, std::string_view contact)
    {
        RosterItem item;
        item.contact = contact;
        item.subscription = Subscription::both;
        ASSERT_TRUE(SqliteRoster(temp_.db()).put(owner, item));
        ASSERT_TRUE(SqliteOffline(temp_.db()).store(owner, 1, chat(contact, owner, "queued")));
        const std::string blocked[] = {std::string(friar)};
        ASSERT_TRUE(SqliteBlocklist(temp_.db()).add(owner, blocked));
        ASSERT_TRUE(SqliteVcards(temp_.db()).put(owner, "<vCard xmlns='vcard-temp'/>"));
        ASSERT_TRUE(SqliteLastActivity(temp_.db()).put(owner, {5, "away"}));
        ASSERT_TRUE(SqliteImngDevices(temp_.db()).remember(owner));
        ArchivePrefs prefs;
        prefs.never = {std::string(friar)};
        archive_->set_prefs(owner, prefs);
    }

    // As the router archives a message: the sender's item, then the recipient's; a remote
    // party has no archive here.
    void message(std::string_view from, std::string_view to, std::string_view body)
    {
        const auto stanza = chat(from, to, body);
        if (from != friar) {
            archive_->append({++id_, from, to, id_, true, stanza});
        }
        if (to != friar) {
            archive_->append({++id_, to, from, id_, false, stanza});
        }
    }

    std::int64_t count(std::string_view sql)
    {
        auto s = temp_.db().prepare(sql);
        EXPECT_TRUE(s.has_value()) << sql;
        auto row = s->step();
        EXPECT_TRUE(row && *row) << sql;
        return s->column_int64(0);
    }

    std::vector<std::string> bodies_of(std::string_view owner)
    {
        ArchiveQuery q;
        q.owner = owner;
        q.max = 100;
        std::vector<std::string> out;
        for (const auto& m : archive_->query(q).items) {
            out.push_back(m.stanza);
        }
        return out;
    }

    testing::TempDatabase temp_;
    SqliteAccounts accounts_{temp_.db()};
    std::unique_ptr<SqliteArchive> archive_;
    std::int64_t id_ = 1000;
};

TEST_F(AccountDataTest, RemovingAnAccountDeletesWhatItOwnsAndNothingElse)
{
    fill(juliet, romeo);
    fill(romeo, juliet);
    message(juliet, romeo, "shared 1");
    message(romeo, juliet, "shared 2");
    message(juliet, friar, "hers alone");
    message(friar, juliet, "hers alone too");
    message(juliet, juliet, "a note to herself");
    message(romeo, friar, "his alone");
    message(juliet, romeo, "shared 3");
    archive_->flush();
    const auto roster_version = SqliteRoster(temp_.db()).version(juliet);
    ASSERT_EQ(count("SELECT COUNT(*) FROM archive_bodies"), 7);

    ASSERT_TRUE(accounts_.remove("juliet", "capulet.lit"));

    EXPECT_FALSE(accounts_.exists("juliet", "capulet.lit"));
    EXPECT_TRUE(SqliteRoster(temp_.db()).items(juliet).empty());
    EXPECT_GT(SqliteRoster(temp_.db()).version(juliet), roster_version)
        << "a client's cached roster of the old account must not look current";
    EXPECT_EQ(*SqliteOffline(temp_.db()).count(juliet), 0U);
    EXPECT_TRUE(SqliteBlocklist(temp_.db()).items(juliet)->empty());
    EXPECT_FALSE(SqliteVcards(temp_.db()).get(juliet)->has_value());
    EXPECT_FALSE(SqliteLastActivity(temp_.db()).get(juliet)->has_value());
    EXPECT_FALSE(*SqliteImngDevices(temp_.db()).has_device(juliet));
    EXPECT_FALSE(archive_->prefs(juliet).has_value());
    EXPECT_TRUE(bodies_of(juliet).empty());

    // Romeo keeps all of his, the conversation with Juliet included.
    EXPECT_EQ(SqliteRoster(temp_.db()).items(romeo).size(), 1U);
    EXPECT_EQ(*SqliteOffline(temp_.db()).count(romeo), 1U);
    EXPECT_EQ(SqliteBlocklist(temp_.db()).items(romeo)->size(), 1U);
    EXPECT_TRUE(SqliteVcards(temp_.db()).get(romeo)->has_value());
    EXPECT_TRUE(SqliteLastActivity(temp_.db()).get(romeo)->has_value());
    EXPECT_TRUE(*SqliteImngDevices(temp_.db()).has_device(romeo));
    EXPECT_TRUE(archive_->prefs(romeo).has_value());
    const std::vector<std::string> his = {
        chat(juliet, romeo, "shared 1"), chat(romeo, juliet, "shared 2"),
        chat(romeo, friar, "his alone"), chat(juliet, romeo, "shared 3")};
    EXPECT_EQ(bodies_of(romeo), his);
    EXPECT_EQ(count("SELECT COUNT(*) FROM archive_bodies"), 4)
        << "Juliet's own three stanzas are gone, the four Romeo refers to stay";
    EXPECT_EQ(count("SELECT COUNT(*) FROM archive_items i LEFT JOIN archive_bodies b "
                    "ON b.id = i.body WHERE b.id IS NULL"),
              0)
        << "no item is left without its stanza";
}

TEST_F(AccountDataTest, AnAccountCreatedAgainUnderTheSameNameStartsEmpty)
{
    fill(juliet, romeo);
    message(romeo, juliet, "for the first Juliet");
    archive_->flush();
    ASSERT_TRUE(accounts_.remove("juliet", "capulet.lit"));
    ASSERT_TRUE(accounts_.create("juliet", "capulet.lit", {}));

    EXPECT_TRUE(SqliteRoster(temp_.db()).items(juliet).empty());
    EXPECT_TRUE(bodies_of(juliet).empty());
    message(romeo, juliet, "for the new Juliet");
    archive_->flush();
    EXPECT_EQ(bodies_of(juliet), std::vector{chat(romeo, juliet, "for the new Juliet")});
    EXPECT_EQ(bodies_of(romeo).size(), 2U);
}

TEST_F(AccountDataTest, RemovingAMissingAccountIsNotFoundAndChangesNothing)
{
    fill(romeo, juliet);
    auto r = accounts_.remove("tybalt", "capulet.lit");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, StorageError::Code::not_found);
    EXPECT_EQ(SqliteRoster(temp_.db()).items(romeo).size(), 1U);
    EXPECT_TRUE(accounts_.exists("romeo", "capulet.lit"));
}

}  // namespace
}  // namespace chorus::storage::sqlite
