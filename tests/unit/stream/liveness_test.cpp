// check_liveness: one named row per decision (RFC 6120 §4.9.3.4, XEP-0199 §4.2).
#include "stream/liveness.h"

#include <gtest/gtest.h>

#include <string>

namespace chorus::stream {
namespace {

using std::chrono::seconds;

const LivenessPolicy policy{seconds(30), seconds(300), seconds(60)};
const LivenessPolicy no_ping{seconds(30), seconds(0), seconds(60)};

struct Row {
    const char* name;
    LivenessFacts in;  // bound, heard, reads_held, ping_outstanding, since_mark
    LivenessPolicy policy;
    Liveness want;
};
const Row rows[] = {
    {"UnboundWithinTimeoutWaits",
     {false, false, false, false, seconds(29)},
     policy,
     Liveness::wait},
    {"UnboundAtTimeoutTimesOut",
     {false, false, false, false, seconds(30)},
     policy,
     Liveness::negotiation_timeout},
    {"UnboundTricklingStillTimesOut",
     {false, true, false, false, seconds(31)},
     policy,
     Liveness::negotiation_timeout},
    {"UnboundWithReadsHeldStillTimesOut",
     {false, false, true, false, seconds(31)},
     policy,
     Liveness::negotiation_timeout},
    {"BoundAndHeardIsAlive", {true, true, false, false, seconds(999)}, policy, Liveness::heard},
    {"BoundHeardAfterPingIsAlive",
     {true, true, false, true, seconds(999)},
     policy,
     Liveness::heard},
    {"BoundWithReadsHeldIsNotSilent",
     {true, false, true, true, seconds(999)},
     policy,
     Liveness::heard},
    {"BoundSilentBelowIntervalWaits",
     {true, false, false, false, seconds(299)},
     policy,
     Liveness::wait},
    {"BoundSilentForIntervalIsPinged",
     {true, false, false, false, seconds(300)},
     policy,
     Liveness::ping},
    {"PingedWithinTimeoutWaits", {true, false, false, true, seconds(59)}, policy, Liveness::wait},
    {"PingedSilentForTimeoutIsClosed",
     {true, false, false, true, seconds(60)},
     policy,
     Liveness::ping_timeout},
    {"PingOffNeverPings", {true, false, false, false, seconds(99999)}, no_ping, Liveness::wait},
    {"PingOffStillTimesOutNegotiation",
     {false, false, false, false, seconds(30)},
     no_ping,
     Liveness::negotiation_timeout},
};

class CheckLiveness : public testing::TestWithParam<Row> {};

TEST_P(CheckLiveness, MatchesRow)
{
    EXPECT_EQ(check_liveness(GetParam().in, GetParam().policy), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, CheckLiveness, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace chorus::stream
