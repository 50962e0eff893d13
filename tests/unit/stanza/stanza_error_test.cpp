// Tests for src/stanza/stanza_error.cpp: RFC 6120 §8.3 error elements and replies.
#include "stanza/stanza_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "stanza/namespaces.h"
#include "xml/serializer.h"

namespace chorus {
namespace {

xml::Element iq_get()
{
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("from", "juliet@example.com/balcony")
        .set_attr("to", "example.com")
        .set_attr("id", "info1")
        .set_attr("type", "get");
    iq.add_child("query", "urn:example:unknown");
    return iq;
}

// RFC 6120 §8.3.3: each condition's name and the type its definition names.
struct Row {
    const char* name;
    StanzaError error;
    Condition condition;
    ErrorType type;
};

const Row rows[] = {
    {"bad-request", StanzaError::bad_request(), Condition::bad_request, ErrorType::modify},
    {"conflict", StanzaError::conflict(), Condition::conflict, ErrorType::cancel},
    {"feature-not-implemented", StanzaError::feature_not_implemented(),
     Condition::feature_not_implemented, ErrorType::cancel},
    {"forbidden", StanzaError::forbidden(), Condition::forbidden, ErrorType::auth},
    {"internal-server-error", StanzaError::internal_server_error(),
     Condition::internal_server_error, ErrorType::cancel},
    {"item-not-found", StanzaError::item_not_found(), Condition::item_not_found, ErrorType::cancel},
    {"jid-malformed", StanzaError::jid_malformed(), Condition::jid_malformed, ErrorType::modify},
    {"not-acceptable", StanzaError::not_acceptable(), Condition::not_acceptable, ErrorType::modify},
    {"not-allowed", StanzaError::not_allowed(), Condition::not_allowed, ErrorType::cancel},
    {"not-authorized", StanzaError::not_authorized(), Condition::not_authorized, ErrorType::auth},
    {"policy-violation", StanzaError::policy_violation(), Condition::policy_violation,
     ErrorType::modify},
    {"recipient-unavailable", StanzaError::recipient_unavailable(),
     Condition::recipient_unavailable, ErrorType::wait},
    {"registration-required", StanzaError::registration_required(),
     Condition::registration_required, ErrorType::auth},
    {"remote-server-not-found", StanzaError::remote_server_not_found(),
     Condition::remote_server_not_found, ErrorType::cancel},
    {"remote-server-timeout", StanzaError::remote_server_timeout(),
     Condition::remote_server_timeout, ErrorType::wait},
    {"resource-constraint", StanzaError::resource_constraint(), Condition::resource_constraint,
     ErrorType::wait},
    {"service-unavailable", StanzaError::service_unavailable(), Condition::service_unavailable,
     ErrorType::cancel},
    {"subscription-required", StanzaError::subscription_required(),
     Condition::subscription_required, ErrorType::auth},
    {"undefined-condition", StanzaError::undefined_condition(), Condition::undefined_condition,
     ErrorType::cancel},
    {"unexpected-request", StanzaError::unexpected_request(), Condition::unexpected_request,
     ErrorType::wait},
};

class NamedConstructor : public testing::TestWithParam<Row> {};

TEST_P(NamedConstructor, CarriesTheRfcConditionNameAndDefaultType)
{
    const Row& row = GetParam();
    EXPECT_EQ(row.error.condition, row.condition);
    EXPECT_EQ(row.error.type, row.type);
    EXPECT_EQ(condition_name(row.condition), row.name);
    const xml::Element e = row.error.to_element();
    EXPECT_EQ(e.attr("type"), error_type_name(row.type));
    EXPECT_NE(e.child(row.name, ns::stanza_errors), nullptr) << xml::to_string(e);
}

INSTANTIATE_TEST_SUITE_P(Rfc6120Section8_3_3, NamedConstructor, testing::ValuesIn(rows),
                         [](const auto& info) {
                             std::string n = info.param.name;
                             std::replace(n.begin(), n.end(), '-', '_');
                             return n;
                         });

TEST(StanzaError, ConditionsWithoutNamedConstructorsHaveTheirRfcNames)
{
    EXPECT_EQ(condition_name(Condition::gone), "gone");
    EXPECT_EQ(condition_name(Condition::redirect), "redirect");
}

TEST(StanzaError, TypeNamesAreTheRfcTokens)
{
    EXPECT_EQ(error_type_name(ErrorType::auth), "auth");
    EXPECT_EQ(error_type_name(ErrorType::cancel), "cancel");
    EXPECT_EQ(error_type_name(ErrorType::continue_), "continue");
    EXPECT_EQ(error_type_name(ErrorType::modify), "modify");
    EXPECT_EQ(error_type_name(ErrorType::wait), "wait");
}

TEST(StanzaError, ElementHasConditionTextAndApplicationCondition)
{
    auto error = StanzaError::not_allowed("Carbons cannot be enabled on an IM-NG session")
                     .with_app_condition("urn:example:errors", "imng-active");
    EXPECT_EQ(xml::to_string(error.to_element()),
              "<error xmlns='jabber:client' code='405' type='cancel'>"
              "<not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>"
              "Carbons cannot be enabled on an IM-NG session</text>"
              "<imng-active xmlns='urn:example:errors'/></error>");
}

TEST(StanzaError, WithTypeOverridesTheDefault)
{
    EXPECT_EQ(StanzaError::policy_violation().with_type(ErrorType::wait).type, ErrorType::wait);
}

// RFC 6120 §8.3.1 and Example 8.3.1: to/from swapped, id kept, type='error'.
TEST(ErrorReply, SwapsToAndFromAndKeepsTheId)
{
    auto reply = error_reply(iq_get(), StanzaError::service_unavailable());
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->is("iq", ns::client));
    EXPECT_EQ(reply->attr("to"), "juliet@example.com/balcony");
    EXPECT_EQ(reply->attr("from"), "example.com");
    EXPECT_EQ(reply->attr("id"), "info1");
    EXPECT_EQ(reply->attr("type"), "error");
    const xml::Element* error = reply->child("error", ns::client);
    ASSERT_NE(error, nullptr);
    EXPECT_EQ(error->attr("type"), "cancel");
    EXPECT_NE(error->child("service-unavailable", ns::stanza_errors), nullptr);
}

TEST(ErrorReply, SerializesInTheStreamNamespaceWithoutRedeclaringIt)
{
    auto reply = error_reply(iq_get(), StanzaError::service_unavailable());
    ASSERT_TRUE(reply);
    std::string out;
    xml::serialize(*reply, out, ns::client);
    EXPECT_EQ(out,
              "<iq to='juliet@example.com/balcony' from='example.com' id='info1' "
              "type='error'><error code='503' type='cancel'>"
              "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
              "</error></iq>");
}

TEST(ErrorReply, OmitsAddressesTheRequestDidNotHave)
{
    xml::Element iq("iq", std::string(ns::client));
    iq.set_attr("type", "set").set_attr("id", "x");
    auto reply = error_reply(iq, StanzaError::bad_request());
    ASSERT_TRUE(reply);
    EXPECT_FALSE(reply->has_attr("to"));
    EXPECT_FALSE(reply->has_attr("from"));
    EXPECT_EQ(reply->attr("id"), "x");
}

TEST(ErrorReply, NeverAnswersAnError)
{
    for (const char* kind : {"iq", "message", "presence"}) {
        xml::Element stanza(kind, std::string(ns::client));
        stanza.set_attr("type", "error").set_attr("id", "e1").set_attr("from", "a@b/c");
        stanza.add_child(StanzaError::service_unavailable().to_element());
        EXPECT_FALSE(error_reply(stanza, StanzaError::service_unavailable())) << kind;
    }
}

TEST(ErrorReply, MessageKeepsItsPayloadButNotAnOldError)
{
    xml::Element message("message", std::string(ns::client));
    message.set_attr("from", "juliet@example.com/balcony")
        .set_attr("to", "romeo@example.net")
        .set_attr("type", "chat")
        .set_attr("id", "m1");
    message.add_child("body", std::string(ns::client)).add_text("Wherefore art thou?");
    auto reply = error_reply(message, StanzaError::recipient_unavailable());
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->attr("type"), "error");
    EXPECT_EQ(reply->attr("id"), "m1");
    EXPECT_EQ(reply->child_text("body", ns::client), "Wherefore art thou?");
    EXPECT_EQ(reply->child("error", ns::client)->attr("type"), "wait");
    EXPECT_EQ(reply->element_count(), 2u);
}

TEST(ErrorReply, KeepsTheNamespaceOfAServerStanza)
{
    xml::Element presence("presence", std::string(ns::server));
    presence.set_attr("from", "a@example.net").set_attr("to", "b@example.com");
    auto reply = error_reply(presence, StanzaError::remote_server_not_found());
    ASSERT_TRUE(reply);
    EXPECT_TRUE(reply->is("presence", ns::server));
    EXPECT_NE(reply->child("error", ns::server), nullptr);
}

}  // namespace
}  // namespace chorus

namespace chorus {
namespace {

TEST(StanzaError, EveryErrorCarriesItsXep0086LegacyCode)
{
    EXPECT_EQ(StanzaError::item_not_found().to_element().attr("code"), "404");
    EXPECT_EQ(StanzaError::service_unavailable().to_element().attr("code"), "503");
    EXPECT_EQ(legacy_error_code(Condition::remote_server_timeout), "504");
    EXPECT_EQ(legacy_error_code(Condition::registration_required), "407");
    EXPECT_EQ(legacy_error_code(Condition::feature_not_implemented), "501");
}

}  // namespace
}  // namespace chorus
