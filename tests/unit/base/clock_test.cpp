// Tests for src/base/clock.cpp: XEP-0082 DateTime formatting and parsing.
#include "base/clock.h"

#include <gtest/gtest.h>

#include <string>

namespace chorus {
namespace {

using namespace std::chrono;

system_clock::time_point utc(int y, unsigned mo, unsigned d, int h, int mi, int s,
                             microseconds us = microseconds{0})
{
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s} + us;
}

TEST(Xep82, FormatsUtcWithMicroseconds)
{
    EXPECT_EQ(format_xep82(utc(2002, 9, 10, 23, 41, 7)), "2002-09-10T23:41:07.000000Z");
    EXPECT_EQ(format_xep82(utc(2026, 11, 24, 21, 50, 3, microseconds{123456})),
              "2026-11-24T21:50:03.123456Z");
    EXPECT_EQ(format_xep82(system_clock::time_point{}), "1970-01-01T00:00:00.000000Z");
}

TEST(Xep82, FormatTruncatesBelowMicroseconds)
{
    auto t = utc(2020, 2, 29, 0, 0, 0) + nanoseconds{999};
    EXPECT_EQ(format_xep82(t), "2020-02-29T00:00:00.000000Z");
}

TEST(Xep82, FormatBeforeEpoch)
{
    EXPECT_EQ(format_xep82(utc(1969, 12, 31, 23, 59, 59, microseconds{500000})),
              "1969-12-31T23:59:59.500000Z");
}

struct Row {
    const char* name;
    const char* text;
    bool ok;
    system_clock::time_point want;
};

const Row rows[] = {
    // XEP-0082 §3.2 examples.
    {"Xep82Example", "1969-07-21T02:56:15Z", true, utc(1969, 7, 21, 2, 56, 15)},
    {"Xep82ExampleWithOffset", "1969-07-20T21:56:15-05:00", true, utc(1969, 7, 21, 2, 56, 15)},
    {"NoFraction", "2002-09-10T23:41:07Z", true, utc(2002, 9, 10, 23, 41, 7)},
    {"Milliseconds", "2002-09-10T23:41:07.123Z", true,
     utc(2002, 9, 10, 23, 41, 7, microseconds{123000})},
    {"OneDigitFraction", "2002-09-10T23:41:07.5Z", true,
     utc(2002, 9, 10, 23, 41, 7, microseconds{500000})},
    {"Microseconds", "2026-11-24T21:50:03.123456Z", true,
     utc(2026, 11, 24, 21, 50, 3, microseconds{123456})},
    {"LongFractionTruncated", "2026-11-24T21:50:03.123456000999Z", true,
     utc(2026, 11, 24, 21, 50, 3, microseconds{123456})},
    {"PositiveOffset", "2002-09-11T01:41:07+02:00", true, utc(2002, 9, 10, 23, 41, 7)},
    {"OffsetWithMinutes", "2002-09-10T18:11:07-05:30", true, utc(2002, 9, 10, 23, 41, 7)},
    {"ZeroOffset", "2002-09-10T23:41:07+00:00", true, utc(2002, 9, 10, 23, 41, 7)},
    {"OffsetCrossesYear", "2000-12-31T23:30:00-01:00", true, utc(2001, 1, 1, 0, 30, 0)},
    {"FractionAndOffset", "2002-09-10T23:41:07.25+01:00", true,
     utc(2002, 9, 10, 22, 41, 7, microseconds{250000})},
    {"LeapDay", "2024-02-29T00:00:00Z", true, utc(2024, 2, 29, 0, 0, 0)},
    {"Empty", "", false, {}},
    {"Garbage", "yesterday", false, {}},
    {"DateOnly", "2002-09-10", false, {}},
    {"NoZone", "2002-09-10T23:41:07", false, {}},
    {"LowercaseZ", "2002-09-10T23:41:07z", false, {}},
    {"SpaceForT", "2002-09-10 23:41:07Z", false, {}},
    {"EmptyFraction", "2002-09-10T23:41:07.Z", false, {}},
    {"TrailingText", "2002-09-10T23:41:07Zjunk", false, {}},
    {"ShortYear", "02-09-10T23:41:07Z", false, {}},
    {"Month13", "2002-13-10T23:41:07Z", false, {}},
    {"Month0", "2002-00-10T23:41:07Z", false, {}},
    {"Feb29NonLeap", "2023-02-29T00:00:00Z", false, {}},
    {"April31", "2002-04-31T00:00:00Z", false, {}},
    {"Hour24", "2002-09-10T24:00:00Z", false, {}},
    {"Minute60", "2002-09-10T23:60:00Z", false, {}},
    {"Second60", "2002-09-10T23:59:60Z", false, {}},
    {"OffsetWithoutColon", "2002-09-10T23:41:07+0200", false, {}},
    {"OffsetHoursOnly", "2002-09-10T23:41:07+02", false, {}},
    {"OffsetMinute60", "2002-09-10T23:41:07+02:60", false, {}},
    {"SignedDigit", "2002-09-10T23:4+:07Z", false, {}},
};

class ParseXep82 : public testing::TestWithParam<Row> {};

TEST_P(ParseXep82, MatchesRow)
{
    const Row& row = GetParam();
    system_clock::time_point got{};
    ASSERT_EQ(parse_xep82(row.text, got), row.ok);
    if (row.ok) {
        EXPECT_EQ(got, row.want) << format_xep82(got);
    }
}

INSTANTIATE_TEST_SUITE_P(Rows, ParseXep82, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(Xep82, FormatThenParseRoundTrips)
{
    auto t = utc(2031, 5, 17, 8, 9, 10, microseconds{654321});
    system_clock::time_point back{};
    ASSERT_TRUE(parse_xep82(format_xep82(t), back));
    EXPECT_EQ(back, t);
}

}  // namespace
}  // namespace chorus
