// TlsConnection: OpenSSL directly on a non-blocking socket, without Asio's ssl::stream.
// Asio's stream keeps a BIO pair and two staging vectors, about 68 KiB per session even
// when idle; here OpenSSL reads and writes the socket itself. Once a TLS 1.3 handshake is
// done the SSL object (about 14 KiB even with SSL_MODE_RELEASE_BUFFERS) is freed and a
// Tls13Stream carries on with the traffic keys alone; TLS 1.2 stays with OpenSSL.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "net/tls13_stream.h"

namespace chorus::net {

class TlsConnection {
public:
    /// What an operation needs next: done, or the socket to become readable/writable.
    using Io = Tls13Stream::Io;

    /// Makes a server context hand its TLS 1.3 sessions over (the traffic secrets'
    /// callback). Connections of a context not prepared stay with OpenSSL.
    static void prepare(SSL_CTX* context);

    /// A server-side connection on fd (not owned: the caller's socket closes it).
    TlsConnection(SSL_CTX* context, int fd);
    ~TlsConnection();
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    /// OpenSSL's session: until the handshake is done, and after it for TLS 1.2 only.
    SSL* native_handle() const noexcept { return ssl_; }

    Io handshake();
    /// Decrypts at most capacity bytes into buffer; count is set when done. Io::closed: the
    /// client's close_notify came and ours has been sent if the socket took it; no more writes.
    Io read(char* buffer, std::size_t capacity, std::size_t& count);
    /// Encrypts and sends from data; count (set when done) may be less than size. After
    /// want_write the next call must pass the same bytes again (they may have moved).
    Io write(const char* data, std::size_t size, std::size_t& count);
    /// Decrypted bytes or a received record are buffered: read without waiting.
    bool has_pending() const;
    /// Sends close_notify if the socket takes it now; never waits.
    void shutdown();
    /// The reason of the last failed operation, for the log.
    const std::string& error() const noexcept { return stream_ ? stream_->error() : error_; }

    /// After the handshake: the protocol version (TLS1_2_VERSION, TLS1_3_VERSION).
    int version() const noexcept { return version_; }
    /// Whether a Tls13Stream carries the connection (the SSL object is gone).
    bool handed_over() const noexcept { return stream_ != nullptr; }
    /// Channel bindings, set by the handshake: RFC 9266 tls-exporter (TLS 1.3 only, else
    /// empty) and RFC 5929 tls-unique (the first Finished message).
    std::string_view tls_exporter() const noexcept;
    std::string_view tls_unique() const noexcept;

    struct Handover;  // what the handshake's callbacks gather for the Tls13Stream

private:
    static void on_keylog(const SSL* ssl, const char* line);
    static void on_message(int write_p, int version, int content_type, const void* data,
                           std::size_t size, SSL* ssl, void* self);
    Io outcome(int ret);
    void on_handshake_done();

    SSL* ssl_;
    int fd_;
    std::unique_ptr<Handover> handover_;
    std::unique_ptr<Tls13Stream> stream_;
    std::string error_;
    std::array<unsigned char, 32> exporter_{};
    std::array<unsigned char, 64> finished_{};
    std::uint8_t exporter_size_ = 0;
    std::uint8_t finished_size_ = 0;
    int version_ = 0;
    bool starved_ = false;  // the last read() wanted bytes the socket has not brought yet
};

}  // namespace chorus::net
