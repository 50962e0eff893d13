// SCRAM credential derivation (RFC 5802 §3, RFC 7677) over OpenSSL; SASLprep (RFC 4013).
#include "storage/credentials.h"

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/check.h"

namespace chorus::storage {
namespace {

// NIST SP 800-132 asks for at least 128 random bits of PBKDF2 salt.
constexpr std::size_t salt_bytes = 16;

const EVP_MD* digest_of(ScramHash hash) noexcept
{
    return hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256();
}

std::string as_string(const unsigned char* data, std::size_t size)
{
    return std::string(reinterpret_cast<const char*>(data), size);
}

std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int out_len = 0;
    const unsigned char* ok =
        HMAC(md, key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &out_len);
    CHORUS_CHECK(ok != nullptr);  // only fails on allocation failure or a broken provider
    return as_string(out, out_len);
}

std::string digest(const EVP_MD* md, std::string_view data)
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int out_len = 0;
    CHORUS_CHECK(EVP_Digest(data.data(), data.size(), out, &out_len, md, nullptr) == 1);
    return as_string(out, out_len);
}

// SASLprep with stored-string rules (no unassigned code points); nullopt when prohibited.
std::optional<std::string> saslprep(std::string_view password)
{
    if (password.find('\0') != std::string_view::npos) {
        return std::nullopt;  // gsasl reads a C string
    }
    std::string in(password);
    char* out = nullptr;
    int stringprep_rc = 0;
    int rc = gsasl_saslprep(in.c_str(), Gsasl_saslprep_flags{}, &out, &stringprep_rc);
    if (rc != GSASL_OK || out == nullptr) {
        gsasl_free(out);
        return std::nullopt;
    }
    std::string prepared(out);
    OPENSSL_cleanse(out, prepared.size());
    gsasl_free(out);
    return prepared;
}

std::optional<std::string> random_salt()
{
    unsigned char salt[salt_bytes];
    if (RAND_bytes(salt, sizeof salt) != 1) {
        return std::nullopt;
    }
    return as_string(salt, sizeof salt);
}

}  // namespace

ScramKeys derive_scram_keys(ScramHash hash, std::string_view password, std::string_view salt,
                            int iterations)
{
    CHORUS_CHECK(iterations >= 1);
    const EVP_MD* md = digest_of(hash);
    const int md_size = EVP_MD_get_size(md);
    unsigned char salted[EVP_MAX_MD_SIZE];
    // SaltedPassword = Hi(Normalize(password), salt, i): Hi is PBKDF2 with HMAC, and the
    // caller has already normalized (SASLprep'd) the password.
    CHORUS_CHECK(PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                   reinterpret_cast<const unsigned char*>(salt.data()),
                                   static_cast<int>(salt.size()), iterations, md, md_size,
                                   salted) == 1);
    std::string salted_password = as_string(salted, static_cast<std::size_t>(md_size));
    OPENSSL_cleanse(salted, sizeof salted);

    ScramKeys keys;
    keys.salt = std::string(salt);
    keys.iterations = iterations;
    std::string client_key = hmac(md, salted_password, "Client Key");
    keys.stored_key = digest(md, client_key);
    keys.server_key = hmac(md, salted_password, "Server Key");
    OPENSSL_cleanse(client_key.data(), client_key.size());
    OPENSSL_cleanse(salted_password.data(), salted_password.size());
    return keys;
}

std::optional<Credentials> make_credentials(std::string_view password, int iterations)
{
    if (iterations < 1) {
        return std::nullopt;
    }
    auto prepared = saslprep(password);
    if (!prepared || prepared->empty()) {
        return std::nullopt;
    }
    auto sha1_salt = random_salt();
    auto sha256_salt = random_salt();
    if (!sha1_salt || !sha256_salt) {
        return std::nullopt;
    }
    Credentials credentials;
    credentials.sha1 = derive_scram_keys(ScramHash::sha1, *prepared, *sha1_salt, iterations);
    credentials.sha256 = derive_scram_keys(ScramHash::sha256, *prepared, *sha256_salt, iterations);
    OPENSSL_cleanse(prepared->data(), prepared->size());
    return credentials;
}

bool verify_password(const ScramKeys& keys, ScramHash hash, std::string_view password)
{
    if (keys.iterations < 1 || keys.stored_key.empty() || keys.server_key.empty()) {
        return false;
    }
    auto prepared = saslprep(password);
    if (!prepared || prepared->empty()) {
        return false;
    }
    ScramKeys derived = derive_scram_keys(hash, *prepared, keys.salt, keys.iterations);
    OPENSSL_cleanse(prepared->data(), prepared->size());
    if (derived.stored_key.size() != keys.stored_key.size() ||
        derived.server_key.size() != keys.server_key.size()) {
        return false;
    }
    // Both keys are compared, and in constant time, so timing says nothing about either.
    int stored_diff =
        CRYPTO_memcmp(derived.stored_key.data(), keys.stored_key.data(), keys.stored_key.size());
    int server_diff =
        CRYPTO_memcmp(derived.server_key.data(), keys.server_key.data(), keys.server_key.size());
    return (stored_diff | server_diff) == 0;
}

}  // namespace chorus::storage
