// XEP-0220 dialback keys: the XEP-0185 derivation, bound to both domains and the stream id.
#include "stream/s2s_dialback.h"

#include "stanza/namespaces.h"
#include "stanza/stanza_error.h"

#include <gtest/gtest.h>

namespace chorus::stream {
namespace {

TEST(S2sDialback, KeyFollowsXep0185)
{
    // XEP-0185 §3's inputs; HMAC-SHA256 keyed with the hex SHA-256 of the secret.
    EXPECT_EQ(dialback_key("s3cr3tf0rd14lb4ck", "example.net", "example.com", "D60000229F"),
              "008c689ff366b50c63d69a3e2d2c0e0e1f8404b0118eb688a0102c87cb691bdc");
}

TEST(S2sDialback, KeyDependsOnEveryInput)
{
    const auto key = dialback_key("secret", "b.example", "a.example", "id1");
    EXPECT_NE(key, dialback_key("secret2", "b.example", "a.example", "id1"));
    EXPECT_NE(key, dialback_key("secret", "a.example", "b.example", "id1"));
    EXPECT_NE(key, dialback_key("secret", "b.example", "a.example", "id2"));
    EXPECT_TRUE(dialback_key_matches(key, dialback_key("secret", "b.example", "a.example", "id1")));
    EXPECT_FALSE(dialback_key_matches(key, key.substr(1)));
    EXPECT_FALSE(dialback_key_matches(key, ""));
}

TEST(S2sDialback, StreamIdsAreFreshAndLong)
{
    const auto a = new_stream_id();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, new_stream_id());
}

TEST(S2sDialback, ElementsCarryTheStreamsDbPrefix)
{
    // XEP-0220's form, the only one ejabberd reads: the qualified name, no xmlns of its own.
    xml::Element result("result", std::string(ns::dialback));
    result.set_attr("from", "a.example").set_attr("to", "b.example");
    result.add_text("k<1>");
    std::string out;
    serialize_dialback(result, out);
    EXPECT_EQ(out, "<db:result from='a.example' to='b.example'>k&lt;1&gt;</db:result>");

    xml::Element error("verify", std::string(ns::dialback));
    error.set_attr("id", "i'1").set_attr("type", "error");
    error.add_child(StanzaError::item_not_found("x").to_element());
    out.clear();
    serialize_dialback(error, out);
    EXPECT_TRUE(out.starts_with("<db:verify id='i&apos;1' type='error'><error ")) << out;
    EXPECT_NE(out.find("<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
              std::string::npos)
        << out;
    EXPECT_TRUE(out.ends_with("</error></db:verify>")) << out;
}

}  // namespace
}  // namespace chorus::stream
