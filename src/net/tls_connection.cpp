// TlsConnection: SSL_* calls on the socket BIO, mapped to what the caller waits for, and the
// handover of a finished TLS 1.3 handshake to a Tls13Stream.
#include "net/tls_connection.h"

#include <openssl/crypto.h>
#include <openssl/err.h>

#include <algorithm>
#include <cstring>

namespace chorus::net {
namespace {

int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

// The Tls13Stream needs both first application traffic secrets and the sequence numbers
// OpenSSL reached under them. The secrets come from the key log callback. Reading stops at
// the client's Finished (no read-ahead during the handshake), so the client's number is 0;
// the server's is the count of records written after its own Finished: its session tickets.
struct TlsConnection::Handover {
    std::array<unsigned char, Tls13Direction::max_secret> client_secret{};
    std::array<unsigned char, Tls13Direction::max_secret> server_secret{};
    std::size_t client_size = 0;
    std::size_t server_size = 0;
    std::uint64_t written_after_finished = 0;
    std::uint64_t read_after_finished = 0;
    bool server_finished = false;
    bool client_finished = false;

    ~Handover()
    {
        OPENSSL_cleanse(client_secret.data(), client_secret.size());
        OPENSSL_cleanse(server_secret.data(), server_secret.size());
    }
};

void TlsConnection::prepare(SSL_CTX* context)
{
    SSL_CTX_set_keylog_callback(context, &TlsConnection::on_keylog);
}

void TlsConnection::on_keylog(const SSL* ssl, const char* line)
{
    auto* self = static_cast<TlsConnection*>(SSL_get_app_data(ssl));
    if (self == nullptr || !self->handover_) {
        return;
    }
    Handover& h = *self->handover_;
    // "<label> <client random, hex> <secret, hex>" (NSS key log format)
    const std::string_view text(line);
    const auto label_end = text.find(' ');
    const auto label = text.substr(0, label_end);
    const bool client = label == "CLIENT_TRAFFIC_SECRET_0";
    if (!client && label != "SERVER_TRAFFIC_SECRET_0") {
        return;
    }
    const auto random_end = text.find(' ', label_end + 1);
    if (label_end == std::string_view::npos || random_end == std::string_view::npos) {
        return;
    }
    const auto hex = text.substr(random_end + 1);
    auto& secret = client ? h.client_secret : h.server_secret;
    if (hex.size() % 2 != 0 || hex.size() / 2 > secret.size()) {
        return;
    }
    for (std::size_t i = 0; i < hex.size() / 2; ++i) {
        const int high = hex_value(hex[2 * i]);
        const int low = hex_value(hex[2 * i + 1]);
        if (high < 0 || low < 0) {
            return;
        }
        secret[i] = static_cast<unsigned char>(high * 16 + low);
    }
    (client ? h.client_size : h.server_size) = hex.size() / 2;
}

void TlsConnection::on_message(int write_p, int, int content_type, const void* data,
                               std::size_t size, SSL*, void* self)
{
    Handover* h = static_cast<TlsConnection*>(self)->handover_.get();
    if (h == nullptr) {
        return;
    }
    // A record's header is reported before the messages it carries.
    if (content_type == SSL3_RT_HEADER) {
        if (write_p != 0 && h->server_finished) {
            ++h->written_after_finished;
        } else if (write_p == 0 && h->client_finished) {
            ++h->read_after_finished;
        }
    } else if (content_type == SSL3_RT_HANDSHAKE && size > 0 &&
               *static_cast<const unsigned char*>(data) == SSL3_MT_FINISHED) {
        (write_p != 0 ? h->server_finished : h->client_finished) = true;
    }
}

TlsConnection::TlsConnection(SSL_CTX* context, int fd) : ssl_(SSL_new(context)), fd_(fd)
{
    if (ssl_ == nullptr) {
        return;
    }
    SSL_set_fd(ssl_, fd);
    SSL_set_accept_state(ssl_);
    // A write cut short by a full socket is retried from the caller's queue, which may have
    // been copied elsewhere in between.
    SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_get_keylog_callback(context) == &TlsConnection::on_keylog) {
        handover_ = std::make_unique<Handover>();
        SSL_set_app_data(ssl_, this);
        SSL_set_msg_callback(ssl_, &TlsConnection::on_message);
        SSL_set_msg_callback_arg(ssl_, this);
    } else {
        SSL_set_read_ahead(ssl_, 1);
    }
}

TlsConnection::~TlsConnection()
{
    SSL_free(ssl_);
}

TlsConnection::Io TlsConnection::outcome(int ret)
{
    const int code = SSL_get_error(ssl_, ret);
    switch (code) {
        case SSL_ERROR_WANT_READ:
            return Io::want_read;
        case SSL_ERROR_WANT_WRITE:
            return Io::want_write;
        case SSL_ERROR_ZERO_RETURN:
            return Io::closed;
        default:
            break;
    }
    const unsigned long err = ERR_get_error();
    if (err != 0) {
        char text[256];
        ERR_error_string_n(err, text, sizeof text);
        error_ = text;
    } else if (code == SSL_ERROR_SYSCALL) {
        error_ = "connection closed without close_notify";
    } else {
        error_ = "TLS error " + std::to_string(code);
    }
    ERR_clear_error();
    return Io::failed;
}

TlsConnection::Io TlsConnection::handshake()
{
    if (stream_) {
        return Io::done;
    }
    if (ssl_ == nullptr) {
        error_ = "cannot create a TLS session";
        return Io::failed;
    }
    ERR_clear_error();  // SSL_get_error reads the thread's queue: start it empty
    const int ret = SSL_do_handshake(ssl_);
    if (ret != 1) {
        return outcome(ret);
    }
    on_handshake_done();
    return Io::done;
}

void TlsConnection::on_handshake_done()
{
    version_ = SSL_version(ssl_);
    if (version_ >= TLS1_3_VERSION) {  // RFC 9266 tls-exporter
        static constexpr char label[] = "EXPORTER-Channel-Binding";
        if (SSL_export_keying_material(ssl_, exporter_.data(), exporter_.size(), label,
                                       sizeof label - 1, nullptr, 0, 0) == 1) {
            exporter_size_ = static_cast<std::uint8_t>(exporter_.size());
        }
    }
    const std::size_t finished =
        SSL_session_reused(ssl_) ? SSL_get_finished(ssl_, finished_.data(), finished_.size())
                                 : SSL_get_peer_finished(ssl_, finished_.data(), finished_.size());
    finished_size_ = static_cast<std::uint8_t>(std::min(finished, finished_.size()));

    const std::unique_ptr<Handover> h = std::move(handover_);
    SSL_set_msg_callback(ssl_, nullptr);
    Tls13Suite suite{};
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
    if (h && version_ == TLS1_3_VERSION && h->client_size > 0 && h->server_size > 0 &&
        h->read_after_finished == 0 && SSL_has_pending(ssl_) == 0 && cipher != nullptr &&
        tls13_suite_from_id(SSL_CIPHER_get_protocol_id(cipher), suite)) {
        auto stream = std::make_unique<Tls13Stream>(
            fd_, suite, std::span(h->client_secret.data(), h->client_size),
            std::span(h->server_secret.data(), h->server_size), h->written_after_finished);
        if (stream->ready()) {
            SSL_free(ssl_);
            ssl_ = nullptr;
            stream_ = std::move(stream);
            return;
        }
    }
    SSL_set_read_ahead(ssl_, 1);  // one recv per burst, not one per record header and body
}

std::string_view TlsConnection::tls_exporter() const noexcept
{
    return {reinterpret_cast<const char*>(exporter_.data()), exporter_size_};
}

std::string_view TlsConnection::tls_unique() const noexcept
{
    return {reinterpret_cast<const char*>(finished_.data()), finished_size_};
}

TlsConnection::Io TlsConnection::read(char* buffer, std::size_t capacity, std::size_t& count)
{
    if (stream_) {
        return stream_->read(buffer, capacity, count);
    }
    ERR_clear_error();
    const int ret = SSL_read_ex(ssl_, buffer, capacity, &count);
    starved_ = false;
    if (ret == 1) {
        return Io::done;
    }
    const Io io = outcome(ret);
    starved_ = io == Io::want_read;
    if (io == Io::closed) {
        // RFC 5246 7.2.1: a close_notify is answered with one at once; the caller may close
        // the socket next. Behind a record still being written, OpenSSL sends it after that.
        SSL_shutdown(ssl_);
        ERR_clear_error();
    }
    if (io == Io::closed || io == Io::failed) {
        // The stream is over but the session lingers while its last bytes go out; without
        // this it would keep a 17 KiB record buffer meanwhile.
        SSL_free_buffers(ssl_);
    }
    return io;
}

TlsConnection::Io TlsConnection::write(const char* data, std::size_t size, std::size_t& count)
{
    if (stream_) {
        return stream_->write(data, size, count);
    }
    ERR_clear_error();
    const int ret = SSL_write_ex(ssl_, data, size, &count);
    return ret == 1 ? Io::done : outcome(ret);
}

bool TlsConnection::has_pending() const
{
    if (stream_) {
        return stream_->has_pending();
    }
    // SSL_has_pending() also counts the first bytes of a record still arriving. After a
    // read() that wanted more, only the socket can complete it: a caller that read again
    // without waiting would spin until the peer sent the rest (a bound session, forever).
    return !starved_ && SSL_has_pending(ssl_) == 1;
}

void TlsConnection::shutdown()
{
    if (stream_) {
        stream_->shutdown();
        return;
    }
    ERR_clear_error();
    if (SSL_is_init_finished(ssl_) == 1) {
        SSL_shutdown(ssl_);
        // The alert's record buffer stays otherwise until SSL_free: 17 KiB per closing
        // session, a spike when thousands of clients leave at once.
        SSL_free_buffers(ssl_);
    }
    ERR_clear_error();
}

}  // namespace chorus::net
