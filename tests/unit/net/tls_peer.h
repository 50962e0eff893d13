// The client end of a TlsConnection under test: socket pairs, an OpenSSL client, a poll() loop,
// and the server context made by make_tls_context (src/net/tls.h).
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/config.h"
#include "net/tls.h"
#include "net/tls_connection.h"

namespace chorus::net::testing {

// Every drive loop gives up after this many rounds, and a round after this long without
// either socket becoming ready: a stalled exchange fails the test instead of hanging it.
constexpr int max_rounds = 100000;
constexpr int stall_ms = 10000;

inline void set_nonblocking(int fd)
{
    ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

enum class Transport { unix_pair, tcp_loopback };

// The two ends of one connection: the server's (TlsConnection) and the client's (OpenSSL).
struct Ends {
    int server = -1;
    int client = -1;
    Ends() = default;
    Ends(const Ends&) = delete;
    Ends& operator=(const Ends&) = delete;
    ~Ends()
    {
        close_server();
        close_client(false);
    }
    void close_server()
    {
        if (server >= 0) {
            close(server);
            server = -1;
        }
    }
    /// reset: TCP RST instead of FIN (SO_LINGER 0).
    void close_client(bool reset)
    {
        if (client >= 0) {
            if (reset) {
                const linger l{1, 0};
                setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            }
            close(client);
            client = -1;
        }
    }
};

// server_sndbuf: 0 keeps the default.
inline void connect_ends(Transport transport, int server_sndbuf, Ends& ends)
{
    if (transport == Transport::unix_pair) {
        int fds[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        ends.server = fds[0];
        ends.client = fds[1];
    } else {
        const int listener = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(listener, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ASSERT_EQ(listen(listener, 1), 0);
        ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
        ends.client = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(ends.client, 0);
        ASSERT_EQ(connect(ends.client, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
        ends.server = accept(listener, nullptr, nullptr);
        close(listener);
        ASSERT_GE(ends.server, 0);
        // The server's as in C2sSession::run; the client's so that its records are not held
        // back waiting for an ACK (Nagle's algorithm).
        const int one = 1;
        setsockopt(ends.server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        setsockopt(ends.client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    if (server_sndbuf > 0) {
        ASSERT_EQ(
            setsockopt(ends.server, SOL_SOCKET, SO_SNDBUF, &server_sndbuf, sizeof server_sndbuf),
            0);
    }
    set_nonblocking(ends.server);
    set_nonblocking(ends.client);
}

// What each side waits for before its next step: poll() events, 0 for nothing.
struct Waits {
    short server = 0;
    short client = 0;
};

// Calls step until it returns true, polling the sockets for what it asked between calls.
inline ::testing::AssertionResult drive(const Ends& ends, const std::function<bool(Waits&)>& step)
{
    for (int round = 0; round < max_rounds; ++round) {
        Waits waits;
        if (step(waits)) {
            return ::testing::AssertionSuccess();
        }
        if (waits.server == 0 && waits.client == 0) {
            continue;
        }
        pollfd fds[2] = {{ends.server, waits.server, 0}, {ends.client, waits.client, 0}};
        const int ready = poll(fds, 2, stall_ms);
        if (ready <= 0) {
            return ::testing::AssertionFailure() << "stalled in round " << round;
        }
    }
    return ::testing::AssertionFailure() << "not done after " << max_rounds << " rounds";
}

// What the client's last SSL call waits for; 0 (and a test failure) when it failed.
inline short client_wait(SSL* ssl, int ret, const char* what)
{
    const int code = SSL_get_error(ssl, ret);
    if (code == SSL_ERROR_WANT_READ) {
        return POLLIN;
    }
    if (code == SSL_ERROR_WANT_WRITE) {
        return POLLOUT;
    }
    char text[256] = "";
    ERR_error_string_n(ERR_get_error(), text, sizeof text);
    ADD_FAILURE() << "client " << what << ": SSL error " << code << " " << text;
    return 0;
}

inline short server_wait(TlsConnection::Io io)
{
    using Io = TlsConnection::Io;
    return io == Io::want_read ? POLLIN : io == Io::want_write ? POLLOUT : 0;
}

inline std::string pattern(std::size_t size, unsigned seed)
{
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        out[i] = static_cast<char>(seed * 37 + i * 13 + (i >> 10));
    }
    return out;
}

struct SslFree {
    void operator()(SSL* p) const { SSL_free(p); }
};
struct SslCtxFree {
    void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
};

// One server context for all tests: make_tls_context writes a self-signed certificate into a
// fresh data directory, as chorusd does on its first start.
class TlsServerContext {
public:
    static SSL_CTX* get()
    {
        static TlsServerContext instance;
        return instance.context_->native_handle();
    }

private:
    TlsServerContext()
    {
        // chorusd ignores SIGPIPE (apps/chorusd/main.cpp): OpenSSL writes the socket with
        // write(2), which raises it when the peer has gone.
        std::signal(SIGPIPE, SIG_IGN);
        std::string dir = (std::filesystem::temp_directory_path() / "chorus-tls-XXXXXX").string();
        require(mkdtemp(dir.data()) != nullptr);
        dir_ = dir;
        Config config;
        config.data_dir = dir_;
        auto context = make_tls_context(config);
        require(context.has_value());
        context_ = std::move(*context);
        require(std::filesystem::exists(std::filesystem::path(dir_) / "tls" / "cert.pem"));
    }
    ~TlsServerContext()
    {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    // No test can run without the context.
    static void require(bool ok)
    {
        if (!ok) {
            std::abort();
        }
    }

    std::string dir_;
    std::unique_ptr<boost::asio::ssl::context> context_;
};

}  // namespace chorus::net::testing
