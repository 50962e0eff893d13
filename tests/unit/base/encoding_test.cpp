#include "base/encoding.h"

#include <gtest/gtest.h>

namespace chorus {
namespace {

TEST(EscapedLine, LineBreaksAndBackslashesRoundTripOnOneLine)
{
    const std::string value = "two\nlines \\n not a break\\";
    std::string line = "name=";
    append_escaped_line(value, line);
    EXPECT_EQ(line, "name=two\\nlines \\\\n not a break\\\\");
    EXPECT_EQ(line.find('\n'), std::string::npos);
    EXPECT_EQ(unescape_line(std::string_view(line).substr(5)), value);
}

TEST(EscapedLine, ATrailingLoneBackslashIsKept)
{
    EXPECT_EQ(unescape_line("end\\"), "end\\");
    EXPECT_EQ(unescape_line(""), "");
}

}  // namespace
}  // namespace chorus
