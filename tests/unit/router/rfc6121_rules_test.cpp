// RFC 6121 §8.5 message delivery for an account with legacy sessions only: one named row
// per case of the RFC, so a failure names the section it broke.
#include <gtest/gtest.h>

#include "router/fake_session.h"
#include "router/message_rules.h"

namespace chorus::router {
namespace {

using namespace chorus::router::testing;
using enum MessageType;

struct Row {
    const char* name;
    MessageType type;
    std::string_view resource;  // empty: to the bare JID
    bool account_exists;
    bool any_available;  // romeo's two resources are available (else connected only)
    std::vector<std::string> want;
    bool offline;
    std::optional<Condition> bounce;
};

const Row rows[] = {
    // §8.5.1 no such user
    {"s8_5_1_normal_to_unknown_user_bounces", normal, "", false, true, {}, false,
     Condition::service_unavailable},
    {"s8_5_1_chat_to_unknown_user_bounces", chat, "", false, true, {}, false,
     Condition::service_unavailable},
    {"s8_5_1_headline_to_unknown_user_is_ignored", headline, "", false, true, {}, false,
     std::nullopt},
    {"s8_5_1_error_to_unknown_user_is_ignored", error, "", false, true, {}, false, std::nullopt},
    // §8.5.2.1.1 bare JID, available resources
    {"s8_5_2_1_1_normal_to_highest_priority", normal, "", true, true, {"home"}, false,
     std::nullopt},
    {"s8_5_2_1_1_chat_to_highest_priority", chat, "", true, true, {"home"}, false, std::nullopt},
    {"s8_5_2_1_1_groupchat_to_bare_bounces", groupchat, "", true, true, {}, false,
     Condition::service_unavailable},
    {"s8_5_2_1_1_headline_to_all_non_negative", headline, "", true, true, {"home", "work"},
     false, std::nullopt},
    {"s8_5_2_1_1_error_to_bare_is_ignored", error, "", true, true, {}, false, std::nullopt},
    // §8.5.2.2 bare JID, no available resources
    {"s8_5_2_2_normal_goes_offline", normal, "", true, false, {}, true, std::nullopt},
    {"s8_5_2_2_chat_goes_offline", chat, "", true, false, {}, true, std::nullopt},
    {"s8_5_2_2_groupchat_bounces", groupchat, "", true, false, {}, false,
     Condition::service_unavailable},
    {"s8_5_2_2_headline_is_ignored", headline, "", true, false, {}, false, std::nullopt},
    // §8.5.3.1 full JID, resource matches
    {"s8_5_3_1_normal_to_resource", normal, "work", true, true, {"work"}, false, std::nullopt},
    {"s8_5_3_1_chat_to_resource", chat, "work", true, true, {"work"}, false, std::nullopt},
    {"s8_5_3_1_groupchat_to_resource", groupchat, "work", true, true, {"work"}, false,
     std::nullopt},
    {"s8_5_3_1_headline_to_resource", headline, "work", true, true, {"work"}, false,
     std::nullopt},
    {"s8_5_3_1_connected_but_unavailable_resource", chat, "work", true, false, {"work"}, false,
     std::nullopt},
    // §8.5.3.2.1 full JID, no such resource
    {"s8_5_3_2_1_normal_is_treated_as_bare", normal, "gone", true, true, {"home"}, false,
     std::nullopt},
    {"s8_5_3_2_1_chat_is_treated_as_bare", chat, "gone", true, true, {"home"}, false,
     std::nullopt},
    {"s8_5_3_2_1_groupchat_bounces", groupchat, "gone", true, true, {}, false,
     Condition::service_unavailable},
    {"s8_5_3_2_1_headline_is_ignored", headline, "gone", true, true, {}, false, std::nullopt},
    {"s8_5_3_2_1_error_is_ignored", error, "gone", true, true, {}, false, std::nullopt},
};

class Rfc6121 : public ::testing::TestWithParam<Row> {};

TEST_P(Rfc6121, MatchesSection)
{
    const auto& row = GetParam();
    FakeSession home{"romeo@example.net/home", legacy(5, row.any_available)};
    FakeSession work{"romeo@example.net/work", legacy(1, row.any_available)};
    FakeSession low{"romeo@example.net/low", legacy(-1, row.any_available)};
    std::vector<Session*> sessions{&home, &work, &low};
    InboundInput in{.facts = {.type = row.type, .to_full_jid = !row.resource.empty()},
                    .account_exists = row.account_exists,
                    .resource = row.resource};
    const auto plan = plan_inbound(in, row.account_exists ? sessions : std::vector<Session*>{});
    std::vector<std::string> got;
    for (const auto& d : plan.deliveries) {
        got.push_back(d.session->jid().resource());
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, row.want);
    EXPECT_EQ(plan.offline, row.offline);
    EXPECT_EQ(plan.bounce, row.bounce);
}

INSTANTIATE_TEST_SUITE_P(Sections, Rfc6121, ::testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Rfc6121Rules, NegativePriorityResourceNeverGetsBareMessages)
{
    FakeSession low{"romeo@example.net/low", legacy(-1)};
    std::vector<Session*> s{&low};
    for (auto type : {normal, chat, headline}) {
        InboundInput in{.facts = {.type = type}};
        EXPECT_TRUE(plan_inbound(in, s).deliveries.empty());
    }
    InboundInput full{.facts = {.type = chat, .to_full_jid = true}, .resource = "low"};
    EXPECT_EQ(plan_inbound(full, s).deliveries.size(), 1u);  // §4.7.2.3: full JID still works
}

TEST(Rfc6121Rules, AllPolicyDeliversToEveryNonNegativeResource)
{
    FakeSession home{"romeo@example.net/home", legacy(5)};
    FakeSession work{"romeo@example.net/work", legacy(1)};
    FakeSession low{"romeo@example.net/low", legacy(-1)};
    std::vector<Session*> s{&home, &work, &low};
    InboundInput in{.facts = {.type = chat}, .policy = BarePolicy::all};
    EXPECT_EQ(plan_inbound(in, s).deliveries.size(), 2u);
}

}  // namespace
}  // namespace chorus::router
