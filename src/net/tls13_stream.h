// Tls13Stream: an established TLS 1.3 connection on a non-blocking socket, after OpenSSL has
// run the handshake and been freed. It holds two traffic keys (about 0.3 KiB) where an idle
// OpenSSL session holds about 14 KiB, and buffers only what a socket leaves half done: part
// of a record read, part of a record written.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "net/tls13_records.h"

namespace chorus::net {

class Tls13Stream {
public:
    enum class Io { done, want_read, want_write, closed, failed };

    /// fd is not owned. written: the records the server has sent under its first
    /// application traffic secret (its session tickets).
    Tls13Stream(int fd, Tls13Suite suite, std::span<const unsigned char> client_secret,
                std::span<const unsigned char> server_secret, std::uint64_t written);
    /// False when the keys could not be derived (the stream is unusable).
    bool ready() const noexcept { return !failed_; }

    /// The same contract as TlsConnection's read, write, has_pending and shutdown.
    /// read() answers a close_notify with ours (RFC 8446 6.1); write() fails after it.
    Io read(char* buffer, std::size_t capacity, std::size_t& count);
    Io write(const char* data, std::size_t size, std::size_t& count);
    bool has_pending() const noexcept { return plain_offset_ < plain_.size(); }
    void shutdown();
    const std::string& error() const noexcept { return error_; }

    /// Records sealed before the sending key is updated on our own initiative; far below
    /// the AEAD usage limits of RFC 8446 5.5 (2^24.5 records for AES-GCM).
    static constexpr std::uint64_t records_per_key = std::uint64_t{1} << 23;
    /// Records in a row that carry no application data (empty, warning alerts, KeyUpdate)
    /// before the stream fails: OpenSSL's MAX_EMPTY_RECORDS.
    static constexpr std::uint8_t max_records_without_data = 32;

private:
    enum class Step { more, stop, failed };
    Step on_record(char* record, std::size_t size, char* buffer, std::size_t capacity,
                   std::size_t& count);
    Step on_handshake(std::span<const char> content);
    /// Counts a record that carried no application data; fails past the limit.
    Step without_data();
    /// Io::closed, after sending our close_notify if the socket takes it now.
    Io answer_close();
    /// Seals content as records into out (room: size + overhead per 16 KiB); returns bytes.
    std::size_t seal(tls13::ContentType type, std::span<const char> content, char* out);
    /// Sends out_; false on a socket error (failed_ set).
    bool flush();
    /// Sends what the socket takes of data now and keeps the rest in out_.
    bool send_or_keep(const char* data, std::size_t size);
    Io fail(std::string reason, tls13::AlertDescription alert);

    int fd_;
    Tls13Direction read_;
    Tls13Direction write_;
    std::string in_;     // the start of a record not yet whole
    std::string plain_;  // decrypted bytes the caller's buffer had no room for
    std::size_t plain_offset_ = 0;
    std::string handshake_;  // a handshake message split across records
    std::string out_;        // sealed bytes the socket has not taken yet
    std::size_t owed_ = 0;   // what the write that left out_ behind will report
    std::string error_;
    bool closed_ = false;  // close_notify received
    bool failed_ = false;
    bool close_sent_ = false;
    bool answer_queued_ = false;  // out_ holds our KeyUpdate answering the client's request
    std::uint8_t records_without_data_ = 0;  // in a row, since the last one with data
};

}  // namespace chorus::net
