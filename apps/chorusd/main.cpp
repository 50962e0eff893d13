// chorusd: the Chorus XMPP server (RFC 6120/6121 + XEP-0409 IM Routing-NG).
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <fstream>
#include <iostream>

#include "base/config.h"
#include "http/http_server.h"
#include "net/listener.h"
#include "net/s2s_listener.h"
#include "net/tls.h"
#include "server/server.h"
#include "stream/s2s_manager.h"

namespace {

int serve(chorus::Config config, const std::string& ready_file)
{
    namespace asio = boost::asio;
    asio::io_context io(1);
    chorus::SystemClock clock;
    chorus::Server server(io, config, clock);
    if (auto r = server.start(); !r) {
        std::cerr << "chorusd: " << r.error() << "\n";
        return 1;
    }
    auto tls = chorus::net::make_tls_context(config);
    if (!tls) {
        std::cerr << "chorusd: " << tls.error() << "\n";
        return 1;
    }
    chorus::stream::ConnectionSet connections;
    std::vector<std::unique_ptr<chorus::net::Listener>> listeners;
    auto listen = [&](int port, bool direct_tls) -> bool {
        auto l = std::make_unique<chorus::net::Listener>(server, connections, **tls, direct_tls);
        if (auto r = l->open(config.bind_address, port); !r) {
            std::cerr << "chorusd: " << r.error() << "\n";
            return false;
        }
        l->start();
        listeners.push_back(std::move(l));
        return true;
    };
    if (!listen(config.c2s_port, false)) {
        return 1;
    }
    if (config.c2s_direct_tls_port >= 0 && config.c2s_direct_tls_port != 0) {
        if (!listen(config.c2s_direct_tls_port, true)) {
            return 1;
        }
    }
    // Federation (RFC 6120 §13): the s2s listener and the links it and the router use.
    chorus::net::S2sTls s2s_tls;
    std::unique_ptr<chorus::stream::S2sManager> s2s;
    std::unique_ptr<chorus::net::S2sListener> s2s_listener;
    if (config.s2s_enabled) {
        auto made = chorus::net::make_s2s_tls(config);
        if (!made) {
            std::cerr << "chorusd: " << made.error() << "\n";
            return 1;
        }
        s2s_tls = std::move(*made);
        s2s =
            std::make_unique<chorus::stream::S2sManager>(server, *s2s_tls.server, *s2s_tls.client);
        s2s_listener = std::make_unique<chorus::net::S2sListener>(server, *s2s);
        if (auto r = s2s_listener->open(config.s2s_bind_address, config.s2s_port); !r) {
            std::cerr << "chorusd: " << r.error() << "\n";
            return 1;
        }
        s2s_listener->start();
        server.set_remote(s2s.get());
        spdlog::info("chorusd federating on {}:{}", config.s2s_bind_address, s2s_listener->port());
    }
    const int s2s_port = s2s_listener ? s2s_listener->port() : 0;
    // Issue 16: the HTTP listener (WebSocket, host-meta, upload, metrics).
    std::unique_ptr<chorus::http::HttpServer> http;
    if (config.http.enabled) {
        http = std::make_unique<chorus::http::HttpServer>(server, connections, **tls);
        if (auto r = http->open(); !r) {
            std::cerr << "chorusd: " << r.error() << "\n";
            return 1;
        }
        http->start();
        // Upload links name this URL: http.external_url, else the listener itself (HTTPS
        // when on, with the first domain; plain HTTP at its address when on loopback).
        std::string url = config.http.external_url;
        if (url.empty() && http->tls_port()) {
            url = fmt::format("https://{}:{}", config.domains.front(), http->tls_port());
        } else if (url.empty()) {
            const bool loopback = config.http.bind.starts_with("127.") || config.http.bind == "::1";
            url = fmt::format("http://{}:{}", loopback ? config.http.bind : config.domains.front(),
                              http->port());
        }
        while (url.ends_with('/')) {
            url.pop_back();
        }
        server.set_http_url(std::move(url));
        spdlog::info("HTTP on {}:{}{}", config.http.bind, http->port(),
                     http->tls_port() ? fmt::format(" and :{} (HTTPS)", http->tls_port()) : "");
    }
    const int c2s_port = listeners[0]->port();
    const int tls_port = listeners.size() > 1 ? listeners[1]->port() : 0;
    spdlog::info("chorusd serving {} on {}:{} (STARTTLS){}", fmt::join(config.domains, ", "),
                 config.bind_address, c2s_port,
                 tls_port ? fmt::format(" and :{} (direct TLS)", tls_port) : "");
    if (!ready_file.empty()) {  // tests read the ports chosen for port 0 from here
        std::ofstream(ready_file + ".tmp")
            << "{\"c2s\": " << c2s_port << ", \"direct_tls\": " << tls_port
            << ", \"s2s\": " << s2s_port << ", \"http\": " << (http ? http->port() : 0)
            << ", \"https\": " << (http ? http->tls_port() : 0) << "}\n";
        std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
    }

    // Idle sessions give their parser memory back (about 10 KiB each) a second or two after
    // their last stanza.
    asio::steady_timer sweeper(io);
    std::function<void()> sweep = [&] {
        sweeper.expires_after(chorus::stream::ConnectionSet::sweep_period);
        sweeper.async_wait([&](boost::system::error_code ec) {
            if (!ec) {
                connections.sweep_idle();
                sweep();
            }
        });
    };
    sweep();

    asio::signal_set signals(io, SIGINT, SIGTERM);
    asio::steady_timer deadline(io);
    // Owned here, not by its own closure: a self-owning closure outlived the loop (a leak).
    asio::steady_timer poll_timer(io);
    std::function<void()> poll_closed;
    signals.async_wait([&](boost::system::error_code ec, int sig) {
        if (ec) {
            return;
        }
        spdlog::info("signal {}: closing every stream with <system-shutdown/>", sig);
        sweeper.cancel();
        for (auto& l : listeners) {
            l->stop();
        }
        server.hooks().server_stopping.run();  // queued ahead of the streams' closing
        if (s2s) {
            s2s_listener->stop();
            s2s->close_all();
        }
        if (http) {
            http->stop();
        }
        connections.close_all({chorus::StreamCondition::system_shutdown, "The server is stopping"});
        // Sessions get a moment to flush their last bytes, then the loop ends.
        deadline.expires_after(std::chrono::seconds(3));
        deadline.async_wait([&](boost::system::error_code) { io.stop(); });
        poll_closed = [&] {
            if (connections.size() == 0) {
                io.stop();
                return;
            }
            poll_timer.expires_after(std::chrono::milliseconds(20));
            poll_timer.async_wait([&](boost::system::error_code ec) {
                if (!ec) {
                    poll_closed();
                }
            });
        };
        poll_closed();
    });
    io.run();
    server.set_remote(nullptr);
    spdlog::info("chorusd stopped");
    return 0;
}

}  // namespace

int main(int argc, char** argv)
{
    CLI::App app{"chorusd: the Chorus XMPP server"};
    std::string config_path, data_dir, ready_file, log_level;
    app.add_option("-c,--config", config_path, "TOML configuration file (optional)");
    app.add_option("--data-dir", data_dir, "data directory (overrides data_dir)");
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error");
    app.add_option("--ready-file", ready_file, "write the listening ports here as JSON");
    CLI11_PARSE(app, argc, argv);

    chorus::Config config;
    if (!config_path.empty()) {
        auto loaded = chorus::load_config(config_path);
        if (!loaded) {
            std::cerr << "chorusd: " << config_path << ": " << loaded.error() << "\n";
            return 2;
        }
        config = std::move(*loaded);
    }
    if (!data_dir.empty()) {
        config.data_dir = data_dir;
    }
    if (!log_level.empty()) {
        config.log_level = log_level;
    }
    if (auto v = chorus::validate_config(config); !v) {
        std::cerr << "chorusd: " << v.error() << "\n";
        return 2;
    }
    if (config.threads != 1) {
        // TODO(chorus): one io_context per core with the session table sharded by bare JID
        // (DESIGN.md); until then a second thread would only race.
        std::cerr << "chorusd: threads: only 1 I/O thread is supported by this version\n";
        return 2;
    }
    spdlog::set_level(spdlog::level::from_str(config.log_level));
    std::signal(SIGPIPE, SIG_IGN);
    return serve(std::move(config), ready_file);
}
