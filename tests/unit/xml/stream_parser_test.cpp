// Tests for src/xml/stream_parser.cpp: chunking, stream restarts, RFC 6120 §11 restricted XML
// and the configurable limits (§13.12).
#include "xml/stream_parser.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "stanza/namespaces.h"
#include "xml/serializer.h"

namespace chorus::xml {
namespace {

// Records every event; on_stanza_hook may call pause() (as the session does after
// <proceed/> and SASL <success/>).
class Recorder : public StreamHandler {
public:
    std::vector<Element> headers;
    std::vector<Element> stanzas;
    int closes = 0;
    std::function<void(const Element&)> on_stanza_hook;

    void on_stream_open(const Element& header) override { headers.push_back(header); }
    void on_stanza(Element stanza) override
    {
        stanzas.push_back(std::move(stanza));
        if (on_stanza_hook) {
            on_stanza_hook(stanzas.back());
        }
    }
    void on_stream_close() override { ++closes; }
};

// Structural equality: name, namespace, attributes in order, children (text merged).
::testing::AssertionResult same_tree(const Element& a, const Element& b)
{
    if (to_string(a) == to_string(b) && a.name() == b.name() && a.ns() == b.ns() &&
        a.attrs().size() == b.attrs().size() && a.nodes().size() == b.nodes().size()) {
        for (std::size_t i = 0; i < a.nodes().size(); ++i) {
            if (auto r = same_tree(a.nodes()[i], b.nodes()[i]); !r) {
                return r;
            }
        }
        return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << to_string(a) << "\n  differs from\n" << to_string(b);
}

constexpr std::string_view header =
    "<?xml version='1.0'?>"
    "<stream:stream to='example.com' version='1.0' xml:lang='en' "
    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

// A whole client stream (RFC 6120 §9 examples, extended with what chunking can break:
// entities, character references, multi-byte UTF-8, nested namespaces, keepalives).
const std::string whole_stream =
    std::string(header) +
    "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
    "<resource>balcony</resource></bind></iq>\n \n"
    "<message from='juliet@example.com/balcony' id='ju2bs61g' to='romeo@example.net' "
    "type='chat' xml:lang='en'><body>Wherefore art thou, Romeo? &amp; &lt;3 &#x263A; "
    "\xc3\xa9t\xc3\xa9 \xf0\x9f\x8e\xad</body>"
    "<thread parent='7edac73ab41e45c4aafa7b2d7b749080'>e0ffe42b28561960c6b12b944a092794b9683a38"
    "</thread><x xmlns='urn:example:nested'><y a=\"&quot;q&apos;\"><z xmlns=''/></y></x>"
    "</message> "
    "<presence/><presence type='unavailable'><status>gone &gt; away</status></presence>"
    "</stream:stream>";

struct Parsed {
    Recorder recorder;
    ParseError error = ParseError::none;
};

void feed_in_chunks(std::string_view data, const std::vector<std::size_t>& sizes, Parsed& out)
{
    StreamParser parser(out.recorder, ParserLimits{});
    std::size_t at = 0;
    for (std::size_t i = 0; at < data.size(); ++i) {
        const std::size_t n = std::min(sizes[i % sizes.size()], data.size() - at);
        EXPECT_EQ(parser.feed(data.substr(at, n)), n);
        at += n;
    }
    out.error = parser.error();
}

TEST(StreamParser, WholeStreamInOneChunkYieldsEveryStanza)
{
    Parsed p;
    feed_in_chunks(whole_stream, {whole_stream.size()}, p);
    EXPECT_EQ(p.error, ParseError::none);
    ASSERT_EQ(p.recorder.headers.size(), 1u);
    ASSERT_EQ(p.recorder.stanzas.size(), 4u);
    EXPECT_EQ(p.recorder.closes, 1);
    const Element& message = p.recorder.stanzas[1];
    EXPECT_TRUE(message.is("message", ns::client));
    EXPECT_EQ(message.child_text("body", ns::client),
              "Wherefore art thou, Romeo? & <3 \xe2\x98\xba \xc3\xa9t\xc3\xa9 \xf0\x9f\x8e\xad");
    const Element* x = message.child("x", "urn:example:nested");
    ASSERT_NE(x, nullptr);
    const Element* y = x->child("y", "urn:example:nested");
    ASSERT_NE(y, nullptr);
    EXPECT_EQ(y->attr("a"), "\"q'");
    EXPECT_NE(y->child("z", ""), nullptr);  // xmlns='' undeclares the default namespace
    EXPECT_EQ(p.recorder.stanzas[0].child("bind", ns::bind)->child_text("resource", ns::bind),
              "balcony");
    EXPECT_EQ(p.recorder.stanzas[3].child_text("status", ns::client), "gone > away");
}

TEST(StreamParser, ByteByByteYieldsTheSameTreesAsOneChunk)
{
    Parsed whole, bytes;
    feed_in_chunks(whole_stream, {whole_stream.size()}, whole);
    feed_in_chunks(whole_stream, {1}, bytes);
    EXPECT_EQ(bytes.error, ParseError::none);
    EXPECT_EQ(bytes.recorder.closes, 1);
    ASSERT_EQ(bytes.recorder.headers.size(), 1u);
    EXPECT_TRUE(same_tree(bytes.recorder.headers[0], whole.recorder.headers[0]));
    ASSERT_EQ(bytes.recorder.stanzas.size(), whole.recorder.stanzas.size());
    for (std::size_t i = 0; i < whole.recorder.stanzas.size(); ++i) {
        EXPECT_TRUE(same_tree(bytes.recorder.stanzas[i], whole.recorder.stanzas[i])) << i;
    }
}

TEST(StreamParser, RandomChunkSizesYieldTheSameTreesAsOneChunk)
{
    Parsed whole;
    feed_in_chunks(whole_stream, {whole_stream.size()}, whole);
    std::mt19937 random(20240601);  // fixed seed: a failure reproduces
    for (int round = 0; round < 50; ++round) {
        std::uniform_int_distribution<std::size_t> size(1, round < 25 ? 7 : 97);
        std::vector<std::size_t> sizes(64);
        for (auto& s : sizes) {
            s = size(random);
        }
        Parsed chunked;
        feed_in_chunks(whole_stream, sizes, chunked);
        ASSERT_EQ(chunked.error, ParseError::none) << "round " << round;
        ASSERT_EQ(chunked.recorder.stanzas.size(), whole.recorder.stanzas.size()) << round;
        for (std::size_t i = 0; i < whole.recorder.stanzas.size(); ++i) {
            EXPECT_TRUE(same_tree(chunked.recorder.stanzas[i], whole.recorder.stanzas[i]))
                << "round " << round << " stanza " << i;
        }
        EXPECT_EQ(chunked.recorder.closes, 1) << round;
    }
}

TEST(StreamParser, StreamHeaderCarriesItsAttributesAndDefaultNamespace)
{
    Recorder r;
    StreamParser parser(r, {});
    parser.feed(header);
    ASSERT_EQ(r.headers.size(), 1u);
    const Element& h = r.headers[0];
    EXPECT_TRUE(h.is("stream", ns::streams));
    EXPECT_EQ(h.attr("to"), "example.com");
    EXPECT_EQ(h.attr("version"), "1.0");
    EXPECT_EQ(h.attr("xml:lang"), "en");  // the xml namespace maps to the xml: prefix
    EXPECT_EQ(h.attr("xmlns"), ns::client);
    EXPECT_FALSE(h.has_attr("from"));
    EXPECT_TRUE(r.stanzas.empty());
    EXPECT_EQ(r.closes, 0);
}

TEST(StreamParser, AttributesKeepXmlLangAndQualifyOtherNamespaces)
{
    Recorder r;
    StreamParser parser(r, {});
    parser.feed(header);
    parser.feed(
        "<message xml:lang='fr' xmlns:ex='urn:example' ex:flag='1' to='a@b'>"
        "<body xml:lang='de'>Hallo</body></message>");
    ASSERT_EQ(r.stanzas.size(), 1u);
    const Element& m = r.stanzas[0];
    EXPECT_EQ(m.attr("xml:lang"), "fr");
    EXPECT_EQ(m.attr("urn:example|flag"), "1");
    EXPECT_EQ(m.attr("to"), "a@b");
    EXPECT_FALSE(m.has_attr("xmlns:ex"));  // declarations are not attributes
    EXPECT_EQ(m.attrs().size(), 3u);
    EXPECT_EQ(m.child("body", ns::client)->attr("xml:lang"), "de");
}

TEST(StreamParser, StreamCloseIsReportedOnceAndLaterBytesAreIgnored)
{
    Recorder r;
    StreamParser parser(r, {});
    parser.feed(header);
    parser.feed("<presence/>");
    const std::string_view rest = "</stream:stream><presence/>garbage<";
    EXPECT_EQ(parser.feed(rest), rest.size());
    EXPECT_EQ(r.closes, 1);
    EXPECT_EQ(r.stanzas.size(), 1u);
    EXPECT_EQ(parser.feed("<message/>"), 10u);
    EXPECT_EQ(r.stanzas.size(), 1u);
    EXPECT_EQ(r.closes, 1);
    EXPECT_EQ(parser.error(), ParseError::none);
}

// RFC 6120 §4.3.3: after <proceed/> or SASL <success/> the next bytes belong to a new
// stream, so feed() stops right after the stanza whose handler paused.
TEST(StreamParser, PauseReturnsTheBytesConsumedUpToTheStanzaThatPaused)
{
    Recorder r;
    StreamParser parser(r, {});
    r.on_stanza_hook = [&](const Element& s) {
        if (s.name() == "auth") {
            parser.pause();
        }
    };
    const std::string auth =
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
        "AGp1bGlldAByMG0zMG15cjBtMzA=</auth>";
    const std::string next = std::string(header) + "<presence/>";
    const std::string chunk = std::string(header) + "<presence/>" + auth + next;
    const std::size_t used = parser.feed(chunk);
    EXPECT_EQ(used, header.size() + std::string_view("<presence/>").size() + auth.size());
    EXPECT_EQ(r.stanzas.size(), 2u);  // nothing after the pause point was parsed
    EXPECT_EQ(r.headers.size(), 1u);
    parser.reset();
    EXPECT_EQ(parser.feed(std::string_view(chunk).substr(used)), next.size());
    EXPECT_EQ(parser.error(), ParseError::none);
    EXPECT_EQ(r.headers.size(), 2u);  // the restarted stream, XML declaration and all
    ASSERT_EQ(r.stanzas.size(), 3u);
    EXPECT_EQ(r.stanzas[2].name(), "presence");
}

TEST(StreamParser, PauseOnTheLastByteOfAChunkConsumesTheWholeChunk)
{
    Recorder r;
    StreamParser parser(r, {});
    r.on_stanza_hook = [&](const Element&) { parser.pause(); };
    parser.feed(header);
    const std::string starttls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
    std::size_t used = 0;
    for (std::size_t i = 0; i < starttls.size(); ++i) {
        used += parser.feed(std::string_view(starttls).substr(i, 1));
    }
    EXPECT_EQ(used, starttls.size());
    ASSERT_EQ(r.stanzas.size(), 1u);
    EXPECT_TRUE(r.stanzas[0].is("starttls", ns::tls));
    parser.reset();
    r.on_stanza_hook = nullptr;
    parser.feed(header);
    parser.feed("<presence/>");
    EXPECT_EQ(parser.error(), ParseError::none);
    EXPECT_EQ(r.headers.size(), 2u);
    EXPECT_EQ(r.stanzas.size(), 2u);
}

TEST(StreamParser, ResetForgetsAHalfParsedStanza)
{
    Recorder r;
    StreamParser parser(r, {});
    parser.feed(header);
    parser.feed("<message><body>half");
    parser.reset();
    parser.feed(header);
    parser.feed("<presence/>");
    EXPECT_EQ(parser.error(), ParseError::none);
    ASSERT_EQ(r.stanzas.size(), 1u);
    EXPECT_EQ(r.stanzas[0].name(), "presence");
}

// One input that must end the stream, and with which error.
struct BadInput {
    const char* name;
    std::string input;  // fed after `prefix`
    ParseError want;
    bool after_header = true;
};

const std::string billion_laughs =
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
    "<!ENTITY lol9 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>]>"
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'><message><body>&lol9;</body></message>";

const BadInput bad_inputs[] = {
    // RFC 6120 §11.1: no DTDs, entity declarations, comments or processing instructions.
    {"DoctypeBeforeStream", "<?xml version='1.0'?><!DOCTYPE stream:stream SYSTEM 'x.dtd'>",
     ParseError::restricted_xml, false},
    {"EntityDeclaration", "<!DOCTYPE s [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>",
     ParseError::restricted_xml, false},
    {"BillionLaughs", billion_laughs, ParseError::restricted_xml, false},
    {"CommentBeforeStream", "<?xml version='1.0'?><!-- hi -->", ParseError::restricted_xml, false},
    {"CommentBetweenStanzas", "<presence/><!-- hi -->", ParseError::restricted_xml},
    {"CommentInsideStanza", "<message><!-- hi --></message>", ParseError::restricted_xml},
    {"ProcessingInstructionBetweenStanzas", "<?php echo 1; ?>", ParseError::restricted_xml},
    {"ProcessingInstructionInsideStanza", "<message><?pi x?></message>",
     ParseError::restricted_xml},
    {"ProcessingInstructionBeforeStream", "<?xml-stylesheet href='x'?>", ParseError::restricted_xml,
     false},
    // Not well-formed XML (RFC 6120 §4.9.3.13).
    {"MismatchedEndTag", "<message></iq>", ParseError::not_well_formed},
    {"DuplicateAttribute", "<message to='a' to='b'/>", ParseError::not_well_formed},
    {"UnboundPrefix", "<foo:message/>", ParseError::not_well_formed},
    {"InvalidUtf8", "<message><body>\xff\xfe</body></message>", ParseError::not_well_formed},
    // RFC 6120 §11.1: only the five predefined entities may be referenced.
    {"EntityReference", "<message><body>&nbsp;</body></message>", ParseError::restricted_xml},
    {"EntityReferenceInAttribute", "<message to='&xxe;'/>", ParseError::restricted_xml},
    {"BillionLaughsReferenceWithoutItsDtd", "<message><body>&lol9;</body></message>",
     ParseError::restricted_xml},
    {"NulCharacterReference", "<message><body>&#0;</body></message>", ParseError::not_well_formed},
    {"TextAtStreamLevel", "hello", ParseError::not_well_formed},
    // A DOCTYPE or entity declaration after the stream header is outside any prolog: XML
    // itself forbids it there, so <not-well-formed/> is the accurate condition.
    {"DoctypeInsideStream", "<!DOCTYPE x>", ParseError::not_well_formed},
    {"EntityDeclarationInsideStream", "<!ENTITY a 'b'>", ParseError::not_well_formed},
    // RFC 6120 §4.9.3.10: the stream element must be in the streams namespace.
    {"WrongStreamNamespace",
     "<stream:stream xmlns='jabber:client' xmlns:stream='http://example.com/streams' "
     "version='1.0'>",
     ParseError::invalid_namespace, false},
    {"UnprefixedStreamInClientNamespace", "<stream xmlns='jabber:client' version='1.0'>",
     ParseError::invalid_namespace, false},
};

class BadInputTest : public testing::TestWithParam<BadInput> {};

void expect_rejected(const BadInput& bad, const std::vector<std::size_t>& sizes)
{
    Recorder r;
    StreamParser parser(r, {});
    if (bad.after_header) {
        parser.feed(header);
        ASSERT_EQ(parser.error(), ParseError::none);
    }
    std::size_t at = 0;
    for (std::size_t i = 0; at < bad.input.size() && parser.error() == ParseError::none; ++i) {
        const std::size_t n = std::min(sizes[i % sizes.size()], bad.input.size() - at);
        EXPECT_EQ(parser.feed(std::string_view(bad.input).substr(at, n)), n);
        at += n;
    }
    EXPECT_EQ(parser.error(), bad.want) << parser.error_text();
    EXPECT_FALSE(parser.error_text().empty());
    for (const auto& s : r.stanzas) {  // nothing from the offending stanza comes out
        EXPECT_NE(s.name(), "message") << to_string(s);
    }
    // Once failed, the parser swallows everything and reports nothing more.
    const std::size_t stanzas = r.stanzas.size();
    EXPECT_EQ(parser.feed("<presence/>"), 11u);
    EXPECT_EQ(r.stanzas.size(), stanzas);
    EXPECT_EQ(parser.error(), bad.want);
}

TEST_P(BadInputTest, InOneChunk)
{
    expect_rejected(GetParam(), {GetParam().input.size()});
}
TEST_P(BadInputTest, ByteByByte)
{
    expect_rejected(GetParam(), {1});
}

INSTANTIATE_TEST_SUITE_P(Rows, BadInputTest, testing::ValuesIn(bad_inputs),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StreamParser, XmlDeclarationIsNotAProcessingInstruction)
{
    Recorder r;
    StreamParser parser(r, {});
    parser.feed("<?xml version='1.0' encoding='UTF-8'?>");
    parser.feed(header.substr(std::string_view("<?xml version='1.0'?>").size()));
    EXPECT_EQ(parser.error(), ParseError::none);
    EXPECT_EQ(r.headers.size(), 1u);
}

// RFC 6120 §13.12: a configurable stanza size limit; here the smallest allowed one.
constexpr std::size_t small_limit = 10000;

std::string message_of_size(std::size_t total)
{
    const std::string open = "<message to='romeo@example.net'><body>";
    const std::string close = "</body></message>";
    return open + std::string(total - open.size() - close.size(), 'x') + close;
}

ParseError feed_stanza(const std::string& stanza, std::size_t chunk, Recorder& r)
{
    StreamParser parser(r, ParserLimits{.max_stanza_bytes = small_limit});
    parser.feed(header);
    for (std::size_t at = 0; at < stanza.size() && parser.error() == ParseError::none;
         at += chunk) {
        parser.feed(std::string_view(stanza).substr(at, chunk));
    }
    return parser.error();
}

TEST(StreamParserLimits, StanzaOverTheLimitInOneChunkIsAPolicyViolation)
{
    Recorder r;
    EXPECT_EQ(feed_stanza(message_of_size(small_limit + 1), small_limit + 1, r),
              ParseError::policy_violation);
    EXPECT_TRUE(r.stanzas.empty());
}

TEST(StreamParserLimits, StanzaOverTheLimitTrickledIsAPolicyViolation)
{
    for (std::size_t chunk : {std::size_t{1}, std::size_t{100}, std::size_t{4096}}) {
        Recorder r;
        EXPECT_EQ(feed_stanza(message_of_size(small_limit + 1), chunk, r),
                  ParseError::policy_violation)
            << "chunk " << chunk;
        EXPECT_TRUE(r.stanzas.empty()) << "chunk " << chunk;
    }
}

TEST(StreamParserLimits, StanzaExactlyAtTheLimitIsAccepted)
{
    for (std::size_t chunk : {std::size_t{1}, std::size_t{4096}, small_limit}) {
        Recorder r;
        EXPECT_EQ(feed_stanza(message_of_size(small_limit), chunk, r), ParseError::none);
        EXPECT_EQ(r.stanzas.size(), 1u) << "chunk " << chunk;
    }
}

// A stanza that never ends must be stopped once it passes the limit, not buffered forever.
TEST(StreamParserLimits, UnendingStanzaIsStoppedSoonAfterTheLimit)
{
    Recorder r;
    StreamParser parser(r, ParserLimits{.max_stanza_bytes = small_limit});
    parser.feed(header);
    parser.feed("<message><body>");
    std::size_t sent = 0;
    while (parser.error() == ParseError::none && sent < 10 * small_limit) {
        parser.feed(std::string(1000, 'a'));
        sent += 1000;
    }
    EXPECT_EQ(parser.error(), ParseError::policy_violation);
    EXPECT_LE(sent, small_limit + 1000);
}

TEST(StreamParserLimits, UnendingStartTagIsStoppedSoonAfterTheLimit)
{
    Recorder r;
    StreamParser parser(r, ParserLimits{.max_stanza_bytes = small_limit});
    parser.feed(header);
    parser.feed("<message to='");
    std::size_t sent = 0;
    while (parser.error() == ParseError::none && sent < 10 * small_limit) {
        parser.feed(std::string(1000, 'a'));
        sent += 1000;
    }
    EXPECT_EQ(parser.error(), ParseError::policy_violation);
    EXPECT_LE(sent, small_limit + 1000);
}

TEST(StreamParserLimits, TheLimitIsPerStanzaNotPerStream)
{
    Recorder r;
    StreamParser parser(r, ParserLimits{.max_stanza_bytes = small_limit});
    parser.feed(header);
    std::string many;
    for (int i = 0; i < 10; ++i) {
        many += message_of_size(small_limit / 2);
        many += "\n";  // keepalive whitespace between stanzas counts toward no stanza
    }
    many += std::string(3 * small_limit, ' ');
    parser.feed(many);
    EXPECT_EQ(parser.error(), ParseError::none) << parser.error_text();
    EXPECT_EQ(r.stanzas.size(), 10u);
}

// The session starts with the smaller unauthenticated limit and raises it at SASL success
// (RFC 6120 §13.12 applies to stanzas of an authenticated stream).
TEST(StreamParserLimits, RaisedLimitAcceptsWhatTheEarlierOneRefused)
{
    Recorder r;
    StreamParser parser(r, ParserLimits{.max_stanza_bytes = small_limit});
    parser.feed(header);
    parser.feed(message_of_size(small_limit));
    parser.set_max_stanza_bytes(2 * small_limit);
    parser.feed(message_of_size(2 * small_limit));
    EXPECT_EQ(parser.error(), ParseError::none) << parser.error_text();
    EXPECT_EQ(r.stanzas.size(), 2u);
}

TEST(StreamParserLimits, LoweredLimitRefusesTheNextStanza)
{
    Recorder r;
    StreamParser parser(r, ParserLimits{.max_stanza_bytes = 2 * small_limit});
    parser.feed(header);
    parser.set_max_stanza_bytes(small_limit);
    parser.feed(message_of_size(small_limit + 1));
    EXPECT_EQ(parser.error(), ParseError::policy_violation);
    EXPECT_TRUE(r.stanzas.empty());
}

std::string nested(int levels)
{
    std::string out = "<message>";
    for (int i = 0; i < levels; ++i) {
        out += "<x xmlns='urn:example'>";
    }
    for (int i = 0; i < levels; ++i) {
        out += "</x>";
    }
    return out + "</message>";
}

// max_depth counts the stream element: the stream is depth 1, the stanza depth 2.
TEST(StreamParserLimits, DepthAtTheLimitIsAcceptedAndOneMoreIsAPolicyViolation)
{
    const ParserLimits limits{.max_depth = 5};
    {
        Recorder r;
        StreamParser parser(r, limits);
        parser.feed(header);
        parser.feed(nested(3));  // stream, message, x, x, x: depth 5
        EXPECT_EQ(parser.error(), ParseError::none);
        EXPECT_EQ(r.stanzas.size(), 1u);
    }
    {
        Recorder r;
        StreamParser parser(r, limits);
        parser.feed(header);
        parser.feed(nested(4));
        EXPECT_EQ(parser.error(), ParseError::policy_violation);
        EXPECT_TRUE(r.stanzas.empty());
    }
}

TEST(StreamParserLimits, DefaultDepthStopsADeeplyNestedStanza)
{
    Recorder r;
    StreamParser parser(r, {});
    parser.feed(header);
    parser.feed(nested(10000));
    EXPECT_EQ(parser.error(), ParseError::policy_violation);
}

std::string with_attributes(int count)
{
    std::string out = "<message";
    for (int i = 0; i < count; ++i) {
        out += " a" + std::to_string(i) + "='v'";
    }
    return out + "/>";
}

TEST(StreamParserLimits, AttributesAtTheLimitAreAcceptedAndOneMoreIsAPolicyViolation)
{
    const ParserLimits limits{.max_attributes = 4};
    {
        Recorder r;
        StreamParser parser(r, limits);
        parser.feed(header);
        parser.feed(with_attributes(4));
        // Namespace declarations are not attributes and do not count.
        parser.feed("<message xmlns:a='urn:a' xmlns:b='urn:b' a1='1' a2='2' a3='3' a4='4'/>");
        EXPECT_EQ(parser.error(), ParseError::none);
        EXPECT_EQ(r.stanzas.size(), 2u);
    }
    {
        Recorder r;
        StreamParser parser(r, limits);
        parser.feed(header);
        parser.feed(with_attributes(5));
        EXPECT_EQ(parser.error(), ParseError::policy_violation);
        EXPECT_TRUE(r.stanzas.empty());
    }
    {  // the limit holds on the stream header too
        Recorder r;
        StreamParser parser(r, ParserLimits{.max_attributes = 2});
        parser.feed(header);
        EXPECT_EQ(parser.error(), ParseError::policy_violation);
    }
}

}  // namespace
}  // namespace chorus::xml
