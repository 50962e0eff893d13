#include "base/cidr.h"

#include <gtest/gtest.h>

namespace chorus {
namespace {

TEST(CidrTest, MatchesInsideTheBlockOnly)
{
    const auto loopback = Cidr::parse("127.0.0.0/8");
    ASSERT_TRUE(loopback);
    EXPECT_TRUE(loopback->contains("127.0.0.1"));
    EXPECT_TRUE(loopback->contains("127.255.0.2"));
    EXPECT_TRUE(loopback->contains("::ffff:127.0.0.3"));  // IPv4-mapped
    EXPECT_FALSE(loopback->contains("128.0.0.1"));
    EXPECT_FALSE(loopback->contains("::1"));
    EXPECT_FALSE(loopback->contains("not an address"));
}

TEST(CidrTest, ABareAddressIsOneHost)
{
    const auto one = Cidr::parse("127.0.0.1");
    ASSERT_TRUE(one);
    EXPECT_TRUE(one->contains("127.0.0.1"));
    EXPECT_FALSE(one->contains("127.0.0.2"));
    const auto v6 = Cidr::parse("2001:db8::/33");
    ASSERT_TRUE(v6);
    EXPECT_TRUE(v6->contains("2001:db8:7fff::1"));
    EXPECT_FALSE(v6->contains("2001:db8:8000::1"));
    EXPECT_TRUE(Cidr::parse("0.0.0.0/0")->contains("192.0.2.1"));
}

TEST(CidrTest, RefusesMalformedBlocks)
{
    EXPECT_FALSE(Cidr::parse(""));
    EXPECT_FALSE(Cidr::parse("127.0.0.1/33"));
    EXPECT_FALSE(Cidr::parse("::1/129"));
    EXPECT_FALSE(Cidr::parse("127.0.0.1/"));
    EXPECT_FALSE(Cidr::parse("127.0.0.1/8x"));
    EXPECT_FALSE(Cidr::parse("localhost/8"));
}

}  // namespace
}  // namespace chorus
