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

TEST(ParseService, DefaultsAreUdpOn3478AndTlsOverTcpOn5349)
{
    auto s = parse_service("stun.example.org", "stun");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, "stun");
    EXPECT_EQ(s->host, "stun.example.org");
    EXPECT_EQ(s->port, "3478");
    EXPECT_EQ(s->transport, "udp");
    s = parse_service("turns:turn.example.org", "turn");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, "turns");
    EXPECT_EQ(s->port, "5349");
    EXPECT_EQ(s->transport, "tcp");
}

TEST(ParseService, PortTransportAndIpv6)
{
    auto s = parse_service("turn.example.org:3479/tcp", "turn");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->type, "turn");
    EXPECT_EQ(s->port, "3479");
    EXPECT_EQ(s->transport, "tcp");
    s = parse_service("[2001:db8::1]:3478/udp", "stun");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->host, "2001:db8::1");
    EXPECT_EQ(s->port, "3478");
    s = parse_service("stuns:[2001:db8::1]", "stun");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->port, "5349");
}

TEST(ParseService, RefusesWhatIsNotAService)
{
    EXPECT_FALSE(parse_service("", "stun"));
    EXPECT_FALSE(parse_service("host:", "stun"));
    EXPECT_FALSE(parse_service("host:70000", "stun"));
    EXPECT_FALSE(parse_service("host:12x", "stun"));
    EXPECT_FALSE(parse_service("host/sctp", "stun"));
    EXPECT_FALSE(parse_service("turns:host/udp", "turn"));  // TLS needs TCP
    EXPECT_FALSE(parse_service("[::1", "turn"));
    // A turn: scheme in the stun list is not a STUN server: the colon makes "turn" the host.
    EXPECT_FALSE(parse_service("turn:host", "stun"));
}

}  // namespace
}  // namespace chorus::modules::extdisco
