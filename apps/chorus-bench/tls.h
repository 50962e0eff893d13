// apps/chorus-bench/tls.h: the clients' OpenSSL context: TLS_client_method without certificate
// checks, by default in a library context of its own whose only provider passes through the
// default provider's algorithms that TLS uses, and no others (see tls.cpp for why).
#pragma once

#include <openssl/ssl.h>

namespace chorus::bench {

class TlsClientContext {
public:
    /// lean: in the library context of tls.cpp; otherwise in OpenSSL's default one. Throws
    /// std::runtime_error if OpenSSL cannot set it up.
    explicit TlsClientContext(bool lean);
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext&) = delete;
    TlsClientContext& operator=(const TlsClientContext&) = delete;

    SSL_CTX* get() const { return ctx_; }

private:
    OSSL_LIB_CTX* libctx_ = nullptr;
    OSSL_PROVIDER* provider_ = nullptr;
    SSL_CTX* ctx_ = nullptr;
};

}  // namespace chorus::bench
