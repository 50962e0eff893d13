// XEP-0191 "JID Matching" (XEP-0016 §2.1), one named row per item form and entity.
#include "modules/blocking/blocking_match.h"

#include <gtest/gtest.h>

#include <vector>

namespace chorus::modules::blocking {
namespace {

struct Row {
    const char* name;
    const char* item;
    const char* other;
    bool want;
};

const Row rows[] = {
    // <user@domain/resource>: that full JID only.
    {"full_matches_itself", "tybalt@verona.lit/sword", "tybalt@verona.lit/sword", true},
    {"full_not_other_resource", "tybalt@verona.lit/sword", "tybalt@verona.lit/lute", false},
    {"full_not_bare", "tybalt@verona.lit/sword", "tybalt@verona.lit", false},
    // <user@domain>: the bare JID and every resource of it.
    {"bare_matches_bare", "tybalt@verona.lit", "tybalt@verona.lit", true},
    {"bare_matches_any_resource", "tybalt@verona.lit", "tybalt@verona.lit/sword", true},
    {"bare_not_other_user", "tybalt@verona.lit", "mercutio@verona.lit", false},
    {"bare_not_domain", "tybalt@verona.lit", "verona.lit", false},
    {"bare_not_other_domain", "tybalt@verona.lit", "tybalt@mantua.lit", false},
    // <domain/resource>: that JID only.
    {"domres_matches_itself", "verona.lit/gate", "verona.lit/gate", true},
    {"domres_not_domain", "verona.lit/gate", "verona.lit", false},
    {"domres_not_user_with_same_resource", "verona.lit/gate", "tybalt@verona.lit/gate", false},
    // <domain>: the domain and every JID at it.
    {"domain_matches_itself", "verona.lit", "verona.lit", true},
    {"domain_matches_users", "verona.lit", "tybalt@verona.lit", true},
    {"domain_matches_full_jids", "verona.lit", "tybalt@verona.lit/sword", true},
    {"domain_matches_domain_resources", "verona.lit", "verona.lit/gate", true},
    {"domain_not_subdomain", "verona.lit", "chat.verona.lit", false},
    {"domain_not_other", "verona.lit", "tybalt@mantua.lit", false},
    // JIDs are compared prepared: case folds in node and domain, not in the resource.
    {"prepared_node_and_domain", "Tybalt@Verona.LIT", "tybalt@verona.lit/x", true},
    {"resource_case_kept", "tybalt@verona.lit/Sword", "tybalt@verona.lit/sword", false},
};

class ItemMatches : public ::testing::TestWithParam<Row> {};

TEST_P(ItemMatches, FollowsXep0016Order)
{
    const auto item = Jid::parse(GetParam().item);
    const auto other = Jid::parse(GetParam().other);
    ASSERT_TRUE(item && other);
    EXPECT_EQ(item_matches(*item, *other), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, ItemMatches, ::testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(IsBlocked, AnyItemOfTheListSuffices)
{
    const std::vector<Jid> list = {*Jid::parse("capulet.lit"), *Jid::parse("tybalt@verona.lit")};
    EXPECT_TRUE(is_blocked(list, *Jid::parse("nurse@capulet.lit/home")));
    EXPECT_TRUE(is_blocked(list, *Jid::parse("tybalt@verona.lit/sword")));
    EXPECT_FALSE(is_blocked(list, *Jid::parse("romeo@montague.lit")));
    EXPECT_FALSE(is_blocked({}, *Jid::parse("romeo@montague.lit")));
}

}  // namespace
}  // namespace chorus::modules::blocking
