// ModuleTestServer: a started Server (every module attached) on a temp data_dir, with fake
// sessions and a settable clock, so module tests drive real IQs and hooks without sockets.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "router/fake_session.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/stanza_bytes.h"
#include "stanza/namespaces.h"
#include "xml/stream_parser.h"

namespace chorus::testing {

class FakeClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override { return now_; }
    void advance(std::chrono::system_clock::duration d) { now_ += d; }

private:
    std::chrono::system_clock::time_point now_ =
        std::chrono::sys_days{std::chrono::year{2026} / 3 / 1} + std::chrono::hours{12};
};

/// Parses one stanza written without xmlns (as the c2s stream carries it) into jabber:client.
inline std::optional<xml::Element> parse_stanza(std::string_view text)
{
    return parse_stanza_bytes(text);
}

class ModuleTestServer {
public:
    using FakeSession = router::testing::FakeSession;

    explicit ModuleTestServer(Config config = {})
    {
        namespace fs = std::filesystem;
        std::string pattern = (fs::temp_directory_path() / "chorus-module-XXXXXX").string();
        EXPECT_NE(mkdtemp(pattern.data()), nullptr);
        root_ = pattern;
        config.data_dir = (fs::path(root_) / "data").string();
        config.domains = {"localhost"};
        server_ = std::make_unique<Server>(io_, std::move(config), clock_);
        auto started = server_->start();
        EXPECT_TRUE(started.has_value()) << (started ? "" : started.error());
    }

    ~ModuleTestServer()
    {
        for (auto& s : sessions_) {
            if (server_->sessions().find(s->jid()) == s.get()) {
                server_->router().session_closed(*s);
            }
        }
        server_.reset();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }

    Server& server() { return *server_; }
    FakeClock& clock() { return clock_; }

    /// Creates the account of a bare JID (no usable password).
    void add_account(std::string_view bare)
    {
        const auto jid = *Jid::parse(bare);
        auto r = server_->accounts().create(jid.node(), jid.domain(), storage::Credentials{});
        EXPECT_TRUE(r.has_value());
    }

    /// Binds a session (its account must exist); flags as the router will see them.
    FakeSession& bind(std::string_view full_jid, router::SessionFlags flags = {})
    {
        sessions_.push_back(std::make_unique<FakeSession>(std::string(full_jid), flags));
        server_->router().session_bound(*sessions_.back());
        return *sessions_.back();
    }

    void close(FakeSession& s) { server_->router().session_closed(s); }

    /// The session sends a stanza, as parsed from its stream.
    void send(FakeSession& s, std::string_view text)
    {
        auto stanza = parse_stanza(text);
        ASSERT_TRUE(stanza.has_value()) << text;
        server_->router().from_session(s, std::move(*stanza));
        settle();
    }

    /// Runs the I/O context until every copy held for the archive has left: the writer's
    /// commit reports arrive as posts (DESIGN.md "archive before delivery").
    void settle()
    {
        auto& gate = server_->router().gate();
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while ((gate.watched() > 0 || gate.waiting_sessions() > 0) &&
               std::chrono::steady_clock::now() < deadline) {
            io_.restart();
            if (io_.poll() == 0) {
                std::this_thread::sleep_for(std::chrono::microseconds(100));
            }
        }
        EXPECT_EQ(gate.watched() + gate.waiting_sessions(), 0u) << "the archive never settled";
    }

    /// Sends an IQ and returns the session's last stanza (the answer), parsed.
    xml::Element ask(FakeSession& s, std::string_view iq)
    {
        s.sent.clear();
        send(s, iq);
        EXPECT_FALSE(s.sent.empty()) << "no answer to " << iq;
        if (s.sent.empty()) {
            return {};
        }
        return parse_stanza(s.sent.back()).value_or(xml::Element());
    }

    /// The defined-condition element name of an error stanza, or "" when it is none.
    static std::string condition(const xml::Element& stanza)
    {
        if (stanza.attr("type") != "error") {
            return {};
        }
        const auto* error = stanza.child("error", ns::client);
        if (!error) {
            return {};
        }
        const auto* cond = error->child_in(ns::stanza_errors);
        return cond ? cond->name() : std::string();
    }

private:
    boost::asio::io_context io_;
    FakeClock clock_;
    std::string root_;
    std::unique_ptr<Server> server_;
    std::vector<std::unique_ptr<FakeSession>> sessions_;
};

}  // namespace chorus::testing
