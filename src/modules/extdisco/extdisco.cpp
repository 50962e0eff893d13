// XEP-0215: <services/> lists the configured STUN/TURN servers; TURN entries carry
// credentials valid for external_services.turn_ttl (restricted='true', XEP-0215 §3.2).
#include "modules/extdisco/extdisco.h"

#include <fmt/format.h>
#include <charconv>
#include <ctime>

#include "base/encoding.h"
#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::extdisco {

namespace {
struct Service {
    std::string type;  // stun | turn
    std::string host;
    std::string port;
};

std::vector<Service> configured(const ExternalServicesConfig& c)
{
    std::vector<Service> out;
    auto add = [&](const std::vector<std::string>& list, const char* type) {
        for (const auto& entry : list) {
            const auto colon = entry.rfind(':');
            out.push_back({type, entry.substr(0, colon),
                           colon == std::string::npos ? "3478" : entry.substr(colon + 1)});
        }
    };
    add(c.stun, "stun");
    add(c.turn, "turn");
    return out;
}

std::string iso8601(std::int64_t unix_s)
{
    const std::time_t t = unix_s;
    std::tm tm{};
    gmtime_r(&t, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/// The <service/> elements of the requested type (all when empty), for user.
xml::Element services(IqRequest& r, std::string_view element_name, std::string_view type,
                      std::string_view host)
{
    const auto& c = r.server().config().external_services;
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         r.server().clock().now().time_since_epoch())
                         .count();
    const auto user = r.from().bare().str();
    xml::Element q(std::string(element_name), std::string(ns::extdisco));
    for (const auto& s : configured(c)) {
        if ((!type.empty() && s.type != type) || (!host.empty() && s.host != host)) {
            continue;
        }
        auto& e = q.add_child("service", std::string(ns::extdisco));
        e.set_attr("type", s.type).set_attr("host", s.host).set_attr("port", s.port);
        e.set_attr("transport", "udp");
        if (s.type == "turn" && !c.turn_secret.empty()) {
            const auto cred = turn_credentials(c.turn_secret, user, now, c.turn_ttl_s);
            e.set_attr("username", cred.username).set_attr("password", cred.password);
            e.set_attr("expires", iso8601(cred.expires)).set_attr("restricted", "true");
        }
    }
    return q;
}
}  // namespace

TurnCredentials turn_credentials(std::string_view secret, std::string_view user, std::int64_t now,
                                 int ttl_s)
{
    TurnCredentials c;
    c.expires = now + ttl_s;
    c.username = std::to_string(c.expires) + ':' + std::string(user);
    c.password = base64_encode(hmac_sha1(secret, c.username));
    return c;
}

ModuleSpec spec()
{
    return {.name = "extdisco",
            .xeps = {{215, "1.0.0"}},
            .depends = {"disco"},
            .attach = [](ModuleContext& ctx) {
                const auto& c = ctx.server().config().external_services;
                if (c.stun.empty() && c.turn.empty()) {
                    return;
                }
                ctx.add_feature(ns::extdisco, Disco::server);
                ctx.on_iq(IqType::get, ns::extdisco, "services", [](IqRequest& r) {
                    return IqResult::with(services(r, "services", r.payload().attr("type"), {}));
                });
                // §3.3: credentials for one service named by host (and type).
                ctx.on_iq(IqType::get, ns::extdisco, "credentials", [](IqRequest& r) {
                    const auto* s = r.payload().child("service", ns::extdisco);
                    if (!s || s->attr("host").empty()) {
                        return IqResult(StanzaError::bad_request("Name a service by host"));
                    }
                    auto q = services(r, "credentials", s->attr("type"), s->attr("host"));
                    if (q.element_count() == 0) {
                        return IqResult(StanzaError::item_not_found("No such service"));
                    }
                    return IqResult::with(std::move(q));
                });
            }};
}

}  // namespace chorus::modules::extdisco
