// XEP-0077 In-Band Registration. Sign-up needs allow_registration; changing one's password
// and cancelling one's own account are always available to an authenticated session.
#include "modules/register/register.h"

#include <spdlog/spdlog.h>

#include "modules/module_context.h"
#include "server/iq_dispatcher.h"
#include "stanza/namespaces.h"
#include "stanza/stream_error.h"
#include "storage/credentials.h"

namespace chorus::modules::register_ {
namespace {

xml::Element registration_form()
{
    xml::Element q("query", std::string(ns::register_));
    q.add_child("instructions", std::string(ns::register_))
        .add_text("Choose a username and password for use with this service.");
    q.add_child("username", std::string(ns::register_));
    q.add_child("password", std::string(ns::register_));
    return q;
}

/// Creates or updates credentials; the error is the stanza error to answer with.
std::optional<StanzaError> store(Server& server, std::string_view node, std::string_view domain,
                                 std::string_view password, bool create)
{
    auto credentials = storage::make_credentials(password, server.config().scram_iterations);
    if (!credentials) {
        return StanzaError::not_acceptable("The password is empty or not allowed");
    }
    auto r = create ? server.accounts().create(node, domain, *credentials)
                    : server.accounts().set_credentials(node, domain, *credentials);
    if (r) {
        return std::nullopt;
    }
    if (r.error().code == storage::StorageError::Code::exists) {
        return StanzaError::conflict("That username is taken");
    }
    spdlog::error("registration of {}@{} failed: {}", node, domain, r.error().message);
    return StanzaError::internal_server_error();
}

/// Sign-up on an unauthenticated stream (XEP-0077 §3.1).
std::optional<xml::Element> preauth(Server& server, std::string_view domain, const xml::Element& iq)
{
    const auto* query = iq.child("query", ns::register_);
    if (!query) {
        return std::nullopt;
    }
    if (!server.config().allow_registration) {
        return iq_reply(iq, StanzaError::not_allowed("In-band registration is disabled"));
    }
    const auto type = iq.attr("type");
    if (type == "get") {
        return iq_reply(iq, IqResult::with(registration_form()));
    }
    if (type != "set") {
        return iq_reply(iq, StanzaError::bad_request());
    }
    const auto username = query->child_text("username", ns::register_);
    const auto password = query->child_text("password", ns::register_);
    if (username.empty() || password.empty()) {
        return iq_reply(iq, StanzaError::not_acceptable("Username and password are required"));
    }
    auto node = nodeprep(username);
    if (!node || node->empty() || node->size() > 1023) {
        return iq_reply(iq, StanzaError::jid_malformed("That username is not allowed"));
    }
    if (auto err = store(server, *node, domain, password, true)) {
        return iq_reply(iq, *err);
    }
    spdlog::info("registered {}@{}", *node, domain);
    return iq_reply(iq, IqResult::empty());
}

/// Password change or cancellation by the account itself (XEP-0077 §3.2, §3.3).
IqResult change(IqRequest& r)
{
    // XEP-0077 sends these to the server; to one's own bare JID is accepted too.
    if (!r.has_session() || (!r.to().node().empty() && !r.from_own_account())) {
        return StanzaError::forbidden();
    }
    const auto& q = r.payload();
    const Jid account = r.from().bare();
    if (q.child("remove", ns::register_)) {
        r.server().hooks().account_deleting.run(account);
        if (auto res = r.server().accounts().remove(account.node(), account.domain()); !res) {
            return StanzaError::internal_server_error();
        }
        spdlog::info("account {} cancelled by its owner", account.str());
        // XEP-0077 §3.2: the account is gone, so are its sessions (after this answer).
        const auto sessions = r.server().sessions().account(account.str());
        const auto error = serialize_stream_error(
            StreamError{StreamCondition::not_authorized, "The account was removed"});
        // Answer first: once the stream closes, the dispatcher's own answer is dropped.
        r.session().send(iq_reply(r.iq(), IqResult::empty()));
        for (auto* s : sessions) {
            s->close_with(error);
        }
        return IqResult::empty();
    }
    const auto username = q.child_text("username", ns::register_);
    const auto password = q.child_text("password", ns::register_);
    if (password.empty() || (!username.empty() && nodeprep(username) != account.node())) {
        return StanzaError::bad_request("Send your own username and the new password");
    }
    if (auto err = store(r.server(), account.node(), account.domain(), password, false)) {
        return *err;
    }
    return IqResult::empty();
}

}  // namespace

ModuleSpec spec()
{
    return {.name = "register",
            .xeps = {{77, "2.4"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                auto& server = ctx.server();
                ctx.add_feature(ns::register_, Disco::server);
                ctx.provide(&Hooks::preauth_iq,
                            [&server](std::string_view domain, const xml::Element& iq) {
                                return preauth(server, domain, iq);
                            });
                if (server.config().allow_registration) {
                    ctx.hook(&Hooks::preauth_features, Phase::process,
                             [](std::vector<xml::Element>& features) {
                                 features.emplace_back("register",
                                                       std::string(ns::register_feature));
                             });
                }
                ctx.on_iq(
                    IqType::get, ns::register_, "query",
                    [](IqRequest& r) -> IqResult {
                        if (!r.has_session()) {
                            return StanzaError::forbidden();
                        }
                        auto form = registration_form();
                        form.add_child("registered", std::string(ns::register_));
                        form.child("username", ns::register_)->add_text(r.from().node());
                        return IqResult::with(std::move(form));
                    },
                    Addressee::server);
                for (auto where : {Addressee::server, Addressee::account}) {
                    ctx.on_iq(IqType::set, ns::register_, "query", change, where);
                }
            }};
}

}  // namespace chorus::modules::register_
