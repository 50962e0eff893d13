// SASL (RFC 6120 §6) through GNU SASL: SCRAM-SHA-1/-256 (+PLUS), PLAIN, on stored keys.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/credentials.h"

struct Gsasl_session;

namespace chorus::stream {

/// RFC 6120 §6.5 failure conditions.
enum class SaslFailure {
    aborted, account_disabled, credentials_expired, encryption_required, incorrect_encoding,
    invalid_authzid, invalid_mechanism, malformed_request, mechanism_too_weak, not_authorized,
    temporary_auth_failure,
};
std::string_view sasl_failure_name(SaslFailure f) noexcept;

/// What the transport offers the mechanisms.
struct SaslChannel {
    bool tls = false;
    std::string tls_exporter;  // RFC 9266 channel binding data (raw), empty when not TLS 1.3
    std::string tls_unique;    // RFC 5929 channel binding data (raw), empty without TLS
};

/// One authentication exchange. Not thread-safe; lives in its session.
class SaslExchange {
public:
    using Lookup = std::function<std::optional<storage::Credentials>(std::string_view node)>;
    SaslExchange(std::string domain, SaslChannel channel, Lookup lookup);
    ~SaslExchange();
    SaslExchange(const SaslExchange&) = delete;
    SaslExchange& operator=(const SaslExchange&) = delete;

    /// Mechanisms to offer on this channel, strongest first; PLAIN only over TLS.
    static std::vector<std::string> mechanisms(const SaslChannel& channel);
    static bool has_channel_binding(const SaslChannel& c)
    {
        return !c.tls_exporter.empty() || !c.tls_unique.empty();
    }

    struct Step {
        enum class Kind { challenge, success, failure } kind;
        std::string data;  // base64 challenge / success data (may be empty)
        SaslFailure failure = SaslFailure::not_authorized;
    };
    /// Starts mech with the initial response (base64, "=" for empty, "" for none).
    Step start(std::string_view mechanism, std::string_view initial_b64);
    Step step(std::string_view response_b64);
    /// After success: the authenticated node (prepared).
    const std::string& node() const noexcept { return node_; }

    // Used by the GNU SASL callback.
    int callback(int property);

private:
    Step run(std::string_view input_b64);
    std::string domain_;
    SaslChannel channel_;
    Lookup lookup_;
    Gsasl_session* session_ = nullptr;
    std::string mechanism_;
    std::string node_;
    std::optional<storage::Credentials> credentials_;
    bool authid_ok_ = false;
};

}  // namespace chorus::stream
