// Tests for src/modules/extdisco: TURN REST API credentials as coturn checks them.
#include "modules/extdisco/extdisco.h"

#include <gtest/gtest.h>

#include "base/encoding.h"

namespace chorus::modules::extdisco {
namespace {

TEST(TurnCredentials, UsernameIsExpiryColonUserAndPasswordItsHmac)
{
    const auto c = turn_credentials("north", "juliet@localhost", 1700000000, 86400);
    EXPECT_EQ(c.expires, 1700086400);
    EXPECT_EQ(c.username, "1700086400:juliet@localhost");
    // coturn (use-auth-secret): base64(HMAC-SHA1(static-auth-secret, username)).
    EXPECT_EQ(c.password, base64_encode(hmac_sha1("north", "1700086400:juliet@localhost")));
    EXPECT_EQ(c.password.size(), 28u);  // 20 bytes in base64
}

TEST(TurnCredentials, HmacSha1MatchesRfc2202)
{
    // RFC 2202 test case 2.
    EXPECT_EQ(hex_encode(hmac_sha1("Jefe", "what do ya want for nothing?")),
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

}  // namespace
}  // namespace chorus::modules::extdisco
