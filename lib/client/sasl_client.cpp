// Client SASL on GNU SASL (lib/client/sasl_client.h).
#include "client/sasl_client.h"

#include <gsasl.h>

#include <algorithm>
#include <mutex>

#include "base/encoding.h"

namespace chorus::client {
namespace {

Gsasl* context()
{
    static Gsasl* ctx = [] {
        Gsasl* c = nullptr;
        return gsasl_init(&c) == GSASL_OK ? c : nullptr;
    }();
    return ctx;
}

}  // namespace

SaslClient::SaslClient(std::string user, std::string password, ChannelBinding cb)
    : user_(std::move(user)), password_(std::move(password)), cb_(std::move(cb))
{
}

SaslClient::~SaslClient()
{
    if (session_ != nullptr) {
        gsasl_finish(session_);
    }
}

std::optional<std::string> SaslClient::choose(const std::vector<std::string>& offered) const
{
    const bool binding = !cb_.tls_exporter.empty() || !cb_.tls_unique.empty();
    const bool tls = binding;  // channel data exists exactly when TLS is up
    std::vector<std::string> wanted;
    if (binding) {
        wanted = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-1-PLUS"};
    }
    wanted.insert(wanted.end(), {"SCRAM-SHA-256", "SCRAM-SHA-1"});
    if (tls) {
        wanted.push_back("PLAIN");
    }
    for (const auto& m : wanted) {
        if (std::find(offered.begin(), offered.end(), m) != offered.end() && context() &&
            gsasl_client_support_p(context(), m.c_str())) {
            return m;
        }
    }
    return std::nullopt;
}

std::optional<std::string> SaslClient::start(const std::string& mechanism)
{
    if (context() == nullptr ||
        gsasl_client_start(context(), mechanism.c_str(), &session_) != GSASL_OK) {
        return std::nullopt;
    }
    gsasl_property_set(session_, GSASL_AUTHID, user_.c_str());
    gsasl_property_set(session_, GSASL_PASSWORD, password_.c_str());
    // RFC 9266: with TLS 1.3 the binding is tls-exporter; tls-unique is TLS 1.2's. Only for
    // -PLUS: GNU SASL fails a plain SCRAM exchange that has binding data set.
    const bool plus = mechanism.ends_with("-PLUS");
    if (plus && !cb_.tls_exporter.empty()) {
        gsasl_property_set(session_, GSASL_CB_TLS_EXPORTER,
                           base64_encode(cb_.tls_exporter).c_str());
    } else if (plus && !cb_.tls_unique.empty()) {
        gsasl_property_set(session_, GSASL_CB_TLS_UNIQUE, base64_encode(cb_.tls_unique).c_str());
    }
    char* out = nullptr;
    const int rc = gsasl_step64(session_, "", &out);
    if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
        gsasl_free(out);
        return std::nullopt;
    }
    done_ = rc == GSASL_OK;
    std::string response = out ? out : "";
    gsasl_free(out);
    return response.empty() ? std::string("=") : response;
}

std::optional<std::string> SaslClient::step(std::string_view challenge_b64)
{
    if (session_ == nullptr) {
        return std::nullopt;
    }
    char* out = nullptr;
    const std::string in(challenge_b64);
    const int rc = gsasl_step64(session_, in.c_str(), &out);
    if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
        gsasl_free(out);
        return std::nullopt;
    }
    done_ = rc == GSASL_OK;
    std::string response = out ? out : "";
    gsasl_free(out);
    return response;
}

bool SaslClient::finish(std::string_view success_b64)
{
    if (session_ == nullptr) {
        return false;
    }
    if (success_b64.empty() || success_b64 == "=") {
        return done_;  // PLAIN, or a SCRAM server that sent its signature as a challenge
    }
    char* out = nullptr;
    const std::string in(success_b64);
    const int rc = gsasl_step64(session_, in.c_str(), &out);
    gsasl_free(out);
    return rc == GSASL_OK;  // GNU SASL checked the ServerSignature
}

}  // namespace chorus::client
