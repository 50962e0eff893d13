// XEP-0215 External Service Discovery: STUN and TURN servers from [external_services],
// with short-lived TURN credentials when a shared secret is configured.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "modules/module.h"

namespace chorus::modules::extdisco {

struct TurnCredentials {
    std::string username;
    std::string password;
    std::int64_t expires = 0;  // unix seconds
};

/// The TURN REST API scheme coturn's use-auth-secret checks (draft-uberti-behave-turn-rest):
/// username "<expiry>:<user>", password base64(HMAC-SHA-1(secret, username)).
TurnCredentials turn_credentials(std::string_view secret, std::string_view user, std::int64_t now,
                                 int ttl_s);

ModuleSpec spec();

}  // namespace chorus::modules::extdisco
