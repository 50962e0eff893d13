// TlsConnection: OpenSSL directly on a non-blocking socket, without Asio's ssl::stream.
// Asio's stream keeps a BIO pair and two staging vectors, about 68 KiB per session even
// when idle; here OpenSSL reads and writes the socket itself, and with
// SSL_MODE_RELEASE_BUFFERS an idle session holds no record buffer at all.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace chorus::net {

class TlsConnection {
public:
    /// What an operation needs next: done, or the socket to become readable/writable.
    enum class Io { done, want_read, want_write, closed, failed };

    /// A server-side connection on fd (not owned: the caller's socket closes it).
    TlsConnection(SSL_CTX* context, int fd);
    ~TlsConnection();
    TlsConnection(const TlsConnection&) = delete;
    TlsConnection& operator=(const TlsConnection&) = delete;

    SSL* native_handle() const noexcept { return ssl_; }

    Io handshake();
    /// Decrypts at most capacity bytes into buffer; count is set when done.
    Io read(char* buffer, std::size_t capacity, std::size_t& count);
    /// Encrypts and sends from data; count (set when done) may be less than size. After
    /// want_write the next call must pass the same bytes again (they may have moved).
    Io write(const char* data, std::size_t size, std::size_t& count);
    /// Decrypted bytes or a received record are buffered: read without waiting.
    bool has_pending() const;
    /// Sends close_notify if the socket takes it now; never waits.
    void shutdown();
    /// The reason of the last failed operation, for the log.
    const std::string& error() const noexcept { return error_; }

private:
    Io outcome(int ret);

    SSL* ssl_;
    std::string error_;
    bool starved_ = false;  // the last read() wanted bytes the socket has not brought yet
};

}  // namespace chorus::net
