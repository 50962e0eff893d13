// Base64/hex/SHA-1/random on OpenSSL.
#include "base/encoding.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/check.h"

namespace chorus {

std::string base64_encode(std::string_view in)
{
    std::string out(4 * ((in.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::optional<std::string> base64_decode(std::string_view in)
{
    if (in.size() % 4 != 0) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        // Padding only at the end: "ab==" or "abc=", never "ab=c".
        const bool padding =
            c == '=' && (i + 1 == in.size() || (i + 2 == in.size() && in.back() == '='));
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/' || padding;
        if (!ok) {
            return std::nullopt;
        }
    }
    std::string out(3 * (in.size() / 4), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(in.data()),
                                  static_cast<int>(in.size()));
    if (n < 0) {
        return std::nullopt;
    }
    std::size_t len = static_cast<std::size_t>(n);
    if (in.ends_with("==")) {
        len -= 2;
    } else if (in.ends_with("=")) {
        len -= 1;
    }
    out.resize(len);
    return out;
}

std::string hex_encode(std::string_view in)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(in.size() * 2);
    for (unsigned char c : in) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string sha1(std::string_view data)
{
    std::string out(SHA_DIGEST_LENGTH, '\0');
    SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
    return out;
}

namespace {
std::string hmac(const EVP_MD* md, std::string_view key, std::string_view data)
{
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned int n = 0;
    CHORUS_CHECK(HMAC(md, key.data(), static_cast<int>(key.size()),
                      reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                      reinterpret_cast<unsigned char*>(out.data()), &n) != nullptr);
    out.resize(n);
    return out;
}
}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data)
{
    return hmac(EVP_sha256(), key, data);
}

std::string hmac_sha1(std::string_view key, std::string_view data)
{
    return hmac(EVP_sha1(), key, data);
}

bool equal_constant_time(std::string_view a, std::string_view b) noexcept
{
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_bytes(std::size_t n)
{
    std::string out(n, '\0');
    CHORUS_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) ==
                 1);
    return out;
}

void append_escaped_line(std::string_view v, std::string& out)
{
    for (char c : v) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
}

std::string unescape_line(std::string_view v)
{
    std::string out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) {
            out += v[++i] == 'n' ? '\n' : v[i];
        } else {
            out += v[i];
        }
    }
    return out;
}

}  // namespace chorus
