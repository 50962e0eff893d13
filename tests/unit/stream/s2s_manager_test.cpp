// S2sManager: stanzas for a remote domain wait for its link, bounded, and come back as
// errors when the link fails or times out (never lost silently); what expects no answer gets
// none. XEP-0288: a bidi incoming stream carries our stanzas for the pair it proved.
#include "stream/s2s_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <regex>

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

/// A raw server socket played by the test: what it read so far, read while the server runs.
struct RawPeer {
    asio::ip::tcp::socket socket;
    std::string text;

    void write(std::string_view bytes) { asio::write(socket, asio::buffer(bytes)); }

    /// Takes the next connection the server makes to `acceptor` (false after ~5 s).
    bool accept_from(ModuleTestServer& t, asio::ip::tcp::acceptor& acceptor)
    {
        acceptor.non_blocking(true);
        for (int i = 0; i < 500 && !socket.is_open(); ++i) {
            boost::system::error_code ec;
            acceptor.accept(socket, ec);
            auto& io = t.server().io();
            io.restart();
            io.run_one_for(std::chrono::milliseconds(10));
        }
        if (socket.is_open()) {
            socket.non_blocking(false);
        }
        return socket.is_open();
    }

    /// Reads until `what` has arrived (false after ~5 s); the server's io runs meanwhile.
    bool read_until(ModuleTestServer& t, std::string_view what)
    {
        auto& io = t.server().io();
        for (int i = 0; i < 500 && text.find(what) == std::string::npos; ++i) {
            io.restart();
            io.run_one_for(std::chrono::milliseconds(10));
            boost::system::error_code ec;
            while (socket.available(ec) > 0 && !ec) {
                std::array<char, 4096> buf{};
                const auto n = socket.read_some(asio::buffer(buf), ec);
                text.append(buf.data(), n);
            }
        }
        return text.find(what) != std::string::npos;
    }
};

constexpr std::string_view peer_header =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
    "from='peer.example' to='localhost' version='1.0'>";

/// A receiving server's stream header and features, dialback and bidi offered.
std::string answer_offering_bidi(std::string_view id)
{
    return "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
           "xmlns:db='jabber:server:dialback' id='" +
           std::string(id) +
           "' version='1.0'><stream:features><dialback xmlns='urn:xmpp:features:dialback'/>"
           "<bidi xmlns='urn:xmpp:features:bidi'/></stream:features>";
}

/// peer.example's stream to us asks for bidi and sends a key, which the raw authoritative
/// server behind `authoritative` confirms over our verification link.
void connect_bidi_peer(ModuleTestServer& t, S2sManager& s2s, asio::ip::tcp::acceptor& authoritative,
                       RawPeer& peer, RawPeer& verifier, int receive_buffer = 0)
{
    asio::ip::tcp::acceptor listener(t.server().io(), {asio::ip::make_address("127.0.0.1"), 0});
    peer.socket.open(asio::ip::tcp::v4());
    if (receive_buffer > 0) {  // a peer that reads little (set before the handshake)
        peer.socket.set_option(asio::socket_base::receive_buffer_size(receive_buffer));
    }
    peer.socket.connect(listener.local_endpoint());
    s2s.accept(listener.accept());
    peer.write(peer_header);
    ASSERT_TRUE(peer.read_until(t, "</stream:features>")) << peer.text;
    EXPECT_NE(peer.text.find("<bidi xmlns='urn:xmpp:features:bidi'/>"), std::string::npos)
        << "XEP-0288 §2.1: offered where authentication can happen: " << peer.text;
    peer.write(
        "<bidi xmlns='urn:xmpp:bidi'/><db:result from='peer.example' "
        "to='localhost'>k3y</db:result>");

    ASSERT_TRUE(verifier.accept_from(t, authoritative)) << "no verification link";
    ASSERT_TRUE(verifier.read_until(t, "<stream:stream"));
    verifier.write(answer_offering_bidi("auth-1"));
    ASSERT_TRUE(verifier.read_until(t, "</db:verify>")) << verifier.text;
    std::smatch id;
    ASSERT_TRUE(std::regex_search(verifier.text, id, std::regex("db:verify[^>]* id='([^']+)'")));
    verifier.write("<db:verify from='peer.example' to='localhost' id='" + id[1].str() +
                   "' type='valid'>k3y</db:verify>");
    ASSERT_TRUE(peer.read_until(t, "type='valid'")) << peer.text;
}

/// The server with a route to `authoritative` for peer.example, plaintext, and alice.
Config bidi_config(const asio::ip::tcp::acceptor& authoritative)
{
    Config config;
    config.s2s_routes = {"peer.example=127.0.0.1:" +
                         std::to_string(authoritative.local_endpoint().port())};
    config.s2s_require_tls = false;  // plaintext, so the test reads the XML
    config.s2s_require_valid_certs = false;
    return config;
}

TEST(S2sManager, BidiStreamCarriesOurStanzasOnceItsKeyIsConfirmedOverAVerificationLink)
{
    asio::io_context raw_io;
    asio::ip::tcp::acceptor authoritative(raw_io, {asio::ip::make_address("127.0.0.1"), 0});
    ModuleTestServer t(bidi_config(authoritative));
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    S2sManager s2s(t.server(), server_tls, client_tls);
    t.server().set_remote(&s2s);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");
    RawPeer peer{asio::ip::tcp::socket(raw_io), {}}, verifier{asio::ip::tcp::socket(raw_io), {}};
    connect_bidi_peer(t, s2s, authoritative, peer, verifier);
    if (HasFatalFailure()) {
        return;
    }
    // The verification link only asked (no key of ours, no bidi request), then closed.
    EXPECT_EQ(verifier.text.find("db:result"), std::string::npos) << verifier.text;
    EXPECT_EQ(verifier.text.find("urn:xmpp:bidi'"), std::string::npos) << verifier.text;
    EXPECT_TRUE(verifier.read_until(t, "</stream:stream>")) << "answered, the link closes";

    // alice's message leaves over the peer's own stream; the listing shows that one, bidi.
    t.send(alice, "<message to='bob@peer.example' id='m1' type='chat'><body>hi</body></message>");
    ASSERT_TRUE(peer.read_until(t, "<body>hi</body></message>")) << peer.text;
    EXPECT_NE(peer.text.find("from='alice@localhost/a'"), std::string::npos) << peer.text;
    const auto links = s2s.links();
    ASSERT_EQ(links.size(), 1u);
    EXPECT_EQ(links[0].direction, "in");
    EXPECT_TRUE(links[0].bidi);

    // XEP-0288 §2.2: too late once the pair is proved.
    peer.write("<bidi xmlns='urn:xmpp:bidi'/>");
    EXPECT_TRUE(peer.read_until(t, "<policy-violation")) << peer.text;
    EXPECT_TRUE(error_conditions(alice.sent).empty()) << "nothing bounced";
    s2s.close_all();
    t.server().set_remote(nullptr);
}

TEST(S2sManager, WhatABidiStreamThatStoppedReadingNeverTookComesBackAsErrors)
{
    asio::io_context raw_io;
    asio::ip::tcp::acceptor authoritative(raw_io, {asio::ip::make_address("127.0.0.1"), 0});
    auto config = bidi_config(authoritative);
    config.limits.write_high_watermark = 4096;  // cut past 16 KiB queued
    ModuleTestServer t(std::move(config));
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    S2sManager s2s(t.server(), server_tls, client_tls);
    t.server().set_remote(&s2s);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");
    RawPeer peer{asio::ip::tcp::socket(raw_io), {}}, verifier{asio::ip::tcp::socket(raw_io), {}};
    connect_bidi_peer(t, s2s, authoritative, peer, verifier, 4096);
    if (HasFatalFailure()) {
        return;
    }
    const std::string body(8000, 'x');
    int sent = 0;
    for (; sent < 3000 && error_conditions(alice.sent).empty(); ++sent) {
        t.send(alice,
               "<message to='bob@peer.example' type='chat'><body>" + body + "</body></message>");
    }
    const auto errors = error_conditions(alice.sent);
    ASSERT_FALSE(errors.empty()) << "the stream was never cut after " << sent;
    for (const auto& e : errors) {
        EXPECT_EQ(e, "remote-server-timeout");
    }
    EXPECT_TRUE(s2s.links().empty()) << "the cut stream is forgotten";
    // Every message reached the peer or came back (none lost): the peer reads it all now.
    peer.socket.non_blocking(true);
    for (int i = 0; i < 1000; ++i) {
        std::array<char, 65536> buf{};
        boost::system::error_code ec;
        const auto n = peer.socket.read_some(asio::buffer(buf), ec);
        if (ec == asio::error::would_block) {
            auto& io = t.server().io();
            io.restart();
            io.run_one_for(std::chrono::milliseconds(10));
            continue;
        }
        if (ec) {
            break;  // the end of what the server wrote before cutting the stream
        }
        peer.text.append(buf.data(), n);
    }
    std::size_t received = 0;
    for (auto at = peer.text.find(body); at != std::string::npos;
         at = peer.text.find(body, at + body.size())) {
        ++received;
    }
    EXPECT_GE(received + errors.size(), static_cast<std::size_t>(sent))
        << received << " received, " << errors.size() << " bounced";
    s2s.close_all();
    t.server().set_remote(nullptr);
}

TEST(S2sManager, AStanzaABidiStreamNeverTookIsRoutedAgainOverALinkOfOurs)
{
    asio::io_context raw_io;
    asio::ip::tcp::acceptor authoritative(raw_io, {asio::ip::make_address("127.0.0.1"), 0});
    ModuleTestServer t(bidi_config(authoritative));
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    S2sManager s2s(t.server(), server_tls, client_tls);
    t.server().set_remote(&s2s);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");
    RawPeer peer{asio::ip::tcp::socket(raw_io), {}}, verifier{asio::ip::tcp::socket(raw_io), {}};
    connect_bidi_peer(t, s2s, authoritative, peer, verifier);
    if (HasFatalFailure()) {
        return;
    }
    // The peer resets the connection; alice's message is queued on it before we notice.
    peer.socket.set_option(asio::socket_base::linger(true, 0));
    peer.socket.close();
    t.send(alice,
           "<message to='bob@peer.example' id='m2' type='chat'><body>again</body></message>");

    // Never written, so routed again: over a new link of ours, once it is up.
    RawPeer link{asio::ip::tcp::socket(raw_io), {}};
    ASSERT_TRUE(link.accept_from(t, authoritative)) << "no link of ours";
    ASSERT_TRUE(link.read_until(t, "<stream:stream"));
    link.write(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "
        "xmlns:db='jabber:server:dialback' id='in-2' version='1.0'><stream:features>"
        "<dialback xmlns='urn:xmpp:features:dialback'/></stream:features>");
    ASSERT_TRUE(link.read_until(t, "</db:result>")) << link.text;
    link.write("<db:result from='peer.example' to='localhost' type='valid'/>");
    EXPECT_TRUE(link.read_until(t, "<body>again</body></message>")) << link.text;
    EXPECT_TRUE(error_conditions(alice.sent).empty()) << "nothing bounced";
    s2s.close_all();
    t.server().set_remote(nullptr);
}

TEST(S2sManager, OurLinkAsksForBidiAndTakesThePeersStanzasForThePairOnly)
{
    asio::io_context raw_io;
    asio::ip::tcp::acceptor receiving(raw_io, {asio::ip::make_address("127.0.0.1"), 0});
    Config config;
    config.s2s_routes = {"peer.example=127.0.0.1:" +
                         std::to_string(receiving.local_endpoint().port())};
    config.s2s_require_tls = false;
    config.s2s_require_valid_certs = false;
    ModuleTestServer t(std::move(config));
    asio::ssl::context server_tls(asio::ssl::context::tls_server);
    asio::ssl::context client_tls(asio::ssl::context::tls_client);
    S2sManager s2s(t.server(), server_tls, client_tls);
    t.server().set_remote(&s2s);
    t.add_account("alice@localhost");
    auto& alice = t.bind("alice@localhost/a");

    t.send(alice, "<message to='bob@peer.example' id='m1' type='chat'><body>1</body></message>");
    RawPeer peer{asio::ip::tcp::socket(raw_io), {}};
    ASSERT_TRUE(peer.accept_from(t, receiving)) << "no link";
    ASSERT_TRUE(peer.read_until(t, "<stream:stream"));
    peer.write(answer_offering_bidi("in-1"));
    ASSERT_TRUE(peer.read_until(t, "</db:result>")) << peer.text;
    const auto bidi_at = peer.text.find("<bidi xmlns='urn:xmpp:bidi'/>");
    ASSERT_NE(bidi_at, std::string::npos) << peer.text;
    EXPECT_LT(bidi_at, peer.text.find("<db:result")) << "XEP-0288 §2.2: before dialback";
    peer.write("<db:result from='peer.example' to='localhost' type='valid'/>");
    ASSERT_TRUE(peer.read_until(t, "<body>1</body></message>")) << "the queue went out";
    ASSERT_EQ(s2s.links().size(), 1u);
    EXPECT_TRUE(s2s.links()[0].bidi);

    // The peer's stanza for the pair comes in over our link; another domain's is refused.
    peer.write(
        "<message from='bob@peer.example/x' to='alice@localhost/a' type='chat'>"
        "<body>back</body></message>");
    auto received = [&](std::string_view body) {
        return std::any_of(alice.sent.begin(), alice.sent.end(),
                           [&](const auto& s) { return s.find(body) != std::string::npos; });
    };
    auto& io = t.server().io();
    for (int i = 0; i < 500 && !received("<body>back</body>"); ++i) {
        io.restart();
        io.run_one_for(std::chrono::milliseconds(10));
        t.settle();
    }
    EXPECT_TRUE(received("<body>back</body>"));
    peer.write("<message from='eve@other.example' to='alice@localhost/a'><body>x</body></message>");
    EXPECT_TRUE(peer.read_until(t, "<invalid-from")) << peer.text;
    EXPECT_FALSE(received("<body>x</body>"));
    s2s.close_all();
    t.server().set_remote(nullptr);
}

}  // namespace
}  // namespace chorus::stream
