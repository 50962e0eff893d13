// XEP-0054 vcard-temp: an account stores its own <vCard/>; anyone may read a local
// account's vCard at its bare JID, answered by the server on the account's behalf.
#include "modules/vcard/vcard.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "modules/module_context.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "storage/vcards.h"
#include "xml/serializer.h"

namespace chorus::modules::vcard {
namespace {

// vCards carry avatars (XEP-0153) as base64 PHOTO; 64 KiB holds a small one and keeps a
// directory of vCards from growing without bound.
constexpr std::size_t max_vcard_bytes = 64 * 1024;

class VcardModule {
public:
    explicit VcardModule(Server& server) : store_(server.storage().vcards()) {}

    IqResult get(IqRequest& r)
    {
        const auto& owner = r.to().str();
        auto stored = store_.get(owner);
        if (!stored) {
            spdlog::error("vcard: reading the vCard of {}: {}", owner, stored.error().message);
            return StanzaError::internal_server_error();
        }
        if (!*stored) {
            // XEP-0054 §3.1: the owner gets an empty vCard. §3.3: for another user the
            // server answers as for an account that does not exist (the router's
            // service-unavailable), so vCards cannot be used to harvest account names.
            if (r.from_own_account()) {
                return IqResult::with(xml::Element("vCard", std::string(ns::vcard)));
            }
            return StanzaError::service_unavailable();
        }
        auto vcard = parse_stanza_bytes(**stored);  // one element, as to_string wrote it
        if (!vcard || !vcard->is("vCard", ns::vcard)) {
            spdlog::error("vcard: the stored vCard of {} does not parse", owner);
            return StanzaError::internal_server_error();
        }
        return IqResult::with(std::move(*vcard));
    }

    IqResult set(IqRequest& r)
    {
        // XEP-0054 §3.2: nobody sets another user's vCard.
        if (!r.from_own_account()) {
            return StanzaError::forbidden("A vCard is set by its owner only");
        }
        const auto text = xml::to_string(r.payload());
        if (text.size() > max_vcard_bytes) {
            return StanzaError::not_acceptable("The vCard is larger than 64 KiB");
        }
        if (auto stored = store_.put(r.to().str(), text); !stored) {
            spdlog::error("vcard: storing the vCard of {}: {}", r.to().str(),
                          stored.error().message);
            return StanzaError::internal_server_error();
        }
        return IqResult::empty();
    }

private:
    storage::Vcards& store_;
};

}  // namespace

ModuleSpec spec()
{
    return {.name = "vcard",
            .xeps = {{54, "1.2"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto m = std::make_shared<VcardModule>(ctx.server());
                ctx.add_feature(ns::vcard, Disco::server);
                ctx.on_iq(
                    IqType::get, ns::vcard, "vCard", [m](IqRequest& r) { return m->get(r); },
                    Addressee::account);
                ctx.on_iq(
                    IqType::set, ns::vcard, "vCard", [m](IqRequest& r) { return m->set(r); },
                    Addressee::account);
            }};
}

}  // namespace chorus::modules::vcard
