// What an account leaves in SQLite besides its credentials, and its deletion (XEP-0077 §3.2:
// a cancelled account takes its data with it, so a new account of the same name starts empty).
#pragma once

#include <string_view>

#include "base/result.h"
#include "storage/sqlite/database.h"
#include "storage/storage_error.h"

namespace chorus::storage::sqlite {

/// Deletes every row owned by the bare JID owner: roster, offline queue, block list, vCard,
/// last activity, MAM preferences, and its archive with the stored stanzas no other archive
/// shares. Runs inside the caller's transaction. The roster version moves on rather than
/// going away, so a client's cached roster of the old account is never taken as current.
Result<void, StorageError> delete_account_data(Database& db, std::string_view owner);

}  // namespace chorus::storage::sqlite
