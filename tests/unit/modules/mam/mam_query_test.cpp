// XEP-0313 query parsing: form fields and RSM, with the XEP's own examples where it has them.
#include "modules/mam/mam_query.h"

#include <gtest/gtest.h>

#include "stanza/namespaces.h"
#include "xml/stream_parser.h"

namespace chorus::modules::mam {
namespace {

/// Parses one element from text (the stanza's own namespaces declared inline).
xml::Element parse(std::string_view text)
{
    struct Catch : xml::StreamHandler {
        xml::Element got;
        void on_stream_open(const xml::Element&) override {}
        void on_stanza(xml::Element e) override { got = std::move(e); }
        void on_stream_close() override {}
    } handler;
    xml::StreamParser parser(handler, {});
    std::string doc = "<stream:stream xmlns='jabber:client' "
                      "xmlns:stream='http://etherx.jabber.org/streams'>";
    doc += text;
    parser.feed(doc);
    EXPECT_EQ(parser.error(), xml::ParseError::none) << parser.error_text();
    return handler.got;
}

constexpr std::string_view form_head =
    "<query xmlns='urn:xmpp:mam:2' queryid='f27'><x xmlns='jabber:x:data' type='submit'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>";

TEST(MamQuery, XepExample4FiltersByWith)
{
    auto q = parse_query(parse(std::string(form_head) +
                               "<field var='with'><value>juliet@capulet.lit/balcony</value>"
                               "</field></x></query>"),
                         "romeo@montague.lit");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->with, "juliet@capulet.lit");  // the archive indexes bare JIDs
    EXPECT_EQ(q->owner, "romeo@montague.lit");
    EXPECT_EQ(q->max, default_page);
}

TEST(MamQuery, XepExample5ParsesStartAndEnd)
{
    auto q = parse_query(parse(std::string(form_head) +
                               "<field var='start'><value>2010-06-07T00:00:00Z</value></field>"
                               "<field var='end'><value>2010-07-07T13:23:54Z</value></field>"
                               "</x></query>"),
                         "o@x");
    ASSERT_TRUE(q);
    ASSERT_TRUE(q->start_us && q->end_us);
    EXPECT_EQ(*q->start_us, 1275868800LL * 1000000);
    EXPECT_LT(*q->start_us, *q->end_us);
}

TEST(MamQuery, ExtendedIdsAndRsmPaging)
{
    auto q = parse_query(
        parse(std::string(form_head) +
              "<field var='after-id'><value>100</value></field>"
              "<field var='ids'><value>5</value><value>7</value></field></x>"
              "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before/></set></query>"),
        "o@x");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->after_id, 100);
    EXPECT_EQ(q->ids, (std::vector<std::int64_t>{5, 7}));
    EXPECT_EQ(q->max, 10u);
    EXPECT_TRUE(q->from_end);
}

TEST(MamQuery, MaxIsCapped)
{
    auto q = parse_query(parse("<query xmlns='urn:xmpp:mam:2'><set "
                               "xmlns='http://jabber.org/protocol/rsm'><max>100000</max>"
                               "</set></query>"),
                         "o@x");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->max, max_page);
}

struct BadRow {
    const char* name;
    std::string query;
    Condition want;
};

class MamQueryErrors : public ::testing::TestWithParam<BadRow> {};

TEST_P(MamQueryErrors, AreRefused)
{
    auto q = parse_query(parse(GetParam().query), "o@x");
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().condition, GetParam().want);
}

INSTANTIATE_TEST_SUITE_P(
    Rows, MamQueryErrors,
    ::testing::Values(
        BadRow{"wrong_form_type",
               "<query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'><field "
               "var='FORM_TYPE'><value>urn:xmpp:mam:1</value></field></x></query>",
               Condition::bad_request},
        BadRow{"unknown_field",
               std::string(form_head) + "<field var='colour'><value>red</value></field></x></query>",
               Condition::bad_request},
        BadRow{"bad_date",
               std::string(form_head) + "<field var='start'><value>yesterday</value></field></x></query>",
               Condition::bad_request},
        BadRow{"bad_with", std::string(form_head) + "<field var='with'><value>a@b@c</value></field></x></query>",
               Condition::jid_malformed},
        BadRow{"unknown_after_id",
               "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>"
               "<after>not-an-id</after></set></query>",
               Condition::item_not_found},
        BadRow{"non_numeric_max",
               "<query xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'>"
               "<max>ten</max></set></query>",
               Condition::bad_request}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(MamQuery, ArchiveIdsRoundTrip)
{
    EXPECT_EQ(parse_archive_id(format_archive_id(1795559536883790)), 1795559536883790);
    EXPECT_FALSE(parse_archive_id(""));
    EXPECT_FALSE(parse_archive_id("-5"));
    EXPECT_FALSE(parse_archive_id("12x"));
}

}  // namespace
}  // namespace chorus::modules::mam
