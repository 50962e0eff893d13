// prepare_or_abort: compiles one of our own SQL statements against a migrated Database.
#pragma once

#include <string_view>

#include <spdlog/spdlog.h>

#include "base/check.h"
#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite {

/// The statement for sql. The Database has been migrated by Database::open, so a statement
/// that does not compile is a bug in the caller's file, and aborts (CHORUS_CHECK).
inline Statement prepare_or_abort(Database& db, std::string_view sql)
{
    auto stmt = db.prepare(sql);
    if (!stmt) {
        spdlog::critical("sqlite: cannot prepare \"{}\": {}", sql, stmt.error().message);
    }
    CHORUS_CHECK(stmt.has_value());
    return std::move(*stmt);
}

}  // namespace chorus::storage::sqlite
