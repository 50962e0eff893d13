// Base64 (RFC 4648 §4) and hex encodings used by SASL, caps and ids; one-line escaping for
// stored text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace chorus {

std::string base64_encode(std::string_view in);
/// nullopt when the input is not canonical base64 (RFC 6120 §6.4.2 incorrect-encoding).
std::optional<std::string> base64_decode(std::string_view in);
std::string hex_encode(std::string_view in);
/// SHA-1 digest (raw bytes) of data.
std::string sha1(std::string_view data);
/// HMAC-SHA-256 / HMAC-SHA-1 (raw bytes) of data under key (upload URLs, TURN credentials).
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string hmac_sha1(std::string_view key, std::string_view data);
/// Constant-time comparison (signatures).
bool equal_constant_time(std::string_view a, std::string_view b) noexcept;
/// Appends v to out as one line: '\\' and '\n' become "\\\\" and "\\n" (stored values that
/// are one line each, or lines joined by '\n').
void append_escaped_line(std::string_view v, std::string& out);
/// The inverse of append_escaped_line for one line.
std::string unescape_line(std::string_view v);
/// Random bytes from the OS CSPRNG.
std::string random_bytes(std::size_t n);

}  // namespace chorus
