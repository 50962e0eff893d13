// SASL exchanges on GNU SASL; secrets come from stored SCRAM keys, never passwords.
#include "stream/sasl.h"

#include <gsasl.h>

#include <spdlog/spdlog.h>

#include "base/check.h"
#include "base/encoding.h"
#include "jid/jid.h"

namespace chorus::stream {
namespace {

int gsasl_callback(Gsasl*, Gsasl_session* sctx, Gsasl_property prop)
{
    auto* ex = static_cast<SaslExchange*>(gsasl_session_hook_get(sctx));
    return ex ? ex->callback(prop) : GSASL_NO_CALLBACK;
}

Gsasl* context()
{
    static Gsasl* ctx = [] {
        Gsasl* c = nullptr;
        CHORUS_CHECK(gsasl_init(&c) == GSASL_OK);
        gsasl_callback_set(c, gsasl_callback);
        return c;
    }();
    return ctx;
}

// Credentials for an unknown user, so the exchange fails at the proof like a wrong password
// and does not reveal which accounts exist.
storage::Credentials decoy_credentials()
{
    static const storage::Credentials decoy = [] {
        storage::Credentials c;
        c.sha1 = {random_bytes(16), 4096, random_bytes(20), random_bytes(20)};
        c.sha256 = {random_bytes(16), 4096, random_bytes(32), random_bytes(32)};
        return c;
    }();
    return decoy;
}

}  // namespace

std::string_view sasl_failure_name(SaslFailure f) noexcept
{
    switch (f) {
        case SaslFailure::aborted: return "aborted";
        case SaslFailure::account_disabled: return "account-disabled";
        case SaslFailure::credentials_expired: return "credentials-expired";
        case SaslFailure::encryption_required: return "encryption-required";
        case SaslFailure::incorrect_encoding: return "incorrect-encoding";
        case SaslFailure::invalid_authzid: return "invalid-authzid";
        case SaslFailure::invalid_mechanism: return "invalid-mechanism";
        case SaslFailure::malformed_request: return "malformed-request";
        case SaslFailure::mechanism_too_weak: return "mechanism-too-weak";
        case SaslFailure::not_authorized: return "not-authorized";
        case SaslFailure::temporary_auth_failure: return "temporary-auth-failure";
    }
    return "not-authorized";
}

SaslExchange::SaslExchange(std::string domain, SaslChannel channel, Lookup lookup)
    : domain_(std::move(domain)), channel_(std::move(channel)), lookup_(std::move(lookup))
{
    context();
}

SaslExchange::~SaslExchange()
{
    if (session_) {
        gsasl_finish(session_);
    }
}

std::vector<std::string> SaslExchange::mechanisms(const SaslChannel& channel)
{
    std::vector<std::string> out;
    if (has_channel_binding(channel)) {
        out.push_back("SCRAM-SHA-256-PLUS");
        out.push_back("SCRAM-SHA-1-PLUS");
    }
    out.push_back("SCRAM-SHA-256");
    out.push_back("SCRAM-SHA-1");
    if (channel.tls) {
        out.push_back("PLAIN");
    }
    return out;
}

SaslExchange::Step SaslExchange::start(std::string_view mechanism, std::string_view initial_b64)
{
    const auto offered = mechanisms(channel_);
    if (std::find(offered.begin(), offered.end(), mechanism) == offered.end()) {
        return {Step::Kind::failure, {}, SaslFailure::invalid_mechanism};
    }
    mechanism_ = mechanism;
    if (gsasl_server_start(context(), mechanism_.c_str(), &session_) != GSASL_OK) {
        return {Step::Kind::failure, {}, SaslFailure::temporary_auth_failure};
    }
    gsasl_session_hook_set(session_, this);
    if (!channel_.tls_exporter.empty()) {
        gsasl_property_set(session_, GSASL_CB_TLS_EXPORTER,
                           base64_encode(channel_.tls_exporter).c_str());
    }
    if (!channel_.tls_unique.empty()) {
        gsasl_property_set(session_, GSASL_CB_TLS_UNIQUE, base64_encode(channel_.tls_unique).c_str());
    }
    // RFC 6120 §6.4.2: "=" is an empty initial response; nothing means none was sent.
    return run(initial_b64 == "=" ? std::string_view() : initial_b64);
}

SaslExchange::Step SaslExchange::step(std::string_view response_b64)
{
    if (!session_) {
        return {Step::Kind::failure, {}, SaslFailure::malformed_request};
    }
    return run(response_b64 == "=" ? std::string_view() : response_b64);
}

SaslExchange::Step SaslExchange::run(std::string_view input_b64)
{
    if (!input_b64.empty() && !base64_decode(input_b64)) {
        return {Step::Kind::failure, {}, SaslFailure::incorrect_encoding};
    }
    const std::string input(input_b64);
    char* output = nullptr;
    const int rc = gsasl_step64(session_, input.c_str(), &output);
    std::string out = output ? output : "";
    gsasl_free(output);
    if (rc == GSASL_NEEDS_MORE) {
        return {Step::Kind::challenge, std::move(out)};
    }
    if (rc != GSASL_OK) {
        spdlog::debug("SASL {} failed: {}", mechanism_, gsasl_strerror(rc));
        const auto failure = rc == GSASL_MECHANISM_PARSE_ERROR ? SaslFailure::malformed_request
                                                               : SaslFailure::not_authorized;
        return {Step::Kind::failure, {}, failure};
    }
    if (!authid_ok_ || !credentials_) {
        return {Step::Kind::failure, {}, SaslFailure::not_authorized};
    }
    // RFC 6120 §6.4.6: an authzid must name the authenticated account itself. COMPAT: GNU SASL
    // 2.x's PLAIN server reports the authid as the authzid when the client sent none.
    const char* authid = gsasl_property_fast(session_, GSASL_AUTHID);
    if (const char* authzid = gsasl_property_fast(session_, GSASL_AUTHZID);
        authzid && *authzid && !(authid && std::string_view(authzid) == authid)) {
        auto jid = Jid::parse(authzid);
        if (!jid || jid->node() != node_ || jid->domain() != domain_ || jid->is_full()) {
            return {Step::Kind::failure, {}, SaslFailure::invalid_authzid};
        }
    }
    return {Step::Kind::success, std::move(out)};
}

int SaslExchange::callback(int property)
{
    auto load = [&]() -> bool {
        if (credentials_) {
            return true;
        }
        const char* authid = gsasl_property_fast(session_, GSASL_AUTHID);
        auto node = authid ? nodeprep(authid) : std::nullopt;
        if (node) {
            credentials_ = lookup_(*node);
        }
        authid_ok_ = credentials_.has_value();
        if (authid_ok_) {
            node_ = *node;
        } else {
            credentials_ = decoy_credentials();
        }
        return true;
    };
    const bool sha1 = mechanism_.starts_with("SCRAM-SHA-1");
    switch (property) {
        case GSASL_SCRAM_ITER:
        case GSASL_SCRAM_SALT:
        case GSASL_SCRAM_STOREDKEY:
        case GSASL_SCRAM_SERVERKEY: {
            load();
            const auto& keys = sha1 ? credentials_->sha1 : credentials_->sha256;
            std::string value;
            if (property == GSASL_SCRAM_ITER) {
                value = std::to_string(keys.iterations);
            } else if (property == GSASL_SCRAM_SALT) {
                value = base64_encode(keys.salt);
            } else if (property == GSASL_SCRAM_STOREDKEY) {
                value = base64_encode(keys.stored_key);  // base64, whatever gsasl.h says: see server.c
            } else {
                value = base64_encode(keys.server_key);
            }
            gsasl_property_set(session_, static_cast<Gsasl_property>(property), value.c_str());
            return GSASL_OK;
        }
        case GSASL_VALIDATE_SIMPLE: {
            load();
            const char* password = gsasl_property_fast(session_, GSASL_PASSWORD);
            if (!authid_ok_ || !password ||
                !storage::verify_password(credentials_->sha256, storage::ScramHash::sha256,
                                          password)) {
                authid_ok_ = false;
                return GSASL_AUTHENTICATION_ERROR;
            }
            return GSASL_OK;
        }
        default: return GSASL_NO_CALLBACK;
    }
}

}  // namespace chorus::stream
