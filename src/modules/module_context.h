// ModuleContext: how a module registers features, IQ handlers and hooks; undone on unload.
#pragma once

#include <functional>
#include <vector>

#include "modules/module.h"
#include "server/server.h"

namespace chorus::modules {

class ModuleContext {
public:
    ModuleContext(Server& server, std::string name) : server_(server), name_(std::move(name)) {}
    ~ModuleContext();
    ModuleContext(const ModuleContext&) = delete;
    ModuleContext& operator=(const ModuleContext&) = delete;

    Server& server() noexcept { return server_; }
    const std::string& name() const noexcept { return name_; }

    void add_feature(std::string_view feature, Disco where);
    /// Registers an IQ handler; a duplicate (type, ns, element, addressee) stops startup.
    void on_iq(IqType type, std::string_view ns, std::string_view element, IqHandler handler,
               Addressee addressee = Addressee::server);
    /// Adds fn to a hook chain; removed when the module unloads.
    template <typename Chain, typename Fn>
    void hook(Chain Hooks::*chain, Phase phase, Fn&& fn)
    {
        auto& c = server_.hooks().*chain;
        const auto token = c.add(phase, std::forward<Fn>(fn));
        undo_.push_back([&c, token] { c.remove(token); });
    }
    /// Sets a single-provider hook (archive, store_offline); reset on unload.
    template <typename F, typename Fn>
    void provide(F Hooks::*slot, Fn&& fn)
    {
        auto& s = server_.hooks().*slot;
        s = std::forward<Fn>(fn);
        undo_.push_back([&s] { s = nullptr; });
    }
    /// Serves a component domain (server/components.h); a domain served twice or equal to
    /// a local domain stops startup.
    void serve_domain(std::string domain, Component component);
    /// Serves HTTP requests whose path starts with prefix on the HTTP listener (issue 16);
    /// a prefix served twice stops startup.
    void serve_http(std::string prefix, HttpRoute route);
    /// Runs fn when the module unloads (for state the module keeps outside the server).
    void on_unload(std::function<void()> fn) { undo_.push_back(std::move(fn)); }
    bool failed() const noexcept { return !error_.empty(); }
    const std::string& error() const noexcept { return error_; }

private:
    Server& server_;
    std::string name_;
    std::vector<std::function<void()>> undo_;
    std::string error_;
};

}  // namespace chorus::modules
