// SaslClient: the client side of SASL (RFC 6120 §6) through GNU SASL: SCRAM-SHA-256/-1
// with channel binding (-PLUS, RFC 5802/7677, RFC 9266 tls-exporter or RFC 5929 tls-unique),
// PLAIN only over TLS and only when no SCRAM mechanism is offered.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct Gsasl_session;

namespace chorus::client {

struct ChannelBinding {
    std::string tls_exporter;  // raw; TLS 1.3
    std::string tls_unique;    // raw; TLS 1.2
};

class SaslClient {
public:
    SaslClient(std::string user, std::string password, ChannelBinding cb);
    ~SaslClient();
    SaslClient(const SaslClient&) = delete;
    SaslClient& operator=(const SaslClient&) = delete;

    /// The strongest offered mechanism we can do, or nullopt.
    std::optional<std::string> choose(const std::vector<std::string>& offered) const;
    /// Starts mechanism; returns the base64 initial response ("=" for an empty one), or
    /// nullopt when GNU SASL refuses.
    std::optional<std::string> start(const std::string& mechanism);
    /// Answers a base64 challenge; nullopt when the server's message is invalid.
    std::optional<std::string> step(std::string_view challenge_b64);
    /// The <success/> data verifies the server (SCRAM's ServerSignature).
    bool finish(std::string_view success_b64);

private:
    std::string user_, password_;
    ChannelBinding cb_;
    Gsasl_session* session_ = nullptr;
    bool done_ = false;
};

}  // namespace chorus::client
