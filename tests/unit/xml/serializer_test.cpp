// Tests for src/xml/serializer.cpp: XML 1.0 §2.4 escaping (checked by parsing the output back
// with StreamParser) and namespace declarations only where the namespace changes.
#include "xml/serializer.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "stanza/namespaces.h"
#include "xml/stream_parser.h"

namespace chorus::xml {
namespace {

class Collect : public StreamHandler {
public:
    std::vector<Element> stanzas;
    void on_stream_open(const Element&) override {}
    void on_stanza(Element stanza) override { stanzas.push_back(std::move(stanza)); }
    void on_stream_close() override {}
};

// Serializes e as a stanza of a jabber:client stream and parses it back.
Element round_trip(const Element& e)
{
    std::string wire =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "version='1.0'>";
    serialize(e, wire, ns::client);
    Collect c;
    StreamParser parser(c, {});
    parser.feed(wire);
    EXPECT_EQ(parser.error(), ParseError::none) << parser.error_text() << "\n" << wire;
    EXPECT_EQ(c.stanzas.size(), 1u) << wire;
    return c.stanzas.empty() ? Element() : c.stanzas.front();
}

TEST(Serializer, TextEscapesMarkupButNotQuotes)
{
    std::string out;
    escape_text("a & b < c > d ' e \" f", out);
    EXPECT_EQ(out, "a &amp; b &lt; c &gt; d ' e \" f");
}

TEST(Serializer, AttributeEscapesMarkupAndBothQuotes)
{
    std::string out;
    escape_attr("a & b < c > d ' e \" f", out);
    EXPECT_EQ(out, "a &amp; b &lt; c &gt; d &apos; e &quot; f");
}

TEST(Serializer, EscapingAppendsToTheBuffer)
{
    std::string out = "x";
    escape_text("", out);
    escape_text("plain", out);
    EXPECT_EQ(out, "xplain");
}

// Values that must come back unchanged: markup characters, a CDATA end, entity look-alikes,
// and non-ASCII from 2-, 3- and 4-byte UTF-8.
const std::string tricky_values[] = {
    "&", "<", ">", "'", "\"", "&amp;", "&lt;&gt;", "]]>", "<body>not a child</body>",
    "'\"'\"", "a&b<c>d'e\"f",
    "caf\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x8e\xad \xe4\xb8\xad\xe6\x96\x87 \xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d",
    "&#x263A; stays literal", "   leading and trailing spaces   ",
};

TEST(Serializer, TextRoundTripsThroughTheParser)
{
    for (const auto& value : tricky_values) {
        Element message("message", std::string(ns::client));
        message.add_child("body", std::string(ns::client)).add_text(value);
        const Element back = round_trip(message);
        EXPECT_EQ(back.child_text("body", ns::client), value);
    }
}

TEST(Serializer, AttributesRoundTripThroughTheParser)
{
    for (const auto& value : tricky_values) {
        Element message("message", std::string(ns::client));
        message.set_attr("id", value).set_attr("xml:lang", value);
        const Element back = round_trip(message);
        EXPECT_EQ(back.attr("id"), value);
        EXPECT_EQ(back.attr("xml:lang"), value);
    }
}

// XML 1.0 §3.3.3 normalizes a literal tab, CR or LF in an attribute value to a space and
// §2.11 turns a literal CR in text into LF, so these must go out as character references.
TEST(Serializer, WhitespaceControlCharactersRoundTripThroughTheParser)
{
    const std::string value = "line one\nline two\r\nthird\tcolumn\r";
    Element message("message", std::string(ns::client));
    message.set_attr("id", value);
    message.add_child("body", std::string(ns::client)).add_text(value);
    const Element back = round_trip(message);
    EXPECT_EQ(back.attr("id"), value);
    EXPECT_EQ(back.child_text("body", ns::client), value);
}

TEST(Serializer, NamespacedAttributeGetsAPrefixAndRoundTrips)
{
    Element x("x", "urn:example");
    x.set_attr("urn:other|flag", "it's & <that>");
    const Element back = round_trip(x);
    EXPECT_EQ(back.ns(), "urn:example");
    EXPECT_EQ(back.attr("urn:other|flag"), "it's & <that>");
}

TEST(Serializer, NamespaceIsDeclaredOnlyWhereItChanges)
{
    Element message("message", std::string(ns::client));
    message.set_attr("to", "romeo@example.net");
    message.add_child("body", std::string(ns::client)).add_text("hi");
    auto& x = message.add_child("x", "urn:example");
    x.add_child("y", "urn:example");
    x.add_child("z", std::string(ns::client));  // back to the stream's namespace
    std::string out;
    serialize(message, out, ns::client);
    EXPECT_EQ(out,
              "<message to='romeo@example.net'><body>hi</body>"
              "<x xmlns='urn:example'><y/><z xmlns='jabber:client'/></x></message>");
}

TEST(Serializer, StanzaInAnotherParentNamespaceDeclaresItsOwn)
{
    Element iq("iq", std::string(ns::client));
    std::string out;
    serialize(iq, out, ns::server);
    EXPECT_EQ(out, "<iq xmlns='jabber:client'/>");
}

TEST(Serializer, ToStringAlwaysDeclaresTheRootNamespace)
{
    Element presence("presence", std::string(ns::client));
    presence.add_child("show", std::string(ns::client)).add_text("away");
    EXPECT_EQ(to_string(presence), "<presence xmlns='jabber:client'><show>away</show></presence>");
}

TEST(Serializer, EmptyElementsSelfClose)
{
    Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "get").set_attr("id", "p1");
    iq.add_child("ping", std::string(ns::ping));
    std::string out;
    serialize(iq, out, ns::client);
    EXPECT_EQ(out, "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
    Element presence("presence", std::string(ns::client));
    out.clear();
    serialize(presence, out, ns::client);
    EXPECT_EQ(out, "<presence/>");
}

TEST(Serializer, ParsedStanzaSerializesBackToItsWireForm)
{
    const std::string wire = "<message to='a@b' type='chat'><body>x &amp; y &lt; z</body>"
                             "<active xmlns='http://jabber.org/protocol/chatstates'/></message>";
    Element message("message", std::string(ns::client));
    message.set_attr("to", "a@b").set_attr("type", "chat");
    message.add_child("body", std::string(ns::client)).add_text("x & y < z");
    message.add_child("active", std::string(ns::chatstates));
    const Element back = round_trip(message);
    std::string out;
    serialize(back, out, ns::client);
    EXPECT_EQ(out, wire);
}

}  // namespace
}  // namespace chorus::xml
