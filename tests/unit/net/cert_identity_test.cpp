// Certificate identities of XMPP servers (RFC 6125, XEP-0178): DNS-ID, SRV-ID, XmppAddr.
#include "net/cert_identity.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace chorus::net {
namespace {

using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

/// A self-signed certificate with this CN and subjectAltName (OpenSSL's config syntax).
CertPtr make_cert(const std::string& cn, const std::string& san)
{
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
    CertPtr cert(X509_new(), X509_free);
    X509_set_version(cert.get(), 2);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_set_pubkey(cert.get(), key.get());
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    if (!san.empty()) {
        X509V3_CTX ctx;
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
        X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
        EXPECT_NE(ext, nullptr) << san;
        X509_add_ext(cert.get(), ext, -1);
        X509_EXTENSION_free(ext);
    }
    X509_sign(cert.get(), key.get(), EVP_sha256());
    return cert;
}

TEST(CertIdentity, DnsIdAndLeftMostWildcard)
{
    auto cert = make_cert("ignored", "DNS:example.org, DNS:*.chat.example.org");
    EXPECT_TRUE(certificate_names_domain(cert.get(), "example.org"));
    EXPECT_TRUE(certificate_names_domain(cert.get(), "EXAMPLE.org"));
    EXPECT_TRUE(certificate_names_domain(cert.get(), "muc.chat.example.org"));
    EXPECT_FALSE(certificate_names_domain(cert.get(), "a.b.chat.example.org"));
    EXPECT_FALSE(certificate_names_domain(cert.get(), "evil.org"));
    EXPECT_FALSE(certificate_names_domain(cert.get(), "ignored")) << "CN only without a DNS-ID";
}

TEST(CertIdentity, SrvIdNamesTheXmppServerService)
{
    auto cert = make_cert("B server", "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.b.org");
    EXPECT_TRUE(certificate_names_domain(cert.get(), "b.org"));
    EXPECT_FALSE(certificate_names_domain(cert.get(), "c.org"));
    auto client = make_cert("x", "otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-client.b.org");
    EXPECT_FALSE(certificate_names_domain(client.get(), "b.org")) << "the c2s service";
}

TEST(CertIdentity, XmppAddrOfTheDomain)
{
    auto cert = make_cert("x", "otherName:1.3.6.1.5.5.7.8.5;UTF8:x.org");
    EXPECT_TRUE(certificate_names_domain(cert.get(), "x.org"));
    EXPECT_FALSE(certificate_names_domain(cert.get(), "y.org"));
}

TEST(CertIdentity, CommonNameOnlyWhenNoSubjectAltName)
{
    auto cert = make_cert("legacy.org", "");
    EXPECT_TRUE(certificate_names_domain(cert.get(), "legacy.org"));  // RFC 6125 §6.4.4
    EXPECT_FALSE(certificate_names_domain(nullptr, "legacy.org"));
    EXPECT_FALSE(certificate_names_domain(cert.get(), ""));
}

}  // namespace
}  // namespace chorus::net
