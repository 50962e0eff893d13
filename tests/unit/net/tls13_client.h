// The client end of a Tls13Stream under test: an OpenSSL client whose handshake hands the
// server's side over, and a forger that seals records as the client would (its secret from
// the key log), so a test can send what no OpenSSL client sends.
#pragma once

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "net/tls13_records.h"
#include "net/tls_connection.h"
#include "net/tls_peer.h"

namespace chorus::net::testing {

using Io = TlsConnection::Io;

struct SessionFree {
    void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
};

// The client's traffic secret, from its key log, so a test can forge the client's records.
inline std::string client_secret_hex;

inline void log_client_secret(const SSL*, const char* line)
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

}  // namespace chorus::net::testing
