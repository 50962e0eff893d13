// Server Dialback (XEP-0220) keys and the pure checks around them.
#pragma once

#include <string>
#include <string_view>

namespace chorus::stream {

/// XEP-0220 §2.4 (XEP-0185): HMAC-SHA256(hex(SHA256(secret)), "receiving originating
/// stream-id"), lowercase hex. Only the server that made a key checks it, so the secret
/// never leaves this process.
std::string dialback_key(std::string_view secret, std::string_view receiving,
                         std::string_view originating, std::string_view stream_id);
/// Compares a received key with the expected one in constant time.
bool dialback_key_matches(std::string_view expected, std::string_view received) noexcept;
/// A fresh stream id (RFC 6120 §4.7.3: unpredictable; dialback keys depend on it).
std::string new_stream_id();

}  // namespace chorus::stream
