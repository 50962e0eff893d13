// Tests for src/modules/pep: XEP-0163 notifications filtered by caps (asked once per hash),
// headline delivery to each resource that asked, last item on presence, private storage and
// XEP-0411 bookmarks, the avatar hash in presence.
#include "modules/pep/pep.h"

#include <gtest/gtest.h>

#include "modules/module_test_server.h"
#include "modules/pep/caps.h"
#include "storage/roster.h"

namespace chorus::modules::pep {
namespace {

using chorus::testing::ModuleTestServer;
using router::testing::imng;
using router::testing::legacy;

constexpr std::string_view disco_answer =
    "<query xmlns='http://jabber.org/protocol/disco#info'>"
    "<identity category='client' type='pc' name='Test'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='urn:test:mood+notify'/></query>";

std::vector<xml::Element> parsed(const std::vector<std::string>& sent)
{
    std::vector<xml::Element> out;
    for (const auto& s : sent) {
        if (auto e = parse_stanza_bytes(s)) {
            out.push_back(std::move(*e));
        }
    }
    return out;
}

/// Messages carrying a pubsub event for node.
std::vector<xml::Element> events(const ModuleTestServer::FakeSession& s, std::string_view node)
{
    std::vector<xml::Element> out;
    for (auto& e : parsed(s.sent)) {
        const auto* ev = e.child("event", ns::pubsub_event);
        if (e.name() == "message" && ev) {
            const auto* items = ev->child("items", ns::pubsub_event);
            if (items && items->attr("node") == node) {
                out.push_back(e);
            }
        }
    }
    return out;
}

class PepModuleTest : public ::testing::Test {
protected:
    PepModuleTest()
    {
        t_.add_account("juliet@localhost");
        t_.add_account("romeo@localhost");
        auto& roster = t_.server().storage().roster();
        storage::RosterItem to_romeo;
        to_romeo.contact = "romeo@localhost";
        to_romeo.subscription = storage::Subscription::both;
        storage::RosterItem to_juliet = to_romeo;
        to_juliet.contact = "juliet@localhost";
        EXPECT_TRUE(roster.put("juliet@localhost", to_romeo).has_value());
        EXPECT_TRUE(roster.put("romeo@localhost", to_juliet).has_value());
        ver_ = *caps_ver_sha1(*parse_stanza_bytes(disco_answer));
    }

    std::string caps_presence() const
    {
        return "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' "
               "node='https://test' ver='" +
               ver_ + "'/></presence>";
    }

    /// Answers the caps disco#info query the session got, if any; returns how many it got.
    int answer_caps(ModuleTestServer::FakeSession& s)
    {
        int asked = 0;
        for (auto& e : parsed(s.sent)) {
            if (e.name() == "iq" && e.child("query", ns::disco_info)) {
                ++asked;
                t_.send(s, "<iq type='result' id='" + std::string(e.attr("id")) + "' to='" +
                               std::string(e.attr("from")) + "'>" + std::string(disco_answer) +
                               "</iq>");
            }
        }
        return asked;
    }

    void publish_mood(ModuleTestServer::FakeSession& s, std::string_view id)
    {
        auto r = t_.ask(s,
                        "<iq type='set' id='p'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                        "<publish node='urn:test:mood'><item id='" +
                            std::string(id) +
                            "'><mood xmlns='urn:test:mood'/></item></publish></pubsub></iq>");
        ASSERT_EQ(r.attr("type"), "result");
    }

    ModuleTestServer t_;
    std::string ver_;
};

TEST_F(PepModuleTest, AccountAdvertisesPepAndPublishOptions)
{
    const auto& f = t_.server().disco().account_features;
    EXPECT_TRUE(f.contains("http://jabber.org/protocol/pubsub#publish-options"));
    EXPECT_TRUE(f.contains("http://jabber.org/protocol/pubsub#auto-create"));
    EXPECT_TRUE(f.contains("http://jabber.org/protocol/pubsub#last-published"));
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto info = t_.ask(juliet,
                       "<iq type='get' id='d'><query "
                       "xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    bool pep = false;
    for (const auto& c : info.child("query", ns::disco_info)->nodes()) {
        pep = pep || (c.attr("category") == "pubsub" && c.attr("type") == "pep");
    }
    EXPECT_TRUE(pep) << "XEP-0163 §6.1: identity pubsub/pep";
}

TEST_F(PepModuleTest, NotificationsGoOnlyToResourcesWhoseCapsAskAndCapsAreAskedOncePerHash)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& phone = t_.bind("romeo@localhost/phone", imng());
    auto& laptop = t_.bind("romeo@localhost/laptop", legacy());
    auto& pda = t_.bind("romeo@localhost/pda", legacy());
    t_.send(juliet, "<presence/>");
    t_.send(phone, caps_presence());
    t_.send(laptop, caps_presence());
    t_.send(pda, "<presence/>");  // no caps: asks for nothing
    // Juliet's and Romeo's own services both learn the hash; it is asked once in all.
    EXPECT_EQ(answer_caps(phone) + answer_caps(laptop), 1);
    phone.sent.clear();
    laptop.sent.clear();
    pda.sent.clear();
    publish_mood(juliet, "m1");
    ASSERT_EQ(events(phone, "urn:test:mood").size(), 1u) << "IM-NG or not, once";
    ASSERT_EQ(events(laptop, "urn:test:mood").size(), 1u);
    EXPECT_TRUE(events(pda, "urn:test:mood").empty());
    const auto got = events(phone, "urn:test:mood");
    const auto& m = got.front();
    EXPECT_EQ(m.attr("type"), "headline");
    EXPECT_EQ(m.attr("from"), "juliet@localhost");
    EXPECT_EQ(m.attr("to"), "romeo@localhost/phone");
    EXPECT_EQ(m.child("stanza-id", ns::sid), nullptr) << "ROUTING.md R6: not archived";
}

TEST_F(PepModuleTest, LastItemArrivesWhenAContactComesOnline)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    t_.send(juliet, "<presence/>");
    publish_mood(juliet, "m1");
    publish_mood(juliet, "m2");
    auto& phone = t_.bind("romeo@localhost/phone", legacy());
    t_.send(phone, caps_presence());
    answer_caps(phone);
    const auto got = events(phone, "urn:test:mood");
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got.front()
                  .child("event", ns::pubsub_event)
                  ->child("items", ns::pubsub_event)
                  ->child("item", ns::pubsub_event)
                  ->attr("id"),
              "m2");
}

TEST_F(PepModuleTest, StrangerFetchesOpenNodeButNotPresenceNode)
{
    t_.add_account("mallory@localhost");
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& mallory = t_.bind("mallory@localhost/x", legacy());
    auto r =
        t_.ask(juliet,
               "<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
               "<publish node='open-node'><item id='current'><x xmlns='urn:t'/></item></publish>"
               "<publish-options><x xmlns='jabber:x:data' type='submit'>"
               "<field var='FORM_TYPE' type='hidden'><value>"
               "http://jabber.org/protocol/pubsub#publish-options</value></field>"
               "<field var='pubsub#access_model'><value>open</value></field>"
               "</x></publish-options></pubsub></iq>");
    ASSERT_EQ(r.attr("type"), "result");
    publish_mood(juliet, "m1");
    auto open = t_.ask(mallory,
                       "<iq type='get' id='2' to='juliet@localhost'><pubsub "
                       "xmlns='http://jabber.org/protocol/pubsub'><items "
                       "node='open-node'/></pubsub></iq>");
    EXPECT_EQ(open.attr("type"), "result");
    auto closed = t_.ask(mallory,
                         "<iq type='get' id='3' to='juliet@localhost'><pubsub "
                         "xmlns='http://jabber.org/protocol/pubsub'><items "
                         "node='urn:test:mood'/></pubsub></iq>");
    EXPECT_EQ(ModuleTestServer::condition(closed), "not-authorized");
    auto absent = t_.ask(mallory,
                         "<iq type='get' id='4' to='juliet@localhost'><pubsub "
                         "xmlns='http://jabber.org/protocol/pubsub'><items "
                         "node='nothing'/></pubsub></iq>");
    EXPECT_EQ(ModuleTestServer::condition(absent), "item-not-found");
    EXPECT_EQ(absent.child("error", ns::client)->attr("code"), "404") << "XEP-0086";
}

TEST_F(PepModuleTest, Xep0048BookmarksAreXep0402ItemsAndBack)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto set = t_.ask(juliet,
                      "<iq type='set' id='1'><query xmlns='jabber:iq:private'>"
                      "<storage xmlns='storage:bookmarks'>"
                      "<conference jid='room@muc.localhost' name='Room' autojoin='1'>"
                      "<nick>J</nick></conference></storage></query></iq>");
    ASSERT_EQ(set.attr("type"), "result");
    auto items = t_.ask(juliet,
                        "<iq type='get' id='2'><pubsub "
                        "xmlns='http://jabber.org/protocol/pubsub'><items "
                        "node='urn:xmpp:bookmarks:1'/></pubsub></iq>");
    ASSERT_EQ(items.attr("type"), "result");
    const auto* item =
        items.child("pubsub", ns::pubsub)->child("items", ns::pubsub)->child("item", ns::pubsub);
    ASSERT_NE(item, nullptr);
    EXPECT_EQ(item->attr("id"), "room@muc.localhost");
    const auto* conf = item->child("conference", ns::bookmarks);
    ASSERT_NE(conf, nullptr);
    EXPECT_EQ(conf->attr("autojoin"), "true");
    EXPECT_EQ(conf->child_text("nick", ns::bookmarks), "J");

    // XEP-0402 publish, read through XEP-0048.
    auto pub = t_.ask(juliet,
                      "<iq type='set' id='3'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                      "<publish node='urn:xmpp:bookmarks:1'><item id='other@muc.localhost'>"
                      "<conference xmlns='urn:xmpp:bookmarks:1' name='Other' autojoin='false'/>"
                      "</item></publish></pubsub></iq>");
    ASSERT_EQ(pub.attr("type"), "result");
    auto get = t_.ask(juliet,
                      "<iq type='get' id='4'><query xmlns='jabber:iq:private'>"
                      "<storage xmlns='storage:bookmarks'/></query></iq>");
    const auto* storage =
        get.child("query", ns::private_xml)->child("storage", ns::bookmarks_legacy);
    ASSERT_NE(storage, nullptr);
    EXPECT_EQ(storage->element_count(), 2u);
}

TEST_F(PepModuleTest, PrivateXmlIsTheOwnersOnly)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    ASSERT_EQ(t_.ask(juliet,
                     "<iq type='set' id='1'><query xmlns='jabber:iq:private'>"
                     "<prefs xmlns='urn:test:prefs'><a/></prefs></query></iq>")
                  .attr("type"),
              "result");
    auto got = t_.ask(juliet,
                      "<iq type='get' id='2'><query xmlns='jabber:iq:private'>"
                      "<prefs xmlns='urn:test:prefs'/></query></iq>");
    EXPECT_EQ(
        got.child("query", ns::private_xml)->child("prefs", "urn:test:prefs")->element_count(), 1u);
    EXPECT_EQ(ModuleTestServer::condition(
                  t_.ask(romeo,
                         "<iq type='get' id='3' to='juliet@localhost'><query "
                         "xmlns='jabber:iq:private'><prefs xmlns='urn:test:prefs'/>"
                         "</query></iq>")),
              "forbidden");
}

TEST_F(PepModuleTest, AvatarHashJoinsTheUsersPresence)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    auto& romeo = t_.bind("romeo@localhost/orchard", legacy());
    auto r = t_.ask(juliet,
                    "<iq type='set' id='1'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
                    "<publish node='urn:xmpp:avatar:metadata'><item id='abc123'>"
                    "<metadata xmlns='urn:xmpp:avatar:metadata'><info id='abc123' bytes='10' "
                    "type='image/png'/></metadata></item></publish></pubsub></iq>");
    ASSERT_EQ(r.attr("type"), "result");
    romeo.sent.clear();
    t_.send(juliet, "<presence/>");
    bool seen = false;
    for (auto& e : parsed(romeo.sent)) {
        if (e.name() == "presence" && e.attr("from") == "juliet@localhost/balcony") {
            const auto* x = e.child("x", ns::vcard_update);
            ASSERT_NE(x, nullptr);
            EXPECT_EQ(x->child_text("photo", ns::vcard_update), "abc123");
            seen = true;
        }
    }
    EXPECT_TRUE(seen);
}

TEST_F(PepModuleTest, VcardPhotoBecomesTheXep0084AvatarAndBack)
{
    auto& juliet = t_.bind("juliet@localhost/balcony", legacy());
    // "hello" in base64; its SHA-1 is the avatar id (XEP-0084 §4.2).
    auto set = t_.ask(juliet,
                      "<iq type='set' id='1'><vCard xmlns='vcard-temp'><FN>J</FN><PHOTO>"
                      "<TYPE>image/png</TYPE><BINVAL>aGVs\nbG8=</BINVAL></PHOTO></vCard></iq>");
    ASSERT_EQ(set.attr("type"), "result");
    auto meta = t_.ask(juliet,
                       "<iq type='get' id='2'><pubsub "
                       "xmlns='http://jabber.org/protocol/pubsub'><items "
                       "node='urn:xmpp:avatar:metadata'/></pubsub></iq>");
    const auto* item =
        meta.child("pubsub", ns::pubsub)->child("items", ns::pubsub)->child("item", ns::pubsub);
    ASSERT_NE(item, nullptr);
    EXPECT_EQ(item->attr("id"), "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d");

    // XEP-0084 publish (data, then metadata): the vCard's PHOTO follows, FN stays.
    ASSERT_EQ(t_.ask(juliet,
                     "<iq type='set' id='3'><pubsub "
                     "xmlns='http://jabber.org/protocol/pubsub'><publish "
                     "node='urn:xmpp:avatar:data'><item id='abc'><data "
                     "xmlns='urn:xmpp:avatar:data'>d29ybGQ=</data></item></publish>"
                     "</pubsub></iq>")
                  .attr("type"),
              "result");
    ASSERT_EQ(t_.ask(juliet,
                     "<iq type='set' id='4'><pubsub "
                     "xmlns='http://jabber.org/protocol/pubsub'><publish "
                     "node='urn:xmpp:avatar:metadata'><item id='abc'><metadata "
                     "xmlns='urn:xmpp:avatar:metadata'><info id='abc' bytes='5' "
                     "type='image/jpeg'/></metadata></item></publish></pubsub></iq>")
                  .attr("type"),
              "result");
    auto vcard = t_.ask(juliet, "<iq type='get' id='5'><vCard xmlns='vcard-temp'/></iq>");
    const auto* v = vcard.child("vCard", ns::vcard);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->child_text("FN", ns::vcard), "J");
    const auto* photo = v->child("PHOTO", ns::vcard);
    ASSERT_NE(photo, nullptr);
    EXPECT_EQ(photo->child_text("TYPE", ns::vcard), "image/jpeg");
    EXPECT_EQ(photo->child_text("BINVAL", ns::vcard), "d29ybGQ=");
}

}  // namespace
}  // namespace chorus::modules::pep
