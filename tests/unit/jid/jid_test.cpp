// Tests for src/jid/jid.cpp: RFC 6120 §3 parsing and RFC 6122 preparation (nodeprep etc.).
#include "jid/jid.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace chorus {
namespace {

using namespace std::string_view_literals;

struct Row {
    const char* name;
    std::string_view in;
    const char* want;  // the prepared JID, or nullptr when malformed
};

const Row rows[] = {
    // Case folding: node and domain fold, the resource keeps its case (RFC 6122 App. A, B).
    {"FoldsNodeAndDomainKeepsResource", "Juliet@Example.COM/Balcony", "juliet@example.com/Balcony"},
    {"DomainOnly", "example.com", "example.com"},
    {"BareJid", "romeo@montague.lit", "romeo@montague.lit"},
    {"DomainWithResource", "example.com/Work", "example.com/Work"},
    {"ResourceKeepsSpace", "juliet@example.com/Orchard Window",
     "juliet@example.com/Orchard Window"},
    // RFC 6122 §2.1: the resource begins at the first '/', '@' and '/' included.
    {"ResourceHoldsAtAndSlash", "juliet@example.com/a@b/c", "juliet@example.com/a@b/c"},
    {"SlashBeforeAtStartsResource", "example.com/juliet@example.com",
     "example.com/juliet@example.com"},
    {"TrailingDotStripped", "juliet@example.com./x", "juliet@example.com/x"},
    {"Ipv4Literal", "juliet@127.0.0.1", "juliet@127.0.0.1"},
    {"Ipv6Literal", "juliet@[::1]/x", "juliet@[::1]/x"},
    {"Ipv6LiteralFolds", "juliet@[FE80::1]", "juliet@[fe80::1]"},
    // Non-ASCII goes through libidn: Ä/Ö fold in node and domain, not in the resource.
    {"NonAsciiNodeFolds", "ÄÖ@example.com", "äö@example.com"},
    {"NonAsciiDomainFolds", "juliet@ÄÖ.example", "juliet@äö.example"},
    {"NonAsciiResourceKept", "juliet@example.com/ÄÖ", "juliet@example.com/ÄÖ"},
    {"SharpSFoldsToSs", "Straße@example.com", "strasse@example.com"},
    {"SoftHyphenMappedToNothing", "ju\u00ADliet@example.com", "juliet@example.com"},
    {"LigatureNormalizedInResource", "juliet@example.com/\uFB01", "juliet@example.com/fi"},
    {"FullwidthDotIsLabelSeparator", "juliet@example\uFF0Ecom", "juliet@example.com"},
    {"IdeographicDotIsLabelSeparator", "juliet@example\u3002com", "juliet@example.com"},
    // Empty parts.
    {"Empty", "", nullptr},
    {"EmptyNodeWithAt", "@example.com", nullptr},
    {"EmptyResourceWithSlash", "juliet@example.com/", nullptr},
    {"EmptyDomain", "juliet@/x", nullptr},
    {"OnlyDot", ".", nullptr},
    {"NodeMappedToNothing", "\u00AD@example.com", nullptr},
    // Nodeprep's prohibited ASCII (RFC 6122 App. A.5) and controls.
    {"NodeWithSpace", "jul iet@example.com", nullptr},
    {"NodeWithLessThan", "jul<iet@example.com", nullptr},
    {"NodeWithQuote", "jul\"iet@example.com", nullptr},
    {"NodeWithAmpersand", "jul&iet@example.com", nullptr},
    {"NodeWithApostrophe", "jul'iet@example.com", nullptr},
    {"NodeWithColon", "jul:iet@example.com", nullptr},
    {"NodeWithGreaterThan", "jul>iet@example.com", nullptr},
    {"TwoAtSigns", "a@b@example.com", nullptr},
    {"NodeWithNul", "jul\0iet@example.com"sv, nullptr},
    {"NodeWithControl", "jul\x01iet@example.com", nullptr},
    {"ResourceWithNul", "juliet@example.com/a\0b"sv, nullptr},
    {"ResourceWithDel", "juliet@example.com/a\x7f", nullptr},
    // Prohibited non-ASCII (RFC 3454 tables C.x).
    {"NodeWithLineSeparator", "a\u2028b@example.com", nullptr},
    {"ResourceWithLineSeparator", "juliet@example.com/a\u2028b", nullptr},
    {"NodeWithReplacementChar", "a\uFFFDb@example.com", nullptr},
    {"NodeWithNoBreakSpace", "a\u00A0b@example.com", nullptr},
    {"NodeWithFullwidthAt", "a\uFF20b@example.com", nullptr},
    {"NodeMixingBidi", "\u0627a@example.com", nullptr},
    {"InvalidUtf8", "a\xff@example.com", nullptr},
    {"TruncatedUtf8", "juliet@example.com/a\xc3", nullptr},
    // Domains: STD3 letters/digits/hyphens, labels, literals.
    {"DomainWithUnderscore", "juliet@ex_ample.com", nullptr},
    {"DomainWithSpace", "juliet@exa mple.com", nullptr},
    {"DomainEmptyLabel", "juliet@example..com", nullptr},
    {"DomainLeadingDot", "juliet@.example.com", nullptr},
    {"DomainTwoTrailingDots", "juliet@example.com..", nullptr},
    {"DomainLabelHyphenEdge", "juliet@-example.com", nullptr},
    {"DomainControl", "juliet@exa\x01mple.com", nullptr},
    {"BadIpv6Literal", "juliet@[::g]", nullptr},
    {"UnclosedIpv6Literal", "juliet@[::1", nullptr},
};

class ParseJid : public testing::TestWithParam<Row> {};

TEST_P(ParseJid, MatchesRow)
{
    const Row& row = GetParam();
    auto jid = Jid::parse(row.in);
    if (row.want == nullptr) {
        EXPECT_FALSE(jid.has_value()) << jid->str();
    } else {
        ASSERT_TRUE(jid.has_value());
        EXPECT_EQ(jid->str(), row.want);
    }
}

INSTANTIATE_TEST_SUITE_P(Rows, ParseJid, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

// Labels of up to 63 bytes joined by dots, exactly `bytes` long.
std::string domain_of_length(std::size_t bytes)
{
    std::string out;
    while (out.size() < bytes) {
        if (!out.empty()) {
            out += '.';
        }
        std::size_t left = bytes - out.size();
        // Never leave a single byte for a label that would then need a dot first.
        std::size_t label = left > 63 ? (left - 63 == 1 ? 62 : 63) : left;
        out.append(label, 'a');
    }
    return out;
}

TEST(Jid, PartsOf1023BytesAreAccepted)
{
    std::string part(1023, 'x');
    ASSERT_EQ(domain_of_length(1023).size(), 1023u);
    auto jid = Jid::from_parts(part, domain_of_length(1023), part);
    ASSERT_TRUE(jid.has_value());
    EXPECT_EQ(jid->node().size(), 1023u);
    EXPECT_EQ(jid->domain().size(), 1023u);
    EXPECT_EQ(jid->resource().size(), 1023u);
    EXPECT_TRUE(Jid::parse(jid->str()).has_value());
}

TEST(Jid, PartsOf1024BytesAreRejected)
{
    std::string ok(1023, 'x');
    std::string long_part(1024, 'x');
    ASSERT_EQ(domain_of_length(1024).size(), 1024u);
    EXPECT_FALSE(Jid::from_parts(long_part, "example.com", ok).has_value());
    EXPECT_FALSE(Jid::from_parts(ok, domain_of_length(1024), ok).has_value());
    EXPECT_FALSE(Jid::from_parts(ok, "example.com", long_part).has_value());
    EXPECT_FALSE(Jid::parse(long_part + "@example.com").has_value());
    EXPECT_FALSE(Jid::parse("example.com/" + long_part).has_value());
}

TEST(Jid, LengthIsCountedAfterPreparation)
{
    // 1023 bytes plus a soft hyphen that nodeprep maps to nothing.
    std::string node = std::string(1023, 'x') + "\u00AD";
    EXPECT_TRUE(Jid::from_parts(node, "example.com").has_value());
    // A trailing dot is stripped before the domain's length is checked.
    EXPECT_TRUE(Jid::from_parts("", domain_of_length(1023) + ".").has_value());
}

TEST(Jid, DomainLabelLongerThan63BytesIsRejected)
{
    EXPECT_TRUE(Jid::from_parts("", std::string(63, 'a') + ".com").has_value());
    EXPECT_FALSE(Jid::from_parts("", std::string(64, 'a') + ".com").has_value());
}

TEST(Jid, BareDropsResource)
{
    auto jid = Jid::parse("Juliet@Example.com/Balcony");
    ASSERT_TRUE(jid.has_value());
    Jid bare = jid->bare();
    EXPECT_EQ(bare.str(), "juliet@example.com");
    EXPECT_EQ(bare.bare_str(), "juliet@example.com");
    EXPECT_EQ(jid->bare_str(), "juliet@example.com");
    EXPECT_TRUE(bare.is_bare());
    EXPECT_TRUE(jid->is_full());
    EXPECT_EQ(bare, Jid::parse("juliet@example.com"));
    EXPECT_EQ(std::hash<Jid>{}(bare), std::hash<Jid>{}(*Jid::parse("juliet@EXAMPLE.com")));
}

TEST(Jid, WithResourceReplacesResource)
{
    auto jid = Jid::parse("juliet@example.com/balcony");
    ASSERT_TRUE(jid.has_value());
    Jid other = jid->with_resource("orchard");
    EXPECT_EQ(other.str(), "juliet@example.com/orchard");
    EXPECT_EQ(other.resource(), "orchard");
    EXPECT_EQ(jid->bare().with_resource("x").str(), "juliet@example.com/x");
    EXPECT_EQ(Jid::parse("example.com")->with_resource("r").str(), "example.com/r");
}

TEST(Jid, DefaultIsEmpty)
{
    Jid jid;
    EXPECT_TRUE(jid.empty());
    EXPECT_EQ(jid.str(), "");
}

TEST(Jid, FromPartsPreparesEachPart)
{
    auto jid = Jid::from_parts("Juliet", "Example.COM.", "Balcony");
    ASSERT_TRUE(jid.has_value());
    EXPECT_EQ(jid->node(), "juliet");
    EXPECT_EQ(jid->domain(), "example.com");
    EXPECT_EQ(jid->resource(), "Balcony");
    EXPECT_EQ(jid->str(), "juliet@example.com/Balcony");
    EXPECT_FALSE(Jid::from_parts("a@b", "example.com").has_value());
}

// The ASCII fast paths must agree with libidn; non-ASCII input forces the library path, so
// a non-ASCII suffix that every profile keeps as is lets the two be compared.
TEST(Jid, AsciiFastPathsAgreeWithLibidn)
{
    const std::string suffix = "\u00E9";  // é: no mapping, folding or prohibition
    for (int c = 1; c < 0x80; ++c) {
        std::string ascii(1, static_cast<char>(c));
        SCOPED_TRACE(c);
        auto node_fast = nodeprep(ascii);
        auto node_slow = nodeprep(ascii + suffix);
        ASSERT_EQ(node_fast.has_value(), node_slow.has_value());
        if (node_fast) {
            EXPECT_EQ(*node_fast + suffix, *node_slow);
        }
        auto res_fast = resourceprep(ascii);
        auto res_slow = resourceprep(ascii + suffix);
        ASSERT_EQ(res_fast.has_value(), res_slow.has_value());
        if (res_fast) {
            EXPECT_EQ(*res_fast + suffix, *res_slow);
        }
        auto name_fast = nameprep(ascii);
        auto name_slow = nameprep(ascii + suffix);
        ASSERT_TRUE(name_fast.has_value());  // nameprep itself prohibits no ASCII
        ASSERT_TRUE(name_slow.has_value());
        EXPECT_EQ(*name_fast + suffix, *name_slow);
    }
}

TEST(Jid, ProfilesRejectEmbeddedNul)
{
    EXPECT_FALSE(nodeprep("a\0\u00E9"sv).has_value());
    EXPECT_FALSE(nameprep("a\0b"sv).has_value());
    EXPECT_FALSE(resourceprep("a\0\u00E9"sv).has_value());
}

TEST(Jid, ProfileExpansionBeyondInitialBuffer)
{
    // U+FDFA is one code point whose NFKC form is 18; resourceprep allows the result.
    std::string in;
    for (int i = 0; i < 20; ++i) {
        in += "\uFDFA";
    }
    auto out = resourceprep(in);
    ASSERT_TRUE(out.has_value());
    EXPECT_GT(out->size(), in.size() * 2);
}

}  // namespace
}  // namespace chorus
