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
#include "net/listener.h"
#include "net/tls.h"
#include "server/server.h"

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
    const int c2s_port = listeners[0]->port();
    const int tls_port = listeners.size() > 1 ? listeners[1]->port() : 0;
    spdlog::info("chorusd serving {} on {}:{} (STARTTLS){}", fmt::join(config.domains, ", "),
                 config.bind_address, c2s_port,
                 tls_port ? fmt::format(" and :{} (direct TLS)", tls_port) : "");
    if (!ready_file.empty()) {  // tests read the ports chosen for port 0 from here
        std::ofstream(ready_file + ".tmp")
            << "{\"c2s\": " << c2s_port << ", \"direct_tls\": " << tls_port << "}\n";
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
