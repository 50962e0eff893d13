// TLS 1.3 record protection (RFC 8446 section 5) and traffic key updates (section 7.2) for
// one direction of an established connection: what is left of TLS once the handshake is
// over. OpenSSL runs the handshake; the keys then move here (as kernel TLS takes them).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace chorus::net {

/// The TLS 1.3 cipher suites the server offers (src/net/tls.cpp).
enum class Tls13Suite : std::uint8_t { aes_128_gcm_sha256, aes_256_gcm_sha384, chacha20_poly1305 };

/// The suite with this IANA code point (0x1301..0x1303), or false.
bool tls13_suite_from_id(std::uint16_t id, Tls13Suite& suite);

/// How many of this thread's cipher contexts hold the key of a live Tls13Direction: a
/// direction clears what it keyed when it ends.
std::size_t tls13_keyed_contexts() noexcept;

namespace tls13 {
constexpr std::size_t header_size = 5;
constexpr std::size_t tag_size = 16;
constexpr std::size_t max_plaintext = 16384;
/// Content, content type and padding together (RFC 8446 5.4).
constexpr std::size_t max_inner_plaintext = max_plaintext + 1;
constexpr std::size_t max_ciphertext = max_plaintext + 256;  // RFC 8446 5.2
/// Bytes a record adds around its content: header, inner content type, AEAD tag.
constexpr std::size_t overhead = header_size + 1 + tag_size;

enum ContentType : std::uint8_t { alert = 21, handshake = 22, application_data = 23 };
enum AlertDescription : std::uint8_t {
    close_notify = 0,
    unexpected_message = 10,
    bad_record_mac = 20,
    record_overflow = 22,
    decode_error = 50,
};
}  // namespace tls13

class Tls13Direction {
public:
    static constexpr std::size_t max_secret = 48;  // SHA-384

    Tls13Direction() = default;
    ~Tls13Direction();
    Tls13Direction(const Tls13Direction&) = delete;
    Tls13Direction& operator=(const Tls13Direction&) = delete;

    /// Takes a traffic secret and derives its key and IV; the next record is number sequence.
    bool init(Tls13Suite suite, std::span<const unsigned char> secret, std::uint64_t sequence);
    /// Moves to the next traffic secret (a KeyUpdate sent or received).
    bool update();

    /// Protects content as one record of the given type into out, which has room for
    /// content.size() + tls13::overhead bytes; returns the record's size.
    std::size_t seal(tls13::ContentType type, std::span<const char> content, char* out);
    /// Unprotects the whole record at record (header included) in place. On success the
    /// content starts at record + header_size; padding is removed.
    bool open(char* record, std::size_t record_size, tls13::ContentType& type,
              std::size_t& content_size);

    std::uint64_t sequence() const noexcept { return sequence_; }

private:
    bool derive_key_and_iv();
    void nonce(unsigned char (&out)[12]) const;

    std::array<unsigned char, max_secret> secret_{};
    std::array<unsigned char, 32> key_{};
    std::array<unsigned char, 12> iv_{};
    std::uint64_t sequence_ = 0;
    Tls13Suite suite_ = Tls13Suite::chacha20_poly1305;
    std::uint8_t secret_size_ = 0;
};

}  // namespace chorus::net
