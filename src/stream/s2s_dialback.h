// Server Dialback (XEP-0220) keys and the pure checks around them.
#pragma once

#include <string>
#include <string_view>

#include "xml/element.h"

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
/// Appends a <db:result/> or <db:verify/> with the stream's db: prefix (XEP-0220's form:
/// ejabberd matches the qualified name and ignores <result xmlns='jabber:server:dialback'/>).
void serialize_dialback(const xml::Element& element, std::string& out);

}  // namespace chorus::stream
