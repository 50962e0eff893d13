// Whether a peer certificate names an XMPP server domain (RFC 6125 §6, RFC 6120 §13.7.1.2,
// XEP-0178 §3): a DNS-ID (subjectAltName dNSName, a wildcard in the left-most label
// allowed), an SRV-ID (id-on-dnsSRV "_xmpp-server.<domain>", RFC 4985) or an XmppAddr
// (id-on-xmppAddr) equal to the domain. The chain itself is checked by the TLS layer.
#pragma once

#include <openssl/x509.h>

#include <string_view>

namespace chorus::net {

bool certificate_names_domain(X509* certificate, std::string_view domain);

}  // namespace chorus::net
