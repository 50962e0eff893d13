// Message facts for routing: XEP-0280 §6 eligibility, transient messages, the IM-NG marker.
#include "stanza/message_facts.h"

#include <gtest/gtest.h>

#include "stanza/namespaces.h"

namespace chorus {
namespace {

xml::Element message(std::string_view type)
{
    xml::Element m("message", std::string(ns::client));
    if (!type.empty()) {
        m.set_attr("type", type);
    }
    return m;
}

TEST(CarbonsEligibility, ChatIsEligibleAndOptOutsAreNot)
{
    auto chat = message("chat");
    EXPECT_TRUE(is_carbons_eligible(chat));
    for (auto [name, ns] : {std::pair{"private", ns::carbons}, {"no-copy", ns::hints},
                            {"received", ns::carbons}, {"sent", ns::carbons},
                            {"x", ns::muc_user}}) {
        auto m = message("chat");
        m.add_child(name, std::string(ns));
        EXPECT_FALSE(is_carbons_eligible(m)) << name;
    }
}

TEST(CarbonsEligibility, NormalNeedsABodyOrIMPayload)
{
    auto bare = message("");
    EXPECT_FALSE(is_carbons_eligible(bare));
    bare.add_child("body", std::string(ns::client)).add_text("hi");
    EXPECT_TRUE(is_carbons_eligible(bare));
    auto receipt = message("normal");
    receipt.add_child("received", std::string(ns::receipts));
    EXPECT_TRUE(is_carbons_eligible(receipt));
    EXPECT_FALSE(is_carbons_eligible(message("groupchat")));
    EXPECT_FALSE(is_carbons_eligible(message("headline")));
}

TEST(Transient, ChatStatesOnlyAreTransientBodiesAndReceiptsAreNot)
{
    auto typing = message("chat");
    typing.add_child("composing", std::string(ns::chatstates));
    typing.add_child("no-store", std::string(ns::hints));
    EXPECT_TRUE(is_transient(typing));
    auto body = typing;
    body.add_child("body", std::string(ns::client)).add_text("x");
    EXPECT_FALSE(is_transient(body));
    auto receipt = typing;
    receipt.add_child("received", std::string(ns::receipts));
    EXPECT_FALSE(is_transient(receipt));
}

TEST(Marker, IsFoundOnlyInItsNamespace)
{
    auto m = message("chat");
    EXPECT_FALSE(has_imng_marker(m));
    m.add_child("im-ng", "urn:example:other");
    EXPECT_FALSE(has_imng_marker(m));
    m.add_child("im-ng", std::string(ns::imng));
    EXPECT_TRUE(has_imng_marker(m));
}

TEST(StanzaIds, OnlyOursAreStripped)
{
    auto m = message("chat");
    m.add_child("stanza-id", std::string(ns::sid)).set_attr("by", "juliet@example.com").set_attr("id", "spoof");
    m.add_child("stanza-id", std::string(ns::sid)).set_attr("by", "room@muc.example.com").set_attr("id", "r1");
    m.add_child("origin-id", std::string(ns::sid)).set_attr("id", "o1");
    strip_stanza_ids(m, "juliet@example.com");
    ASSERT_EQ(m.element_count(), 2u);
    EXPECT_EQ(m.child("stanza-id", ns::sid)->attr("by"), "room@muc.example.com");
    EXPECT_NE(m.child("origin-id", ns::sid), nullptr);
}

}  // namespace
}  // namespace chorus
