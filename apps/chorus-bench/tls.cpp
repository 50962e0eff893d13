// apps/chorus-bench/tls.cpp: the clients' SSL_CTX in a library context of its own.
//
// Every TLS handshake parses the server's certificate (d2i_X509), and OpenSSL 3.0 decodes its
// public key through OSSL_DECODER_CTX_new_for_pkey, which on every call walks every decoder of
// the library context and, through EVP_KEYMGMT_do_all_provided, every algorithm the context has
// fetched so far (OpenSSL 3.0 has no decoder cache). In the default context, with libssl's
// ciphers and the default provider's 40 decoders loaded, that cost ~1.2 M instructions (~45 us)
// per handshake: a quarter of the generator's CPU per STARTTLS login.
//
// So the SSL_CTX lives in its own OSSL_LIB_CTX whose only provider is a pass-through to the
// default provider: the same implementations with the same provider context, listed from the
// default provider's own tables, but only the entries TLS uses: the DER SubjectPublicKeyInfo
// decoders and the ciphers, digests, MACs, KDFs, key types and signatures that libssl fetches.
// Nothing is reimplemented: the handshake, the ClientHello (checked byte for byte against the
// default context's) and the check of the server's CertificateVerify signature are OpenSSL's.
#include "tls.h"

#include <openssl/core_dispatch.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/provider.h>

#include <strings.h>

#include <algorithm>
#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::bench {
namespace {

constexpr const char* lean_provider_name = "chorus-bench-default";

// Ciphers and digests as libssl fetches them: by the short names of the NIDs in ssl_ciph.c's
// tables (ssl_load_ciphers, and the stitched CBC-HMAC ciphers of ssl_cipher_get_evp), plus the
// literal names in ssl/. One missing would drop cipher suites or signature algorithms from the
// ClientHello, so the lists take the whole tables, legacy entries the default provider lacks
// included.
constexpr int tls_cipher_nids[] = {NID_des_cbc,
                                   NID_des_ede3_cbc,
                                   NID_rc4,
                                   NID_rc2_cbc,
                                   NID_idea_cbc,
                                   NID_aes_128_cbc,
                                   NID_aes_256_cbc,
                                   NID_camellia_128_cbc,
                                   NID_camellia_256_cbc,
                                   NID_seed_cbc,
                                   NID_aes_128_gcm,
                                   NID_aes_256_gcm,
                                   NID_aes_128_ccm,
                                   NID_aes_256_ccm,
                                   NID_chacha20_poly1305,
                                   NID_aria_128_gcm,
                                   NID_aria_256_gcm,
                                   NID_rc4_hmac_md5,
                                   NID_aes_128_cbc_hmac_sha1,
                                   NID_aes_256_cbc_hmac_sha1,
                                   NID_aes_128_cbc_hmac_sha256,
                                   NID_aes_256_cbc_hmac_sha256};
constexpr int tls_digest_nids[] = {NID_md5,    NID_sha1,   NID_sha224,  NID_sha256,
                                   NID_sha384, NID_sha512, NID_md5_sha1};

// The key types a TLS server certificate can have. Not SM2: its keys share the EC OID, and its
// decoder would be tried on every EC key in vain; not "DER", which only re-reads the structure
// to name the key type, as the certificate's algorithm OID already does.
const std::vector<std::string> signing_key_types{"RSA", "RSA-PSS", "EC", "ED25519", "ED448", "DSA"};

std::vector<std::string> short_names(const int* nids, std::size_t count,
                                     std::vector<std::string> more)
{
    for (std::size_t i = 0; i < count; ++i) {
        if (const char* sn = OBJ_nid2sn(nids[i]); sn != nullptr) {
            more.emplace_back(sn);
        }
    }
    return more;
}

// Whether one of the colon-separated names is in wanted (names are case-insensitive).
bool names_one_of(std::string_view names, const std::vector<std::string>& wanted)
{
    while (!names.empty()) {
        const std::size_t colon = std::min(names.find(':'), names.size());
        const std::string_view name = names.substr(0, colon);
        for (const std::string& w : wanted) {
            if (w.size() == name.size() && strncasecmp(w.data(), name.data(), name.size()) == 0) {
                return true;
            }
        }
        names.remove_prefix(std::min(colon + 1, names.size()));
    }
    return false;
}

struct Subset {
    int operation;
    std::vector<OSSL_ALGORITHM> algorithms;  // ends with {}
};

struct LeanDefault {
    OSSL_PROVIDER* base = nullptr;  // "default", in the process's default library context
    std::vector<Subset> subsets;    // the operations offered in part; the others in full
};

template <class Keep>
Subset subset(OSSL_PROVIDER* base, int operation, Keep keep)
{
    Subset s{operation, {}};
    int no_cache = 0;
    const OSSL_ALGORITHM* all = OSSL_PROVIDER_query_operation(base, operation, &no_cache);
    for (const OSSL_ALGORITHM* a = all; a != nullptr && a->algorithm_names != nullptr; ++a) {
        const std::string_view props =
            a->property_definition != nullptr ? a->property_definition : "";
        if (keep(std::string_view(a->algorithm_names), props)) {
            s.algorithms.push_back(*a);
        }
    }
    OSSL_PROVIDER_unquery_operation(base, operation, all);
    s.algorithms.push_back(OSSL_ALGORITHM{nullptr, nullptr, nullptr, nullptr});
    return s;
}

Subset subset_named(OSSL_PROVIDER* base, int operation, const std::vector<std::string>& wanted)
{
    return subset(base, operation, [&](std::string_view names, std::string_view) {
        return names_one_of(names, wanted);
    });
}

LeanDefault& lean_default()
{
    static LeanDefault lean = [] {
        LeanDefault l;
        l.base = OSSL_PROVIDER_load(nullptr, "default");  // kept for the process's life
        if (l.base == nullptr) {
            return l;
        }
        l.subsets.push_back(
            subset(l.base, OSSL_OP_DECODER, [](std::string_view names, std::string_view props) {
                // A server certificate's key: DER SubjectPublicKeyInfo of a signing key type.
                return props.find("input=der") != std::string_view::npos &&
                       props.find("structure=SubjectPublicKeyInfo") != std::string_view::npos &&
                       names_one_of(names, signing_key_types);
            }));
        l.subsets.push_back(subset_named(
            l.base, OSSL_OP_CIPHER,
            short_names(tls_cipher_nids, std::size(tls_cipher_nids), {"NULL", "AES-256-CBC"})));
        l.subsets.push_back(
            subset_named(l.base, OSSL_OP_DIGEST,
                         short_names(tls_digest_nids, std::size(tls_digest_nids), {"SHA2-256"})));
        // TLS 1.2 record MACs are HMAC keys; the TLS 1.3 key schedule is TLS13-KDF on HKDF.
        l.subsets.push_back(subset_named(l.base, OSSL_OP_MAC, {"HMAC"}));
        l.subsets.push_back(subset_named(l.base, OSSL_OP_KDF, {"HKDF", "TLS13-KDF", "TLS1-PRF"}));
        // The key types of the groups (EC, X25519, X448, DH) and of the signature algorithms a
        // ClientHello offers, and HMAC for those MAC keys.
        const std::vector<std::string> key_types{"DH",     "DSA",  "RSA",     "RSA-PSS", "EC",
                                                 "X25519", "X448", "ED25519", "ED448",   "HMAC"};
        l.subsets.push_back(subset_named(l.base, OSSL_OP_KEYMGMT, key_types));
        l.subsets.push_back(subset_named(l.base, OSSL_OP_SIGNATURE,
                                         {"DSA", "RSA", "ECDSA", "ED25519", "ED448", "HMAC"}));
        l.subsets.push_back(
            subset_named(l.base, OSSL_OP_KEYEXCH, {"DH", "ECDH", "X25519", "X448"}));
        return l;
    }();
    return lean;
}

const std::vector<OSSL_ALGORITHM>* subset_for(int operation)
{
    for (const Subset& s : lean_default().subsets) {
        if (s.operation == operation) {
            return &s.algorithms;
        }
    }
    return nullptr;
}

// The provider's functions get the default provider's own context (see lean_init), so these
// find their state in lean_default().
const OSSL_ALGORITHM* lean_query(void*, int operation, int* no_cache)
{
    if (const auto* algorithms = subset_for(operation)) {
        *no_cache = 0;
        return algorithms->data();
    }
    return OSSL_PROVIDER_query_operation(lean_default().base, operation, no_cache);
}

void lean_unquery(void*, int operation, const OSSL_ALGORITHM* algorithms)
{
    if (subset_for(operation) == nullptr) {
        OSSL_PROVIDER_unquery_operation(lean_default().base, operation, algorithms);
    }
}

// The TLS-GROUP capabilities: the groups a ClientHello offers come from here.
int lean_capabilities(void*, const char* capability, OSSL_CALLBACK* callback, void* arg)
{
    return OSSL_PROVIDER_get_capabilities(lean_default().base, capability, callback, arg);
}

const OSSL_DISPATCH lean_dispatch[] = {
    {OSSL_FUNC_PROVIDER_QUERY_OPERATION, reinterpret_cast<void (*)()>(lean_query)},
    {OSSL_FUNC_PROVIDER_UNQUERY_OPERATION, reinterpret_cast<void (*)()>(lean_unquery)},
    {OSSL_FUNC_PROVIDER_GET_CAPABILITIES, reinterpret_cast<void (*)()>(lean_capabilities)},
    {0, nullptr}};

int lean_init(const OSSL_CORE_HANDLE*, const OSSL_DISPATCH*, const OSSL_DISPATCH** out,
              void** provctx)
{
    const LeanDefault& lean = lean_default();
    if (lean.base == nullptr) {
        return 0;
    }
    // The default provider's implementations expect its context: they keep fetching what they
    // need (digests for ECDSA, the DRBG) from the process's default library context. No
    // teardown: the context stays the default provider's.
    *provctx = OSSL_PROVIDER_get0_provider_ctx(lean.base);
    *out = lean_dispatch;
    return 1;
}

std::string openssl_error(const char* what)
{
    char text[256] = "";
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    return std::string("chorus-bench: ") + what + ": " + text;
}

}  // namespace

TlsClientContext::TlsClientContext(bool lean)
{
    if (lean) {
        libctx_ = OSSL_LIB_CTX_new();
        if (libctx_ == nullptr ||
            !OSSL_PROVIDER_add_builtin(libctx_, lean_provider_name, lean_init) ||
            (provider_ = OSSL_PROVIDER_load(libctx_, lean_provider_name)) == nullptr) {
            const std::string error = openssl_error("TLS library context");
            OSSL_LIB_CTX_free(libctx_);
            throw std::runtime_error(error);
        }
    }
    ctx_ = SSL_CTX_new_ex(libctx_, nullptr, TLS_client_method());
    if (ctx_ == nullptr) {
        const std::string error = openssl_error("SSL_CTX_new_ex");
        OSSL_PROVIDER_unload(provider_);
        OSSL_LIB_CTX_free(libctx_);
        throw std::runtime_error(error);
    }
    // As boost::asio::ssl::context(tls_client) had it, so the ClientHello stays the same.
    SSL_CTX_set_options(ctx_, SSL_OP_NO_COMPRESSION);
    // A benchmark against loopback servers with self-signed certificates: no verification.
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    // SSL_VERIFY_NONE still builds and checks the chain; skipping it saves CPU per login. The
    // server's CertificateVerify signature is still checked by OpenSSL, as in any handshake.
    SSL_CTX_set_cert_verify_callback(
        ctx_, [](X509_STORE_CTX*, void*) { return 1; }, nullptr);
    // An idle session gives its record buffers back until it reads or writes again.
    SSL_CTX_set_mode(ctx_, SSL_MODE_RELEASE_BUFFERS);
}

TlsClientContext::~TlsClientContext()
{
    SSL_CTX_free(ctx_);
    if (provider_ != nullptr) {
        OSSL_PROVIDER_unload(provider_);
    }
    OSSL_LIB_CTX_free(libctx_);
}

}  // namespace chorus::bench
