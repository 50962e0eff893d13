// XEP-0215 External Service Discovery: STUN and TURN servers from [external_services],
// with short-lived TURN credentials when a shared secret is configured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "modules/module.h"

namespace chorus::modules::extdisco {

struct TurnCredentials {
    std::string username;
    std::string password;
    std::int64_t expires = 0;  // unix seconds
};

struct Service {
    std::string type;       // stun | stuns | turn | turns
    std::string host;       // without brackets
    std::string port;       // decimal
    std::string transport;  // udp | tcp
};

/// One [external_services] entry: "[type:]host[:port][/transport]" (an IPv6 host in
/// brackets), in a list whose type is list_type ("stun" or "turn"). A "stuns:"/"turns:"
/// prefix means TLS (over TCP, port 5349 by default); otherwise port 3478 over UDP.
std::optional<Service> parse_service(std::string_view entry, std::string_view list_type);

/// The TURN REST API scheme coturn's use-auth-secret checks (draft-uberti-behave-turn-rest):
/// username "<expiry>:<user>", password base64(HMAC-SHA-1(secret, username)).
TurnCredentials turn_credentials(std::string_view secret, std::string_view user, std::int64_t now,
                                 int ttl_s);

ModuleSpec spec();

}  // namespace chorus::modules::extdisco
