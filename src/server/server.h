// Server: the running node's shared state: config, storage, sessions, router, modules.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/config.h"
#include "modules/module.h"
#include "router/session_table.h"
#include "server/components.h"
#include "server/hooks.h"
#include "server/http_routes.h"
#include "server/iq_dispatcher.h"
#include "server/read_gate.h"
#include "server/remote_routes.h"
#include "storage/storage.h"

namespace chorus {

class Router;
namespace modules {
class ModuleContext;
}

/// XEP-0115 node of Chorus' own caps.
inline constexpr std::string_view caps_node = "https://chorus.im";

/// Features and identities answered in disco#info (XEP-0030) and hashed for caps (XEP-0115).
struct DiscoRegistry {
    std::set<std::string> server_features;
    std::set<std::string> account_features;
    /// XEP-0128 extended information of the server (e.g. XEP-0157 contact addresses):
    /// FORM_TYPE -> field var -> values.
    std::map<std::string, std::map<std::string, std::vector<std::string>>> server_forms;
    /// Identities every account shows besides account/registered (XEP-0163: pubsub/pep).
    std::set<std::pair<std::string, std::string>> account_identities;
    /// An account's disco#items as `requester` may see them (its PEP nodes); set by pep.
    std::function<std::vector<xml::Element>(const Jid& account, const Jid& requester)>
        account_items;
    /// XEP-0115 ver of the server's disco#info.
    std::string caps_ver() const;
};

class Server {
public:
    Server(boost::asio::io_context& io, Config config, const Clock& clock);
    ~Server();

    /// Opens the configured storage and attaches every module; the error says what failed.
    Result<void, std::string> start();

    boost::asio::io_context& io() noexcept { return io_; }
    const Config& config() const noexcept { return config_; }
    const Clock& clock() const noexcept { return clock_; }
    /// The stores of the configured backend; modules take the interfaces they use at attach.
    storage::Storage& storage() noexcept { return *storage_; }
    /// storage().accounts(), without the virtual call: the router asks it per message.
    storage::Accounts& accounts() noexcept { return *accounts_; }
    router::SessionTable& sessions() noexcept { return sessions_; }
    Router& router() noexcept { return *router_; }
    IqDispatcher& iq() noexcept { return iq_; }
    Hooks& hooks() noexcept { return hooks_; }
    DiscoRegistry& disco() noexcept { return disco_; }
    /// Services on their own domains; not local domains (is_local_domain is false for them).
    Components& components() noexcept { return components_; }
    ReadGate& read_gate() noexcept { return read_gate_; }
    /// Federation (s2s), when the process runs it; null: remote domains are unreachable.
    RemoteRoutes* remote() noexcept { return remote_; }
    void set_remote(RemoteRoutes* remote) noexcept { remote_ = remote; }
    /// Issue 16: paths the HTTP listener serves for modules (XEP-0363 upload).
    HttpRoutes& http_routes() noexcept { return http_routes_; }
    /// Where clients reach the HTTP listener ("http://127.0.0.1:5280"); set once it listens.
    const std::string& http_url() const noexcept { return http_url_; }
    void set_http_url(std::string url) { http_url_ = std::move(url); }
    bool is_local_domain(std::string_view domain) const noexcept;
    /// A fresh unique id for server-generated stanzas.
    std::string next_id();

private:
    boost::asio::io_context& io_;
    Config config_;
    const Clock& clock_;
    std::unique_ptr<storage::Storage> storage_;
    storage::Accounts* accounts_ = nullptr;  // owned by storage_
    router::SessionTable sessions_;
    std::unique_ptr<Router> router_;
    IqDispatcher iq_;
    Hooks hooks_;
    DiscoRegistry disco_;
    Components components_;
    ReadGate read_gate_;
    RemoteRoutes* remote_ = nullptr;
    HttpRoutes http_routes_;  // issue 16
    std::string http_url_;
    std::vector<std::unique_ptr<modules::ModuleContext>> modules_;
    std::uint64_t id_counter_ = 0;
};

}  // namespace chorus
