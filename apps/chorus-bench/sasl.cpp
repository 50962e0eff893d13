// apps/chorus-bench/sasl.cpp: PLAIN and SCRAM-SHA-1 client messages (RFC 4616, RFC 5802 §5).
#include "sasl.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace chorus::bench {
namespace {

using Digest = std::array<unsigned char, 20>;

// OpenSSL 3's one-shot HMAC() fetches the algorithm on every call, which costs more than the
// hashing; one context per thread, keyed again for each use, does not.
Digest hmac_sha1(const unsigned char* key, std::size_t key_len, std::string_view data)
{
    struct Context {
        Context()
        {
            mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
            ctx = EVP_MAC_CTX_new(mac);
            char digest[] = "SHA1";
            const OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                OSSL_PARAM_construct_end()};
            EVP_MAC_CTX_set_params(ctx, params);
        }
        ~Context()
        {
            EVP_MAC_CTX_free(ctx);
            EVP_MAC_free(mac);
        }
        EVP_MAC* mac = nullptr;
        EVP_MAC_CTX* ctx = nullptr;
    };
    thread_local Context context;
    Digest out{};
    std::size_t len = 0;
    EVP_MAC_init(context.ctx, key, key_len, nullptr);
    EVP_MAC_update(context.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    EVP_MAC_final(context.ctx, out.data(), &len, out.size());
    return out;
}

std::string as_string(const Digest& d)
{
    return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

// RFC 5802 §5.1: "=" and "," in a username are escaped as "=3D" and "=2C".
std::string sasl_name(std::string_view user)
{
    std::string out;
    for (char c : user) {
        if (c == '=') {
            out += "=3D";
        } else if (c == ',') {
            out += "=2C";
        } else {
            out += c;
        }
    }
    return out;
}

// The value of attribute key (e.g. 'r') in a comma-separated SCRAM message.
std::optional<std::string_view> scram_attribute(std::string_view message, char key)
{
    std::size_t pos = 0;
    while (pos < message.size()) {
        std::size_t comma = message.find(',', pos);
        if (comma == std::string_view::npos) {
            comma = message.size();
        }
        const std::string_view part = message.substr(pos, comma - pos);
        if (part.size() >= 2 && part[0] == key && part[1] == '=') {
            return part.substr(2);
        }
        pos = comma + 1;
    }
    return std::nullopt;
}

std::string cache_key(std::string_view password, std::string_view user, std::string_view salt,
                      int iterations)
{
    // The password enters the key only through a digest, so a cache file never holds it.
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(password.data()), password.size(), digest);
    std::string key = base64_encode(std::string_view(reinterpret_cast<const char*>(digest), 12));
    key += ' ';
    key += user;
    key += ' ';
    key += base64_encode(salt);
    key += ' ';
    key += std::to_string(iterations);
    return key;
}

}  // namespace

std::string base64_encode(std::string_view bytes)
{
    std::string out(4 * ((bytes.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(bytes.data()),
                                  static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
    std::string clean;
    for (char c : text) {
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
            clean += c;
        }
    }
    if (clean.size() % 4 != 0) {
        return std::nullopt;
    }
    std::string out(3 * clean.size() / 4, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(clean.data()),
                                  static_cast<int>(clean.size()));
    if (n < 0) {
        return std::nullopt;
    }
    std::size_t len = static_cast<std::size_t>(n);
    for (std::size_t i = clean.size(); i > 0 && clean[i - 1] == '='; --i) {
        --len;  // EVP_DecodeBlock counts padding as zero bytes
    }
    out.resize(len);
    return out;
}

std::string plain_initial_response(std::string_view user, std::string_view password)
{
    std::string message;
    message += '\0';
    message += user;
    message += '\0';
    message += password;
    return base64_encode(message);
}

SaltedPassword ScramCache::get(std::string_view password, std::string_view user,
                               std::string_view salt, int iterations)
{
    const std::string key = cache_key(password, user, salt, iterations);
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end()) {
            return it->second;
        }
    }
    SaltedPassword salted{};
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, EVP_sha1(),
                      static_cast<int>(salted.size()), salted.data());
    std::lock_guard lock(mutex_);
    entries_.emplace(key, salted);
    ++derivations_;
    return salted;
}

void ScramCache::load(const std::string& path)
{
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t tab = line.rfind('\t');
        if (tab == std::string::npos) {
            continue;
        }
        const auto value = base64_decode(std::string_view(line).substr(tab + 1));
        if (!value || value->size() != 20) {
            continue;
        }
        SaltedPassword salted{};
        std::copy(value->begin(), value->end(), salted.begin());
        std::lock_guard lock(mutex_);
        entries_[line.substr(0, tab)] = salted;
    }
}

void ScramCache::save(const std::string& path) const
{
    std::ostringstream text;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [key, salted] : entries_) {
            text << key << '\t'
                 << base64_encode(std::string_view(reinterpret_cast<const char*>(salted.data()),
                                                   salted.size()))
                 << '\n';
        }
    }
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp, std::ios::trunc) << text.str();
    std::rename(tmp.c_str(), path.c_str());
}

ScramClient::ScramClient(std::string_view user, std::string_view password, ScramCache& cache)
    : user_(user), password_(password), cache_(cache)
{
}

std::string ScramClient::first_message()
{
    unsigned char random[18];
    RAND_bytes(random, sizeof random);
    client_nonce_ = base64_encode(std::string_view(reinterpret_cast<const char*>(random), 18));
    client_first_bare_ = "n=" + sasl_name(user_) + ",r=" + client_nonce_;
    return base64_encode("n,," + client_first_bare_);
}

std::optional<std::string> ScramClient::final_message(std::string_view server_first_b64)
{
    const auto server_first = base64_decode(server_first_b64);
    if (!server_first) {
        return std::nullopt;
    }
    const auto nonce = scram_attribute(*server_first, 'r');
    const auto salt_b64 = scram_attribute(*server_first, 's');
    const auto iterations_text = scram_attribute(*server_first, 'i');
    if (!nonce || !salt_b64 || !iterations_text || !nonce->starts_with(client_nonce_)) {
        return std::nullopt;
    }
    const auto salt = base64_decode(*salt_b64);
    const int iterations = std::atoi(std::string(*iterations_text).c_str());
    if (!salt || iterations <= 0) {
        return std::nullopt;
    }
    const SaltedPassword salted = cache_.get(password_, user_, *salt, iterations);
    const Digest client_key = hmac_sha1(salted.data(), salted.size(), "Client Key");
    Digest stored_key{};
    SHA1(client_key.data(), client_key.size(), stored_key.data());
    const std::string without_proof = "c=biws,r=" + std::string(*nonce);
    const std::string auth_message = client_first_bare_ + "," + *server_first + "," + without_proof;
    const Digest signature = hmac_sha1(stored_key.data(), stored_key.size(), auth_message);
    Digest proof{};
    for (std::size_t i = 0; i < proof.size(); ++i) {
        proof[i] = client_key[i] ^ signature[i];
    }
    const Digest server_key = hmac_sha1(salted.data(), salted.size(), "Server Key");
    expected_server_signature_ =
        base64_encode(as_string(hmac_sha1(server_key.data(), server_key.size(), auth_message)));
    return base64_encode(without_proof + ",p=" + base64_encode(as_string(proof)));
}

bool ScramClient::verify_server_final(std::string_view server_final_b64) const
{
    const auto server_final = base64_decode(server_final_b64);
    if (!server_final) {
        return false;
    }
    const auto verifier = scram_attribute(*server_final, 'v');
    return verifier && *verifier == expected_server_signature_;
}

}  // namespace chorus::bench
