// Tests for src/net/tls13_stream.cpp and the handover in src/net/tls_connection.cpp: after a
// TLS 1.3 handshake the server's records come from a Tls13Stream, and an OpenSSL client
// must not notice: every suite, session tickets, resumption, key updates, channel bindings,
// bytes that came with the client's Finished, and the records a client may not send.
#include "net/tls13_stream.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "net/tls_connection.h"
#include "net/tls_peer.h"

namespace chorus::net {
namespace {

using namespace chorus::net::testing;
using Io = TlsConnection::Io;

struct SessionFree {
    void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
};

// The client's traffic secret, from its key log, so a test can forge the client's records.
std::string client_secret_hex;

void log_client_secret(const SSL*, const char* line)
{
    const std::string text(line);
    if (text.rfind("CLIENT_TRAFFIC_SECRET_0 ", 0) == 0) {
        client_secret_hex = text.substr(text.rfind(' ') + 1);
    }
}

class Tls13StreamTest : public ::testing::Test {
protected:
    void open(const char* suites = nullptr, int tickets = -1, SSL_SESSION* resume = nullptr,
              int max_version = 0, int server_sndbuf = 0)
    {
        ends_ = std::make_unique<Ends>();
        connect_ends(Transport::tcp_loopback, server_sndbuf, *ends_);
        if (!client_context_) {
            client_context_.reset(SSL_CTX_new(TLS_client_method()));
            ASSERT_NE(client_context_, nullptr);
            SSL_CTX_set_verify(client_context_.get(), SSL_VERIFY_NONE, nullptr);
            SSL_CTX_set_keylog_callback(client_context_.get(), log_client_secret);
        }
        client_.reset(SSL_new(client_context_.get()));
        ASSERT_NE(client_, nullptr);
        SSL_set_fd(client_.get(), ends_->client);
        SSL_set_connect_state(client_.get());
        SSL_set_tlsext_host_name(client_.get(), "localhost");
        if (suites != nullptr) {
            ASSERT_EQ(SSL_set_ciphersuites(client_.get(), suites), 1);
        }
        if (resume != nullptr) {
            ASSERT_EQ(SSL_set_session(client_.get(), resume), 1);
        }
        if (max_version != 0) {
            ASSERT_EQ(SSL_set_max_proto_version(client_.get(), max_version), 1);
        }
        server_ = std::make_unique<TlsConnection>(TlsServerContext::get(), ends_->server);
        if (tickets >= 0) {
            ASSERT_EQ(SSL_set_num_tickets(server_->native_handle(), tickets), 1);
        }
    }

    ::testing::AssertionResult handshake()
    {
        return testing::handshake(*ends_, *server_, client_.get());
    }

    // Both ways at once, then small turns: the bytes arrive intact.
    void round_trip(unsigned seed)
    {
        Exchange x;
        x.to_server = pattern(100000, seed);
        x.to_client = pattern(150000, seed + 1);
        ASSERT_TRUE(exchange(*ends_, *server_, client_.get(), x));
        ASSERT_TRUE(x.at_server == x.to_server) << x.at_server.size();
        ASSERT_TRUE(x.at_client == x.to_client) << x.at_client.size();
        for (unsigned turn = 0; turn < 5; ++turn) {
            Exchange small;
            small.to_server = pattern(1 + turn * 397, seed + turn);
            small.to_client = pattern(1 + turn * 211, seed + turn + 100);
            ASSERT_TRUE(exchange(*ends_, *server_, client_.get(), small));
            ASSERT_TRUE(small.at_server == small.to_server) << "turn " << turn;
            ASSERT_TRUE(small.at_client == small.to_client) << "turn " << turn;
        }
    }

    // Reads at the server until it fails or closes, or until got holds enough bytes;
    // returns the last outcome.
    Io read_at_server(std::string& got, std::size_t enough = std::string::npos)
    {
        Io io = Io::want_read;
        EXPECT_TRUE(drive(*ends_, [&](Waits& w) {
            char buffer[4096];
            std::size_t n = 0;
            io = server_->read(buffer, sizeof buffer, n);
            if (io == Io::done) {
                got.append(buffer, n);
                return got.size() >= enough;
            }
            w.server = server_wait(io);
            return w.server == 0;
        }));
        return io;
    }

    // The client's read after the server failed: the alert it got, 0 if none.
    int alert_at_client()
    {
        int reason = 0;
        EXPECT_TRUE(drive(*ends_, [&](Waits& w) {
            char buffer[256];
            std::size_t n = 0;
            const int ret = SSL_read_ex(client_.get(), buffer, sizeof buffer, &n);
            if (ret == 1) {
                return false;
            }
            if (SSL_get_error(client_.get(), ret) == SSL_ERROR_WANT_READ) {
                w.client = POLLIN;
                return false;
            }
            reason = ERR_GET_REASON(ERR_peek_error());
            ERR_clear_error();
            return true;
        }));
        return reason;
    }

    // A direction sealing as the client does: its secret from the key log, its suite.
    void forge_client(Tls13Direction& forger)
    {
        std::vector<unsigned char> secret;
        for (std::size_t i = 0; i + 1 < client_secret_hex.size(); i += 2) {
            secret.push_back(
                static_cast<unsigned char>(std::stoi(client_secret_hex.substr(i, 2), nullptr, 16)));
        }
        Tls13Suite suite{};
        ASSERT_TRUE(tls13_suite_from_id(
            SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(client_.get())), suite));
        ASSERT_TRUE(forger.init(suite, secret, 0));
    }

    void send_raw(const std::string& bytes)
    {
        ASSERT_EQ(write(ends_->client, bytes.data(), bytes.size()),
                  static_cast<ssize_t>(bytes.size()));
    }

    std::string seal(Tls13Direction& forger, tls13::ContentType type, const std::string& content)
    {
        std::string record(content.size() + tls13::overhead, '\0');
        record.resize(forger.seal(type, content, record.data()));
        return record;
    }

    std::unique_ptr<Ends> ends_;
    std::unique_ptr<SSL_CTX, SslCtxFree> client_context_;
    std::unique_ptr<SSL, SslFree> client_;
    std::unique_ptr<TlsConnection> server_;
};

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

TEST_F(Tls13StreamTest, AlteredRecordFailsAndTheClientHearsBadRecordMac)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    std::string record = seal(forger, tls13::application_data, "<presence/>");
    record[8] = static_cast<char>(record[8] ^ 0x20);
    send_raw(record);
    std::string got;
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_TRUE(got.empty());
    EXPECT_NE(server_->error().find("authentication"), std::string::npos) << server_->error();
    EXPECT_EQ(alert_at_client(), SSL_R_SSLV3_ALERT_BAD_RECORD_MAC);
    std::size_t n = 0;
    char byte;
    EXPECT_EQ(server_->read(&byte, 1, n), Io::failed) << "a failed stream stays failed";
    EXPECT_EQ(server_->write("x", 1, n), Io::failed);
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

struct Forbidden {
    const char* name;
    tls13::ContentType type;
    const char* content;
    std::size_t size;
    const char* error;
    int alert;  // what the client hears
};

void PrintTo(const Forbidden& f, std::ostream* out)
{
    *out << f.name;
}

class Tls13ForbiddenTest : public Tls13StreamTest,
                           public ::testing::WithParamInterface<Forbidden> {};

const Forbidden forbidden[] = {
    {"NewSessionTicketFromTheClient", tls13::handshake, "\x04\x00\x00\x00", 4,
     "after the handshake", SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"KeyUpdateNotEndingItsRecord", tls13::handshake, "\x18\x00\x00\x01\x00\x18", 6,
     "end of its record", SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"KeyUpdateWithABadRequest", tls13::handshake, "\x18\x00\x00\x01\x02", 5, "malformed",
     SSL_R_SSLV3_ALERT_ILLEGAL_PARAMETER},
    {"ChangeCipherSpecContent", tls13::ContentType{20}, "\x01", 1, "unknown content type",
     SSL_R_SSLV3_ALERT_UNEXPECTED_MESSAGE},
    {"AlertOfThreeBytes", tls13::alert, "\x02\x00\x00", 3, "malformed TLS alert",
     SSL_R_TLSV1_ALERT_DECODE_ERROR},
};

TEST_P(Tls13ForbiddenTest, ARecordTheClientMayNotSendEndsTheStream)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    send_raw(seal(forger, GetParam().type, std::string(GetParam().content, GetParam().size)));
    std::string got;
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_NE(server_->error().find(GetParam().error), std::string::npos) << server_->error();
    EXPECT_EQ(alert_at_client(), GetParam().alert);
}

INSTANTIATE_TEST_SUITE_P(Records, Tls13ForbiddenTest, ::testing::ValuesIn(forbidden),
                         [](const auto& info) { return std::string(info.param.name); });

TEST_F(Tls13StreamTest, UnprotectedOrOversizedRecordsEndTheStream)
{
    for (const auto& [bytes, error] :
         {std::pair{std::string("\x16\x03\x03\x00\x04\x14\x00\x00\x00", 9), "unprotected"},
          std::pair{std::string("\x17\x03\x03\x42\x01", 5), "longer than"}}) {
        open();
        ASSERT_TRUE(handshake());
        send_raw(bytes);
        std::string got;
        EXPECT_EQ(read_at_server(got), Io::failed);
        EXPECT_NE(server_->error().find(error), std::string::npos) << server_->error();
    }
}

TEST_F(Tls13StreamTest, AFatalAlertFromTheClientEndsTheStreamWithItsCode)
{
    open();
    ASSERT_TRUE(handshake());
    Tls13Direction forger;
    forge_client(forger);
    send_raw(seal(forger, tls13::alert, std::string("\x02\x28", 2)));  // handshake_failure
    std::string got;
    EXPECT_EQ(read_at_server(got), Io::failed);
    EXPECT_NE(server_->error().find("alert 40"), std::string::npos) << server_->error();
}

}  // namespace
}  // namespace chorus::net
