// apps/chorus-bench/sasl.h: client side of SASL PLAIN (RFC 4616) and SCRAM-SHA-1 (RFC 5802),
// with a cache of salted passwords so that thousands of logins do not cost the bench thousands
// of PBKDF2 runs (RFC 5802 §5.1 lets a client keep SaltedPassword).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace chorus::bench {

std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

/// The base64 initial response of PLAIN: "\0user\0password".
std::string plain_initial_response(std::string_view user, std::string_view password);

using SaltedPassword = std::array<unsigned char, 20>;

/// SaltedPassword by (password, user, salt, iterations); shared by all threads; can persist to a
/// file so that repeated runs against the same accounts skip PBKDF2 entirely.
class ScramCache {
public:
    SaltedPassword get(std::string_view password, std::string_view user, std::string_view salt,
                       int iterations);
    void load(const std::string& path);
    void save(const std::string& path) const;
    std::uint64_t derivations() const { return derivations_; }

private:
    mutable std::mutex mutex_;
    std::map<std::string, SaltedPassword, std::less<>> entries_;
    std::uint64_t derivations_ = 0;
};

/// One SCRAM-SHA-1 exchange without channel binding (gs2 header "n,,").
class ScramClient {
public:
    ScramClient(std::string_view user, std::string_view password, ScramCache& cache);
    /// base64 of the client-first-message.
    std::string first_message();
    /// base64 of the client-final-message for the base64 server-first-message; nullopt if the
    /// server's message is malformed or its nonce does not extend ours.
    std::optional<std::string> final_message(std::string_view server_first_b64);
    /// Whether the base64 server-final-message carries the expected ServerSignature.
    bool verify_server_final(std::string_view server_final_b64) const;

private:
    std::string user_;
    std::string password_;
    ScramCache& cache_;
    std::string client_nonce_;
    std::string client_first_bare_;
    std::string expected_server_signature_;
};

}  // namespace chorus::bench
