// ConnectionSet's per-address admission and the loopback exemption of
// limits.max_connections_per_ip.
#include "stream/connection_set.h"

#include <gtest/gtest.h>

#include <string>

namespace chorus::stream {
namespace {

struct Row {
    const char* name;
    const char* address;
    bool exempt_loopback;
    int want;
};
const Row rows[] = {
    {"RemoteIpv4IsLimited", "192.0.2.7", true, 32},
    {"RemoteIpv6IsLimited", "2001:db8::7", true, 32},
    {"Ipv4LoopbackIsExempt", "127.0.0.1", true, 0},
    {"AllOf127Slash8IsExempt", "127.45.6.7", true, 0},
    {"Ipv6LoopbackIsExempt", "::1", true, 0},
    {"MappedIpv4LoopbackIsExempt", "::ffff:127.0.0.1", true, 0},
    {"MappedRemoteIpv4IsLimited", "::ffff:192.0.2.7", true, 32},
    {"LoopbackIsLimitedWithoutTheExemption", "127.0.0.1", false, 32},
};

class ConnectionLimitFor : public testing::TestWithParam<Row> {};

TEST_P(ConnectionLimitFor, MatchesRow)
{
    Limits limits;
    limits.max_connections_per_ip = 32;
    limits.exempt_loopback = GetParam().exempt_loopback;
    EXPECT_EQ(connection_limit_for(boost::asio::ip::make_address(GetParam().address), limits),
              GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, ConnectionLimitFor, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ConnectionSet, AdmitsUpToTheLimitAndAgainAfterARelease)
{
    ConnectionSet set;
    EXPECT_TRUE(set.admit("192.0.2.7", 2));
    EXPECT_TRUE(set.admit("192.0.2.7", 2));
    EXPECT_FALSE(set.admit("192.0.2.7", 2));
    EXPECT_TRUE(set.admit("192.0.2.8", 2)) << "another address has its own count";
    set.release("192.0.2.7");
    EXPECT_TRUE(set.admit("192.0.2.7", 2));
}

TEST(ConnectionSet, LimitZeroAdmitsEveryConnection)
{
    ConnectionSet set;
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(set.admit("127.0.0.1", 0));
    }
}

}  // namespace
}  // namespace chorus::stream
