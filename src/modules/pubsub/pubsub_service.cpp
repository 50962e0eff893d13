// XEP-0060 generic publish-subscribe service on its own domain (pubsub.<domain> unless
// [pubsub] service_domain says otherwise): the engine of PEP with the domain as service,
// nodes owned by whoever created them, created by local users only. It is a component
// (server/components.h): every stanza for its domain reaches handle(), answers go back
// through the router.
#include "modules/pubsub/pubsub_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "modules/module_context.h"
#include "modules/pubsub/pubsub_iq.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"

namespace chorus::modules::pubsub {
namespace {

constexpr std::string_view service_features[] = {
    "access-open",
    "access-whitelist",
    "auto-create",
    "config-node",
    "create-and-configure",
    "create-nodes",
    "delete-items",
    "delete-nodes",
    "instant-nodes",
    "item-ids",
    "manage-subscriptions",
    "modify-affiliations",
    "persistent-items",
    "publish",
    "publish-options",
    "purge-nodes",
    "retract-items",
    "retrieve-affiliations",
    "retrieve-default",
    "retrieve-items",
    "retrieve-subscriptions",
    "subscribe",
};

class PubsubService {
public:
    PubsubService(Server& server, std::string domain)
        : server_(server),
          domain_(std::move(domain)),
          engine_(server.storage().pubsub(), server.clock(),
                  Limits{.max_items = server.config().pubsub_max_items,
                         .max_nodes = server.config().pubsub_max_nodes,
                         .max_item_bytes = server.config().pubsub_max_item_bytes},
                  ServiceRules{.pep = false,
                               .relation = nullptr,
                               .may_create =
                                   [&server](const Jid& requester) {
                                       return server.is_local_domain(requester.domain());
                                   },
                               .default_access = AccessModel::open})
    {
    }

    void handle(xml::Element stanza)
    {
        if (stanza.name() != "iq") {
            // Messages and presence to the service mean nothing to it (XEP-0060 has none).
            if (stanza.name() == "message" && stanza.attr("type") != "error") {
                server_.router().bounce(stanza, StanzaError::service_unavailable());
            }
            return;
        }
        const auto type = stanza.attr("type");
        if (type != "get" && type != "set") {
            return;
        }
        auto from = Jid::parse(stanza.attr("from"));
        if (!from) {
            return;
        }
        if (stanza.element_count() != 1) {
            server_.router().bounce(stanza, StanzaError::bad_request("Exactly one child"));
            return;
        }
        const auto& payload = *stanza.first_element();
        const bool is_set = type == "set";
        IqResult result = StanzaError::service_unavailable();
        std::vector<Event> events;
        std::optional<std::pair<std::string, Jid>> send_last;
        const bool to_service = Jid::parse(stanza.attr("to")).value_or(Jid()).node().empty();
        if (to_service &&
            (payload.is("pubsub", ns::pubsub) || payload.is("pubsub", ns::pubsub_owner))) {
            auto outcome = handle_pubsub_iq(engine_, domain_, *from, payload, is_set);
            result = std::move(outcome.result);
            events = std::move(outcome.events);
            send_last = std::move(outcome.send_last);
        } else if (to_service && !is_set && payload.is("query", ns::disco_info)) {
            result = disco_info(payload);
        } else if (to_service && !is_set && payload.is("query", ns::disco_items)) {
            result = disco_items(payload, *from);
        }
        server_.router().route(reply_to(stanza, result));
        for (const auto& e : events) {
            for (const auto& s : e.subscribers) {
                send_event(s, e.event);
            }
        }
        if (send_last) {
            auto config = engine_.node_config(domain_, send_last->first);
            auto item = engine_.last_item(domain_, send_last->first);
            if (config && item) {
                send_event(send_last->second.str(), Engine::items_event(send_last->first, {*item},
                                                                        config->deliver_payloads));
            }
        }
    }

private:
    xml::Element reply_to(const xml::Element& iq, const IqResult& result)
    {
        if (result.error()) {
            return *error_reply(iq, *result.error());
        }
        xml::Element reply("iq", std::string(ns::client));
        reply.set_attr("type", "result")
            .set_attr("id", iq.attr("id"))
            .set_attr("from", iq.attr("to"))
            .set_attr("to", iq.attr("from"));
        if (result.payload()) {
            reply.add_child(*result.payload());
        }
        return reply;
    }

    IqResult disco_info(const xml::Element& query)
    {
        xml::Element q("query", std::string(ns::disco_info));
        const auto node = query.attr("node");
        if (!node.empty()) {
            // XEP-0060 §5.3: a node's identity (leaf) and meta-data.
            auto config = engine_.node_config(domain_, node);
            if (!config) {
                return StanzaError::item_not_found();
            }
            q.set_attr("node", node);
            q.add_child("identity", std::string(ns::disco_info))
                .set_attr("category", "pubsub")
                .set_attr("type", "leaf");
            q.add_child("feature", std::string(ns::disco_info)).set_attr("var", ns::pubsub);
            return IqResult::with(std::move(q));
        }
        q.add_child("identity", std::string(ns::disco_info))
            .set_attr("category", "pubsub")
            .set_attr("type", "service")
            .set_attr("name", "Chorus publish-subscribe");
        for (auto f : {ns::disco_info, ns::disco_items, ns::pubsub}) {
            q.add_child("feature", std::string(ns::disco_info)).set_attr("var", f);
        }
        for (auto f : service_features) {
            q.add_child("feature", std::string(ns::disco_info))
                .set_attr("var", std::string(ns::pubsub) + "#" + std::string(f));
        }
        return IqResult::with(std::move(q));
    }

    IqResult disco_items(const xml::Element& query, const Jid& from)
    {
        if (!query.attr("node").empty()) {
            return IqResult::with(xml::Element("query", std::string(ns::disco_items)));
        }
        xml::Element q("query", std::string(ns::disco_items));
        for (const auto& [node, config] : engine_.visible_nodes(domain_, from)) {
            auto& item = q.add_child("item", std::string(ns::disco_items));
            item.set_attr("jid", domain_).set_attr("node", node);
            if (!config.title.empty()) {
                item.set_attr("name", config.title);
            }
        }
        return IqResult::with(std::move(q));
    }

    void send_event(const std::string& to, const xml::Element& event)
    {
        xml::Element message("message", std::string(ns::client));
        message.set_attr("from", domain_)
            .set_attr("to", to)
            .set_attr("type", "headline")
            .set_attr("id", server_.next_id());
        message.add_child(event);
        server_.router().route(std::move(message));
    }

    Server& server_;
    std::string domain_;
    Engine engine_;
};

}  // namespace

ModuleSpec spec()
{
    return {.name = "pubsub",
            .xeps = {{60, "1.26.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                const auto& config = ctx.server().config();
                if (!config.pubsub_service) {
                    return;
                }
                const std::string domain = config.pubsub_service_domain.empty()
                                               ? "pubsub." + config.domains.front()
                                               : config.pubsub_service_domain;
                auto service = std::make_shared<PubsubService>(ctx.server(), domain);
                ctx.serve_domain(domain, Component{.category = "pubsub",
                                                   .type = "service",
                                                   .name = "Chorus publish-subscribe",
                                                   .handle = [service](xml::Element stanza) {
                                                       service->handle(std::move(stanza));
                                                       return std::int64_t{0};
                                                   }});
            }};
}

}  // namespace chorus::modules::pubsub
