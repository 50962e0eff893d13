// Tests for src/modules/pep/caps.cpp: XEP-0115 verification strings and the bounded cache.
#include "modules/pep/caps.h"

#include <gtest/gtest.h>

#include "stanza/stanza_bytes.h"

namespace chorus::modules::pep {
namespace {

xml::Element query(std::string_view text)
{
    auto e = parse_stanza_bytes(text);
    EXPECT_TRUE(e.has_value());
    return e.value_or(xml::Element());
}

TEST(Caps, SimpleGenerationExampleOfXep0115)
{
    // XEP-0115 §5.2
    const auto q = query(
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
        "<feature var='http://jabber.org/protocol/caps'/>"
        "<feature var='http://jabber.org/protocol/disco#info'/>"
        "<feature var='http://jabber.org/protocol/disco#items'/>"
        "<feature var='http://jabber.org/protocol/muc'/></query>");
    EXPECT_EQ(caps_ver_sha1(q), "QgayPKawpkPSDYmwT/WM94uAlu0=");
}

TEST(Caps, ComplexGenerationExampleOfXep0115)
{
    // XEP-0115 §5.3
    const auto q = query(
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
        "<identity xml:lang='el' category='client' name='Ψ 0.11' type='pc'/>"
        "<feature var='http://jabber.org/protocol/caps'/>"
        "<feature var='http://jabber.org/protocol/disco#info'/>"
        "<feature var='http://jabber.org/protocol/disco#items'/>"
        "<feature var='http://jabber.org/protocol/muc'/>"
        "<x xmlns='jabber:x:data' type='result'>"
        "<field var='FORM_TYPE' "
        "type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
        "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"
        "<field var='os'><value>Mac</value></field>"
        "<field var='os_version'><value>10.5.1</value></field>"
        "<field var='software'><value>Psi</value></field>"
        "<field var='software_version'><value>0.11</value></field></x></query>");
    EXPECT_EQ(caps_ver_sha1(q), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
}

TEST(Caps, DuplicateFeaturesAreIllFormed)
{
    const auto q = query(
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<identity category='client' type='pc'/><feature var='a'/><feature var='a'/></query>");
    EXPECT_FALSE(caps_ver_sha1(q).has_value());
}

TEST(Caps, NotifyNodesAreThePlusNotifyFeatures)
{
    const auto q = query(
        "<query xmlns='http://jabber.org/protocol/disco#info'>"
        "<feature var='urn:xmpp:avatar:metadata+notify'/><feature var='urn:xmpp:avatar:data'/>"
        "<feature var='+notify'/></query>");
    EXPECT_EQ(notify_nodes(q), NotifySet{"urn:xmpp:avatar:metadata"});
}

TEST(Caps, CacheKeepsTheNewestHashes)
{
    CapsCache cache(2);
    for (std::string v : {"a", "b", "c"}) {
        cache.add(v, std::make_shared<const NotifySet>(NotifySet{v}));
    }
    EXPECT_EQ(cache.size(), 2u);
    EXPECT_EQ(cache.find("a"), nullptr);
    ASSERT_NE(cache.find("c"), nullptr);
    EXPECT_TRUE(cache.find("c")->contains("c"));
}

}  // namespace
}  // namespace chorus::modules::pep
