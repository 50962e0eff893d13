// chorusctl account commands: adduser, passwd, deluser, listusers over the Accounts store.
#pragma once

#include <string>

#include "base/config.h"
#include "storage/accounts.h"

namespace chorus::ctl {

/// Process exit codes: 1 for a refused request (bad JID, existing account), 2 for bad usage.
constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

/// What every command works with: the validated config and the open account store.
struct Context {
    const Config& config;
    storage::Accounts& accounts;
};

/// Each command prints its own one-line error on stderr and returns the exit code.
int add_user(Context& ctx, const std::string& jid_text);
int change_password(Context& ctx, const std::string& jid_text);
int delete_user(Context& ctx, const std::string& jid_text);
/// Lists accounts of one configured domain, or of all of them when domain is empty.
int list_users(Context& ctx, const std::string& domain);

/// Prints "chorusctl: message" on stderr and returns exit_failure.
int fail(const std::string& message);

}  // namespace chorus::ctl
