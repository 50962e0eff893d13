// XEP-0220 dialback keys: the XEP-0185 derivation, bound to both domains and the stream id.
#include "stream/s2s_dialback.h"

#include <gtest/gtest.h>

namespace chorus::stream {
namespace {

TEST(S2sDialback, KeyFollowsXep0185)
{
    // XEP-0185 §3's inputs; HMAC-SHA256 keyed with the hex SHA-256 of the secret.
    EXPECT_EQ(dialback_key("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F"),
              "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc");
}

TEST(S2sDialback, KeyDependsOnEveryInput)
{
    const auto key = dialback_key("secret", "b.example", "a.example", "id1");
    EXPECT_NE(key, dialback_key("secret2", "b.example", "a.example", "id1"));
    EXPECT_NE(key, dialback_key("secret", "a.example", "b.example", "id1"));
    EXPECT_NE(key, dialback_key("secret", "b.example", "a.example", "id2"));
    EXPECT_TRUE(dialback_key_matches(key, dialback_key("secret", "b.example", "a.example", "id1")));
    EXPECT_FALSE(dialback_key_matches(key, key.substr(1)));
    EXPECT_FALSE(dialback_key_matches(key, ""));
}

TEST(S2sDialback, StreamIdsAreFreshAndLong)
{
    const auto a = new_stream_id();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, new_stream_id());
}

}  // namespace
}  // namespace chorus::stream
