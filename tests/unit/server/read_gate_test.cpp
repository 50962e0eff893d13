// ReadGate: held reads wait, and resume in order once every hold is released.
#include "server/read_gate.h"

#include <gtest/gtest.h>

#include <vector>

namespace chorus {
namespace {

TEST(ReadGateTest, OpenUntilHeld)
{
    ReadGate gate;
    EXPECT_TRUE(gate.is_open());
    gate.hold();
    EXPECT_FALSE(gate.is_open());
    gate.release();
    EXPECT_TRUE(gate.is_open());
}

TEST(ReadGateTest, WaitersResumeInOrderOnRelease)
{
    ReadGate gate;
    std::vector<int> resumed;
    gate.hold();
    for (int i = 0; i < 3; ++i) {
        gate.wait([&resumed, i] { resumed.push_back(i); });
    }
    EXPECT_EQ(gate.waiting(), 3u);
    EXPECT_TRUE(resumed.empty());
    gate.release();
    EXPECT_EQ(resumed, (std::vector<int>{0, 1, 2}));
    EXPECT_EQ(gate.waiting(), 0u);
}

TEST(ReadGateTest, NestedHoldsReleaseOnlyAtTheLast)
{
    ReadGate gate;
    int resumed = 0;
    gate.hold();
    gate.hold();
    gate.wait([&resumed] { ++resumed; });
    gate.release();
    EXPECT_FALSE(gate.is_open());
    EXPECT_EQ(resumed, 0);
    gate.release();
    EXPECT_TRUE(gate.is_open());
    EXPECT_EQ(resumed, 1);
}

TEST(ReadGateTest, AResumedReaderThatWaitsAgainIsKeptForTheNextRelease)
{
    // A reader resumed while another hold began (e.g. the backlog grew again) waits anew.
    ReadGate gate;
    int resumed = 0;
    gate.hold();
    gate.wait([&] {
        ++resumed;
        gate.hold();
        gate.wait([&resumed] { ++resumed; });
    });
    gate.release();
    EXPECT_EQ(resumed, 1);
    EXPECT_FALSE(gate.is_open());
    EXPECT_EQ(gate.waiting(), 1u);
    gate.release();
    EXPECT_EQ(resumed, 2);
}

TEST(ReadGateTest, ReleaseWithoutHoldIsHarmless)
{
    ReadGate gate;
    gate.release();
    EXPECT_TRUE(gate.is_open());
}

}  // namespace
}  // namespace chorus
