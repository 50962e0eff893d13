// TlsConnection: SSL_* calls on the socket BIO, mapped to what the caller waits for.
#include "net/tls_connection.h"

#include <openssl/err.h>

namespace chorus::net {

TlsConnection::TlsConnection(SSL_CTX* context, int fd) : ssl_(SSL_new(context))
{
    if (ssl_ != nullptr) {
        SSL_set_fd(ssl_, fd);
        SSL_set_accept_state(ssl_);
        // A write cut short by a full socket is retried from the caller's queue, which may
        // have been copied elsewhere in between.
        SSL_set_mode(ssl_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_set_read_ahead(ssl_, 1);  // one recv per burst, not one per record header and body
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
    if (ssl_ == nullptr) {
        error_ = "cannot create a TLS session";
        return Io::failed;
    }
    ERR_clear_error();  // SSL_get_error reads the thread's queue: start it empty
    const int ret = SSL_do_handshake(ssl_);
    return ret == 1 ? Io::done : outcome(ret);
}

TlsConnection::Io TlsConnection::read(char* buffer, std::size_t capacity, std::size_t& count)
{
    ERR_clear_error();
    const int ret = SSL_read_ex(ssl_, buffer, capacity, &count);
    starved_ = false;
    if (ret == 1) {
        return Io::done;
    }
    const Io io = outcome(ret);
    starved_ = io == Io::want_read;
    if (io == Io::closed || io == Io::failed) {
        // The stream is over but the session lingers while its last bytes go out; without
        // this it would keep a 17 KiB record buffer meanwhile.
        SSL_free_buffers(ssl_);
    }
    return io;
}

TlsConnection::Io TlsConnection::write(const char* data, std::size_t size, std::size_t& count)
{
    ERR_clear_error();
    const int ret = SSL_write_ex(ssl_, data, size, &count);
    return ret == 1 ? Io::done : outcome(ret);
}

bool TlsConnection::has_pending() const
{
    // SSL_has_pending() also counts the first bytes of a record still arriving. After a
    // read() that wanted more, only the socket can complete it: a caller that read again
    // without waiting would spin until the peer sent the rest (a bound session, forever).
    return !starved_ && SSL_has_pending(ssl_) == 1;
}

void TlsConnection::shutdown()
{
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
