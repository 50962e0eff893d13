// Tls13Direction: the TLS 1.3 key schedule's last steps and AEAD record protection on
// OpenSSL's EVP ciphers.
#include "net/tls13_records.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <string_view>

namespace chorus::net {
namespace {

struct SuiteInfo {
    const char* cipher;
    const char* digest;
    std::size_t key_size;
    std::size_t hash_size;
};

// Indexed by Tls13Suite.
constexpr SuiteInfo suite_info[] = {
    {"AES-128-GCM", "SHA256", 16, 32},
    {"AES-256-GCM", "SHA384", 32, 48},
    {"ChaCha20-Poly1305", "SHA256", 32, 32},
};
constexpr std::size_t suite_count = std::size(suite_info);

const SuiteInfo& info(Tls13Suite suite)
{
    return suite_info[static_cast<std::size_t>(suite)];
}

// Fetched once: OpenSSL 3 looks an algorithm up by name on every implicit fetch.
struct Algorithms {
    EVP_CIPHER* cipher[suite_count] = {};
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    Algorithms()
    {
        for (std::size_t i = 0; i < suite_count; ++i) {
            cipher[i] = EVP_CIPHER_fetch(nullptr, suite_info[i].cipher, nullptr);
        }
    }
    ~Algorithms()
    {
        for (EVP_CIPHER* c : cipher) {
            EVP_CIPHER_free(c);
        }
        EVP_MAC_free(hmac);
    }
};

const Algorithms& algorithms()
{
    static const Algorithms instance;
    return instance;
}

// One cipher context per suite and direction per thread, keyed again for every record: a
// context of its own would cost every session about 1 KiB, and setting a key is cheap. The
// direction that keyed it last is its owner and clears it when it ends.
struct CipherContexts {
    EVP_CIPHER_CTX* context[suite_count][2] = {};
    const Tls13Direction* owner[suite_count][2] = {};
    ~CipherContexts()
    {
        for (auto& pair : context) {
            for (EVP_CIPHER_CTX*& c : pair) {
                EVP_CIPHER_CTX_free(c);
                c = nullptr;
            }
        }
        for (auto& pair : owner) {  // a direction ending later on this thread finds nothing
            pair[0] = pair[1] = nullptr;
        }
    }
};

// An HMAC context per suite per thread, its digest set once: HMAC() fetches the algorithm
// and builds a context on every call, about 20,000 instructions in OpenSSL 3.0.
struct HmacContexts {
    EVP_MAC_CTX* context[suite_count] = {};
    ~HmacContexts()
    {
        for (EVP_MAC_CTX* c : context) {
            EVP_MAC_CTX_free(c);
        }
    }
};

EVP_MAC_CTX* hmac_context(Tls13Suite suite)
{
    thread_local HmacContexts contexts;
    const auto index = static_cast<std::size_t>(suite);
    EVP_MAC_CTX*& c = contexts.context[index];
    if (c == nullptr && algorithms().hmac != nullptr) {
        c = EVP_MAC_CTX_new(algorithms().hmac);
        const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                                         "digest", const_cast<char*>(suite_info[index].digest), 0),
                                     OSSL_PARAM_construct_end()};
        if (c != nullptr && EVP_MAC_CTX_set_params(c, params) != 1) {
            EVP_MAC_CTX_free(c);
            c = nullptr;
        }
    }
    return c;
}

CipherContexts& cipher_contexts()
{
    thread_local CipherContexts contexts;
    return contexts;
}

// Sets c up for the suite's cipher without a key; false if it cannot be (c is freed).
bool set_up(EVP_CIPHER_CTX*& c, std::size_t index, int encrypt)
{
    const EVP_CIPHER* cipher = algorithms().cipher[index];
    if (c != nullptr && (cipher == nullptr ||
                         EVP_CipherInit_ex(c, cipher, nullptr, nullptr, nullptr, encrypt) != 1)) {
        EVP_CIPHER_CTX_free(c);
        c = nullptr;
    }
    return c != nullptr;
}

// The thread's context for the suite and direction, owned by owner from now on: the caller
// keys it.
EVP_CIPHER_CTX* cipher_context(Tls13Suite suite, bool encrypt, const Tls13Direction* owner)
{
    CipherContexts& contexts = cipher_contexts();
    const auto index = static_cast<std::size_t>(suite);
    EVP_CIPHER_CTX*& c = contexts.context[index][encrypt ? 1 : 0];
    if (c == nullptr) {
        c = EVP_CIPHER_CTX_new();
        set_up(c, index, encrypt ? 1 : 0);
    }
    contexts.owner[index][encrypt ? 1 : 0] = owner;
    return c;
}

// Clears the keys owner left in the thread's contexts. EVP_CIPHER_CTX_reset frees the
// provider's context with OPENSSL_clear_free: the AES key schedule and GHASH key, or the
// ChaCha20 key and Poly1305 state, go with it. Set up again without a key, the context is
// ready for the next record as before; this costs one allocation per session, not per record.
void clear_contexts(const Tls13Direction* owner)
{
    CipherContexts& contexts = cipher_contexts();
    for (std::size_t index = 0; index < suite_count; ++index) {
        for (int encrypt = 0; encrypt < 2; ++encrypt) {
            if (contexts.owner[index][encrypt] != owner) {
                continue;
            }
            contexts.owner[index][encrypt] = nullptr;
            EVP_CIPHER_CTX*& c = contexts.context[index][encrypt];
            if (EVP_CIPHER_CTX_reset(c) != 1) {
                EVP_CIPHER_CTX_free(c);
                c = nullptr;
            }
            set_up(c, index, encrypt);
        }
    }
}

// HKDF-Expand-Label(secret, label, "", size) of RFC 8446 7.1. Every output here (a key, an
// IV, the next secret) fits one HMAC block, so HKDF-Expand is a single HMAC.
bool expand_label(Tls13Suite suite, std::span<const unsigned char> secret, std::string_view label,
                  unsigned char* out, std::size_t size)
{
    static constexpr std::string_view prefix = "tls13 ";
    unsigned char hkdf_label[2 + 1 + 6 + 16 + 1 + 1];
    if (label.size() > 16 || size > info(suite).hash_size) {
        return false;
    }
    std::size_t n = 0;
    hkdf_label[n++] = static_cast<unsigned char>(size >> 8);
    hkdf_label[n++] = static_cast<unsigned char>(size);
    hkdf_label[n++] = static_cast<unsigned char>(prefix.size() + label.size());
    std::memcpy(hkdf_label + n, prefix.data(), prefix.size());
    n += prefix.size();
    std::memcpy(hkdf_label + n, label.data(), label.size());
    n += label.size();
    hkdf_label[n++] = 0;  // an empty context
    hkdf_label[n++] = 1;  // HKDF-Expand's block counter
    EVP_MAC_CTX* hmac = hmac_context(suite);
    unsigned char block[EVP_MAX_MD_SIZE];
    std::size_t block_size = 0;
    if (hmac == nullptr || EVP_MAC_init(hmac, secret.data(), secret.size(), nullptr) != 1 ||
        EVP_MAC_update(hmac, hkdf_label, n) != 1 ||
        EVP_MAC_final(hmac, block, &block_size, sizeof block) != 1 || block_size < size) {
        return false;
    }
    std::memcpy(out, block, size);
    OPENSSL_cleanse(block, sizeof block);
    return true;
}

// The thread's HMAC context keeps the last secret it was keyed with (OpenSSL 3 keeps a
// copy too) until it is keyed again: key it with zeros once a derivation is done. A traffic
// secret derives every later key, so it does not wait for the session's end.
void forget_secret(Tls13Suite suite)
{
    static constexpr unsigned char zeros[Tls13Direction::max_secret] = {};
    if (EVP_MAC_CTX* hmac = hmac_context(suite); hmac != nullptr) {
        EVP_MAC_init(hmac, zeros, info(suite).hash_size, nullptr);
    }
}

unsigned char* bytes(char* p)
{
    return reinterpret_cast<unsigned char*>(p);
}

}  // namespace

bool tls13_suite_from_id(std::uint16_t id, Tls13Suite& suite)
{
    switch (id) {
        case 0x1301:
            suite = Tls13Suite::aes_128_gcm_sha256;
            return true;
        case 0x1302:
            suite = Tls13Suite::aes_256_gcm_sha384;
            return true;
        case 0x1303:
            suite = Tls13Suite::chacha20_poly1305;
            return true;
        default:
            return false;
    }
}

std::size_t tls13_keyed_contexts() noexcept
{
    std::size_t count = 0;
    for (const auto& pair : cipher_contexts().owner) {
        for (const Tls13Direction* owner : pair) {
            count += owner != nullptr ? 1 : 0;
        }
    }
    return count;
}

Tls13Direction::~Tls13Direction()
{
    clear_contexts(this);
    OPENSSL_cleanse(secret_.data(), secret_.size());
    OPENSSL_cleanse(key_.data(), key_.size());
    OPENSSL_cleanse(iv_.data(), iv_.size());
}

bool Tls13Direction::init(Tls13Suite suite, std::span<const unsigned char> secret,
                          std::uint64_t sequence)
{
    if (secret.size() != info(suite).hash_size) {
        return false;
    }
    suite_ = suite;
    secret_size_ = static_cast<std::uint8_t>(secret.size());
    std::memcpy(secret_.data(), secret.data(), secret.size());
    sequence_ = sequence;
    return derive_key_and_iv();
}

bool Tls13Direction::update()
{
    std::array<unsigned char, max_secret> next{};
    const std::span<const unsigned char> secret(secret_.data(), secret_size_);
    if (!expand_label(suite_, secret, "traffic upd", next.data(), secret_size_)) {
        forget_secret(suite_);
        return false;
    }
    secret_ = next;
    OPENSSL_cleanse(next.data(), next.size());
    sequence_ = 0;
    return derive_key_and_iv();
}

bool Tls13Direction::derive_key_and_iv()
{
    const std::span<const unsigned char> secret(secret_.data(), secret_size_);
    const bool ok = expand_label(suite_, secret, "key", key_.data(), info(suite_).key_size) &&
                    expand_label(suite_, secret, "iv", iv_.data(), iv_.size());
    forget_secret(suite_);
    return ok;
}

void Tls13Direction::nonce(unsigned char (&out)[12]) const
{
    std::memcpy(out, iv_.data(), sizeof out);
    for (int i = 0; i < 8; ++i) {
        out[11 - i] ^= static_cast<unsigned char>(sequence_ >> (8 * i));
    }
}

std::size_t Tls13Direction::seal(tls13::ContentType type, std::span<const char> content, char* out)
{
    const std::size_t inner = content.size() + 1;
    const std::size_t length = inner + tls13::tag_size;
    out[0] = static_cast<char>(tls13::application_data);  // the outer type of every record
    out[1] = 3;
    out[2] = 3;
    out[3] = static_cast<char>(length >> 8);
    out[4] = static_cast<char>(length);
    unsigned char iv[12];
    nonce(iv);
    const auto content_size = static_cast<int>(content.size());
    const auto inner_type = static_cast<unsigned char>(type);
    unsigned char* body = bytes(out) + tls13::header_size;
    EVP_CIPHER_CTX* c = cipher_context(suite_, true, this);
    int n = 0;
    if (c == nullptr || EVP_CipherInit_ex(c, nullptr, nullptr, key_.data(), iv, 1) != 1 ||
        EVP_CipherUpdate(c, nullptr, &n, bytes(out), tls13::header_size) != 1 ||
        EVP_CipherUpdate(c, body, &n, reinterpret_cast<const unsigned char*>(content.data()),
                         content_size) != 1 ||
        EVP_CipherUpdate(c, body + content.size(), &n, &inner_type, 1) != 1 ||
        EVP_CipherFinal_ex(c, body + inner, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, tls13::tag_size, body + inner) != 1) {
        return 0;
    }
    ++sequence_;
    return tls13::header_size + length;
}

bool Tls13Direction::open(char* record, std::size_t record_size, tls13::ContentType& type,
                          std::size_t& content_size)
{
    if (record_size < tls13::header_size + 1 + tls13::tag_size) {
        return false;
    }
    const std::size_t inner = record_size - tls13::header_size - tls13::tag_size;
    unsigned char* body = bytes(record) + tls13::header_size;
    unsigned char iv[12];
    nonce(iv);
    EVP_CIPHER_CTX* c = cipher_context(suite_, false, this);
    int n = 0;
    if (c == nullptr || EVP_CipherInit_ex(c, nullptr, nullptr, key_.data(), iv, 0) != 1 ||
        EVP_CipherUpdate(c, nullptr, &n, bytes(record), tls13::header_size) != 1 ||
        EVP_CipherUpdate(c, body, &n, body, static_cast<int>(inner)) != 1 ||
        EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, tls13::tag_size, body + inner) != 1 ||
        EVP_CipherFinal_ex(c, body + inner, &n) != 1) {
        return false;
    }
    ++sequence_;
    // The content type is the last non-zero byte; zeros after it are padding.
    std::size_t end = inner;
    while (end > 0 && body[end - 1] == 0) {
        --end;
    }
    type = end > 0 ? static_cast<tls13::ContentType>(body[end - 1]) : tls13::ContentType{};
    content_size = end > 0 ? end - 1 : 0;
    return true;
}

}  // namespace chorus::net
