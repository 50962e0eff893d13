// Certificate identities of XMPP servers (RFC 6125, XEP-0178).
#include "net/cert_identity.h"

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace chorus::net {

namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

std::string_view text_of(const ASN1_STRING* s)
{
    return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
            static_cast<std::size_t>(ASN1_STRING_length(s))};
}

/// The otherName identities of subjectAltName that XMPP defines.
bool other_name_matches(const OTHERNAME* other, std::string_view domain)
{
    static const ASN1_OBJECT* srv_oid = OBJ_txt2obj("1.3.6.1.5.5.7.8.7", 1);   // id-on-dnsSRV
    static const ASN1_OBJECT* xmpp_oid = OBJ_txt2obj("1.3.6.1.5.5.7.8.5", 1);  // id-on-xmppAddr
    if (!other || !other->value) {
        return false;
    }
    if (srv_oid && OBJ_cmp(other->type_id, srv_oid) == 0 &&
        other->value->type == V_ASN1_IA5STRING) {
        constexpr std::string_view service = "_xmpp-server.";
        const auto name = text_of(other->value->value.ia5string);
        return name.size() > service.size() &&
               equals_ignoring_case(name.substr(0, service.size()), service) &&
               equals_ignoring_case(name.substr(service.size()), domain);
    }
    if (xmpp_oid && OBJ_cmp(other->type_id, xmpp_oid) == 0 &&
        other->value->type == V_ASN1_UTF8STRING) {
        return equals_ignoring_case(text_of(other->value->value.utf8string), domain);
    }
    return false;
}

}  // namespace

bool certificate_names_domain(X509* certificate, std::string_view domain)
{
    if (!certificate || domain.empty()) {
        return false;
    }
    // DNS-ID (and the subject CN when the certificate has no dNSName, RFC 6125 §6.4.4).
    if (X509_check_host(certificate, domain.data(), domain.size(),
                        X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, nullptr) == 1) {
        return true;
    }
    std::unique_ptr<GENERAL_NAMES, decltype(&GENERAL_NAMES_free)> names(
        static_cast<GENERAL_NAMES*>(
            X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)),
        GENERAL_NAMES_free);
    if (!names) {
        return false;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type == GEN_OTHERNAME && other_name_matches(name->d.otherName, domain)) {
            return true;
        }
    }
    return false;
}

}  // namespace chorus::net
