// apps/chorus-client/profile.h: a profile directory holds one device: its account and its
// store (lib/client/store.h), in <dir>/client.sqlite.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "client/account.h"
#include "client/store.h"

namespace chorus::client_app {

struct Profile {
    std::string dir;
    std::unique_ptr<client::Store> store;
};

/// Opens (creating the directory when asked) the profile at dir.
Result<Profile, client::ClientError> open_profile(const std::string& dir, bool create);
/// The account stored by `login`.
Result<client::Account, client::ClientError> load_account(const client::Store& store);
void save_account(client::Store& store, const client::Account& account);

}  // namespace chorus::client_app
