// ROUTING.md's Inbound and Outbound tables, one named row per rule, plus mixed accounts.
#include "router/message_rules.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "router/fake_session.h"

namespace chorus::router {
namespace {

using namespace chorus::router::testing;
using enum MessageType;

/// Juliet's devices: two IM-NG (phone, tablet), one legacy with Carbons (laptop), one
/// legacy without (desktop, priority 5), one legacy that never sent presence (bot).
struct Account {
    FakeSession phone{"juliet@example.com/phone", imng()};
    FakeSession tablet{"juliet@example.com/tablet", imng()};
    FakeSession laptop{"juliet@example.com/laptop", carbons(1)};
    FakeSession desktop{"juliet@example.com/desktop", legacy(5)};
    FakeSession bot{"juliet@example.com/bot", legacy(0, false)};
    std::vector<Session*> all{&phone, &tablet, &laptop, &desktop, &bot};
    std::map<std::string, Session*> by_name{{"phone", &phone},   {"tablet", &tablet},
                                            {"laptop", &laptop}, {"desktop", &desktop},
                                            {"bot", &bot}};
};

/// The plan's deliveries as "resource:form" strings in a sorted list.
std::vector<std::string> describe(const std::vector<Delivery>& ds)
{
    static const char* names[] = {"as_sent", "to_bare", "carbon_received", "carbon_sent",
                                  "reflection"};
    std::vector<std::string> out;
    for (const auto& d : ds) {
        out.push_back(d.session->jid().resource() + ":" + names[static_cast<int>(d.form)]);
    }
    std::sort(out.begin(), out.end());
    return out;
}

struct InboundRow {
    const char* name;
    InboundInput in;
    std::vector<std::string> want;
    bool archive;
    bool offline;
    std::optional<Condition> bounce;
};

InboundInput chat_to(std::string_view resource, MessageType type = chat, bool marker = false,
                     bool pm = false)
{
    return {.facts = {.type = type,
                      .to_full_jid = !resource.empty(),
                      .has_marker = marker,
                      .is_muc_pm = pm},
            .account_exists = true,
            .transient = false,
            .carbons_eligible = type == chat && !pm && !marker,
            .resource = resource};
}

const InboundRow inbound_rows[] = {
    {"R1_chat_to_bare_fans_out_to_imng_and_highest_legacy",
     chat_to(""),
     {"desktop:as_sent", "laptop:carbon_received", "phone:as_sent", "tablet:as_sent"},
     true, false, std::nullopt},
    {"R1_marker_on_bare_is_ignored",
     chat_to("", chat, true),
     {"desktop:as_sent", "phone:as_sent", "tablet:as_sent"},
     true, false, std::nullopt},
    {"R1_headline_to_bare_reaches_all_available_not_archived",
     chat_to("", headline),
     {"desktop:as_sent", "laptop:as_sent", "phone:as_sent", "tablet:as_sent"},
     false, false, std::nullopt},
    {"R1_groupchat_to_bare_reaches_imng_only",
     chat_to("", groupchat),
     {"phone:as_sent", "tablet:as_sent"},
     false, false, std::nullopt},
    {"R2_error_to_bare_is_consumed", chat_to("", error), {}, false, false, std::nullopt},
    {"R3_error_to_full_reaches_imng_and_legacy_addressee",
     chat_to("desktop", error),
     {"desktop:as_sent", "phone:as_sent", "tablet:as_sent"},
     true, false, std::nullopt},
    {"R4_marker_to_full_reaches_only_addressee",
     chat_to("phone", chat, true),
     {"phone:as_sent"},
     false, false, std::nullopt},
    {"R4_marker_to_missing_resource_bounces",
     chat_to("gone", chat, true),
     {},
     false, false, Condition::service_unavailable},
    {"R5_chat_to_legacy_full_forks_to_imng_with_bare_to",
     chat_to("desktop"),
     {"desktop:as_sent", "laptop:carbon_received", "phone:to_bare", "tablet:to_bare"},
     true, false, std::nullopt},
    {"R5_chat_to_imng_full_reaches_imng_set_and_carbons",
     chat_to("phone"),
     {"laptop:carbon_received", "phone:to_bare", "tablet:to_bare"},
     true, false, std::nullopt},
    {"R5_chat_to_missing_resource_is_bare_for_legacy",
     chat_to("gone"),
     {"desktop:as_sent", "laptop:carbon_received", "phone:to_bare", "tablet:to_bare"},
     true, false, std::nullopt},
    {"R6_headline_to_full_reaches_only_addressee",
     chat_to("laptop", headline),
     {"laptop:as_sent"},
     false, false, std::nullopt},
    {"R6_groupchat_to_missing_resource_bounces",
     chat_to("gone", groupchat),
     {},
     false, false, Condition::service_unavailable},
    {"R6_headline_to_missing_resource_is_dropped",
     chat_to("gone", headline),
     {},
     false, false, std::nullopt},
    {"R7_muc_pm_reaches_only_addressee",
     chat_to("tablet", chat, false, true),
     {"tablet:as_sent"},
     false, false, std::nullopt},
    {"R7_muc_pm_to_gone_resource_is_bare_over_all_sessions",
     chat_to("gone", chat, false, true),
     {"desktop:as_sent"},
     false, false, std::nullopt},
};

class Inbound : public ::testing::TestWithParam<InboundRow> {};

TEST_P(Inbound, MatchesRow)
{
    Account juliet;
    const auto& row = GetParam();
    const auto plan = plan_inbound(row.in, juliet.all);
    EXPECT_EQ(describe(plan.deliveries), row.want);
    EXPECT_EQ(plan.archive, row.archive);
    EXPECT_EQ(plan.offline, row.offline);
    EXPECT_EQ(plan.bounce, row.bounce);
}

INSTANTIATE_TEST_SUITE_P(Rows, Inbound, ::testing::ValuesIn(inbound_rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(InboundPlan, EachSessionGetsAtMostOneCopy)
{
    Account juliet;
    for (const auto& row : inbound_rows) {
        const auto plan = plan_inbound(row.in, juliet.all);
        std::set<Session*> seen;
        for (const auto& d : plan.deliveries) {
            EXPECT_TRUE(seen.insert(d.session).second) << row.name;
        }
    }
}

TEST(InboundPlan, NoSessionsStoresOfflineAndArchives)
{
    const auto plan = plan_inbound(chat_to(""), {});
    EXPECT_TRUE(plan.deliveries.empty());
    EXPECT_TRUE(plan.archive);
    EXPECT_TRUE(plan.offline);
    EXPECT_FALSE(plan.reaches_imng);
}

TEST(InboundPlan, OnlyImngSessionsGetItAndNothingGoesOffline)
{
    FakeSession phone{"romeo@example.com/phone", imng()};
    std::vector<Session*> s{&phone};
    const auto plan = plan_inbound(chat_to(""), s);
    EXPECT_EQ(describe(plan.deliveries), std::vector<std::string>{"phone:as_sent"});
    EXPECT_FALSE(plan.offline);
    EXPECT_TRUE(plan.reaches_imng);
}

/// The sessions of redelivery_targets() by resource, sorted.
std::vector<std::string> names_of(const std::vector<Session*>& sessions)
{
    std::vector<std::string> out;
    for (const auto* s : sessions) {
        out.push_back(s->jid().resource());
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(Redelivery, ALostLegacySessionsMessageGoesOnlyToLegacyDevicesWithoutACopy)
{
    // ROUTING.md "Stream management": the IM-NG set and the Carbons laptop already have it.
    Account juliet;
    auto in = chat_to("");
    in.policy = BarePolicy::all;
    const auto plan = plan_inbound(in, juliet.all);
    EXPECT_EQ(names_of(redelivery_targets(plan, true)), std::vector<std::string>{"desktop"});
}

TEST(Redelivery, ACarbonsDeviceGetsAMessageThatWasNotCarbonCopied)
{
    Account juliet;
    auto in = chat_to("");
    in.policy = BarePolicy::all;
    in.carbons_eligible = false;  // <private/>: the laptop never saw it
    const auto plan = plan_inbound(in, juliet.all);
    EXPECT_EQ(names_of(redelivery_targets(plan, false)),
              (std::vector<std::string>{"desktop", "laptop"}));
}

TEST(Redelivery, OnlyImngDevicesLeftMeansNoTarget)
{
    FakeSession phone{"romeo@example.com/phone", imng()};
    std::vector<Session*> s{&phone};
    const auto plan = plan_inbound(chat_to(""), s);
    EXPECT_TRUE(redelivery_targets(plan, true).empty()) << "the router stores it offline";
}

TEST(InboundPlan, NegativePriorityLegacyNeverGetsBareMessages)
{
    FakeSession low{"romeo@example.com/low", legacy(-1)};
    std::vector<Session*> s{&low};
    const auto plan = plan_inbound(chat_to(""), s);
    EXPECT_TRUE(plan.deliveries.empty());
    EXPECT_TRUE(plan.offline);
}

TEST(InboundPlan, AllPolicyReachesEveryNonNegativeLegacy)
{
    Account juliet;
    auto in = chat_to("");
    in.policy = BarePolicy::all;
    in.carbons_eligible = false;
    const auto plan = plan_inbound(in, juliet.all);
    EXPECT_EQ(describe(plan.deliveries),
              (std::vector<std::string>{"desktop:as_sent", "laptop:as_sent", "phone:as_sent",
                                        "tablet:as_sent"}));
}

TEST(InboundPlan, TransientIsFannedOutButNotArchived)
{
    Account juliet;
    auto in = chat_to("");
    in.transient = true;
    const auto plan = plan_inbound(in, juliet.all);
    EXPECT_FALSE(plan.archive);
    EXPECT_EQ(plan.deliveries.size(), 4u);
}

TEST(InboundPlan, UnknownAccountBouncesChatButDropsHeadlineAndError)
{
    auto in = chat_to("");
    in.account_exists = false;
    EXPECT_EQ(plan_inbound(in, {}).bounce, Condition::service_unavailable);
    in.facts.type = headline;
    EXPECT_FALSE(plan_inbound(in, {}).bounce);
    in.facts.type = error;
    EXPECT_FALSE(plan_inbound(in, {}).bounce);
}

TEST(InboundPlan, ResourceThatDisconnectedBeforeDecisionIsTreatedAsGone)
{
    // The snapshot no longer holds the addressed session: R4 bounces, R5 goes bare.
    FakeSession phone{"juliet@example.com/phone", imng()};
    std::vector<Session*> s{&phone};
    EXPECT_EQ(plan_inbound(chat_to("laptop", chat, true), s).bounce, Condition::service_unavailable);
    EXPECT_EQ(describe(plan_inbound(chat_to("laptop"), s).deliveries),
              std::vector<std::string>{"phone:to_bare"});
}

struct OutboundRow {
    const char* name;
    OutboundInput in;
    OutboundRule rule;
    std::vector<std::string> want;
    bool archive;
};

OutboundInput out(MessageType type, bool full, bool marker = false, bool pm = false)
{
    return {.type = type, .to_full_jid = full, .has_marker = marker, .is_muc_pm = pm,
            .to_own_account = false, .transient = false,
            .carbons_eligible = type == chat && !pm && !marker};
}

const OutboundRow outbound_rows[] = {
    {"O1_chat_to_bare_reflects_to_imng_including_sender_and_carbons",
     out(chat, false), OutboundRule::o1,
     {"laptop:carbon_sent", "phone:reflection", "tablet:reflection"}, true},
    {"O1_headline_to_bare_reflects_not_archived",
     out(headline, false), OutboundRule::o1, {"phone:reflection", "tablet:reflection"}, false},
    {"O2_chat_to_full_reflects_and_archives",
     out(chat, true), OutboundRule::o2,
     {"laptop:carbon_sent", "phone:reflection", "tablet:reflection"}, true},
    {"O3_marker_is_device_only", out(chat, true, true), OutboundRule::o3, {}, false},
    {"O4_groupchat_is_left_to_the_room", out(groupchat, false), OutboundRule::o4, {}, false},
    {"O5_error_is_not_reflected", out(error, true), OutboundRule::o5, {}, false},
    {"O6_muc_pm_is_not_reflected", out(chat, true, false, true), OutboundRule::o6, {}, false},
};

class Outbound : public ::testing::TestWithParam<OutboundRow> {};

TEST_P(Outbound, MatchesRow)
{
    Account juliet;
    const auto& row = GetParam();
    const auto plan = plan_outbound(row.in, juliet.phone, juliet.all);
    EXPECT_EQ(plan.rule, row.rule);
    EXPECT_EQ(describe(plan.copies), row.want);
    EXPECT_EQ(plan.archive, row.archive);
}

INSTANTIATE_TEST_SUITE_P(Rows, Outbound, ::testing::ValuesIn(outbound_rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(OutboundPlan, LegacySenderIsReflectedToImngButGetsNoCopyItself)
{
    Account juliet;
    const auto plan = plan_outbound(out(chat, false), juliet.laptop, juliet.all);
    EXPECT_EQ(describe(plan.copies),
              (std::vector<std::string>{"phone:reflection", "tablet:reflection"}));
    EXPECT_TRUE(plan.archive);
}

TEST(OutboundPlan, MessageToOwnAccountIsLeftToTheInboundPath)
{
    Account juliet;
    auto in = out(chat, false);
    in.to_own_account = true;
    const auto plan = plan_outbound(in, juliet.phone, juliet.all);
    EXPECT_TRUE(plan.copies.empty());
    EXPECT_FALSE(plan.archive);
}

}  // namespace
}  // namespace chorus::router
