// XEP-0157: the server's contact addresses as an extended disco#info form (XEP-0128).
#include "modules/contact/contact.h"

#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::contact {

ModuleSpec spec()
{
    return {.name = "contact",
            .xeps = {{157, "1.1.1"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                const auto& c = ctx.server().config().contact;
                std::map<std::string, std::vector<std::string>> fields;
                // XEP-0157 §2: <kind>-addresses, each a URI (mailto:, xmpp:, https:).
                const std::pair<const char*, const std::vector<std::string>*> kinds[] = {
                    {"abuse-addresses", &c.abuse},       {"admin-addresses", &c.admin},
                    {"feedback-addresses", &c.feedback}, {"sales-addresses", &c.sales},
                    {"security-addresses", &c.security}, {"support-addresses", &c.support},
                };
                for (const auto& [var, values] : kinds) {
                    if (!values->empty()) {
                        fields.emplace(var, *values);
                    }
                }
                if (fields.empty()) {
                    return;
                }
                auto& forms = ctx.server().disco().server_forms;
                forms[std::string(ns::serverinfo)] = std::move(fields);
                ctx.on_unload([&forms] { forms.erase(std::string(ns::serverinfo)); });
            }};
}

}  // namespace chorus::modules::contact
