// SqlitePubSub: pubsub nodes and items in SQLite; an item's seq orders a node's items, so
// re-publishing an id makes it the newest (XEP-0060 §7.1.2: the item is overwritten).
#include "storage/sqlite/sqlite_pubsub.h"

#include <sqlite3.h>

#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view node_config_sql =
    "SELECT config FROM pubsub_nodes WHERE service = ?1 AND node = ?2";
constexpr std::string_view nodes_sql =
    "SELECT node, config FROM pubsub_nodes WHERE service = ?1 ORDER BY node";
constexpr std::string_view create_node_sql =
    "INSERT INTO pubsub_nodes (service, node, config) VALUES (?1, ?2, ?3)";
constexpr std::string_view set_config_sql =
    "UPDATE pubsub_nodes SET config = ?3 WHERE service = ?1 AND node = ?2";
constexpr std::string_view items_sql =
    "SELECT item_id, publisher, stamp, payload FROM pubsub_items "
    "WHERE service = ?1 AND node = ?2 ORDER BY seq DESC";
constexpr std::string_view items_limited_sql =
    "SELECT item_id, publisher, stamp, payload FROM pubsub_items "
    "WHERE service = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3";
constexpr std::string_view item_sql =
    "SELECT item_id, publisher, stamp, payload FROM pubsub_items "
    "WHERE service = ?1 AND node = ?2 AND item_id = ?3";
constexpr std::string_view delete_item_sql =
    "DELETE FROM pubsub_items WHERE service = ?1 AND node = ?2 AND item_id = ?3";
constexpr std::string_view insert_item_sql =
    "INSERT INTO pubsub_items (service, node, item_id, publisher, stamp, payload) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view trim_sql =
    "DELETE FROM pubsub_items WHERE service = ?1 AND node = ?2 AND seq NOT IN "
    "(SELECT seq FROM pubsub_items WHERE service = ?1 AND node = ?2 ORDER BY seq DESC LIMIT ?3)";
constexpr std::string_view purge_sql = "DELETE FROM pubsub_items WHERE service = ?1 AND node = ?2";
constexpr std::string_view affiliations_sql =
    "SELECT jid, affiliation FROM pubsub_affiliations WHERE service = ?1 AND node = ?2 "
    "ORDER BY jid";
constexpr std::string_view set_affiliation_sql =
    "INSERT INTO pubsub_affiliations (service, node, jid, affiliation) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (service, node, jid) DO UPDATE SET affiliation = excluded.affiliation";
constexpr std::string_view delete_affiliation_sql =
    "DELETE FROM pubsub_affiliations WHERE service = ?1 AND node = ?2 AND jid = ?3";
constexpr std::string_view subscriptions_sql =
    "SELECT jid, state FROM pubsub_subscriptions WHERE service = ?1 AND node = ?2 ORDER BY jid";
constexpr std::string_view set_subscription_sql =
    "INSERT INTO pubsub_subscriptions (service, node, jid, state) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (service, node, jid) DO UPDATE SET state = excluded.state";
constexpr std::string_view delete_subscription_sql =
    "DELETE FROM pubsub_subscriptions WHERE service = ?1 AND node = ?2 AND jid = ?3";

constexpr std::string_view delete_node_sql[] = {
    "DELETE FROM pubsub_items WHERE service = ?1 AND node = ?2",
    "DELETE FROM pubsub_affiliations WHERE service = ?1 AND node = ?2",
    "DELETE FROM pubsub_subscriptions WHERE service = ?1 AND node = ?2",
    "DELETE FROM pubsub_nodes WHERE service = ?1 AND node = ?2",
};
constexpr std::string_view delete_service_sql[] = {
    "DELETE FROM pubsub_items WHERE service = ?1",
    "DELETE FROM pubsub_affiliations WHERE service = ?1",
    "DELETE FROM pubsub_subscriptions WHERE service = ?1",
    "DELETE FROM pubsub_nodes WHERE service = ?1",
    "DELETE FROM private_xml WHERE owner = ?1",
};

PubsubItem read_item(const Statement& stmt)
{
    return PubsubItem{.id = std::string(stmt.column_text(0)),
                      .publisher = std::string(stmt.column_text(1)),
                      .stamp_us = stmt.column_int64(2),
                      .payload = std::string(stmt.column_text(3))};
}

}  // namespace

SqlitePubSub::SqlitePubSub(Database& db)
    : db_(db),
      node_config_(prepare_or_abort(db, node_config_sql)),
      nodes_(prepare_or_abort(db, nodes_sql)),
      create_node_(prepare_or_abort(db, create_node_sql)),
      set_config_(prepare_or_abort(db, set_config_sql)),
      items_(prepare_or_abort(db, items_sql)),
      items_limited_(prepare_or_abort(db, items_limited_sql)),
      item_(prepare_or_abort(db, item_sql)),
      delete_item_(prepare_or_abort(db, delete_item_sql)),
      insert_item_(prepare_or_abort(db, insert_item_sql)),
      trim_(prepare_or_abort(db, trim_sql)),
      purge_(prepare_or_abort(db, purge_sql)),
      affiliations_(prepare_or_abort(db, affiliations_sql)),
      set_affiliation_(prepare_or_abort(db, set_affiliation_sql)),
      delete_affiliation_(prepare_or_abort(db, delete_affiliation_sql)),
      subscriptions_(prepare_or_abort(db, subscriptions_sql)),
      set_subscription_(prepare_or_abort(db, set_subscription_sql)),
      delete_subscription_(prepare_or_abort(db, delete_subscription_sql))
{
}

template <typename Fn>
Result<void, StorageError> SqlitePubSub::in_transaction(Fn&& fn)
{
    if (auto r = db_.exec("BEGIN"); !r) {
        return r;
    }
    Result<void, StorageError> r = fn();
    if (!r) {
        (void)db_.exec("ROLLBACK");
        return r;
    }
    return db_.exec("COMMIT");
}

Result<std::optional<std::string>, StorageError> SqlitePubSub::node_config(std::string_view service,
                                                                           std::string_view node)
{
    auto guard = node_config_.reset_on_exit();
    node_config_.bind(1, service).bind(2, node);
    return node_config_.first_text();
}

Result<std::vector<PubsubNodeRow>, StorageError> SqlitePubSub::nodes(std::string_view service)
{
    auto guard = nodes_.reset_on_exit();
    nodes_.bind(1, service);
    return nodes_.rows<PubsubNodeRow>([](Statement& row) -> PubsubNodeRow {
        return {std::string(row.column_text(0)), std::string(row.column_text(1))};
    });
}

Result<void, StorageError> SqlitePubSub::create_node(std::string_view service,
                                                     std::string_view node, std::string_view config)
{
    auto guard = create_node_.reset_on_exit();
    create_node_.bind(1, service).bind(2, node).bind(3, config);
    return create_node_.run();
}

Result<void, StorageError> SqlitePubSub::set_node_config(std::string_view service,
                                                         std::string_view node,
                                                         std::string_view config)
{
    auto guard = set_config_.reset_on_exit();
    set_config_.bind(1, service).bind(2, node).bind(3, config);
    return set_config_.run();
}

Result<void, StorageError> SqlitePubSub::delete_node(std::string_view service,
                                                     std::string_view node)
{
    return in_transaction([&]() -> Result<void, StorageError> {
        for (std::string_view sql : delete_node_sql) {
            auto stmt = db_.prepare(sql);
            if (!stmt) {
                return unexpected(stmt.error());
            }
            stmt->bind(1, service).bind(2, node);
            if (auto r = stmt->run(); !r) {
                return r;
            }
        }
        return {};
    });
}

Result<std::vector<PubsubItem>, StorageError> SqlitePubSub::items(std::string_view service,
                                                                  std::string_view node,
                                                                  std::size_t max)
{
    Statement& stmt = max == 0 ? items_ : items_limited_;
    auto guard = stmt.reset_on_exit();
    stmt.bind(1, service).bind(2, node);
    if (max != 0) {
        stmt.bind(3, static_cast<std::int64_t>(max));
    }
    return stmt.rows<PubsubItem>([](Statement& row) { return read_item(row); });
}

Result<std::optional<PubsubItem>, StorageError> SqlitePubSub::item(std::string_view service,
                                                                   std::string_view node,
                                                                   std::string_view id)
{
    auto guard = item_.reset_on_exit();
    item_.bind(1, service).bind(2, node).bind(3, id);
    auto row = item_.step();
    if (!row) {
        return unexpected(std::move(row).error());
    }
    if (!*row) {
        return std::optional<PubsubItem>();
    }
    return std::optional<PubsubItem>(read_item(item_));
}

Result<void, StorageError> SqlitePubSub::publish(std::string_view service, std::string_view node,
                                                 const PubsubItem& item, std::size_t keep)
{
    return in_transaction([&]() -> Result<void, StorageError> {
        {
            auto guard = delete_item_.reset_on_exit();
            delete_item_.bind(1, service).bind(2, node).bind(3, item.id);
            if (auto r = delete_item_.run(); !r) {
                return r;
            }
        }
        {
            auto guard = insert_item_.reset_on_exit();
            insert_item_.bind(1, service)
                .bind(2, node)
                .bind(3, item.id)
                .bind(4, item.publisher)
                .bind(5, item.stamp_us)
                .bind(6, item.payload);
            if (auto r = insert_item_.run(); !r) {
                return r;
            }
        }
        if (keep == 0) {
            return {};
        }
        auto guard = trim_.reset_on_exit();
        trim_.bind(1, service).bind(2, node).bind(3, static_cast<std::int64_t>(keep));
        return trim_.run();
    });
}

Result<bool, StorageError> SqlitePubSub::retract(std::string_view service, std::string_view node,
                                                 std::string_view id)
{
    auto guard = delete_item_.reset_on_exit();
    delete_item_.bind(1, service).bind(2, node).bind(3, id);
    if (auto r = delete_item_.run(); !r) {
        return unexpected(std::move(r).error());
    }
    return sqlite3_changes(db_.handle()) > 0;
}

Result<void, StorageError> SqlitePubSub::trim(std::string_view service, std::string_view node,
                                              std::size_t keep)
{
    auto guard = trim_.reset_on_exit();
    trim_.bind(1, service).bind(2, node).bind(3, static_cast<std::int64_t>(keep));
    return trim_.run();
}

Result<void, StorageError> SqlitePubSub::purge(std::string_view service, std::string_view node)
{
    auto guard = purge_.reset_on_exit();
    purge_.bind(1, service).bind(2, node);
    return purge_.run();
}

Result<std::vector<PubsubJidValue>, StorageError> SqlitePubSub::pairs(Statement& stmt,
                                                                      std::string_view service,
                                                                      std::string_view node)
{
    auto guard = stmt.reset_on_exit();
    stmt.bind(1, service).bind(2, node);
    return stmt.rows<PubsubJidValue>([](Statement& row) -> PubsubJidValue {
        return {std::string(row.column_text(0)), std::string(row.column_text(1))};
    });
}

namespace {

/// An affiliation or subscription row: "none" deletes it, any other value sets it.
Result<void, StorageError> set_or_delete(Statement& set, Statement& del, std::string_view service,
                                         std::string_view node, std::string_view jid,
                                         std::string_view value)
{
    Statement& stmt = value == "none" ? del : set;
    auto guard = stmt.reset_on_exit();
    stmt.bind(1, service).bind(2, node).bind(3, jid);
    if (value != "none") {
        stmt.bind(4, value);
    }
    return stmt.run();
}

}  // namespace

Result<std::vector<PubsubJidValue>, StorageError> SqlitePubSub::affiliations(
    std::string_view service, std::string_view node)
{
    return pairs(affiliations_, service, node);
}

Result<void, StorageError> SqlitePubSub::set_affiliation(std::string_view service,
                                                         std::string_view node,
                                                         std::string_view jid,
                                                         std::string_view affiliation)
{
    return set_or_delete(set_affiliation_, delete_affiliation_, service, node, jid, affiliation);
}

Result<std::vector<PubsubJidValue>, StorageError> SqlitePubSub::subscriptions(
    std::string_view service, std::string_view node)
{
    return pairs(subscriptions_, service, node);
}

Result<void, StorageError> SqlitePubSub::set_subscription(std::string_view service,
                                                          std::string_view node,
                                                          std::string_view jid,
                                                          std::string_view state)
{
    return set_or_delete(set_subscription_, delete_subscription_, service, node, jid, state);
}

Result<void, StorageError> SqlitePubSub::delete_service(std::string_view service)
{
    return in_transaction([&]() -> Result<void, StorageError> {
        for (std::string_view sql : delete_service_sql) {
            auto stmt = db_.prepare(sql);
            if (!stmt) {
                return unexpected(stmt.error());
            }
            stmt->bind(1, service);
            if (auto r = stmt->run(); !r) {
                return r;
            }
        }
        return {};
    });
}

SqlitePrivateXml::SqlitePrivateXml(Database& db)
    : select_(prepare_or_abort(db, "SELECT element FROM private_xml WHERE owner = ?1 AND ns = ?2")),
      upsert_(prepare_or_abort(db,
                               "INSERT INTO private_xml (owner, ns, element) VALUES (?1, ?2, ?3) "
                               "ON CONFLICT (owner, ns) DO UPDATE SET element = excluded.element"))
{
}

Result<std::optional<std::string>, StorageError> SqlitePrivateXml::get(std::string_view owner,
                                                                       std::string_view ns)
{
    auto guard = select_.reset_on_exit();
    select_.bind(1, owner).bind(2, ns);
    return select_.first_text();
}

Result<void, StorageError> SqlitePrivateXml::put(std::string_view owner, std::string_view ns,
                                                 std::string_view element)
{
    auto guard = upsert_.reset_on_exit();
    upsert_.bind(1, owner).bind(2, ns).bind(3, element);
    return upsert_.run();
}

}  // namespace chorus::storage::sqlite
