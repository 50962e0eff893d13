// Tls13Stream: RFC 8446 records on a non-blocking socket: application data, alerts and the
// one post-handshake message a client may send us, KeyUpdate (section 4.6.3).
#include "net/tls13_stream.h"

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace chorus::net {
namespace {

constexpr std::uint8_t key_update_type = 24;  // HandshakeType key_update
constexpr std::uint8_t illegal_parameter = 47;
constexpr std::uint8_t internal_error = 80;
constexpr std::uint8_t user_canceled = 90;
constexpr std::size_t handshake_header_size = 4;  // type, 24-bit length
constexpr std::size_t key_update_size = 5;        // the header, request_update

// Plaintext sealed by one write(): four full records, one send.
constexpr std::size_t write_chunk = 4 * tls13::max_plaintext;
constexpr std::size_t write_scratch_size =
    write_chunk + 5 * tls13::overhead + key_update_size + tls13::overhead;
// A read lands after what was left of a record: at most one record, then up to 64 KiB.
constexpr std::size_t read_scratch_size = tls13::header_size + tls13::max_ciphertext + 64 * 1024;

// Shared by every session of the thread: an idle session holds no buffer.
char* read_scratch()
{
    static thread_local std::array<char, read_scratch_size> scratch;
    return scratch.data();
}

char* write_scratch()
{
    static thread_local std::array<char, write_scratch_size> scratch;
    return scratch.data();
}

void keep(std::string& kept, const char* data, std::size_t size)
{
    if (size == 0) {
        std::string().swap(kept);
    } else {
        kept.assign(data, size);
    }
}

}  // namespace

Tls13Stream::Tls13Stream(int fd, Tls13Suite suite, std::span<const unsigned char> client_secret,
                         std::span<const unsigned char> server_secret, std::uint64_t written)
    : fd_(fd)
{
    if (!read_.init(suite, client_secret, 0) || !write_.init(suite, server_secret, written)) {
        failed_ = true;
        error_ = "cannot derive the TLS 1.3 traffic keys";
    }
}

Tls13Stream::Io Tls13Stream::fail(std::string reason, tls13::AlertDescription alert)
{
    error_ = std::move(reason);
    if (!failed_ && !close_sent_ && out_.empty()) {  // best effort: a fatal alert, never waits
        close_sent_ = true;
        const char content[2] = {2, static_cast<char>(alert)};
        char record[sizeof content + tls13::overhead];
        if (const std::size_t size = write_.seal(tls13::alert, content, record); size > 0) {
            [[maybe_unused]] const auto sent =
                ::send(fd_, record, size, MSG_DONTWAIT | MSG_NOSIGNAL);
        }
    }
    failed_ = true;
    return Io::failed;
}

Tls13Stream::Io Tls13Stream::read(char* buffer, std::size_t capacity, std::size_t& count)
{
    if (plain_offset_ < plain_.size()) {
        count = std::min(capacity, plain_.size() - plain_offset_);
        std::memcpy(buffer, plain_.data() + plain_offset_, count);
        plain_offset_ += count;
        if (plain_offset_ == plain_.size()) {
            std::string().swap(plain_);
            plain_offset_ = 0;
        }
        return Io::done;
    }
    if (failed_) {
        return Io::failed;
    }
    if (closed_) {
        return answer_close();
    }
    if (!out_.empty() && owed_ == 0) {  // a KeyUpdate answer that no write carries out
        if (!flush()) {
            return Io::failed;
        }
        if (!out_.empty()) {
            return Io::want_write;
        }
    }
    char* scratch = read_scratch();
    std::size_t have = in_.size();
    std::memcpy(scratch, in_.data(), have);
    for (;;) {
        // No more ciphertext than the caller's buffer takes as plaintext, so that plain_
        // stays empty unless the caller reads in small pieces.
        const std::size_t room = read_scratch_size - have;
        const std::size_t want = std::min(room, capacity > have + 4096 ? capacity - have : 4096);
        const ssize_t got = ::recv(fd_, scratch + have, want, MSG_DONTWAIT);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                keep(in_, scratch, have);
                return Io::want_read;
            }
            error_ = std::string("recv: ") + std::strerror(errno);
            failed_ = true;
            return Io::failed;
        }
        if (got == 0) {
            error_ = "connection closed without close_notify";
            failed_ = true;
            return Io::failed;
        }
        have += static_cast<std::size_t>(got);
        std::size_t used = 0;
        count = 0;
        Step step = Step::more;
        while (step == Step::more && have - used >= tls13::header_size) {
            const auto* header = reinterpret_cast<const unsigned char*>(scratch + used);
            const std::size_t length = (std::size_t{header[3]} << 8) | header[4];
            if (length > tls13::max_ciphertext) {
                return fail("TLS record longer than 2^14 + 256 bytes", tls13::record_overflow);
            }
            if (have - used < tls13::header_size + length) {
                break;
            }
            step = on_record(scratch + used, tls13::header_size + length, buffer, capacity, count);
            used += tls13::header_size + length;
        }
        if (step == Step::failed) {
            return Io::failed;
        }
        keep(in_, scratch + used, closed_ ? 0 : have - used);  // after close_notify: ignored
        if (!out_.empty() && owed_ == 0 && !flush()) {
            return Io::failed;
        }
        if (count > 0) {
            return Io::done;
        }
        if (has_pending()) {
            return read(buffer, capacity, count);
        }
        if (closed_) {
            return answer_close();
        }
        have -= used;
        std::memmove(scratch, scratch + used, have);
    }
}

Tls13Stream::Step Tls13Stream::on_record(char* record, std::size_t size, char* buffer,
                                         std::size_t capacity, std::size_t& count)
{
    if (static_cast<std::uint8_t>(record[0]) != tls13::application_data) {
        fail("unprotected TLS record after the handshake", tls13::unexpected_message);
        return Step::failed;
    }
    tls13::ContentType type{};
    std::size_t size_in = 0;
    if (!read_.open(record, size, type, size_in)) {
        fail("TLS record failed authentication", tls13::bad_record_mac);
        return Step::failed;
    }
    const char* content = record + tls13::header_size;
    // RFC 8446 5.4: the limit counts the padding too, so it is checked on the whole inner
    // plaintext (content, its type, zeros), once it is authentic.
    if (size - tls13::header_size - tls13::tag_size > tls13::max_inner_plaintext) {
        fail("TLS inner plaintext longer than 2^14 + 1 bytes", tls13::record_overflow);
        return Step::failed;
    }
    if (type != tls13::handshake && !handshake_.empty()) {
        fail("TLS handshake message interleaved with other records", tls13::unexpected_message);
        return Step::failed;
    }
    switch (type) {
        case tls13::application_data: {
            if (size_in == 0) {
                return without_data();
            }
            records_without_data_ = 0;
            const std::size_t fit = std::min(size_in, capacity - count);
            std::memcpy(buffer + count, content, fit);
            count += fit;
            plain_.append(content + fit, size_in - fit);
            return Step::more;
        }
        case tls13::alert:
            if (size_in == 0) {  // RFC 8446 5.4
                fail("zero-length TLS alert record", tls13::unexpected_message);
                return Step::failed;
            }
            if (size_in != 2) {
                fail("malformed TLS alert", tls13::decode_error);
                return Step::failed;
            }
            if (static_cast<std::uint8_t>(content[1]) == tls13::close_notify) {
                closed_ = true;  // what follows a close_notify is ignored (RFC 8446 6.1)
                return Step::stop;
            }
            if (static_cast<std::uint8_t>(content[1]) == user_canceled) {
                return without_data();  // a warning; the close_notify follows
            }
            error_ = "the client sent TLS alert " +
                     std::to_string(static_cast<std::uint8_t>(content[1]));
            failed_ = true;
            return Step::failed;
        case tls13::handshake:
            if (size_in == 0) {  // RFC 8446 5.4
                fail("zero-length TLS handshake record", tls13::unexpected_message);
                return Step::failed;
            }
            if (without_data() == Step::failed) {
                return Step::failed;
            }
            return on_handshake({content, size_in});
        default:
            fail("TLS record of unknown content type", tls13::unexpected_message);
            return Step::failed;
    }
}

Tls13Stream::Step Tls13Stream::on_handshake(std::span<const char> content)
{
    std::string joined;
    std::string_view data(content.data(), content.size());
    if (!handshake_.empty()) {
        joined = std::move(handshake_) + std::string(data);
        handshake_.clear();
        data = joined;
    }
    while (!data.empty()) {
        if (static_cast<std::uint8_t>(data[0]) != key_update_type) {
            fail("TLS handshake message " + std::to_string(static_cast<std::uint8_t>(data[0])) +
                     " after the handshake",
                 tls13::unexpected_message);
            return Step::failed;
        }
        if (data.size() < handshake_header_size) {
            handshake_.assign(data);
            return Step::more;
        }
        // The length decides at once: a whole message of another length is malformed, not
        // the start of a longer one (RFC 8446 4.6.3: the body is one byte).
        const auto length = (std::size_t{static_cast<std::uint8_t>(data[1])} << 16) |
                            (std::size_t{static_cast<std::uint8_t>(data[2])} << 8) |
                            static_cast<std::uint8_t>(data[3]);
        if (length != key_update_size - handshake_header_size) {
            fail("malformed TLS KeyUpdate", tls13::decode_error);
            return Step::failed;
        }
        if (data.size() < key_update_size) {
            handshake_.assign(data);
            return Step::more;
        }
        const auto request = static_cast<std::uint8_t>(data[4]);
        if (request > 1) {
            fail("malformed TLS KeyUpdate", tls13::AlertDescription{illegal_parameter});
            return Step::failed;
        }
        if (data.size() > key_update_size) {  // the key changes at the end of this record
            fail("TLS KeyUpdate not at the end of its record", tls13::unexpected_message);
            return Step::failed;
        }
        if (!read_.update()) {
            fail("cannot update the TLS read key", tls13::AlertDescription{internal_error});
            return Step::failed;
        }
        // An answer still waiting in out_ already follows the request: one is enough.
        if (request == 1 && !answer_queued_) {
            static constexpr char answer[key_update_size] = {key_update_type, 0, 0, 1, 0};
            char record[key_update_size + tls13::overhead];
            const std::size_t size = write_.seal(tls13::handshake, answer, record);
            if (size == 0 || !write_.update()) {
                fail("cannot update the TLS write key", tls13::AlertDescription{internal_error});
                return Step::failed;
            }
            out_.append(record, size);
            answer_queued_ = true;
        }
        data.remove_prefix(key_update_size);
    }
    return Step::more;
}

Tls13Stream::Step Tls13Stream::without_data()
{
    // Such a record costs a decryption like one with data, and RFC 8446 sets no limit: a
    // client sending nothing else would hold the thread (a million empty records delayed
    // another session by 0.58 s). A record with data starts the count again.
    if (++records_without_data_ > max_records_without_data) {
        fail("more than 32 TLS records without data in a row", tls13::unexpected_message);
        return Step::failed;
    }
    return Step::more;
}

Tls13Stream::Io Tls13Stream::answer_close()
{
    // RFC 8446 6.1: each party sends a close_notify before closing its write side, and the
    // caller may close the socket next. Not after part of a record: shutdown() follows that.
    if (!out_.empty() && owed_ == 0 && !flush()) {
        return Io::failed;
    }
    if (out_.empty()) {
        shutdown();
    }
    return Io::closed;
}

std::size_t Tls13Stream::seal(tls13::ContentType type, std::span<const char> content, char* out)
{
    std::size_t size = 0;
    do {
        if (write_.sequence() >= records_per_key) {
            static constexpr char update[key_update_size] = {key_update_type, 0, 0, 1, 0};
            const std::size_t n = write_.seal(tls13::handshake, update, out + size);
            if (n == 0 || !write_.update()) {
                return 0;
            }
            size += n;
        }
        const auto part = content.first(std::min(content.size(), tls13::max_plaintext));
        const std::size_t n = write_.seal(type, part, out + size);
        if (n == 0) {
            return 0;
        }
        size += n;
        content = content.subspan(part.size());
    } while (!content.empty());
    return size;
}

Tls13Stream::Io Tls13Stream::write(const char* data, std::size_t size, std::size_t& count)
{
    if (failed_) {
        return Io::failed;
    }
    if (close_sent_) {  // RFC 8446 6.1: the peer ignores anything after our close_notify
        error_ = "TLS write after close_notify";
        return Io::failed;
    }
    if (!out_.empty()) {
        if (!flush()) {
            return Io::failed;
        }
        if (!out_.empty()) {
            return Io::want_write;
        }
        if (owed_ > 0) {  // the caller passes the same bytes again: they are sent
            count = owed_;
            owed_ = 0;
            return Io::done;
        }
    }
    const std::size_t take = std::min(size, write_chunk);
    count = 0;
    if (take == 0) {
        return Io::done;
    }
    char* scratch = write_scratch();
    const std::size_t sealed = seal(tls13::application_data, {data, take}, scratch);
    if (sealed == 0) {
        return fail("cannot seal a TLS record", tls13::AlertDescription{internal_error});
    }
    if (!send_or_keep(scratch, sealed)) {
        return Io::failed;
    }
    if (!out_.empty()) {
        owed_ = take;
        return Io::want_write;
    }
    count = take;
    return Io::done;
}

bool Tls13Stream::send_or_keep(const char* data, std::size_t size)
{
    std::size_t sent = 0;
    while (sent < size) {
        const ssize_t n = ::send(fd_, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            error_ = std::string("send: ") + std::strerror(errno);
            failed_ = true;
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    out_.append(data + sent, size - sent);
    return true;
}

bool Tls13Stream::flush()
{
    std::string pending;
    pending.swap(out_);
    if (!send_or_keep(pending.data(), pending.size())) {
        return false;
    }
    if (out_.empty()) {
        answer_queued_ = false;
    }
    return true;
}

void Tls13Stream::shutdown()
{
    if (close_sent_ || failed_) {
        return;
    }
    close_sent_ = true;
    if (!out_.empty() && (!flush() || !out_.empty())) {
        return;  // part of a record is still unsent: an alert now would garble it
    }
    const char content[2] = {1, tls13::close_notify};
    char record[sizeof content + tls13::overhead];
    if (const std::size_t size = write_.seal(tls13::alert, content, record); size > 0) {
        send_or_keep(record, size);
    }
}

}  // namespace chorus::net
