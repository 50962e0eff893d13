// SqliteVcards: XEP-0054 vCards over the SQLite vcards table.
#pragma once

#include "storage/sqlite/database.h"
#include "storage/sqlite/statement.h"
#include "storage/vcards.h"

namespace chorus::storage::sqlite {

/// vCards in SQLite, statements prepared once; one thread at a time; db outlives it.
class SqliteVcards final : public storage::Vcards {
public:
    explicit SqliteVcards(Database& db);

    Result<std::optional<std::string>, StorageError> get(std::string_view owner) override;
    Result<void, StorageError> put(std::string_view owner, std::string_view vcard) override;

private:
    Statement select_;
    Statement upsert_;
};

}  // namespace chorus::storage::sqlite
