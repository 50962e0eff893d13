// Tests for with_stanza_id in src/stanza/stanza_bytes.cpp: XEP-0359 <stanza-id/> spliced in
// as the last child of serialized stanza bytes.
#include "stanza/stanza_bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stanza/namespaces.h"
#include "xml/stream_parser.h"

namespace chorus {
namespace {

std::string stanza_id(std::string_view escaped_id, std::string_view escaped_by)
{
    return "<stanza-id xmlns='" + std::string(ns::sid) + "' id='" + std::string(escaped_id) +
           "' by='" + std::string(escaped_by) + "'/>";
}

struct Row {
    const char* name;
    std::string_view in;
    std::string want;  // with id '42' and by 'juliet@capulet.lit'
};

const Row rows[] = {
    {"with_children", "<message to='a'><body>x</body></message>",
     "<message to='a'><body>x</body>" + stanza_id("42", "juliet@capulet.lit") + "</message>"},
    {"self_closed", "<message to='a'/>",
     "<message to='a'>" + stanza_id("42", "juliet@capulet.lit") + "</message>"},
    {"self_closed_without_attributes", "<message/>",
     "<message>" + stanza_id("42", "juliet@capulet.lit") + "</message>"},
    {"self_closed_last_child", "<message to='a'><body>x</body><active xmlns='c'/></message>",
     "<message to='a'><body>x</body><active xmlns='c'/>" + stanza_id("42", "juliet@capulet.lit") +
         "</message>"},
    {"nested_message",
     "<message to='a'><forwarded><message><body/></message></forwarded></message>",
     "<message to='a'><forwarded><message><body/></message></forwarded>" +
         stanza_id("42", "juliet@capulet.lit") + "</message>"},
    {"text_only", "<message to='a'>hi</message>",
     "<message to='a'>hi" + stanza_id("42", "juliet@capulet.lit") + "</message>"},
};

class WithStanzaId : public ::testing::TestWithParam<Row> {};

TEST_P(WithStanzaId, InsertsTheLastChild)
{
    EXPECT_EQ(with_stanza_id(GetParam().in, "42", "juliet@capulet.lit"), GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(Rows, WithStanzaId, ::testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(WithStanzaIdEscaping, IdAndByAreEscapedAsAttributes)
{
    EXPECT_EQ(with_stanza_id("<message to='a'/>", "a'b&c<d", "o'&<\"x"),
              "<message to='a'>" + stanza_id("a&apos;b&amp;c&lt;d", "o&apos;&amp;&lt;&quot;x") +
                  "</message>");
}

// Collects the stanzas of one stream.
class Stanzas : public xml::StreamHandler {
public:
    std::vector<xml::Element> got;
    void on_stream_open(const xml::Element&) override {}
    void on_stanza(xml::Element stanza) override { got.push_back(std::move(stanza)); }
    void on_stream_close() override {}
};

// The bytes are what a client receives: they must parse, and the parsed values must be the
// raw id and by, whatever characters they hold.
TEST(WithStanzaIdEscaping, TheResultParsesBackToTheRawValues)
{
    const std::string id = "1'2&3<4>5\"6";
    const std::string by = "juliet@capulet.lit";
    for (std::string_view in :
         {std::string_view("<message to='a'><body>x &amp; y</body></message>"),
          std::string_view("<message to='a'/>")}) {
        Stanzas handler;
        xml::StreamParser parser(handler, xml::ParserLimits{});
        const std::string stream = "<stream:stream xmlns='" + std::string(ns::client) +
                                   "' xmlns:stream='" + std::string(ns::streams) + "'>" +
                                   with_stanza_id(in, id, by);
        parser.feed(stream);
        ASSERT_EQ(parser.error(), xml::ParseError::none) << parser.error_text() << " in " << in;
        ASSERT_EQ(handler.got.size(), 1u) << in;
        const auto& message = handler.got[0];
        EXPECT_EQ(message.name(), "message");
        EXPECT_EQ(message.attr("to"), "a");
        const auto* sid = message.child("stanza-id", ns::sid);
        ASSERT_NE(sid, nullptr) << in;
        EXPECT_EQ(sid->attr("id"), id);
        EXPECT_EQ(sid->attr("by"), by);
        EXPECT_EQ(&message.nodes().back(), sid);  // the last child
    }
}

}  // namespace
}  // namespace chorus
