// delete_account_data: one DELETE per table keyed by owner, and the archive's shared bodies.
#include "storage/sqlite/account_data.h"

namespace chorus::storage::sqlite {
namespace {

// A message between two local users has one body and two items: the sender's and the
// recipient's, appended one after the other (ArchiveBatch shares a body only between
// consecutive entries, and ids grow in append order). So the contact's item for the same
// message, if any, is the newest item of the contact's conversation with the owner at or
// below the body's id (the body's id is its newest item's id). A body whose other item is
// not there belonged to the owner alone. A message to oneself has both items in the owner's
// archive.
constexpr std::string_view archive_bodies_sql = R"sql(
DELETE FROM archive_bodies WHERE id IN (
    SELECT i.body FROM archive_items i
    WHERE i.owner = (SELECT id FROM archive_jids WHERE jid = ?1)
      AND (i.with_jid = i.owner OR
           (SELECT o.body FROM archive_items o INDEXED BY archive_items_by_with
            WHERE o.owner = i.with_jid AND o.with_jid = i.owner AND o.id <= i.body
            ORDER BY o.id DESC LIMIT 1) IS NOT i.body))
)sql";
constexpr std::string_view archive_items_sql =
    "DELETE FROM archive_items WHERE owner = (SELECT id FROM archive_jids WHERE jid = ?1)";

// Bodies before items: finding the shared bodies needs the owner's items.
constexpr std::string_view statements[] = {
    "DELETE FROM roster_items WHERE owner = ?1",
    "UPDATE roster_versions SET version = version + 1 WHERE owner = ?1",
    "DELETE FROM offline_messages WHERE owner = ?1",
    "DELETE FROM blocklist WHERE owner = ?1",
    "DELETE FROM vcards WHERE owner = ?1",
    "DELETE FROM last_activity WHERE owner = ?1",
    "DELETE FROM mam_prefs WHERE owner = ?1",
    "DELETE FROM imng_accounts WHERE owner = ?1",
    "DELETE FROM pubsub_items WHERE service = ?1",
    "DELETE FROM pubsub_affiliations WHERE service = ?1",
    "DELETE FROM pubsub_subscriptions WHERE service = ?1",
    "DELETE FROM pubsub_nodes WHERE service = ?1",
    "DELETE FROM private_xml WHERE owner = ?1",
    archive_bodies_sql,
    archive_items_sql,
};

}  // namespace

Result<void, StorageError> delete_account_data(Database& db, std::string_view owner)
{
    for (std::string_view sql : statements) {  // ?1: the owner's bare JID
        auto stmt = db.prepare(sql);
        if (!stmt) {
            return unexpected(stmt.error());
        }
        stmt->bind(1, owner);
        if (auto r = stmt->run(); !r) {
            return r;
        }
    }
    return {};
}

}  // namespace chorus::storage::sqlite
