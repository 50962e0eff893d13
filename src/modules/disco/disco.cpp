// XEP-0030 Service Discovery: disco#info/#items of the server and of accounts.
#include "modules/disco/disco.h"

#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::disco {
namespace {

xml::Element info(const std::set<std::string>& features, std::string_view category,
                  std::string_view type, std::string_view name, std::string_view node)
{
    xml::Element q("query", std::string(ns::disco_info));
    if (!node.empty()) {
        q.set_attr("node", node);
    }
    auto& id = q.add_child("identity", std::string(ns::disco_info));
    id.set_attr("category", category).set_attr("type", type);
    if (!name.empty()) {
        id.set_attr("name", name);
    }
    for (const auto& f : features) {
        q.add_child("feature", std::string(ns::disco_info)).set_attr("var", f);
    }
    return q;
}

IqResult server_info(IqRequest& r)
{
    const auto node = r.payload().attr("node");
    if (!node.empty() && node != std::string(caps_node) + "#" + r.server().disco().caps_ver()) {
        return StanzaError::item_not_found();
    }
    auto q = info(r.server().disco().server_features, "server", "im", "Chorus", node);
    for (const auto& [form_type, fields] : r.server().disco().server_forms) {  // XEP-0128
        auto& x = q.add_child("x", std::string(ns::data_forms)).set_attr("type", "result");
        auto& type = x.add_child("field", std::string(ns::data_forms));
        type.set_attr("var", "FORM_TYPE").set_attr("type", "hidden");
        type.add_child("value", std::string(ns::data_forms)).add_text(form_type);
        for (const auto& [var, values] : fields) {
            auto& field = x.add_child("field", std::string(ns::data_forms)).set_attr("var", var);
            for (const auto& v : values) {
                field.add_child("value", std::string(ns::data_forms)).add_text(v);
            }
        }
    }
    return IqResult::with(std::move(q));
}

IqResult account_info(IqRequest& r)
{
    if (!r.payload().attr("node").empty()) {
        return StanzaError::item_not_found();
    }
    // XEP-0030 §3.1: an account answers as its owner sees it; others see only that it exists.
    auto q = info(r.server().disco().account_features, "account", "registered", {}, {});
    for (const auto& [category, type] : r.server().disco().account_identities) {
        xml::Element id("identity", std::string(ns::disco_info));
        id.set_attr("category", category).set_attr("type", type);
        q.nodes().insert(q.nodes().begin() + 1, std::move(id));
    }
    return IqResult::with(std::move(q));
}

IqResult items(IqRequest& r)
{
    if (!r.payload().attr("node").empty()) {
        return StanzaError::item_not_found();
    }
    xml::Element q("query", std::string(ns::disco_items));
    if (const auto& listed = r.server().disco().account_items) {
        for (auto& item : listed(r.to(), r.from())) {
            q.add_child(std::move(item));
        }
    }
    return IqResult::with(std::move(q));
}

/// The server's items are its components (XEP-0030 §4: services the server hosts).
IqResult server_items(IqRequest& r)
{
    if (!r.payload().attr("node").empty()) {
        return StanzaError::item_not_found();
    }
    xml::Element q("query", std::string(ns::disco_items));
    for (const auto& [domain, component] : r.server().components().all()) {
        auto& item = q.add_child("item", std::string(ns::disco_items)).set_attr("jid", domain);
        if (!component.name.empty()) {
            item.set_attr("name", component.name);
        }
    }
    return IqResult::with(std::move(q));
}

}  // namespace

ModuleSpec spec()
{
    return {.name = "disco",
            .xeps = {{30, "2.5rc3"}, {115, "1.6.0"}},
            .depends = {},
            .attach = [](ModuleContext& ctx) {
                ctx.add_feature(ns::disco_info, Disco::server);
                ctx.add_feature(ns::disco_items, Disco::server);
                ctx.add_feature(ns::disco_info, Disco::account);
                ctx.add_feature(ns::disco_items, Disco::account);
                ctx.on_iq(IqType::get, ns::disco_info, "query", server_info);
                ctx.on_iq(IqType::get, ns::disco_items, "query", server_items);
                ctx.on_iq(IqType::get, ns::disco_info, "query", account_info, Addressee::account);
                ctx.on_iq(IqType::get, ns::disco_items, "query", items, Addressee::account);
            }};
}

}  // namespace chorus::modules::disco
