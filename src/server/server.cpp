// Server: storage, modules and shared state of one node.
#include "server/server.h"

#include <fmt/format.h>

#include <algorithm>

#include "base/encoding.h"
#include "modules/all_modules.h"
#include "modules/module_context.h"
#include "router/router.h"
#include "stanza/namespaces.h"

namespace chorus {

std::string DiscoRegistry::caps_ver() const
{
    // XEP-0115 §5.1: identities then features, each followed by '<'.
    std::string s = "server/im//Chorus<";
    for (const auto& f : server_features) {
        s += f;
        s += '<';
    }
    return base64_encode(sha1(s));
}

Server::Server(boost::asio::io_context& io, Config config, const Clock& clock)
    : io_(io), config_(std::move(config)), clock_(clock)
{
}

Server::~Server()
{
    while (!modules_.empty()) {  // unload in reverse order
        modules_.pop_back();
    }
}

namespace {

/// Drops the modules named in modules_disabled; an unknown name, or one that a loaded
/// module depends on, is a startup error naming the option.
Result<void, std::string> remove_disabled(std::vector<modules::ModuleSpec>& specs,
                                          const std::vector<std::string>& disabled)
{
    auto named = [&](std::string_view name) {
        return std::find(disabled.begin(), disabled.end(), name) != disabled.end();
    };
    for (const auto& name : disabled) {
        if (std::none_of(specs.begin(), specs.end(), [&](auto& s) { return s.name == name; })) {
            return unexpected("modules_disabled: no module named '" + name + "'");
        }
    }
    for (const auto& spec : specs) {
        for (const auto& dep : named(spec.name) ? std::vector<std::string>{} : spec.depends) {
            if (named(dep)) {
                return unexpected("modules_disabled: '" + std::string(dep) + "' is needed by '" +
                                  std::string(spec.name) + "'");
            }
        }
    }
    std::erase_if(specs, [&](const auto& s) { return named(s.name); });
    return {};
}

}  // namespace

Result<void, std::string> Server::start()
{
    auto opened = storage::open_storage(config_);
    if (!opened) {
        return unexpected(opened.error());
    }
    storage_ = std::move(*opened);
    accounts_ = &storage_->accounts();
    router_ = std::make_unique<Router>(*this);
    auto specs = modules::all_modules();
    if (auto r = remove_disabled(specs, config_.modules_disabled); !r) {
        return r;
    }
    for (auto& spec : specs) {
        auto ctx = std::make_unique<modules::ModuleContext>(*this, spec.name);
        spec.attach(*ctx);
        if (ctx->failed()) {
            return unexpected(ctx->error());
        }
        modules_.push_back(std::move(ctx));
    }
    return {};
}

bool Server::is_local_domain(std::string_view domain) const noexcept
{
    for (const auto& d : config_.domains) {
        if (d == domain) {
            return true;
        }
    }
    return false;
}

std::string Server::next_id()
{
    return fmt::format("chorus-{:x}", ++id_counter_);
}

}  // namespace chorus
