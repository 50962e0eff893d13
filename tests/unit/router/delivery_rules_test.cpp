// delivery_rules.h: stanzas for unserved domains (RFC 6120 §10.4.3) and refused offline
// messages (XEP-0160 §2), one named row per case.
#include "router/delivery_rules.h"

#include <gtest/gtest.h>

#include <string>

namespace chorus::router {
namespace {

constexpr auto not_found = Condition::remote_server_not_found;

struct UnroutableRow {
    const char* name;
    StanzaKind kind;
    const char* type;
    std::optional<Condition> want;
};
const UnroutableRow unroutable_rows[] = {
    {"ChatMessageBounces", StanzaKind::message, "chat", not_found},
    {"NormalMessageBounces", StanzaKind::message, "", not_found},
    {"GroupchatMessageBounces", StanzaKind::message, "groupchat", not_found},
    {"ErrorMessageIsDropped", StanzaKind::message, "error", std::nullopt},
    {"IqGetBounces", StanzaKind::iq, "get", not_found},
    {"IqSetBounces", StanzaKind::iq, "set", not_found},
    {"IqResultIsDropped", StanzaKind::iq, "result", std::nullopt},
    {"IqErrorIsDropped", StanzaKind::iq, "error", std::nullopt},
    {"AvailablePresenceBounces", StanzaKind::presence, "", not_found},
    {"SubscribeBounces", StanzaKind::presence, "subscribe", not_found},
    {"UnavailablePresenceIsDropped", StanzaKind::presence, "unavailable", std::nullopt},
    {"ErrorPresenceIsDropped", StanzaKind::presence, "error", std::nullopt},
    {"ProbeIsDropped", StanzaKind::presence, "probe", std::nullopt},
    {"SubscribedIsDropped", StanzaKind::presence, "subscribed", std::nullopt},
    {"UnsubscribeIsDropped", StanzaKind::presence, "unsubscribe", std::nullopt},
    {"UnsubscribedIsDropped", StanzaKind::presence, "unsubscribed", std::nullopt},
};

class UnroutableAnswer : public testing::TestWithParam<UnroutableRow> {};

TEST_P(UnroutableAnswer, MatchesRow)
{
    EXPECT_EQ(unroutable_answer(GetParam().kind, GetParam().type), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, UnroutableAnswer, testing::ValuesIn(unroutable_rows),
                         [](const auto& info) { return std::string(info.param.name); });

struct OfflineRow {
    const char* name;
    bool archived;
    bool has_imng_device;
    std::optional<Condition> want;
};
const OfflineRow offline_rows[] = {
    {"NotArchivedLegacyOnlyBounces", false, false, Condition::service_unavailable},
    {"ArchivedLegacyOnlyBounces", true, false, Condition::service_unavailable},
    {"NotArchivedWithImngDeviceBounces", false, true, Condition::service_unavailable},
    {"ArchivedWithImngDeviceIsSilent", true, true, std::nullopt},
};

class OfflineRefusedAnswer : public testing::TestWithParam<OfflineRow> {};

TEST_P(OfflineRefusedAnswer, MatchesRow)
{
    EXPECT_EQ(offline_refused_answer(GetParam().archived, GetParam().has_imng_device),
              GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, OfflineRefusedAnswer, testing::ValuesIn(offline_rows),
                         [](const auto& info) { return std::string(info.param.name); });

// ROUTING.md "Stream management": an unresumed session's unacked stanzas.
struct UnackedRow {
    const char* name;
    UnackedFacts in;  // kind, type, session_imng, im, forwarded, marker, muc
    UnackedFate want;
};
using enum StanzaKind;
const UnackedRow unacked_rows[] = {
    {"LegacyChatIsRerouted",
     {message, "chat", false, true, false, false, false},
     UnackedFate::reroute},
    {"LegacyNormalIsRerouted",
     {message, "", false, true, false, false, false},
     UnackedFate::reroute},
    {"ImngChatIsDropped", {message, "chat", true, true, false, false, false}, UnackedFate::drop},
    {"ChatStatesOnlyAreDropped",
     {message, "chat", false, false, false, false, false},
     UnackedFate::drop},
    {"CarbonCopyIsDropped", {message, "chat", false, true, true, false, false}, UnackedFate::drop},
    {"DeviceOnlyMessageIsDropped",
     {message, "chat", false, true, false, true, false},
     UnackedFate::drop},
    {"MucMessageIsDropped", {message, "chat", false, true, false, false, true}, UnackedFate::drop},
    {"ErrorMessageIsDropped",
     {message, "error", false, false, false, false, false},
     UnackedFate::drop},
    {"PresenceIsDropped", {presence, "", false, false, false, false, false}, UnackedFate::drop},
    {"IqGetBounces", {iq, "get", false, false, false, false, false}, UnackedFate::bounce},
    {"IqSetToImngBounces", {iq, "set", true, false, false, false, false}, UnackedFate::bounce},
    {"IqResultIsDropped", {iq, "result", false, false, false, false, false}, UnackedFate::drop},
};

class UnackedStanzaFate : public testing::TestWithParam<UnackedRow> {};

TEST_P(UnackedStanzaFate, MatchesRow)
{
    EXPECT_EQ(unacked_fate(GetParam().in), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, UnackedStanzaFate, testing::ValuesIn(unacked_rows),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace chorus::router
