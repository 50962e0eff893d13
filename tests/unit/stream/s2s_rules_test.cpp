// Inbound s2s stanza checks (RFC 6120 §4.9.3, §8.1.1.1; XEP-0220 §2.1.3), the XEP-0288
// <bidi/> request, and the namespace switch from jabber:server to jabber:client.
#include "stream/s2s_rules.h"

#include <gtest/gtest.h>

#include "stanza/namespaces.h"

namespace chorus::stream {
namespace {

struct Row {
    const char* name;
    const char* from;
    const char* to;
    std::optional<StreamCondition> want;
};

const Row rows[] = {
    {"AuthenticatedPairPasses", "romeo@b.example/phone", "juliet@a.example", std::nullopt},
    {"DomainSenderPasses", "b.example", "a.example", std::nullopt},
    {"MissingFromIsInvalidFrom", "", "juliet@a.example", StreamCondition::invalid_from},
    {"MalformedFromIsInvalidFrom", "@b.example", "juliet@a.example", StreamCondition::invalid_from},
    {"UnauthenticatedDomainIsInvalidFrom", "eve@c.example", "juliet@a.example",
     StreamCondition::invalid_from},
    {"MissingToIsImproperAddressing", "romeo@b.example", "", StreamCondition::improper_addressing},
    {"ForeignToIsHostUnknown", "romeo@b.example", "x@d.example", StreamCondition::host_unknown},
    {"PairNotProvedForOtherLocalDomain", "romeo@b.example", "x@other.example",
     StreamCondition::invalid_from},
};

class CheckInboundStanza : public testing::TestWithParam<Row> {};

TEST_P(CheckInboundStanza, MatchesRow)
{
    const AuthenticatedPairs pairs{{"b.example", "a.example"}};
    auto hosts = [](std::string_view d) { return d == "a.example" || d == "other.example"; };
    xml::Element msg("message", std::string(ns::server));
    if (*GetParam().from) {
        msg.set_attr("from", GetParam().from);
    }
    if (*GetParam().to) {
        msg.set_attr("to", GetParam().to);
    }
    auto error = check_inbound_stanza(msg, pairs, hosts);
    if (!GetParam().want) {
        EXPECT_FALSE(error) << error->text;
    } else {
        ASSERT_TRUE(error);
        EXPECT_EQ(error->condition, *GetParam().want);
    }
}

INSTANTIATE_TEST_SUITE_P(Rows, CheckInboundStanza, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

struct BidiRow {
    const char* name;
    bool offered, authenticated;
    std::optional<StreamCondition> want;
};

const BidiRow bidi_rows[] = {
    {"OfferedBeforeAuthenticationIsAccepted", true, false, std::nullopt},
    {"NotOfferedIsUnsupportedStanzaType", false, false, StreamCondition::unsupported_stanza_type},
    {"AfterAuthenticationIsPolicyViolation", true, true, StreamCondition::policy_violation},
    {"AfterAuthenticationNotOfferedIsPolicyViolation", false, true,
     StreamCondition::policy_violation},
};

class CheckBidiRequest : public testing::TestWithParam<BidiRow> {};

TEST_P(CheckBidiRequest, MatchesRow)  // XEP-0288 §2.2
{
    const auto error = check_bidi_request(GetParam().offered, GetParam().authenticated);
    if (!GetParam().want) {
        EXPECT_FALSE(error) << error->text;
    } else {
        ASSERT_TRUE(error);
        EXPECT_EQ(error->condition, *GetParam().want);
    }
}

INSTANTIATE_TEST_SUITE_P(Rows, CheckBidiRequest, testing::ValuesIn(bidi_rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(S2sRules, StanzasMoveToTheClientNamespaceOnly)
{
    xml::Element msg("message", std::string(ns::server));
    msg.add_child("body", std::string(ns::server)).add_text("hi");
    msg.add_child("active", std::string(ns::chatstates));
    to_client_namespace(msg);
    EXPECT_EQ(msg.ns(), ns::client);
    EXPECT_EQ(msg.child("body", ns::client)->text(), "hi");
    EXPECT_NE(msg.child("active", ns::chatstates), nullptr);
}

}  // namespace
}  // namespace chorus::stream
