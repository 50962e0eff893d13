// SqliteStorage: one instance of each SQLite store on one connection, and the MAM archive with
// its writer's connection.
#include "storage/sqlite/sqlite_storage.h"

#include <fmt/format.h>

#include "storage/sqlite/database.h"
#include "storage/sqlite/sqlite_accounts.h"
#include "storage/sqlite/sqlite_archive.h"
#include "storage/sqlite/sqlite_blocklist.h"
#include "storage/sqlite/sqlite_imng_devices.h"
#include "storage/sqlite/sqlite_last_activity.h"
#include "storage/sqlite/sqlite_offline.h"
#include "storage/sqlite/sqlite_pubsub.h"
#include "storage/sqlite/sqlite_rooms.h"
#include "storage/sqlite/sqlite_roster.h"
#include "storage/sqlite/sqlite_vcards.h"

namespace chorus::storage::sqlite {
namespace {

class SqliteStorage final : public Storage {
public:
    SqliteStorage(std::unique_ptr<Database> db, std::unique_ptr<Database> archive_writer,
                  bool sync_journal)
        : db_(std::move(db)),
          archive_writer_(std::move(archive_writer)),
          sync_journal_(sync_journal),
          accounts_(*db_),
          roster_(*db_),
          offline_(*db_),
          blocklist_(*db_),
          vcards_(*db_),
          last_activity_(*db_),
          imng_devices_(*db_),
          pubsub_(*db_),
          private_xml_(*db_),
          rooms_(*db_)
    {
    }

    Accounts& accounts() override { return accounts_; }
    Roster& roster() override { return roster_; }
    Offline& offline() override { return offline_; }
    Blocklist& blocklist() override { return blocklist_; }
    Vcards& vcards() override { return vcards_; }
    LastActivityStore& last_activity() override { return last_activity_; }
    ImngDevices& imng_devices() override { return imng_devices_; }
    PubSub& pubsub() override { return pubsub_; }
    PrivateXml& private_xml() override { return private_xml_; }
    Rooms& rooms() override { return rooms_; }

    // Built on first use, so its writer thread and its hold on the WAL's checkpoints exist
    // only in a process that archives (chorusd's MAM module, not chorusctl).
    Archive& archive() override
    {
        if (!archive_) {
            archive_ =
                std::make_unique<SqliteArchive>(*db_, std::move(archive_writer_), sync_journal_);
        }
        return *archive_;
    }

private:
    std::unique_ptr<Database> db_;
    std::unique_ptr<Database> archive_writer_;  // the archive's once it exists
    bool sync_journal_;                         // durability "power": fsync each group commit
    SqliteAccounts accounts_;
    SqliteRoster roster_;
    SqliteOffline offline_;
    SqliteBlocklist blocklist_;
    SqliteVcards vcards_;
    SqliteLastActivity last_activity_;
    SqliteImngDevices imng_devices_;
    SqlitePubSub pubsub_;
    SqlitePrivateXml private_xml_;
    SqliteRooms rooms_;
    // Last, so it goes first: its writer drains and joins while the connections are open.
    std::unique_ptr<SqliteArchive> archive_;
};

}  // namespace

Result<std::unique_ptr<Storage>, std::string> open_sqlite_storage(const Config& config)
{
    auto open = [&]() -> Result<std::unique_ptr<Database>, std::string> {
        auto db = Database::open(config.data_dir);
        if (!db) {
            return unexpected(
                fmt::format("cannot open storage in {}: {}", config.data_dir, db.error().message));
        }
        // "power": every commit syncs (the archive's journal syncs each group commit).
        if (config.storage_durability == "power") {
            if (auto r = (*db)->exec("PRAGMA synchronous=FULL"); !r) {
                return unexpected("storage.durability: " + r.error().message);
            }
        }
        return std::move(*db);
    };
    auto db = open();
    if (!db) {
        return unexpected(db.error());
    }
    auto archive_writer = open();
    if (!archive_writer) {
        return unexpected(archive_writer.error());
    }
    return std::unique_ptr<Storage>(std::make_unique<SqliteStorage>(
        std::move(*db), std::move(*archive_writer), config.storage_durability == "power"));
}

}  // namespace chorus::storage::sqlite
