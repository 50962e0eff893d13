// S2sManager: stanzas for a remote domain wait for its link, bounded, and come back as
// errors when the link fails or times out (never lost silently); what expects no answer gets none.
#include "stream/s2s_manager.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "../modules/module_test_server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"

namespace chorus::stream {
namespace {

namespace asio = boost::asio;
using chorus::testing::ModuleTestServer;

/// A loopback port nobody listens on: connecting is refused at once.
int closed_port()
{
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

Config config_with_route(int port)
{
    Config c;
    c.s2s_routes = {"down.example=127.0.0.1:" + std::to_string(port)};
    c.s2s_max_queue = 2;
    c.s2s_require_valid_certs = false;
    return c;
}

std::vector<std::string> error_conditions(const std::vector<std::string>& sent)
{
    std::vector<std::string> out;
    for (const auto& s : sent) {
        auto stanza = parse_stanza_bytes(s);
        if (stanza && stanza->attr("type") == "error") {
            const auto* error = stanza->child("error", ns::client);
            const auto* condition = error ? error->child_in(ns::stanza_errors) : nullptr;
            out.push_back(condition ? condition->name() : "?");
        }
    }
    return out;
}

TEST(S2sManager, QueuedStanzasBounceWhenTheLinkTimesOutAndTheQueueIsBounded)
{
    // A peer that takes the connection (the kernel's backlog) and never says a word.
    asio::io_context silent_io;
    asio::ip::tcp::acceptor silent(silent_io, {asio::ip::make_address("127.0.0.1"), 0});
    auto config = config_with_route(silent.local_endpoint().port());
    config.s2s_connect_timeout_s = 1;
    ModuleTestServer t(std::move(config));
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    S2sManager s2s(t.server(), server_tls, client_tls);
    t.server().set_remote(&s2s);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");

    t.send(alice, "<message to='bob@down.example' id='1' type='chat'><body>1</body></message>");
    t.send(alice, "<message to='bob@down.example' id='2' type='chat'><body>2</body></message>");
    EXPECT_TRUE(error_conditions(alice.sent).empty()) << "queued while the link comes up";
    t.send(alice, "<message to='bob@down.example' id='3' type='chat'><body>3</body></message>");
    EXPECT_EQ(error_conditions(alice.sent), std::vector<std::string>{"resource-constraint"})
        << "past s2s.max_queue at once";
    ASSERT_EQ(s2s.links().size(), 1u);
    EXPECT_EQ(s2s.links()[0].queued, 2u);

    auto& io = t.server().io();
    for (int i = 0; i < 1000 && error_conditions(alice.sent).size() < 3; ++i) {
        io.restart();
        io.run_one_for(std::chrono::milliseconds(10));
        t.settle();
    }
    EXPECT_EQ(error_conditions(alice.sent),
              (std::vector<std::string>{"resource-constraint", "remote-server-timeout",
                                        "remote-server-timeout"}));
    EXPECT_TRUE(s2s.links().empty()) << "the failed link is forgotten";
    s2s.close_all();
    t.server().set_remote(nullptr);
}

TEST(S2sManager, UnavailablePresenceAndErrorsAreNotAnswered)
{
    auto config = config_with_route(closed_port());
    config.s2s_max_queue = 10;
    ModuleTestServer t(std::move(config));
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    S2sManager s2s(t.server(), server_tls, client_tls);
    t.server().set_remote(&s2s);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");

    t.send(alice, "<presence to='bob@down.example' type='unavailable'/>");
    t.send(alice,
           "<message to='bob@down.example' type='error'><error type='cancel'>"
           "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
           "</message>");
    t.send(alice,
           "<iq to='bob@down.example/x' id='q' type='get'>"
           "<ping xmlns='urn:xmpp:ping'/></iq>");
    auto& io = t.server().io();
    for (int i = 0; i < 500 && error_conditions(alice.sent).empty(); ++i) {
        io.restart();
        io.run_one_for(std::chrono::milliseconds(10));
        t.settle();
    }
    // RFC 6120 §8.3.1: only the IQ request gets an answer.
    EXPECT_EQ(error_conditions(alice.sent), std::vector<std::string>{"remote-server-not-found"});
    s2s.close_all();
    t.server().set_remote(nullptr);
}

}  // namespace
}  // namespace chorus::stream
