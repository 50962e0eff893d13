// Tests for src/xml/stream_parser.cpp: hibernation, which frees an idle stream's parser and
// wakes it with the same namespace bindings.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "xml/serializer.h"
#include "xml/stream_parser.h"

namespace chorus::xml {
namespace {

struct Collect : StreamHandler {
    std::vector<std::string> stanzas;
    int opens = 0;
    void on_stream_open(const Element&) override { ++opens; }
    void on_stanza(Element e) override { stanzas.push_back(to_string(e)); }
    void on_stream_close() override {}
};

TEST(StreamParserHibernate, ResumesWithTheSameNamespacesAndNoSecondHeader)
{
    Collect c;
    StreamParser p(c, {});
    p.feed(
        "<?xml version='1.0'?><s:stream xmlns='jabber:client' "
        "xmlns:s='http://etherx.jabber.org/streams' "
        "xmlns:x='urn:example:x' to='localhost' version='1.0'><message "
        "to='a@b'><body>1</body></message>");
    ASSERT_TRUE(p.hibernate());
    p.feed("<message to='a@b'><x:thing/></message><s:features/>");
    EXPECT_EQ(p.error(), ParseError::none) << p.error_text();
    EXPECT_EQ(c.opens, 1);
    ASSERT_EQ(c.stanzas.size(), 3u);
    EXPECT_EQ(c.stanzas[1],
              "<message xmlns='jabber:client' to='a@b'><thing xmlns='urn:example:x'/></message>");
    EXPECT_EQ(c.stanzas[2], "<features xmlns='http://etherx.jabber.org/streams'/>");
}

TEST(StreamParserHibernate, RefusesInsideAStanzaOrWithBufferedBytes)
{
    Collect c;
    StreamParser p(c, {});
    EXPECT_FALSE(p.hibernate());  // no stream yet
    p.feed(
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
        "<message><body>half");
    EXPECT_FALSE(p.hibernate());
    p.feed("</body></message><mess");
    EXPECT_FALSE(p.hibernate());
    p.feed("age/>");
    EXPECT_TRUE(p.hibernate());
    EXPECT_FALSE(p.hibernate());  // already
    p.feed("<presence/>");
    EXPECT_EQ(c.stanzas.size(), 3u);
}

TEST(StreamParserHibernate, LimitsStillApplyAfterWaking)
{
    Collect c;
    StreamParser p(c, {.max_stanza_bytes = 10000, .max_depth = 32, .max_attributes = 64});
    p.feed(
        "<stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams'><a/>");
    ASSERT_TRUE(p.hibernate());
    p.feed("<message><body>" + std::string(20000, 'x'));
    EXPECT_EQ(p.error(), ParseError::policy_violation);
}

}  // namespace
}  // namespace chorus::xml
