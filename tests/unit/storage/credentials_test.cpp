// Tests for src/storage/credentials.cpp against the RFC 5802 §5 and RFC 7677 §3 exchanges.
#include "storage/credentials.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <string_view>

namespace chorus::storage {
namespace {

std::string base64_decode(std::string_view in)
{
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    EXPECT_GE(n, 0);
    // EVP_DecodeBlock decodes padding as zero bytes; drop them.
    std::size_t padding = 0;
    while (padding < in.size() && in[in.size() - 1 - padding] == '=') {
        ++padding;
    }
    out.resize(static_cast<std::size_t>(n) - padding);
    return out;
}

std::string hmac(ScramHash hash, std::string_view key, std::string_view data)
{
    const EVP_MD* md = hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string digest(ScramHash hash, std::string_view data)
{
    const EVP_MD* md = hash == ScramHash::sha1 ? EVP_sha1() : EVP_sha256();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string xor_bytes(std::string a, std::string_view b)
{
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        a[i] = static_cast<char>(a[i] ^ b[i]);
    }
    return a;
}

// One RFC example exchange, checked the way a server checks it: with StoredKey and
// ServerKey only (RFC 5802 §3).
struct Exchange {
    ScramHash hash;
    const char* salt_b64;
    const char* auth_message;
    const char* client_proof_b64;
    const char* server_signature_b64;
};

void expect_exchange_verifies(const Exchange& x)
{
    ScramKeys keys = derive_scram_keys(x.hash, "pencil", base64_decode(x.salt_b64), 4096);
    EXPECT_EQ(keys.iterations, 4096);
    EXPECT_EQ(keys.salt, base64_decode(x.salt_b64));
    // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) == StoredKey.
    std::string client_signature = hmac(x.hash, keys.stored_key, x.auth_message);
    std::string client_key = xor_bytes(base64_decode(x.client_proof_b64), client_signature);
    EXPECT_EQ(digest(x.hash, client_key), keys.stored_key);
    // ServerSignature = HMAC(ServerKey, AuthMessage).
    EXPECT_EQ(hmac(x.hash, keys.server_key, x.auth_message), base64_decode(x.server_signature_b64));
}

TEST(Credentials, Rfc5802Section5ExchangeVerifiesWithSha1Keys)
{
    expect_exchange_verifies({
        ScramHash::sha1,
        "QSXCR+Q6sek8bf92",
        "n=user,r=fyko+d2lbbFgONRv9qkxdawL,"
        "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096,"
        "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
        "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        "rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    });
}

TEST(Credentials, Rfc7677Section3ExchangeVerifiesWithSha256Keys)
{
    expect_exchange_verifies({
        ScramHash::sha256,
        "W22ZaJ0SNY7soEsUEjb6gQ==",
        "n=user,r=rOprNGfwEbeRWgbNEkqO,"
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
        "i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
        "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
    });
}

TEST(Credentials, MakeCredentialsUsesFreshSaltsForBothHashes)
{
    auto a = make_credentials("pencil", 4096);
    auto b = make_credentials("pencil", 4096);
    ASSERT_TRUE(a.has_value());
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(a->sha1.salt.size(), 16u);
    EXPECT_EQ(a->sha256.salt.size(), 16u);
    EXPECT_NE(a->sha1.salt, a->sha256.salt);
    EXPECT_NE(a->sha1.salt, b->sha1.salt);
    EXPECT_EQ(a->sha1.iterations, 4096);
    EXPECT_EQ(a->sha256.iterations, 4096);
    EXPECT_EQ(a->sha1.stored_key.size(), 20u);
    EXPECT_EQ(a->sha1.server_key.size(), 20u);
    EXPECT_EQ(a->sha256.stored_key.size(), 32u);
    EXPECT_EQ(a->sha256.server_key.size(), 32u);
    EXPECT_NE(a->sha1.stored_key, b->sha1.stored_key);
}

TEST(Credentials, VerifyPasswordAcceptsTheRightPasswordOnly)
{
    auto creds = make_credentials("pencil", 4096);
    ASSERT_TRUE(creds.has_value());
    EXPECT_TRUE(verify_password(creds->sha1, ScramHash::sha1, "pencil"));
    EXPECT_TRUE(verify_password(creds->sha256, ScramHash::sha256, "pencil"));
    EXPECT_FALSE(verify_password(creds->sha1, ScramHash::sha1, "Pencil"));
    EXPECT_FALSE(verify_password(creds->sha256, ScramHash::sha256, "pencil "));
    EXPECT_FALSE(verify_password(creds->sha256, ScramHash::sha256, ""));
    // Keys of one hash never verify as the other.
    EXPECT_FALSE(verify_password(creds->sha1, ScramHash::sha256, "pencil"));
    EXPECT_FALSE(verify_password(ScramKeys{}, ScramHash::sha1, "pencil"));
}

TEST(Credentials, PasswordIsSaslpreppedBeforeDerivation)
{
    // RFC 4013 §3: U+00AD maps to nothing, U+00A0 maps to SPACE, U+2168 (Roman IX) to "IX".
    auto creds = make_credentials("I\u00ADX x", 4096);
    ASSERT_TRUE(creds.has_value());
    EXPECT_TRUE(verify_password(creds->sha256, ScramHash::sha256, "IX x"));
    EXPECT_TRUE(verify_password(creds->sha256, ScramHash::sha256, "\u2168\u00A0x"));
    EXPECT_FALSE(verify_password(creds->sha256, ScramHash::sha256, "ix x"));
}

TEST(Credentials, ProhibitedOrEmptyPasswordsAreRefused)
{
    EXPECT_FALSE(make_credentials("", 4096).has_value());
    EXPECT_FALSE(make_credentials("\u00AD", 4096).has_value());  // empty once prepared
    EXPECT_FALSE(make_credentials("a\x07z", 4096).has_value());  // RFC 4013 example 4
    EXPECT_FALSE(make_credentials(std::string_view("a\0b", 3), 4096).has_value());
    EXPECT_FALSE(make_credentials("\xff\xfe", 4096).has_value());  // not UTF-8
    EXPECT_FALSE(make_credentials("pencil", 0).has_value());
}

}  // namespace
}  // namespace chorus::storage
