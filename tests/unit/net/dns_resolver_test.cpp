// DnsResolver: c-ares SRV lookups driven by Asio, against a tiny DNS server on loopback.
#include "net/dns_resolver.h"

#include <gtest/gtest.h>

#include <array>
#include <boost/asio/ip/udp.hpp>
#include <optional>

namespace chorus::net {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;

void put16(std::string& out, unsigned v)
{
    out += static_cast<char>(v >> 8);
    out += static_cast<char>(v & 0xff);
}

std::string encode_name(const std::string& name)
{
    std::string out;
    std::size_t start = 0;
    while (start <= name.size()) {
        auto dot = name.find('.', start);
        if (dot == std::string::npos) {
            dot = name.size();
        }
        out += static_cast<char>(dot - start);
        out += name.substr(start, dot - start);
        start = dot + 1;
    }
    return out + '\0';
}

/// Answers every query: SRV records for names starting with "_xmpp-server._tcp.known",
/// NXDOMAIN otherwise.
struct StubDns {
    explicit StubDns(asio::io_context& io) : socket(io, {asio::ip::make_address("127.0.0.1"), 0})
    {
        serve();
    }
    void serve()
    {
        socket.async_receive_from(asio::buffer(buffer), peer,
                                  [this](boost::system::error_code ec, std::size_t n) {
                                      if (ec) {
                                          return;
                                      }
                                      answer(std::string(buffer.data(), n));
                                      serve();
                                  });
    }
    void answer(const std::string& query)
    {
        ++queries;
        std::size_t end = 12;
        while (end < query.size() && query[end] != 0) {
            end += static_cast<unsigned char>(query[end]) + 1;
        }
        const auto question = query.substr(12, end + 5 - 12);
        const bool known = question.find("known") != std::string::npos &&
                           question.find("unknown") == std::string::npos;
        std::string out = query.substr(0, 2);
        put16(out, known ? 0x8400 : 0x8403);  // response, authoritative; NXDOMAIN
        put16(out, 1);
        put16(out, known ? 2 : 0);
        put16(out, 0);
        put16(out, 0);
        out += question;
        if (known) {
            for (auto [priority, port, host] :
                 {std::tuple{10, 5270, "a.known"}, std::tuple{5, 5269, "b.known"}}) {
                std::string rdata;
                put16(rdata, priority);
                put16(rdata, 0);
                put16(rdata, port);
                rdata += encode_name(host);
                put16(out, 0xC00C);
                put16(out, 33);
                put16(out, 1);
                put16(out, 0);
                put16(out, 60);
                put16(out, rdata.size());
                out += rdata;
            }
        }
        socket.send_to(asio::buffer(out), peer);
    }
    std::string address() const
    {
        return "127.0.0.1:" + std::to_string(socket.local_endpoint().port());
    }

    udp::socket socket;
    udp::endpoint peer;
    std::array<char, 512> buffer{};
    int queries = 0;
};

std::optional<std::vector<SrvRecord>> lookup(asio::io_context& io, DnsResolver& resolver,
                                             const std::string& name)
{
    std::optional<std::vector<SrvRecord>> got;
    resolver.srv(name, [&](std::vector<SrvRecord> records) { got = std::move(records); });
    EXPECT_FALSE(got) << "never from inside srv()";
    for (int i = 0; i < 500 && !got; ++i) {
        io.restart();
        io.run_one_for(std::chrono::milliseconds(10));
    }
    return got;
}

TEST(DnsResolver, SrvRecordsFromTheServer)
{
    asio::io_context io;
    StubDns dns(io);
    DnsResolver resolver(io, dns.address());
    ASSERT_TRUE(resolver.ready());
    auto got = lookup(io, resolver, "_xmpp-server._tcp.known.example");
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), 2u);
    auto ordered = order_srv(*got, system_random());
    EXPECT_EQ(ordered[0].target, "b.known");
    EXPECT_EQ(ordered[0].port, 5269);
    EXPECT_EQ(ordered[1].target, "a.known");
    EXPECT_EQ(ordered[1].port, 5270);
    EXPECT_EQ(ordered[1].priority, 10);
}

TEST(DnsResolver, NxdomainIsNoRecordsAndSeveralLookupsShareTheChannel)
{
    asio::io_context io;
    StubDns dns(io);
    DnsResolver resolver(io, dns.address());
    auto none = lookup(io, resolver, "_xmpp-server._tcp.unknown.example");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
    for (int i = 0; i < 3; ++i) {
        auto got = lookup(io, resolver, "_xmpp-server._tcp.known.example");
        ASSERT_TRUE(got);
        EXPECT_EQ(got->size(), 2u);
    }
    EXPECT_EQ(dns.queries, 4);
}

TEST(DnsResolver, DestroyedWithAQueryPendingCallsNothing)
{
    asio::io_context io;
    bool called = false;
    udp::socket silent(io, {asio::ip::make_address("127.0.0.1"), 0});  // reads nothing
    {
        DnsResolver resolver(io, "127.0.0.1:" + std::to_string(silent.local_endpoint().port()));
        resolver.srv("_xmpp-server._tcp.known.example", [&](auto) { called = true; });
        io.restart();
        io.run_for(std::chrono::milliseconds(20));
    }
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(called);
}

}  // namespace
}  // namespace chorus::net
