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

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

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

// Runs both sides' handshakes to the end.
inline ::testing::AssertionResult handshake(const Ends& ends, TlsConnection& server, SSL* client)
{
    bool server_done = false;
    bool client_done = false;
    bool failed = false;
    auto r = drive(ends, [&](Waits& w) {
        if (!server_done) {
            const TlsConnection::Io io = server.handshake();
            server_done = io == TlsConnection::Io::done;
            w.server = server_wait(io);
            if (io == TlsConnection::Io::failed || io == TlsConnection::Io::closed) {
                ADD_FAILURE() << "server handshake: " << server.error();
                failed = true;
            }
        }
        if (!client_done) {
            const int ret = SSL_do_handshake(client);
            client_done = ret == 1;
            if (!client_done) {
                w.client = client_wait(client, ret, "handshake");
                failed = failed || w.client == 0;
            }
        }
        return failed || (server_done && client_done);
    });
    if (r && failed) {
        return ::testing::AssertionFailure() << "handshake failed";
    }
    return r;
}

// Sends to_server from the client and to_client from the server at once, both through
// full sockets; the server writes like C2sSession::write_tls: from a backlog that loses
// its written prefix, and here also moves to a new allocation, after every want_write.
struct Exchange {
    std::string to_server, to_client;
    std::string at_server, at_client;
    std::size_t server_read_capacity = 64 * 1024;
    int server_want_writes = 0;
    int server_partial_writes = 0;  // done with fewer bytes than offered
    int moved_retries = 0;
};

inline ::testing::AssertionResult exchange(const Ends& ends, TlsConnection& server, SSL* client,
                                           Exchange& x)
{
    std::string backlog = x.to_client;
    std::size_t client_sent = 0;
    std::vector<char> buffer(std::max<std::size_t>(x.server_read_capacity, 64 * 1024));
    bool failed = false;
    auto r = drive(ends, [&](Waits& w) {
        // Server writes until the socket is full.
        std::size_t offset = 0;
        TlsConnection::Io io = TlsConnection::Io::done;
        while (offset < backlog.size()) {
            std::size_t n = 0;
            io = server.write(backlog.data() + offset, backlog.size() - offset, n);
            if (io != TlsConnection::Io::done) {
                break;
            }
            if (n == 0 || n > backlog.size() - offset) {
                ADD_FAILURE() << "write counted " << n << " of " << backlog.size() - offset;
                failed = true;
                return true;
            }
            x.server_partial_writes += n < backlog.size() - offset ? 1 : 0;
            offset += n;
        }
        backlog.erase(0, offset);
        if (!backlog.empty()) {
            if (io == TlsConnection::Io::want_write || io == TlsConnection::Io::want_read) {
                x.server_want_writes += io == TlsConnection::Io::want_write ? 1 : 0;
                w.server |= server_wait(io);
            } else {
                ADD_FAILURE() << "server write: " << server.error();
                failed = true;
                return true;
            }
            // The same remaining bytes from another address (SSL_MODE_ACCEPT_MOVING_...).
            std::string moved(backlog);
            if (moved.data() != backlog.data()) {
                ++x.moved_retries;
            }
            backlog.swap(moved);
        }
        // Server reads what has come; has_pending() means more without waiting.
        for (;;) {
            std::size_t n = 0;
            io = server.read(buffer.data(), x.server_read_capacity, n);
            if (io == TlsConnection::Io::done) {
                x.at_server.append(buffer.data(), n);
                continue;
            }
            if (io == TlsConnection::Io::want_read || io == TlsConnection::Io::want_write) {
                w.server |= server_wait(io);
                break;
            }
            ADD_FAILURE() << "server read: " << server.error();
            failed = true;
            return true;
        }
        // Client writes its bytes (same pointer on retry: the client has no moving mode).
        while (client_sent < x.to_server.size()) {
            std::size_t n = 0;
            const int ret = SSL_write_ex(client, x.to_server.data() + client_sent,
                                         x.to_server.size() - client_sent, &n);
            if (ret != 1) {
                const short wait = client_wait(client, ret, "write");
                w.client |= wait;
                failed = failed || wait == 0;
                break;
            }
            client_sent += n;
        }
        // Client reads what has come.
        for (;;) {
            std::size_t n = 0;
            const int ret = SSL_read_ex(client, buffer.data(), buffer.size(), &n);
            if (ret == 1) {
                x.at_client.append(buffer.data(), n);
                continue;
            }
            const short wait = client_wait(client, ret, "read");
            w.client |= wait;
            failed = failed || wait == 0;
            break;
        }
        return failed || (backlog.empty() && client_sent == x.to_server.size() &&
                          x.at_server.size() >= x.to_server.size() &&
                          x.at_client.size() >= x.to_client.size());
    });
    if (r && failed) {
        return ::testing::AssertionFailure() << "exchange failed";
    }
    return r;
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
