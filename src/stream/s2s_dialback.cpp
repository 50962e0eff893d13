// Server Dialback key generation (XEP-0220 §2.4, the XEP-0185 recommendation).
#include "stream/s2s_dialback.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/encoding.h"
#include "stanza/namespaces.h"
#include "xml/serializer.h"

namespace chorus::stream {

std::string dialback_key(std::string_view secret, std::string_view receiving,
                         std::string_view originating, std::string_view stream_id)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(secret.data(), secret.size(), digest, &size, EVP_sha256(), nullptr);
    const std::string key =
        hex_encode(std::string_view(reinterpret_cast<const char*>(digest), size));
    std::string data;
    data.reserve(receiving.size() + originating.size() + stream_id.size() + 2);
    data.append(receiving).append(" ").append(originating).append(" ").append(stream_id);
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &size);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

bool dialback_key_matches(std::string_view expected, std::string_view received) noexcept
{
    return expected.size() == received.size() &&
           CRYPTO_memcmp(expected.data(), received.data(), expected.size()) == 0;
}

std::string new_stream_id()
{
    return hex_encode(random_bytes(16));
}

void serialize_dialback(const xml::Element& element, std::string& out)
{
    out.append("<db:").append(element.name());
    for (const auto& a : element.attrs()) {
        out.append(" ").append(a.name).append("='");
        xml::escape_attr(a.value, out);
        out.append("'");
    }
    out.append(">");
    for (const auto& child : element.nodes()) {
        xml::serialize(child, out, ns::client);  // a stanza <error/>: the stream's default
    }
    out.append("</db:").append(element.name()).append(">");
}

}  // namespace chorus::stream
