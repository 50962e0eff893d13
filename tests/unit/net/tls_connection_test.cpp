// Tests for src/net/tls_connection.cpp: the server side of TLS 1.2 and 1.3 on a non-blocking
// socket, against a plain OpenSSL client, driven with poll() as C2sSession drives it.
#include "net/tls_connection.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "net/tls_peer.h"

namespace chorus::net {
namespace {

using namespace chorus::net::testing;
using Io = TlsConnection::Io;

struct Row {
    const char* name;
    Transport transport;
    int client_max_version;  // 0: the client's default, TLS 1.3
    int want_version;
};

void PrintTo(const Row& row, std::ostream* out)
{
    *out << row.name;
}

const Row rows[] = {
    {"Tls13OverUnixSockets", Transport::unix_pair, 0, TLS1_3_VERSION},
    {"Tls12OverUnixSockets", Transport::unix_pair, TLS1_2_VERSION, TLS1_2_VERSION},
    {"Tls13OverTcp", Transport::tcp_loopback, 0, TLS1_3_VERSION},
    {"Tls12OverTcp", Transport::tcp_loopback, TLS1_2_VERSION, TLS1_2_VERSION},
};

class TlsConnectionTest : public ::testing::TestWithParam<Row> {
protected:
    // A server TlsConnection and an OpenSSL client on the two ends of a new connection.
    void open(int server_sndbuf = 0)
    {
        connect_ends(GetParam().transport, server_sndbuf, ends_);
        client_context_.reset(SSL_CTX_new(TLS_client_method()));
        ASSERT_NE(client_context_, nullptr);
        SSL_CTX_set_verify(client_context_.get(), SSL_VERIFY_NONE, nullptr);
        if (GetParam().client_max_version != 0) {
            SSL_CTX_set_max_proto_version(client_context_.get(), GetParam().client_max_version);
        }
        client_.reset(SSL_new(client_context_.get()));
        ASSERT_NE(client_, nullptr);
        SSL_set_fd(client_.get(), ends_.client);
        SSL_set_connect_state(client_.get());
        SSL_set_tlsext_host_name(client_.get(), "localhost");
        server_ = std::make_unique<TlsConnection>(TlsServerContext::get(), ends_.server);
    }

    ::testing::AssertionResult handshake()
    {
        return testing::handshake(ends_, *server_, client_.get());
    }

    ::testing::AssertionResult exchange(Exchange& x)
    {
        return testing::exchange(ends_, *server_, client_.get(), x);
    }

    // Waits until count bytes from the client are queued at the server's socket.
    ::testing::AssertionResult await_bytes_at_server(std::size_t count)
    {
        for (int round = 0; round < 1000; ++round) {
            int queued = 0;
            if (ioctl(ends_.server, FIONREAD, &queued) != 0) {
                return ::testing::AssertionFailure() << "FIONREAD failed";
            }
            if (static_cast<std::size_t>(queued) >= count) {
                return ::testing::AssertionSuccess();
            }
            poll(nullptr, 0, 10);  // the socket is readable already: wait for the rest
        }
        return ::testing::AssertionFailure() << count << " bytes never arrived";
    }

    Ends ends_;
    std::unique_ptr<SSL_CTX, SslCtxFree> client_context_;
    std::unique_ptr<SSL, SslFree> client_;
    std::unique_ptr<TlsConnection> server_;
};

TEST_P(TlsConnectionTest, HandshakeCompletesWithTheClientsHighestVersion)
{
    open();
    ASSERT_TRUE(handshake());
    EXPECT_EQ(server_->version(), GetParam().want_version);
    EXPECT_EQ(server_->handed_over(), GetParam().want_version == TLS1_3_VERSION);
    EXPECT_EQ(SSL_version(client_.get()), GetParam().want_version);
    EXPECT_TRUE(server_->error().empty());
    // Nothing sent yet: a read waits, and nothing is pending.
    char byte;
    std::size_t n = 0;
    EXPECT_EQ(server_->read(&byte, 1, n), Io::want_read);
    EXPECT_FALSE(server_->has_pending());
}

TEST_P(TlsConnectionTest, BytesArriveIntactBothWays)
{
    open();
    ASSERT_TRUE(handshake());
    Exchange x;
    x.to_server = "<stream:stream xmlns='jabber:client' to='localhost'>" + pattern(300000, 1);
    x.to_client = "<stream:stream from='localhost'>" + pattern(200000, 2);
    ASSERT_TRUE(exchange(x));
    EXPECT_TRUE(x.at_server == x.to_server) << x.at_server.size() << " bytes at the server";
    EXPECT_TRUE(x.at_client == x.to_client) << x.at_client.size() << " bytes at the client";
    // Then many small turns, as stanzas go.
    for (unsigned turn = 0; turn < 50; ++turn) {
        Exchange small;
        small.to_server = pattern(1 + turn * 397 % 5000, turn);
        small.to_client = pattern(1 + turn * 211 % 9000, turn + 100);
        ASSERT_TRUE(exchange(small)) << "turn " << turn;
        ASSERT_TRUE(small.at_server == small.to_server) << "turn " << turn;
        ASSERT_TRUE(small.at_client == small.to_client) << "turn " << turn;
    }
}

TEST_P(TlsConnectionTest, LargeWriteThroughASmallSendBufferArrivesIntactAfterMovedRetries)
{
    open(16 * 1024);
    ASSERT_TRUE(handshake());
    Exchange x;
    x.to_client = pattern(4 * 1024 * 1024, 3);
    ASSERT_TRUE(exchange(x));
    EXPECT_GT(x.server_want_writes, 10);  // the socket was full many times
    EXPECT_GT(x.server_partial_writes, 0);
    EXPECT_EQ(x.moved_retries, x.server_want_writes);
    ASSERT_EQ(x.at_client.size(), x.to_client.size());
    EXPECT_TRUE(x.at_client == x.to_client);
    EXPECT_TRUE(x.at_server.empty());
}

TEST_P(TlsConnectionTest, RecordsReadInPartsLeaveTheRestPending)
{
    open();
    ASSERT_TRUE(handshake());
    // Three records sent at once, and queued at the server before it reads.
    BIO* wire = SSL_get_wbio(client_.get());
    const auto before = BIO_number_written(wire);
    for (const char* text : {"<presence/>", "<message><body>hi</body></message>", "<iq/>"}) {
        std::size_t n = 0;
        ASSERT_EQ(SSL_write_ex(client_.get(), text, std::strlen(text), &n), 1);
    }
    ASSERT_TRUE(await_bytes_at_server(BIO_number_written(wire) - before));
    const std::string all = "<presence/><message><body>hi</body></message><iq/>";
    std::string got;
    char buffer[64];
    std::size_t n = 0;
    ASSERT_EQ(server_->read(buffer, 16, n), Io::done);
    got.append(buffer, n);
    // OpenSSL (TLS 1.2) reads one record per call; a Tls13Stream fills the buffer from all
    // the records that came.
    EXPECT_EQ(got, server_->handed_over() ? all.substr(0, 16) : "<presence/>");
    EXPECT_TRUE(server_->has_pending()) << "two records were read ahead";
    ASSERT_EQ(server_->read(buffer, 5, n), Io::done);  // part of a record
    EXPECT_EQ(n, 5u);
    got.append(buffer, n);
    EXPECT_TRUE(server_->has_pending()) << "the rest of the record";
    for (int i = 0; i < 10 && server_->has_pending(); ++i) {
        ASSERT_EQ(server_->read(buffer, sizeof buffer, n), Io::done);
        got.append(buffer, n);
    }
    EXPECT_EQ(got, all);
    EXPECT_FALSE(server_->has_pending());
    EXPECT_EQ(server_->read(buffer, sizeof buffer, n), Io::want_read);
}

// C2sSession::read_some reads without waiting while has_pending(); were a record's first
// bytes (all that has come) "pending", it would call read() again and again, and spin.
TEST_P(TlsConnectionTest, PartOfARecordIsNotPending)
{
    open();
    ASSERT_TRUE(handshake());
    // The client's records go to memory, so the test decides how much of one is sent.
    BIO* memory = BIO_new(BIO_s_mem());
    ASSERT_NE(memory, nullptr);
    SSL_set0_wbio(client_.get(), memory);
    const std::string text = pattern(1000, 5);
    std::size_t n = 0;
    ASSERT_EQ(SSL_write_ex(client_.get(), text.data(), text.size(), &n), 1);
    std::string record(static_cast<std::size_t>(BIO_pending(memory)), '\0');
    ASSERT_EQ(BIO_read(memory, record.data(), static_cast<int>(record.size())),
              static_cast<int>(record.size()));
    ASSERT_GT(record.size(), text.size());
    ASSERT_EQ(write(ends_.client, record.data(), 100), 100);
    pollfd fd{ends_.server, POLLIN, 0};
    ASSERT_EQ(poll(&fd, 1, stall_ms), 1);
    char buffer[2048];
    EXPECT_EQ(server_->read(buffer, sizeof buffer, n), Io::want_read);
    EXPECT_FALSE(server_->has_pending()) << "a read now would only want_read again";
    EXPECT_EQ(server_->read(buffer, sizeof buffer, n), Io::want_read);
    const auto rest = static_cast<ssize_t>(record.size() - 100);
    ASSERT_EQ(write(ends_.client, record.data() + 100, static_cast<std::size_t>(rest)), rest);
    ASSERT_EQ(poll(&fd, 1, stall_ms), 1);
    ASSERT_EQ(server_->read(buffer, sizeof buffer, n), Io::done);
    EXPECT_EQ(std::string(buffer, n), text);
    EXPECT_FALSE(server_->has_pending());
}

TEST_P(TlsConnectionTest, CloseNotifyFromTheClientReadsAsClosed)
{
    open();
    ASSERT_TRUE(handshake());
    Exchange x;
    x.to_server = "</stream:stream>";
    ASSERT_TRUE(exchange(x));
    ASSERT_EQ(SSL_shutdown(client_.get()), 0);  // close_notify sent, the server's not yet seen
    Io io = Io::want_read;
    ASSERT_TRUE(drive(ends_, [&](Waits& w) {
        char buffer[256];
        std::size_t n = 0;
        io = server_->read(buffer, sizeof buffer, n);
        w.server = server_wait(io);
        return io != Io::want_read && io != Io::want_write;
    }));
    EXPECT_EQ(io, Io::closed) << server_->error();
    server_->shutdown();  // answers with its own close_notify
    int ret = 0;
    ASSERT_TRUE(drive(ends_, [&](Waits& w) {
        ret = SSL_shutdown(client_.get());
        if (ret == 1) {
            return true;
        }
        w.client = ret == 0 ? POLLIN : client_wait(client_.get(), ret, "shutdown");
        return w.client == 0;
    }));
    EXPECT_EQ(ret, 1) << "the client received the server's close_notify";
}

// C2sSession closes the socket once a read says closed and nothing is left to write: the
// answer cannot wait for a shutdown() (RFC 8446 6.1, RFC 5246 7.2.1).
TEST_P(TlsConnectionTest, CloseNotifyFromTheClientIsAnsweredByTheReadThatSeesIt)
{
    open();
    ASSERT_TRUE(handshake());
    ASSERT_EQ(SSL_shutdown(client_.get()), 0);
    Io io = Io::want_read;
    ASSERT_TRUE(drive(ends_, [&](Waits& w) {
        char buffer[256];
        std::size_t n = 0;
        io = server_->read(buffer, sizeof buffer, n);
        w.server = server_wait(io);
        return io != Io::want_read && io != Io::want_write;
    }));
    ASSERT_EQ(io, Io::closed) << server_->error();
    int ret = 0;
    ASSERT_TRUE(drive(ends_, [&](Waits& w) {
        ret = SSL_shutdown(client_.get());
        if (ret == 1) {
            return true;
        }
        w.client = ret == 0 ? POLLIN : client_wait(client_.get(), ret, "shutdown");
        return w.client == 0;
    }));
    EXPECT_EQ(ret, 1) << "the client received the server's close_notify";
    std::size_t n = 0;
    EXPECT_EQ(server_->write("<iq/>", 5, n), Io::failed) << "nothing may follow it";
    ERR_clear_error();
}

TEST_P(TlsConnectionTest, EofWithoutCloseNotifyIsAFailureNotAClose)
{
    open();
    ASSERT_TRUE(handshake());
    ends_.close_client(false);
    Io io = Io::want_read;
    ASSERT_TRUE(drive(ends_, [&](Waits& w) {
        char buffer[256];
        std::size_t n = 0;
        io = server_->read(buffer, sizeof buffer, n);
        w.server = server_wait(io);
        return io != Io::want_read && io != Io::want_write;
    }));
    EXPECT_EQ(io, Io::failed);  // a truncation is not a clean end of the stream
    EXPECT_FALSE(server_->error().empty());
    server_->shutdown();  // to a socket whose peer has gone: EPIPE, not a wait
}

TEST_P(TlsConnectionTest, ShutdownSendsCloseNotify)
{
    open();
    ASSERT_TRUE(handshake());
    server_->shutdown();
    server_->shutdown();  // twice is harmless
    int code = SSL_ERROR_NONE;
    ASSERT_TRUE(drive(ends_, [&](Waits& w) {
        char buffer[256];
        std::size_t n = 0;
        const int ret = SSL_read_ex(client_.get(), buffer, sizeof buffer, &n);
        code = SSL_get_error(client_.get(), ret);
        w.client = code == SSL_ERROR_WANT_READ ? POLLIN : 0;
        return code != SSL_ERROR_WANT_READ;
    }));
    EXPECT_EQ(code, SSL_ERROR_ZERO_RETURN);
}

TEST_P(TlsConnectionTest, ShutdownWithAFullSocketReturnsAndLeavesAValidPrefix)
{
    open(16 * 1024);
    ASSERT_TRUE(handshake());
    const std::string payload = pattern(1024 * 1024, 4);
    std::size_t offset = 0;
    Io io = Io::done;
    for (int i = 0; i < 1000 && io == Io::done && offset < payload.size(); ++i) {
        std::size_t n = 0;
        io = server_->write(payload.data() + offset, payload.size() - offset, n);
        offset += io == Io::done ? n : 0;
    }
    ASSERT_EQ(io, Io::want_write) << "the client reads nothing, so the socket fills";
    server_->shutdown();  // the socket takes nothing now: returns at once, nothing waits
    // What the client gets is the start of what was written, then at most a close_notify.
    std::string got;
    for (int round = 0; round < 100000; ++round) {
        char buffer[16384];
        std::size_t n = 0;
        const int ret = SSL_read_ex(client_.get(), buffer, sizeof buffer, &n);
        if (ret == 1) {
            got.append(buffer, n);
            continue;
        }
        const int code = SSL_get_error(client_.get(), ret);
        pollfd fd{ends_.client, POLLIN, 0};
        if (code != SSL_ERROR_WANT_READ || poll(&fd, 1, 0) == 0) {
            break;  // closed, or everything sent has been read
        }
    }
    EXPECT_GE(got.size(), offset);
    EXPECT_LE(got.size(), payload.size());
    EXPECT_TRUE(got == payload.substr(0, got.size()));
}

TEST_P(TlsConnectionTest, ShutdownBeforeTheHandshakeSendsNothing)
{
    open();
    server_->shutdown();
    char byte;
    EXPECT_EQ(recv(ends_.client, &byte, 1, 0), -1);  // nothing to read, and not closed
    EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
    ASSERT_TRUE(handshake());  // the connection is still usable
}

INSTANTIATE_TEST_SUITE_P(Rows, TlsConnectionTest, ::testing::ValuesIn(rows),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace chorus::net
