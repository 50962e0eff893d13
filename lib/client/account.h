// Account: where and how a device connects (stored in its profile), and the client's errors.
#pragma once

#include <cstdint>
#include <string>

#include "jid/jid.h"

namespace chorus::client {

struct Account {
    Jid jid;  // user@domain/resource: the resource this device binds
    std::string password;
    std::string host;         // empty: the JID's domain
    std::uint16_t port = 0;   // 0: 5222, or 5223 with direct_tls
    bool direct_tls = false;  // XEP-0368 TLS from the first byte; else STARTTLS (required)
    // Trust: the system's CAs and the domain name (RFC 6125); or a pinned SHA-256 of the
    // server's certificate; or, once, trust on first use (the caller then pins what it got).
    std::string pinned_sha256;  // hex, lower case
    bool trust_on_first_use = false;
    bool allow_imng = true;  // false: behave as a client without IM-NG (Carbons + MAM)
};

enum class ErrorKind {
    unknown_host,
    connect,
    tls,
    certificate,
    auth,
    bind,
    stream,
    timeout,
    protocol,
    storage,
    bad_input,
};

struct ClientError {
    ErrorKind kind = ErrorKind::protocol;
    std::string message;  // English, for people: says what to do where it can
};

std::string_view error_kind_name(ErrorKind k) noexcept;

}  // namespace chorus::client
