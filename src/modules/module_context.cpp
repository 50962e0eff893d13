// ModuleContext registration and automatic undo.
#include "modules/module_context.h"

#include <fmt/format.h>

namespace chorus::modules {

ModuleContext::~ModuleContext()
{
    for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
        (*it)();
    }
}

void ModuleContext::add_feature(std::string_view feature, Disco where)
{
    auto& set =
        where == Disco::server ? server_.disco().server_features : server_.disco().account_features;
    auto [it, inserted] = set.emplace(feature);
    if (inserted) {
        undo_.push_back([&set, it] { set.erase(it); });
    }
}

void ModuleContext::on_iq(IqType type, std::string_view ns, std::string_view element,
                          IqHandler handler, Addressee addressee)
{
    IqDispatcher::Key key{type, std::string(ns), std::string(element), addressee};
    if (!server_.iq().add(key, std::move(handler))) {
        error_ = fmt::format("module {}: duplicate IQ handler for {{{}}}{}", name_, ns, element);
        return;
    }
    undo_.push_back([this, key] { server_.iq().remove(key); });
}

void ModuleContext::serve_domain(std::string domain, Component component)
{
    if (server_.is_local_domain(domain) ||
        !server_.components().add(domain, std::move(component))) {
        error_ = fmt::format("module {}: the domain {} is already served", name_, domain);
        return;
    }
    undo_.push_back([this, domain] { server_.components().remove(domain); });
}

void ModuleContext::serve_http(std::string prefix, HttpRoute route)
{
    if (!server_.http_routes().add(prefix, std::move(route))) {
        error_ = fmt::format("module {}: the HTTP path {} is already served", name_, prefix);
        return;
    }
    undo_.push_back([this, prefix] { server_.http_routes().remove(prefix); });
}

}  // namespace chorus::modules
