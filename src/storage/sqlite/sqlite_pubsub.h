// SqlitePubSub: XEP-0060 nodes, items, affiliations and subscriptions, and XEP-0049
// private XML, in SQLite.
#pragma once

#include "storage/pubsub.h"
#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"

namespace chorus::storage::sqlite {

/// Pubsub in SQLite, statements prepared once; one thread at a time; db outlives it.
class SqlitePubSub final : public storage::PubSub {
public:
    explicit SqlitePubSub(Database& db);

    Result<std::optional<std::string>, StorageError> node_config(std::string_view service,
                                                                 std::string_view node) override;
    Result<std::vector<PubsubNodeRow>, StorageError> nodes(std::string_view service) override;
    Result<void, StorageError> create_node(std::string_view service, std::string_view node,
                                           std::string_view config) override;
    Result<void, StorageError> set_node_config(std::string_view service, std::string_view node,
                                               std::string_view config) override;
    Result<void, StorageError> delete_node(std::string_view service,
                                           std::string_view node) override;
    Result<std::vector<PubsubItem>, StorageError> items(std::string_view service,
                                                        std::string_view node,
                                                        std::size_t max) override;
    Result<std::optional<PubsubItem>, StorageError> item(std::string_view service,
                                                         std::string_view node,
                                                         std::string_view id) override;
    Result<void, StorageError> publish(std::string_view service, std::string_view node,
                                       const PubsubItem& item, std::size_t keep) override;
    Result<bool, StorageError> retract(std::string_view service, std::string_view node,
                                       std::string_view id) override;
    Result<void, StorageError> trim(std::string_view service, std::string_view node,
                                    std::size_t keep) override;
    Result<void, StorageError> purge(std::string_view service, std::string_view node) override;
    Result<std::vector<PubsubJidValue>, StorageError> affiliations(std::string_view service,
                                                                   std::string_view node) override;
    Result<void, StorageError> set_affiliation(std::string_view service, std::string_view node,
                                               std::string_view jid,
                                               std::string_view affiliation) override;
    Result<std::vector<PubsubJidValue>, StorageError> subscriptions(std::string_view service,
                                                                    std::string_view node) override;
    Result<void, StorageError> set_subscription(std::string_view service, std::string_view node,
                                                std::string_view jid,
                                                std::string_view state) override;
    Result<void, StorageError> delete_service(std::string_view service) override;

private:
    /// Runs fn inside BEGIN/COMMIT, rolling back when it fails.
    template <typename Fn>
    Result<void, StorageError> in_transaction(Fn&& fn);
    Result<std::vector<PubsubJidValue>, StorageError> pairs(Statement& stmt,
                                                            std::string_view service,
                                                            std::string_view node);

    Database& db_;
    Statement node_config_, nodes_, create_node_, set_config_;
    Statement items_, items_limited_, item_, delete_item_, insert_item_, trim_, purge_;
    Statement affiliations_, set_affiliation_, delete_affiliation_;
    Statement subscriptions_, set_subscription_, delete_subscription_;
};

/// XEP-0049 private XML in SQLite.
class SqlitePrivateXml final : public storage::PrivateXml {
public:
    explicit SqlitePrivateXml(Database& db);
    Result<std::optional<std::string>, StorageError> get(std::string_view owner,
                                                         std::string_view ns) override;
    Result<void, StorageError> put(std::string_view owner, std::string_view ns,
                                   std::string_view element) override;

private:
    Statement select_, upsert_;
};

}  // namespace chorus::storage::sqlite
