// IQ dispatch with standard answers (RFC 6120 §8.2.3).
#include "server/iq_dispatcher.h"

#include <spdlog/spdlog.h>

#include "stanza/namespaces.h"

namespace chorus {

bool IqDispatcher::add(Key key, modules::IqHandler handler)
{
    return handlers_.emplace(std::move(key), std::move(handler)).second;
}

void IqDispatcher::remove(const Key& key) { handlers_.erase(key); }

xml::Element iq_reply(const xml::Element& iq, const modules::IqResult& result)
{
    if (result.error()) {
        if (auto reply = error_reply(iq, *result.error())) {
            return std::move(*reply);
        }
    }
    xml::Element reply("iq", iq.ns());
    if (auto from = iq.attr("from"); !from.empty()) {
        reply.set_attr("to", from);
    }
    if (auto to = iq.attr("to"); !to.empty()) {
        reply.set_attr("from", to);
    }
    reply.set_attr("id", iq.attr("id"));
    reply.set_attr("type", "result");
    if (result.payload()) {
        reply.add_child(*result.payload());
    }
    return reply;
}

xml::Element IqDispatcher::dispatch(modules::IqRequest& request,
                                    modules::Addressee addressee) const
{
    const auto& iq = request.iq();
    const auto& payload = request.payload();
    const auto type = iq.attr("type") == "get" ? modules::IqType::get : modules::IqType::set;
    auto it = handlers_.find(Key{type, payload.ns(), payload.name(), addressee});
    if (it == handlers_.end()) {
        return iq_reply(iq, StanzaError::service_unavailable());
    }
    try {
        return iq_reply(iq, it->second(request));
    } catch (const std::exception& e) {
        spdlog::error("IQ handler for {{{}}}{} failed: {}", payload.ns(), payload.name(), e.what());
        return iq_reply(iq, StanzaError::internal_server_error());
    }
}

}  // namespace chorus
