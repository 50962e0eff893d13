// XEP-0215: <services/> lists the configured STUN/TURN servers; TURN entries carry
// credentials valid for external_services.turn_ttl (restricted='true', XEP-0215 §3.2);
// entries may name stuns/turns and a transport (parse_service).
#include "modules/extdisco/extdisco.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <charconv>
#include <ctime>

#include "base/encoding.h"
#include "modules/module_context.h"
#include "stanza/namespaces.h"

namespace chorus::modules::extdisco {

namespace {
std::vector<Service> configured(const ExternalServicesConfig& c)
{
    std::vector<Service> out;
    auto add = [&](const std::vector<std::string>& list, const char* type) {
        for (const auto& entry : list) {
            if (auto s = parse_service(entry, type)) {
                out.push_back(std::move(*s));
            } else {
                spdlog::warn("external_services: '{}' is not [type:]host[:port][/udp|/tcp]", entry);
            }
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
        e.set_attr("transport", s.transport);
        if (s.type.starts_with("turn") && !c.turn_secret.empty()) {
            const auto cred = turn_credentials(c.turn_secret, user, now, c.turn_ttl_s);
            e.set_attr("username", cred.username).set_attr("password", cred.password);
            e.set_attr("expires", iso8601(cred.expires)).set_attr("restricted", "true");
        }
    }
    return q;
}
}  // namespace

std::optional<Service> parse_service(std::string_view entry, std::string_view list_type)
{
    Service s;
    s.type = std::string(list_type);
    for (const std::string_view scheme : {"stun:", "stuns:", "turn:", "turns:"}) {
        // Only the list's own kind: a TURN server is not listed as STUN by accident.
        if (entry.starts_with(scheme) && scheme.starts_with(list_type)) {
            s.type = std::string(scheme.substr(0, scheme.size() - 1));
            entry.remove_prefix(scheme.size());
        }
    }
    const bool tls = s.type.ends_with('s');
    s.transport = tls ? "tcp" : "udp";
    if (const auto slash = entry.rfind('/'); slash != std::string_view::npos) {
        s.transport = std::string(entry.substr(slash + 1));
        entry = entry.substr(0, slash);
        if (s.transport != "tcp" && (s.transport != "udp" || tls)) {
            return std::nullopt;  // TLS needs TCP
        }
    }
    s.port = tls ? "5349" : "3478";
    std::string_view port;
    if (entry.starts_with('[')) {  // [IPv6]:port
        const auto close = entry.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        s.host = std::string(entry.substr(1, close - 1));
        const auto rest = entry.substr(close + 1);
        if (!rest.empty() && (!rest.starts_with(':') || rest.size() == 1)) {
            return std::nullopt;
        }
        port = rest.empty() ? rest : rest.substr(1);
    } else if (const auto colon = entry.find(':'); colon != std::string_view::npos) {
        s.host = std::string(entry.substr(0, colon));
        port = entry.substr(colon + 1);
        if (port.empty()) {
            return std::nullopt;
        }
    } else {
        s.host = std::string(entry);
    }
    if (!port.empty()) {
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            return std::nullopt;
        }
        s.port = std::to_string(value);
    }
    if (s.host.empty()) {
        return std::nullopt;
    }
    return s;
}

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
