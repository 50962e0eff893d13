// Tests for src/stream/sasl.cpp: full SCRAM (RFC 5802, RFC 7677) and PLAIN exchanges against a
// GNU SASL *client*, on keys from storage::make_credentials, plus RFC 6120 §6.5 failures.
#include "stream/sasl.h"

#include <gsasl.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "base/encoding.h"

namespace chorus::stream {
namespace {

// The client side: a GNU SASL context of its own, so the server's callback never runs for it.
class Client {
public:
    Client(const char* mechanism, const std::string& authid, const std::string& password,
           std::map<Gsasl_property, std::string> extra = {})
    {
        EXPECT_EQ(gsasl_init(&ctx_), GSASL_OK);
        EXPECT_EQ(gsasl_client_start(ctx_, mechanism, &session_), GSASL_OK) << mechanism;
        gsasl_property_set(session_, GSASL_AUTHID, authid.c_str());
        gsasl_property_set(session_, GSASL_PASSWORD, password.c_str());
        for (const auto& [property, value] : extra) {
            gsasl_property_set(session_, property, value.c_str());
        }
    }
    ~Client()
    {
        gsasl_finish(session_);
        gsasl_done(ctx_);
    }
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// The next client message (base64) for the server's last one; rc gets GNU SASL's code.
    std::string step(const std::string& server_b64, int& rc)
    {
        char* out = nullptr;
        rc = gsasl_step64(session_, server_b64.c_str(), &out);
        std::string result = out ? out : "";
        gsasl_free(out);
        return result;
    }

private:
    Gsasl* ctx_ = nullptr;
    Gsasl_session* session_ = nullptr;
};

constexpr const char* domain = "localhost";

// One account, juliet, with SCRAM keys derived the way chorusctl derives them.
class SaslTest : public testing::Test {
protected:
    static void SetUpTestSuite()
    {
        credentials_ = storage::make_credentials("r0m30myr0m30", 4096);
        ASSERT_TRUE(credentials_);
    }

    SaslExchange::Lookup lookup()
    {
        return [this](std::string_view node) -> std::optional<storage::Credentials> {
            looked_up.push_back(std::string(node));
            if (node == "juliet") {
                return credentials_;
            }
            return std::nullopt;
        };
    }

    struct Outcome {
        SaslExchange::Step::Kind kind = SaslExchange::Step::Kind::failure;
        SaslFailure failure = SaslFailure::not_authorized;
        std::string node;
        int client_rc = GSASL_OK;  // the client's verdict on the server's final message
        std::string first_challenge;
    };

    // Runs a whole exchange: client-first as the initial response, then challenges and
    // responses until the server decides.
    Outcome run(const char* mechanism, const std::string& authid, const std::string& password,
                SaslChannel channel = {}, std::map<Gsasl_property, std::string> client_extra = {},
                const char* client_mechanism = nullptr)
    {
        Outcome o;
        Client client(client_mechanism ? client_mechanism : mechanism, authid, password,
                      std::move(client_extra));
        SaslExchange server(domain, std::move(channel), lookup());
        int rc = GSASL_OK;
        std::string message = client.step("", rc);
        if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
            ADD_FAILURE() << "client could not start: " << gsasl_strerror(rc);
            return o;
        }
        auto step = server.start(mechanism, message.empty() ? "=" : message);
        for (int round = 0; step.kind == SaslExchange::Step::Kind::challenge && round < 5;
             ++round) {
            if (round == 0) {
                o.first_challenge = step.data;
            }
            message = client.step(step.data, rc);
            if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
                ADD_FAILURE() << "client refused a challenge: " << gsasl_strerror(rc);
                return o;
            }
            step = server.step(message.empty() ? "=" : message);
        }
        o.kind = step.kind;
        o.failure = step.failure;
        if (step.kind == SaslExchange::Step::Kind::success) {
            o.node = server.node();
            if (!step.data.empty()) {  // SCRAM server-final: the client checks the signature
                client.step(step.data, o.client_rc);
            }
        }
        return o;
    }

    static SaslChannel tls_channel()
    {
        SaslChannel c;
        c.tls = true;
        c.tls_unique = "0123456789ab";  // a Finished message's verify_data is 12 bytes
        return c;
    }

    std::vector<std::string> looked_up;
    static inline std::optional<storage::Credentials> credentials_;
};

using Kind = SaslExchange::Step::Kind;

TEST_F(SaslTest, ScramSha1SucceedsWithTheRightPassword)
{
    const auto o = run("SCRAM-SHA-1", "juliet", "r0m30myr0m30");
    EXPECT_EQ(o.kind, Kind::success);
    EXPECT_EQ(o.node, "juliet");
    EXPECT_EQ(o.client_rc, GSASL_OK);  // the server proved it knows the keys too
}

TEST_F(SaslTest, ScramSha256SucceedsWithTheRightPassword)
{
    const auto o = run("SCRAM-SHA-256", "juliet", "r0m30myr0m30");
    EXPECT_EQ(o.kind, Kind::success);
    EXPECT_EQ(o.node, "juliet");
    EXPECT_EQ(o.client_rc, GSASL_OK);
}

TEST_F(SaslTest, ScramUsernameIsNodeprepped)
{
    const auto o = run("SCRAM-SHA-256", "Juliet", "r0m30myr0m30");
    EXPECT_EQ(o.kind, Kind::success);
    EXPECT_EQ(o.node, "juliet");
    ASSERT_FALSE(looked_up.empty());
    EXPECT_EQ(looked_up.front(), "juliet");
}

TEST_F(SaslTest, ScramFailsWithAWrongPassword)
{
    for (const char* mechanism : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
        const auto o = run(mechanism, "juliet", "wrong");
        EXPECT_EQ(o.kind, Kind::failure) << mechanism;
        EXPECT_EQ(o.failure, SaslFailure::not_authorized) << mechanism;
    }
}

// An unknown user gets a challenge like a real one and fails at the proof, like a wrong
// password, so the exchange does not reveal which accounts exist.
TEST_F(SaslTest, ScramUnknownUserFailsLikeAWrongPassword)
{
    for (const char* mechanism : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
        const auto known = run(mechanism, "juliet", "wrong");
        const auto unknown = run(mechanism, "nobody", "r0m30myr0m30");
        EXPECT_EQ(unknown.kind, Kind::failure) << mechanism;
        EXPECT_EQ(unknown.failure, known.failure) << mechanism;
        auto challenge = base64_decode(unknown.first_challenge);
        ASSERT_TRUE(challenge) << mechanism;
        EXPECT_TRUE(challenge->starts_with("r=")) << *challenge;
        EXPECT_NE(challenge->find(",s="), std::string::npos) << *challenge;
        EXPECT_NE(challenge->find(",i=4096"), std::string::npos) << *challenge;
    }
}

TEST_F(SaslTest, ScramPlusSucceedsWithTheSameChannelBinding)
{
    for (const char* mechanism : {"SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"}) {
        const auto o = run(mechanism, "juliet", "r0m30myr0m30", tls_channel(),
                           {{GSASL_CB_TLS_UNIQUE, base64_encode("0123456789ab")}});
        EXPECT_EQ(o.kind, Kind::success) << mechanism;
        EXPECT_EQ(o.client_rc, GSASL_OK) << mechanism;
    }
}

TEST_F(SaslTest, ScramPlusFailsWithADifferentChannelBinding)
{
    // A man in the middle terminates TLS: the two ends see different Finished messages.
    const auto o = run("SCRAM-SHA-256-PLUS", "juliet", "r0m30myr0m30", tls_channel(),
                       {{GSASL_CB_TLS_UNIQUE, base64_encode("ba9876543210")}});
    EXPECT_EQ(o.kind, Kind::failure);
}

// RFC 5802 §6: a client that supports channel binding but thinks the server does not
// (gs2 flag 'y') is being downgraded when the server does offer -PLUS. GNU SASL's client
// refuses to send 'y' itself, so the message is written by hand (as slixmpp sends it).
TEST_F(SaslTest, ScramWithoutPlusIsRefusedWhenTheClientCouldBindAndTheServerOffersPlus)
{
    for (const char* mechanism : {"SCRAM-SHA-1", "SCRAM-SHA-256"}) {
        SaslExchange server(domain, tls_channel(), lookup());
        const auto step =
            server.start(mechanism, base64_encode("y,,n=juliet,r=fyko+d2lbbFgONRv9qkxdawL"));
        EXPECT_EQ(step.kind, Kind::failure) << mechanism;
    }
}

// Without a channel to bind, 'y' is the honest answer and the exchange goes on.
TEST_F(SaslTest, ScramWithFlagYIsAcceptedWithoutTls)
{
    SaslExchange server(domain, {}, lookup());
    const auto step =
        server.start("SCRAM-SHA-1", base64_encode("y,,n=juliet,r=fyko+d2lbbFgONRv9qkxdawL"));
    EXPECT_EQ(step.kind, Kind::challenge);
}

TEST_F(SaslTest, ScramWithoutPlusSucceedsOverTlsWhenTheClientCannotBind)
{
    const auto o = run("SCRAM-SHA-1", "juliet", "r0m30myr0m30", tls_channel());
    EXPECT_EQ(o.kind, Kind::success);
}

TEST_F(SaslTest, PlainOverTlsSucceedsWithTheRightPasswordOnly)
{
    {
        const auto right = run("PLAIN", "juliet", "r0m30myr0m30", tls_channel());
        EXPECT_EQ(right.kind, Kind::success) << sasl_failure_name(right.failure);
    }
    const auto wrong = run("PLAIN", "juliet", "wrong", tls_channel());
    EXPECT_EQ(wrong.kind, Kind::failure);
    EXPECT_EQ(wrong.failure, SaslFailure::not_authorized);
    const auto unknown = run("PLAIN", "nobody", "r0m30myr0m30", tls_channel());
    EXPECT_EQ(unknown.kind, Kind::failure);
    EXPECT_EQ(unknown.failure, SaslFailure::not_authorized);
}

// RFC 6120 §6.4.6: an authzid must name the authenticated account.
TEST_F(SaslTest, PlainWithSomeoneElsesAuthzidIsInvalidAuthzid)
{
    SaslExchange server(domain, tls_channel(), lookup());
    const auto own = server.start("PLAIN", base64_encode(std::string("juliet@localhost\0juliet\0"
                                                                     "r0m30myr0m30",
                                                                     36)));
    EXPECT_EQ(own.kind, Kind::success);
    SaslExchange other(domain, tls_channel(), lookup());
    const auto step = other.start("PLAIN", base64_encode(std::string("romeo@localhost\0juliet\0"
                                                                     "r0m30myr0m30",
                                                                     35)));
    EXPECT_EQ(step.kind, Kind::failure);
    EXPECT_EQ(step.failure, SaslFailure::invalid_authzid);
}

TEST(SaslMechanisms, PlainOnlyOverTlsAndPlusOnlyWithChannelBinding)
{
    EXPECT_EQ(SaslExchange::mechanisms({}),
              (std::vector<std::string>{"SCRAM-SHA-256", "SCRAM-SHA-1"}));
    SaslChannel tls;
    tls.tls = true;
    tls.tls_unique = "x";
    EXPECT_EQ(SaslExchange::mechanisms(tls),
              (std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
                                        "SCRAM-SHA-1", "PLAIN"}));
}

TEST_F(SaslTest, MechanismNotOfferedIsInvalidMechanism)
{
    struct Case {
        const char* mechanism;
        SaslChannel channel;
    };
    const Case cases[] = {
        {"DIGEST-MD5", tls_channel()},
        {"CRAM-MD5", {}},
        {"PLAIN", {}},                // PLAIN only over TLS
        {"SCRAM-SHA-1-PLUS", {}},     // no channel to bind to
        {"SCRAM-SHA-256-PLUS", {}},
        {"scram-sha-1", {}},          // mechanism names are case-sensitive (RFC 4422 §3.1)
        {"", {}},
    };
    for (const auto& c : cases) {
        SaslExchange server(domain, c.channel, lookup());
        const auto step = server.start(c.mechanism, "");
        EXPECT_EQ(step.kind, Kind::failure) << c.mechanism;
        EXPECT_EQ(step.failure, SaslFailure::invalid_mechanism) << c.mechanism;
    }
}

TEST_F(SaslTest, BadBase64IsIncorrectEncoding)
{
    for (const char* bad : {"!!!!", "bi1,", "abc", "ab=c", "a===", "bixuPWp1bGlldCxyPWFiYw=!"}) {
        SaslExchange server(domain, {}, lookup());
        const auto step = server.start("SCRAM-SHA-1", bad);
        EXPECT_EQ(step.kind, Kind::failure) << bad;
        EXPECT_EQ(step.failure, SaslFailure::incorrect_encoding) << bad;
    }
}

TEST_F(SaslTest, BadBase64InAResponseIsIncorrectEncoding)
{
    Client client("SCRAM-SHA-1", "juliet", "r0m30myr0m30");
    SaslExchange server(domain, {}, lookup());
    int rc = GSASL_OK;
    const auto challenge = server.start("SCRAM-SHA-1", client.step("", rc));
    ASSERT_EQ(challenge.kind, Kind::challenge);
    const auto step = server.step("not base64!");
    EXPECT_EQ(step.kind, Kind::failure);
    EXPECT_EQ(step.failure, SaslFailure::incorrect_encoding);
}

TEST_F(SaslTest, ResponseWithoutAuthIsMalformedRequest)
{
    SaslExchange server(domain, {}, lookup());
    const auto step = server.step(base64_encode("c=biws,r=abc,p=xyz"));
    EXPECT_EQ(step.kind, Kind::failure);
    EXPECT_EQ(step.failure, SaslFailure::malformed_request);
}

TEST_F(SaslTest, GarbageClientFirstMessageFails)
{
    SaslExchange server(domain, {}, lookup());
    const auto step = server.start("SCRAM-SHA-256", base64_encode("hello"));
    EXPECT_EQ(step.kind, Kind::failure);
    EXPECT_NE(step.failure, SaslFailure::incorrect_encoding);  // the base64 itself was fine
}

TEST(SaslFailureName, NamesAreTheRfc6120Elements)
{
    EXPECT_EQ(sasl_failure_name(SaslFailure::not_authorized), "not-authorized");
    EXPECT_EQ(sasl_failure_name(SaslFailure::incorrect_encoding), "incorrect-encoding");
    EXPECT_EQ(sasl_failure_name(SaslFailure::invalid_mechanism), "invalid-mechanism");
    EXPECT_EQ(sasl_failure_name(SaslFailure::invalid_authzid), "invalid-authzid");
    EXPECT_EQ(sasl_failure_name(SaslFailure::malformed_request), "malformed-request");
    EXPECT_EQ(sasl_failure_name(SaslFailure::encryption_required), "encryption-required");
    EXPECT_EQ(sasl_failure_name(SaslFailure::temporary_auth_failure), "temporary-auth-failure");
    EXPECT_EQ(sasl_failure_name(SaslFailure::aborted), "aborted");
}

}  // namespace
}  // namespace chorus::stream
