// XEP-0199 XMPP Ping: the server answers pings to itself and to accounts it hosts.
#include "modules/ping/ping.h"

#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::ping {

ModuleSpec spec()
{
    return {.name = "ping", .xeps = {{199, "2.0.1"}}, .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                ctx.add_feature(ns::ping, Disco::server);
                ctx.on_iq(IqType::get, ns::ping, "ping",
                          [](IqRequest&) { return IqResult::empty(); });
            }};
}

}  // namespace chorus::modules::ping
