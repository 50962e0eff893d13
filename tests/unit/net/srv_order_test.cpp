// SRV ordering (RFC 2782) and s2s target lists (RFC 6120 §3.2, XEP-0368).
#include "net/srv_order.h"

#include <gtest/gtest.h>

#include <map>

namespace chorus::net {
namespace {

RandomUpTo fixed(std::uint32_t value)
{
    return [value](std::uint32_t bound) { return std::min(value, bound); };
}

std::vector<std::string> hosts(const std::vector<SrvRecord>& records)
{
    std::vector<std::string> out;
    for (const auto& r : records) {
        out.push_back(r.target);
    }
    return out;
}

TEST(SrvOrder, LowerPriorityFirstWhateverTheWeight)
{
    auto out = order_srv({{"c", 5269, 20, 100}, {"a", 5269, 0, 1}, {"b", 5269, 10, 50}}, fixed(0));
    EXPECT_EQ(hosts(out), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(SrvOrder, WeightedDrawPicksByRunningSum)
{
    // Running sums 0 (zero weight first), 10, 40: a draw of 5 selects x (sum 10), then with
    // the rest (z=0, y=30) a draw of 5 selects y, z last.
    std::vector<SrvRecord> records{{"x", 1, 5, 10}, {"y", 1, 5, 30}, {"z", 1, 5, 0}};
    EXPECT_EQ(hosts(order_srv(records, fixed(5))), (std::vector<std::string>{"x", "y", "z"}));
    // A draw of 0 takes the zero-weight record first.
    EXPECT_EQ(hosts(order_srv(records, fixed(0))).front(), "z");
    // A draw past the first sum takes y.
    EXPECT_EQ(hosts(order_srv(records, fixed(11))).front(), "y");
}

TEST(SrvOrder, WeightsShareTheFirstPlaceInProportion)
{
    std::map<std::string, int> first;
    auto random = system_random();
    for (int i = 0; i < 4000; ++i) {
        ++first[order_srv({{"light", 1, 0, 10}, {"heavy", 1, 0, 30}}, random).front().target];
    }
    // 1:3 expected: 1000 vs 3000, with a wide margin so the test never flakes.
    EXPECT_GT(first["light"], 700);
    EXPECT_LT(first["light"], 1300);
    EXPECT_EQ(first["light"] + first["heavy"], 4000);
}

TEST(SrvOrder, EveryRecordKeptOnce)
{
    std::vector<SrvRecord> records;
    for (int i = 0; i < 20; ++i) {
        records.push_back({std::to_string(i), 1, static_cast<std::uint16_t>(i % 3),
                           static_cast<std::uint16_t>(i)});
    }
    auto out = order_srv(records, system_random());
    ASSERT_EQ(out.size(), 20u);
    for (std::size_t i = 1; i < out.size(); ++i) {
        EXPECT_LE(out[i - 1].priority, out[i].priority);
    }
}

TEST(S2sTargets, NoRecordsFallBackToTheDomainOn5269)
{
    auto out = s2s_targets("example.org", {}, {}, fixed(0));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].host, "example.org");
    EXPECT_EQ(out[0].port, 5269);
    EXPECT_FALSE(out[0].direct_tls);
}

TEST(S2sTargets, DirectTlsAndStarttlsRecordsAreOrderedTogether)
{
    auto out = s2s_targets("example.org", {{"tls.example.org", 5270, 10, 0}},
                           {{"xmpp.example.org", 5269, 5, 0}, {"backup.example.org", 5269, 20, 0}},
                           fixed(0));
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].host, "xmpp.example.org");
    EXPECT_FALSE(out[0].direct_tls);
    EXPECT_EQ(out[1].host, "tls.example.org");
    EXPECT_EQ(out[1].port, 5270);
    EXPECT_TRUE(out[1].direct_tls);
    EXPECT_EQ(out[2].host, "backup.example.org");
}

TEST(S2sTargets, DotTargetMeansNoServiceAndNoFallback)
{
    EXPECT_TRUE(s2s_targets("example.org", {}, {{".", 0, 0, 0}}, fixed(0)).empty());
    EXPECT_TRUE(s2s_targets("example.org", {{".", 0, 0, 0}}, {{".", 0, 0, 0}}, fixed(0)).empty());
    // Direct TLS declined, STARTTLS offered: the STARTTLS records only.
    auto out =
        s2s_targets("example.org", {{".", 0, 0, 0}}, {{"x.example.org", 5269, 0, 0}}, fixed(0));
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].host, "x.example.org");
}

}  // namespace
}  // namespace chorus::net
