// lib/client/message_rules: the marker rule (XEP-0409 §6) and what counts as IM.
#include "client/message_rules.h"

#include <gtest/gtest.h>

#include "stanza/stanza_bytes.h"

namespace chorus::client {
namespace {

const Jid self = *Jid::parse("juliet@localhost/phone");

struct Row {
    const char* name;
    const char* xml;
    MessageKind want;
    const char* stanza_id;  // expected, "" for none
};

const Row rows[] = {
    {"ChatToBareIsIm",
     "<message from='romeo@localhost/a' to='juliet@localhost' type='chat'><body>hi</body>"
     "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@localhost' id='7'/></message>",
     MessageKind::im, "7"},
    {"MarkerToFullJidIsDeviceData",
     "<message from='juliet@localhost/laptop' to='juliet@localhost/phone' type='chat'>"
     "<body>sync</body><im-ng xmlns='urn:xmpp:im-ng:0'/></message>",
     MessageKind::device_data, ""},
    {"MarkerFromAContactToFullJidIsNotIm",
     "<message from='romeo@localhost/a' to='juliet@localhost/phone' type='chat'>"
     "<body>hidden from the archive</body><im-ng xmlns='urn:xmpp:im-ng:0'/></message>",
     MessageKind::device_data, ""},
    {"MarkerOnBareJidIsIgnoredSoTheMessageIsIm",
     "<message from='romeo@localhost/a' to='juliet@localhost' type='chat'><body>hi</body>"
     "<im-ng xmlns='urn:xmpp:im-ng:0'/></message>",
     MessageKind::im, ""},
    {"ForeignStanzaIdIsNotTrusted",
     "<message from='romeo@localhost/a' to='juliet@localhost' type='chat'><body>hi</body>"
     "<stanza-id xmlns='urn:xmpp:sid:0' by='romeo@localhost' id='forged'/></message>",
     MessageKind::im, ""},
    {"ChatStateOnlyIsTransient",
     "<message from='romeo@localhost/a' to='juliet@localhost' type='chat'>"
     "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>",
     MessageKind::transient, ""},
    {"ErrorIsNotIm",
     "<message from='romeo@localhost' to='juliet@localhost/phone' type='error'><body>x</body>"
     "</message>",
     MessageKind::error, ""},
    {"MamResultTakesTheResultId",
     "<message to='juliet@localhost/phone'><result xmlns='urn:xmpp:mam:2' queryid='q1' "
     "id='42'><forwarded xmlns='urn:xmpp:forward:0'><delay xmlns='urn:xmpp:delay' "
     "stamp='2026-12-02T05:00:00Z'/><message xmlns='jabber:client' from='romeo@localhost/a' "
     "to='juliet@localhost' type='chat'><body>old</body></message></forwarded></result>"
     "</message>",
     MessageKind::mam_result, "42"},
    {"MamResultFromSomeoneElseIsIgnored",
     "<message from='romeo@localhost' to='juliet@localhost/phone'><result "
     "xmlns='urn:xmpp:mam:2' id='42'><forwarded xmlns='urn:xmpp:forward:0'><message "
     "xmlns='jabber:client' from='romeo@localhost/a' to='juliet@localhost'><body>x</body>"
     "</message></forwarded></result></message>",
     MessageKind::ignored, ""},
    {"CarbonFromOwnAccountIsUnwrapped",
     "<message from='juliet@localhost' to='juliet@localhost/phone' type='chat'><sent "
     "xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message "
     "xmlns='jabber:client' from='juliet@localhost/laptop' to='romeo@localhost' type='chat'>"
     "<body>out</body></message></forwarded></sent></message>",
     MessageKind::carbon, ""},
    {"ForgedCarbonIsIgnored",
     "<message from='romeo@localhost/a' to='juliet@localhost/phone' type='chat'><received "
     "xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message "
     "xmlns='jabber:client' from='mallory@localhost/x' to='juliet@localhost' type='chat'>"
     "<body>x</body></message></forwarded></received></message>",
     MessageKind::ignored, ""},
};

class ClassifyMessage : public testing::TestWithParam<Row> {};

TEST_P(ClassifyMessage, MatchesRow)
{
    const auto stanza = parse_stanza_bytes(GetParam().xml);
    ASSERT_TRUE(stanza);
    const auto c = classify_message(*stanza, self);
    EXPECT_EQ(c.kind, GetParam().want);
    if (c.message) {
        EXPECT_EQ(c.message->stanza_id, GetParam().stanza_id);
    }
}
INSTANTIATE_TEST_SUITE_P(Rows, ClassifyMessage, testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(ClassifyMessage, OutgoingReflectionNamesTheContactAsPeer)
{
    const auto stanza = parse_stanza_bytes(
        "<message from='juliet@localhost/laptop' to='romeo@localhost' type='chat'>"
        "<body>hi</body><origin-id xmlns='urn:xmpp:sid:0' id='o1'/>"
        "<stanza-id xmlns='urn:xmpp:sid:0' by='juliet@localhost' id='9'/></message>");
    ASSERT_TRUE(stanza);
    const auto c = classify_message(*stanza, self);
    ASSERT_TRUE(c.message);
    EXPECT_TRUE(c.message->outgoing);
    EXPECT_EQ(c.message->peer, "romeo@localhost");
    EXPECT_EQ(c.message->origin_id, "o1");
}

}  // namespace
}  // namespace chorus::client
