// XEP-0409 IM Routing-NG: <enable/> (and Chorus' <disable/> extension) per session.
// ROUTING.md "Discovery and activation"; the routing itself is src/router/message_rules.
#include "modules/imng/imng.h"

#include <spdlog/spdlog.h>

#include "modules/module_context.h"
#include "stanza/namespaces.h"
#include "storage/imng_devices.h"

namespace chorus::modules::imng {
namespace {

/// Listed in disco when <disable/> is offered (ROUTING.md: an extension, announced).
constexpr std::string_view disable_feature = "urn:xmpp:im-ng:0#disable";

IqResult set_imng(IqRequest& request, bool enable, storage::ImngDevices& devices)
{
    // ROUTING.md: addressed to nobody, to the own bare JID, or to the own domain.
    const bool to_own_domain =
        request.to().node().empty() && request.to().domain() == request.from().domain();
    if (!request.has_session() || !(request.from_own_account() || to_own_domain)) {
        return StanzaError::forbidden("IM-NG is enabled by a session for itself");
    }
    // XEP-0409 §4: "A client activating IM-NG MUST NOT also activate Carbons."
    if (enable && request.session().flags().carbons) {
        return StanzaError::not_allowed(
            "IM-NG cannot be enabled on a session with Carbons enabled (XEP-0409)");
    }
    request.session().flags().imng = enable;
    if (enable) {
        // Kept beyond the session: when the account is offline and its offline queue is
        // full, the router stays silent only for accounts that catch up from MAM.
        if (auto r = devices.remember(request.from().bare_str()); !r) {
            spdlog::error("imng: remembering {}: {}", request.from().bare_str(), r.error().message);
        }
    }
    return IqResult::empty();
}

}  // namespace

ModuleSpec spec()
{
    return {.name = "imng",
            .xeps = {{409, "0.1.0"}},
            .depends = {"disco", "mam"},
            .attach = [](ModuleContext& ctx) {
                auto* devices = &ctx.server().storage().imng_devices();
                ctx.provide(&Hooks::has_imng_device, [devices](const Jid& owner) {
                    auto has = devices->has_device(owner.bare_str());
                    return has && *has;  // unknown (a storage error): the sender is told
                });
                for (auto where : {Disco::server, Disco::account}) {
                    ctx.add_feature(ns::imng, where);
                    ctx.add_feature(disable_feature, where);
                }
                for (auto where : {Addressee::server, Addressee::account}) {
                    ctx.on_iq(
                        IqType::set, ns::imng, "enable",
                        [devices](IqRequest& r) { return set_imng(r, true, *devices); }, where);
                    ctx.on_iq(
                        IqType::set, ns::imng, "disable",
                        [devices](IqRequest& r) { return set_imng(r, false, *devices); }, where);
                }
            }};
}

}  // namespace chorus::modules::imng
