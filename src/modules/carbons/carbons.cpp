// XEP-0280 Message Carbons: enable/disable per session. The router makes the <received/>
// and <sent/> copies (ROUTING.md), so legacy and IM-NG devices of one account mix.
#include "modules/carbons/carbons.h"

#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::carbons {
namespace {
IqResult set_carbons(IqRequest& request, bool enable)
{
    if (!request.has_session() || !request.from_own_account()) {
        return StanzaError::forbidden("Carbons are enabled by a session for itself");
    }
    // XEP-0409: "A client activating IM-NG MUST NOT also activate Carbons."
    if (enable && request.session().imng()) {
        return StanzaError::not_allowed("Carbons cannot be enabled on an IM-NG session");
    }
    request.session().flags().carbons = enable;
    return IqResult::empty();
}
}  // namespace

ModuleSpec spec()
{
    return {.name = "carbons", .xeps = {{280, "1.0.1"}}, .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                ctx.add_feature(ns::carbons, Disco::server);
                for (auto where : {Addressee::server, Addressee::account}) {
                    ctx.on_iq(IqType::set, ns::carbons, "enable",
                              [](IqRequest& r) { return set_carbons(r, true); }, where);
                    ctx.on_iq(IqType::set, ns::carbons, "disable",
                              [](IqRequest& r) { return set_carbons(r, false); }, where);
                }
            }};
}
}  // namespace chorus::modules::carbons
