// XEP-0092 Software Version of the server.
#include "modules/version/version.h"

#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::version {

ModuleSpec spec()
{
    return {.name = "version", .xeps = {{92, "1.1"}}, .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                ctx.add_feature(ns::version, Disco::server);
                ctx.on_iq(IqType::get, ns::version, "query", [](IqRequest&) {
                    xml::Element q("query", std::string(ns::version));
                    q.add_child("name", std::string(ns::version)).add_text("Chorus");
                    q.add_child("version", std::string(ns::version)).add_text(CHORUS_VERSION);
                    return IqResult::with(std::move(q));
                });
            }};
}

}  // namespace chorus::modules::version
