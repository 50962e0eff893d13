// Tests for src/net/tls13_stream.cpp and the handover in src/net/tls_connection.cpp: after a
// TLS 1.3 handshake the server's records come from a Tls13Stream, and an OpenSSL client
// must not notice: every suite, session tickets, resumption, key updates, channel bindings,
// and bytes that came with the client's Finished. Records a client may not send:
// tls13_stream_bad_records_test.cpp.
#include "net/tls13_stream.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <memory>
#include <string>

#include "net/tls13_client.h"
#include "net/tls_connection.h"
#include "net/tls_peer.h"

namespace chorus::net {
namespace {

using namespace chorus::net::testing;

struct Variant {
    const char* name;
    const char* suite;
    int tickets;  // -1: the server's default (one)
};

void PrintTo(const Variant& v, std::ostream* out)
{
    *out << v.name;
}

class Tls13HandoverTest : public Tls13StreamTest, public ::testing::WithParamInterface<Variant> {};

const Variant variants[] = {
    {"ChaCha20NoTicket", "TLS_CHACHA20_POLY1305_SHA256", 0},
    {"ChaCha20DefaultTickets", "TLS_CHACHA20_POLY1305_SHA256", -1},
    {"Aes128ThreeTickets", "TLS_AES_128_GCM_SHA256", 3},
    {"Aes256OneTicket", "TLS_AES_256_GCM_SHA384", 1},
};

// The server's sequence number starts after its tickets: a miscount and the client's first
// read fails.
TEST_P(Tls13HandoverTest, EverySuiteAndTicketCountCarriesBytesBothWays)
{
    open(GetParam().suite, GetParam().tickets);
    ASSERT_TRUE(handshake());
    EXPECT_TRUE(server_->handed_over());
    EXPECT_EQ(server_->native_handle(), nullptr) << "the SSL object is freed";
    EXPECT_STREQ(SSL_CIPHER_standard_name(SSL_get_current_cipher(client_.get())), GetParam().suite);
    round_trip(1);
}

INSTANTIATE_TEST_SUITE_P(Variants, Tls13HandoverTest, ::testing::ValuesIn(variants),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(Tls13StreamTest, TheServerPrefersAesGcmUnlessTheClientListsChaCha20First)
{
    const char* cases[][2] = {
        {"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
         "TLS_AES_128_GCM_SHA256"},  // OpenSSL's own order
        {"TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"},
        {"TLS_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384"},
    };
    for (const auto& [offered, chosen] : cases) {
        open(offered);
        ASSERT_TRUE(handshake());
        EXPECT_STREQ(SSL_CIPHER_standard_name(SSL_get_current_cipher(client_.get())), chosen)
            << offered;
        EXPECT_TRUE(server_->handed_over());
    }
}

TEST_F(Tls13StreamTest, PaddedRecordsFromTheClientAreUnpadded)
{
    open();
    SSL_set_block_padding(client_.get(), 512);
    ASSERT_TRUE(handshake());
    round_trip(2);
}

// A client resuming its last session with the ticket it got after the handover: the server
// resumes, hands over again, and tls-unique is the server's Finished, as the client sees it.
TEST_F(Tls13StreamTest, AResumedSessionIsHandedOverToo)
{
    open();
    ASSERT_TRUE(handshake());
    round_trip(3);  // the client reads its ticket
    std::unique_ptr<SSL_SESSION, SessionFree> session(SSL_get1_session(client_.get()));
    ASSERT_NE(session, nullptr);
    ASSERT_EQ(SSL_SESSION_is_resumable(session.get()), 1);
    SSL_shutdown(client_.get());  // else freeing the SSL marks its session not resumable
    open(nullptr, -1, session.get());
    ASSERT_TRUE(handshake());
    ASSERT_EQ(SSL_session_reused(client_.get()), 1);
    EXPECT_TRUE(server_->handed_over());
    round_trip(4);
    unsigned char finished[64];
    const std::size_t size = SSL_get_peer_finished(client_.get(), finished, sizeof finished);
    EXPECT_EQ(server_->tls_unique(), std::string(reinterpret_cast<char*>(finished), size));
}

// The client's key share is for a group the server does not take: a HelloRetryRequest and
// a second ClientHello come before the Finished messages the handover counts from.
TEST_F(Tls13StreamTest, AHandshakeWithAHelloRetryRequestIsHandedOver)
{
    open();
    ASSERT_EQ(SSL_set1_groups_list(client_.get(), "P-256:X25519"), 1);
    ASSERT_EQ(SSL_set1_groups_list(server_->native_handle(), "X25519"), 1);
    int hello_retries = 0;
    SSL_set_msg_callback_arg(client_.get(), &hello_retries);
    SSL_set_msg_callback(
        client_.get(), [](int write_p, int, int type, const void*, std::size_t, SSL*, void* count) {
            // The second ClientHello: a client's second handshake message sent before Finished.
            if (write_p != 0 && type == SSL3_RT_HANDSHAKE) {
                ++*static_cast<int*>(count);
            }
        });
    ASSERT_TRUE(handshake());
    SSL_set_msg_callback(client_.get(), nullptr);
    EXPECT_EQ(hello_retries, 3) << "ClientHello, ClientHello again, Finished";
    EXPECT_TRUE(server_->handed_over());
    round_trip(6);
}

TEST_F(Tls13StreamTest, ChannelBindingsMatchTheClientsAfterTheHandover)
{
    for (const int version : {TLS1_3_VERSION, TLS1_2_VERSION}) {
        open(nullptr, -1, nullptr, version);
        ASSERT_TRUE(handshake());
        EXPECT_EQ(server_->version(), version);
        unsigned char finished[64];
        const std::size_t size = SSL_get_finished(client_.get(), finished, sizeof finished);
        ASSERT_GT(size, 0u);
        EXPECT_EQ(server_->tls_unique(), std::string(reinterpret_cast<char*>(finished), size));
        if (version == TLS1_3_VERSION) {
            unsigned char exporter[32];
            static constexpr char label[] = "EXPORTER-Channel-Binding";
            ASSERT_EQ(SSL_export_keying_material(client_.get(), exporter, sizeof exporter, label,
                                                 sizeof label - 1, nullptr, 0, 0),
                      1);
            EXPECT_EQ(server_->tls_exporter(),
                      std::string(reinterpret_cast<char*>(exporter), sizeof exporter));
        } else {
            EXPECT_TRUE(server_->tls_exporter().empty()) << "RFC 9266 is for TLS 1.3 only";
            EXPECT_FALSE(server_->handed_over());
        }
        round_trip(5);
    }
}

TEST_F(Tls13StreamTest, KeyUpdatesFromTheClientAreFollowedAndAnswered)
{
    open();
    ASSERT_TRUE(handshake());
    int updates_at_client = 0;
    SSL_set_msg_callback_arg(client_.get(), &updates_at_client);
    SSL_set_msg_callback(client_.get(), [](int write_p, int, int type, const void* data,
                                           std::size_t size, SSL*, void* count) {
        if (write_p == 0 && type == SSL3_RT_HANDSHAKE && size > 0 &&
            *static_cast<const unsigned char*>(data) == 24) {
            ++*static_cast<int*>(count);
        }
    });
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(SSL_key_update(client_.get(), SSL_KEY_UPDATE_REQUESTED), 1);
        round_trip(10 + i);  // the update goes out with the client's next write
        EXPECT_EQ(updates_at_client, i + 1) << "the server answers a request with its own";
        ASSERT_EQ(SSL_key_update(client_.get(), SSL_KEY_UPDATE_NOT_REQUESTED), 1);
        round_trip(20 + i);
        EXPECT_EQ(updates_at_client, i + 1) << "and does not answer what asks no answer";
    }
}

// A key update request that comes while the server's socket is full and a write is cut
// short: the answer may queue behind sealed records; the client must still read the old
// key's records, then the update, then the new key's.
TEST_F(Tls13StreamTest, AKeyUpdateRequestWhileTheServersSocketIsFull)
{
    open(nullptr, -1, nullptr, 0, 16 * 1024);
    ASSERT_TRUE(handshake());
    const std::string payload = pattern(2 * 1024 * 1024, 7);
    std::size_t offset = 0;
    Io io = Io::done;
    for (int i = 0; i < 1000 && io == Io::done; ++i) {
        std::size_t n = 0;
        io = server_->write(payload.data() + offset, payload.size() - offset, n);
        offset += io == Io::done ? n : 0;
    }
    ASSERT_EQ(io, Io::want_write) << "the client reads nothing yet, so the socket fills";
    ASSERT_EQ(SSL_key_update(client_.get(), SSL_KEY_UPDATE_REQUESTED), 1);
    Exchange x;
    x.to_server = "<iq type='get' id='1'/>";
    x.to_client = payload.substr(offset);
    std::string head;  // what the client must read before the exchange's bytes
    ASSERT_TRUE(drive(*ends_, [&](Waits& w) {
        char buffer[16384];
        std::size_t n = 0;
        const int ret = SSL_read_ex(client_.get(), buffer, sizeof buffer, &n);
        if (ret == 1) {
            head.append(buffer, n);
            return head.size() >= offset;
        }
        w.client = client_wait(client_.get(), ret, "read");
        return w.client == 0;
    }));
    ASSERT_EQ(head.size(), offset);
    ASSERT_TRUE(exchange(*ends_, *server_, client_.get(), x));
    EXPECT_EQ(x.at_server, x.to_server);
    EXPECT_TRUE(head + x.at_client == payload);
    round_trip(30);  // both sides on their new keys
}

// The client's Finished and its first bytes often come in one segment; the server must
// not have read the bytes into OpenSSL's buffer before handing over.
TEST_F(Tls13StreamTest, BytesThatCameWithTheClientsFinishedAreRead)
{
    open();
    bool client_done = false;
    ASSERT_TRUE(drive(*ends_, [&](Waits& w) {
        const int ret = SSL_do_handshake(client_.get());
        client_done = ret == 1;
        if (!client_done) {
            w.client = client_wait(client_.get(), ret, "handshake");
            w.server = server_wait(server_->handshake());
        }
        return client_done;
    }));
    const std::string first = "<stream:stream xmlns='jabber:client' to='localhost'>";
    std::size_t n = 0;
    ASSERT_EQ(SSL_write_ex(client_.get(), first.data(), first.size(), &n), 1);
    pollfd fd{ends_->server, POLLIN, 0};
    ASSERT_EQ(poll(&fd, 1, stall_ms), 1);
    Io io = Io::want_read;
    ASSERT_TRUE(drive(*ends_, [&](Waits& w) {
        io = server_->handshake();
        w.server = server_wait(io);
        return io == Io::done || w.server == 0;
    }));
    ASSERT_EQ(io, Io::done) << server_->error();
    EXPECT_TRUE(server_->handed_over());
    std::string got;
    EXPECT_EQ(read_at_server(got, first.size()), Io::done);
    EXPECT_EQ(got, first);
}

TEST_F(Tls13StreamTest, AKeyUpdateSplitAcrossRecordsIsApplied)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    std::string records = seal(forger, tls13::application_data, "before ");
    records += seal(forger, tls13::handshake, std::string("\x18\x00", 2));
    records += seal(forger, tls13::handshake, std::string("\x00\x01\x00", 3));
    ASSERT_TRUE(forger.update());
    records += seal(forger, tls13::application_data, "after");
    send_raw(records);
    std::string got;
    for (int i = 0; i < 100 && got.size() < 12; ++i) {
        char buffer[64];
        std::size_t n = 0;
        const Io io = server_->read(buffer, sizeof buffer, n);
        ASSERT_TRUE(io == Io::done || io == Io::want_read) << server_->error();
        got.append(buffer, io == Io::done ? n : 0);
        if (io == Io::want_read) {
            pollfd fd{ends_->server, POLLIN, 0};
            poll(&fd, 1, 10);
        }
    }
    EXPECT_EQ(got, "before after");
}

}  // namespace
}  // namespace chorus::net
