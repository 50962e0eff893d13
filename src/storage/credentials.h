// Salted SCRAM credentials (RFC 5802 §3, RFC 7677): what is stored instead of a password.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chorus::storage {

enum class ScramHash { sha1, sha256 };

/// One hash's SCRAM secrets; salt and keys are raw bytes.
struct ScramKeys {
    std::string salt;
    int iterations = 0;
    std::string stored_key;
    std::string server_key;
};

struct Credentials {
    ScramKeys sha1;
    ScramKeys sha256;
};

/// Derives keys for one hash from a password (SaltedPassword = Hi(password, salt, i)).
ScramKeys derive_scram_keys(ScramHash hash, std::string_view password, std::string_view salt,
                            int iterations);
/// Fresh random salts for both hashes; the password is SASLprep'd first (RFC 4013).
std::optional<Credentials> make_credentials(std::string_view password, int iterations);
/// True when password matches keys (used by SASL PLAIN); constant-time comparison.
bool verify_password(const ScramKeys& keys, ScramHash hash, std::string_view password);

}  // namespace chorus::storage
