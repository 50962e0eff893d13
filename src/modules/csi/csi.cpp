// XEP-0352 Client State Indication: advertised after authentication (§4); the c2s stream
// carries out <active/> and <inactive/> (src/stream/csi_queue.h), as they are nonzas.
#include "modules/csi/csi.h"

#include "modules/module_context.h"
#include "server/hooks.h"
#include "stanza/namespaces.h"

namespace chorus::modules::csi {

ModuleSpec spec()
{
    return {
        .name = "csi", .xeps = {{352, "1.0.0"}}, .depends = {}, .attach = [](ModuleContext& ctx) {
            ctx.hook(&Hooks::stream_features, Phase::process,
                     [](std::vector<xml::Element>& features) {
                         features.emplace_back("csi", std::string(ns::csi));
                     });
        }};
}

}  // namespace chorus::modules::csi
