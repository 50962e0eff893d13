// Tests for src/stream/ws_framing.cpp: RFC 7395 messages to and from a plain XML stream.
#include "stream/ws_framing.h"

#include <gtest/gtest.h>

namespace chorus::stream::ws {
namespace {

std::vector<std::string> outbound(std::string_view bytes)
{
    std::vector<std::string> out;
    translate_outbound(bytes, out);
    return out;
}

TEST(WsFraming, OpenBecomesAStreamHeader)  // RFC 7395 example 1
{
    auto in = translate_inbound(
        "<open xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" to=\"example.com\" version=\"1.0\" "
        "/>");
    ASSERT_EQ(in.kind, Inbound::Kind::stream_bytes);
    EXPECT_EQ(in.bytes,
              "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
              " to='example.com' version='1.0'>");
}

TEST(WsFraming, CloseEndsTheStream)
{
    auto in = translate_inbound("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
    ASSERT_EQ(in.kind, Inbound::Kind::stream_bytes);
    EXPECT_EQ(in.bytes, "</stream:stream>");
}

TEST(WsFraming, OpenInAnotherNamespaceIsInvalid)
{
    EXPECT_EQ(translate_inbound("<open xmlns='jabber:client'/>").kind, Inbound::Kind::invalid);
}

struct Row {
    const char* name;
    const char* message;
    Inbound::Kind want;
};
const Row rows[] = {
    {"OneStanza", "<message xmlns='jabber:client' to='a@b'><body>hi &gt; <x/></body></message>",
     Inbound::Kind::stream_bytes},
    {"QuotedGreaterThan", "<iq xmlns='jabber:client' id='a>b' type='get'><ping/></iq>",
     Inbound::Kind::stream_bytes},
    {"CdataInside", "<message xmlns='jabber:client'><body><![CDATA[<b>]]></body></message>",
     Inbound::Kind::stream_bytes},
    {"Whitespace", " \r\n", Inbound::Kind::ignore},
    {"TwoElements", "<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>",
     Inbound::Kind::invalid},
    {"Fragment", "<message xmlns='jabber:client'><body>", Inbound::Kind::invalid},
    {"EndTagOnly", "</message>", Inbound::Kind::invalid},
    {"TextOutside", "hello<presence/>", Inbound::Kind::invalid},
    {"StreamHeaderIsNotOpen", "<stream:stream xmlns='jabber:client' to='x'>",
     Inbound::Kind::invalid},
    {"Comment", "<!-- x --><presence/>", Inbound::Kind::invalid},
};
class Inbound_ : public testing::TestWithParam<Row> {};
TEST_P(Inbound_, IsClassified)
{
    EXPECT_EQ(translate_inbound(GetParam().message).kind, GetParam().want);
}
INSTANTIATE_TEST_SUITE_P(Rows, Inbound_, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(WsFraming, StreamHeaderBecomesOpen)  // RFC 7395 example 2
{
    auto out = outbound(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' id='ab' version='1.0' xml:lang='en' "
        "from='localhost'>");
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0],
              "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' id='ab' version='1.0' "
              "xml:lang='en' from='localhost'/>");
}

TEST(WsFraming, EachElementIsOneQualifiedMessage)
{
    auto out = outbound(
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"
        "<message to='a@b' id=\"x xmlns='y'\"><body>1 &lt; 2</body></message>"
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
        "<presence/>");
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0],
              "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind "
              "xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
    EXPECT_EQ(out[1],
              "<message xmlns='jabber:client' to='a@b' id=\"x xmlns='y'\"><body>1 &lt; "
              "2</body></message>");
    EXPECT_EQ(out[2], "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
    EXPECT_EQ(out[3], "<presence xmlns='jabber:client'/>");
}

TEST(WsFraming, StreamErrorThenEndBecomesErrorThenClose)  // RFC 7395 §3.6.2
{
    auto out = outbound(
        "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        "</stream:error></stream:stream>");
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].rfind("<stream:error xmlns:stream='http://etherx.jabber.org/streams'>", 0),
              0u);
    EXPECT_EQ(out[1], "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
}

}  // namespace
}  // namespace chorus::stream::ws
