// Tests for src/net/tls_connection.cpp: a peer that is not a TLS client, or leaves during the
// handshake, makes handshake() fail with a reason for the log, and never wait for more.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "net/tls_connection.h"
#include "net/tls_peer.h"

namespace chorus::net {
namespace {

using namespace chorus::net::testing;
using Io = TlsConnection::Io;

// A peer that is not a TLS client, or leaves: handshake() fails and says why.
struct BadPeer {
    const char* name;
    Transport transport;
    // Acts on the client's end; may call the server's handshake() in between.
    std::function<void(Ends&, TlsConnection&)> act;
};

void PrintTo(const BadPeer& peer, std::ostream* out)
{
    *out << peer.name;
}

void send_all(int fd, std::string_view bytes)
{
    ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
}

// Starts a real handshake from the client side and lets the server answer once.
void hello_then(Ends& ends, TlsConnection& server, bool reset)
{
    std::unique_ptr<SSL_CTX, SslCtxFree> context(SSL_CTX_new(TLS_client_method()));
    std::unique_ptr<SSL, SslFree> client(SSL_new(context.get()));
    SSL_set_fd(client.get(), ends.client);
    SSL_set_connect_state(client.get());
    ASSERT_EQ(SSL_get_error(client.get(), SSL_do_handshake(client.get())), SSL_ERROR_WANT_READ);
    pollfd fd{ends.server, POLLIN, 0};
    ASSERT_EQ(poll(&fd, 1, stall_ms), 1);
    ASSERT_EQ(server.handshake(), Io::want_read);  // waits for the client's Finished
    ends.close_client(reset);
}

const BadPeer bad_peers[] = {
    {"XmppInsteadOfClientHello", Transport::unix_pair,
     [](Ends& e, TlsConnection&) {
         send_all(e.client,
                  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' to='localhost'>");
     }},
    {"HttpInsteadOfClientHello", Transport::tcp_loopback,
     [](Ends& e, TlsConnection&) { send_all(e.client, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); }},
    {"ZeroBytesInsteadOfClientHello", Transport::tcp_loopback,
     [](Ends& e, TlsConnection&) { send_all(e.client, std::string(64, '\0')); }},
    {"EofBeforeClientHello", Transport::unix_pair,
     [](Ends& e, TlsConnection&) { e.close_client(false); }},
    {"ResetBeforeClientHello", Transport::tcp_loopback,
     [](Ends& e, TlsConnection&) { e.close_client(true); }},
    {"TruncatedClientHelloThenEof", Transport::tcp_loopback,
     [](Ends& e, TlsConnection&) {
         send_all(e.client, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11));
         e.close_client(false);
     }},
    {"ResetAfterClientHello", Transport::tcp_loopback,
     [](Ends& e, TlsConnection& s) { hello_then(e, s, true); }},
    {"EofAfterClientHello", Transport::unix_pair,
     [](Ends& e, TlsConnection& s) { hello_then(e, s, false); }},
};

class TlsHandshakeFailure : public ::testing::TestWithParam<BadPeer> {};

TEST_P(TlsHandshakeFailure, HandshakeFailsWithAReason)
{
    Ends ends;
    connect_ends(GetParam().transport, 0, ends);
    TlsConnection server(TlsServerContext::get(), ends.server);
    GetParam().act(ends, server);
    Io io = Io::want_read;
    for (int round = 0; round < 1000 && (io == Io::want_read || io == Io::want_write); ++round) {
        io = server.handshake();
        if (io == Io::want_read || io == Io::want_write) {
            pollfd fd{ends.server, server_wait(io), 0};
            ASSERT_EQ(poll(&fd, 1, stall_ms), 1) << "the server waits for a peer that sent all";
        }
    }
    EXPECT_EQ(io, Io::failed);
    EXPECT_FALSE(server.error().empty());
    server.shutdown();  // nothing to close: returns at once
}

INSTANTIATE_TEST_SUITE_P(Rows, TlsHandshakeFailure, ::testing::ValuesIn(bad_peers),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(TlsConnection, WithoutASessionTheHandshakeFailsAndSaysSo)
{
    ERR_set_mark();
    TlsConnection server(nullptr, -1);  // SSL_new fails
    ERR_pop_to_mark();
    EXPECT_EQ(server.native_handle(), nullptr);
    EXPECT_EQ(server.handshake(), Io::failed);
    EXPECT_EQ(server.error(), "cannot create a TLS session");
}

}  // namespace
}  // namespace chorus::net
