// RFC 3921 session establishment: a no-op that old clients still send after binding.
#include "modules/session/session.h"

#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::session {

ModuleSpec spec()
{
    return {.name = "session", .xeps = {}, .depends = {}, .attach = [](ModuleContext& ctx) {
                ctx.on_iq(IqType::set, ns::session, "session",
                          [](IqRequest&) { return IqResult::empty(); });
            }};
}

}  // namespace chorus::modules::session
