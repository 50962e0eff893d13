// apps/chorus-client/profile.cpp: the account settings kept in a profile's store.
#include "profile.h"

#include <filesystem>

namespace chorus::client_app {

using client::ClientError;
using client::ErrorKind;

Result<Profile, ClientError> open_profile(const std::string& dir, bool create)
{
    std::error_code ec;
    if (create) {
        std::filesystem::create_directories(dir, ec);
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace, ec);
    } else if (!std::filesystem::exists(std::filesystem::path(dir) / "client.sqlite")) {
        return unexpected(ClientError{
            ErrorKind::bad_input, "no profile in " + dir + "; run `chorus-client login` first"});
    }
    auto store = client::Store::open(dir + "/client.sqlite");
    if (!store) {
        return unexpected(ClientError{ErrorKind::storage, store.error()});
    }
    return Profile{dir, std::move(*store)};
}

Result<client::Account, ClientError> load_account(const client::Store& store)
{
    client::Account a;
    const auto jid = Jid::parse(store.get("account.jid").value_or(""));
    if (!jid) {
        return unexpected(ClientError{ErrorKind::bad_input,
                                      "the profile has no account; run `chorus-client login`"});
    }
    a.jid = *jid;
    a.password = store.get("account.password").value_or("");
    a.host = store.get("account.host").value_or("");
    a.port = static_cast<std::uint16_t>(
        std::strtoul(store.get("account.port").value_or("0").c_str(), nullptr, 10));
    a.direct_tls = store.get("account.direct_tls") == "1";
    a.pinned_sha256 = store.get("account.pin_sha256").value_or("");
    a.allow_imng = store.get("account.imng") != "0";
    return a;
}

void save_account(client::Store& store, const client::Account& a)
{
    store.set("account.jid", a.jid.str());
    store.set("account.password", a.password);  // the file is private to the user (0600)
    store.set("account.host", a.host);
    store.set("account.port", std::to_string(a.port));
    store.set("account.direct_tls", a.direct_tls ? "1" : "0");
    store.set("account.pin_sha256", a.pinned_sha256);
    store.set("account.imng", a.allow_imng ? "1" : "0");
}

}  // namespace chorus::client_app
