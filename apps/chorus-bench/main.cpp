// apps/chorus-bench/main.cpp: chorus-bench, the load generator of issue 7: parses the command
// line, runs one scenario against one server and prints its figures.
#include "options.h"
#include "report.h"
#include "sessions.h"
#include "traffic.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <map>
#include <string>

namespace chorus::bench {

std::string account_node(const Options& options, int n)
{
    char digits[16];
    std::snprintf(digits, sizeof digits, "%04d", n);
    return options.users_prefix + digits;
}

namespace {

const char* scenario_name(Scenario s)
{
    switch (s) {
        case Scenario::pairs:
            return "pairs";
        case Scenario::saturation:
            return "saturation";
        case Scenario::fanout:
            return "fanout";
        case Scenario::idle:
            return "idle";
        case Scenario::register_accounts:
            return "register";
    }
    return "?";
}

}  // namespace
}  // namespace chorus::bench

int main(int argc, char** argv)
{
    using namespace chorus::bench;
    Options o;
    CLI::App app{
        "chorus-bench: XMPP load generator (pairs, saturation, fanout, idle, register).\n"
        "Accounts are PREFIX0001@DOMAIN upwards, all with one password."};
    const std::map<std::string, Scenario> scenarios{{"pairs", Scenario::pairs},
                                                    {"saturation", Scenario::saturation},
                                                    {"fanout", Scenario::fanout},
                                                    {"idle", Scenario::idle},
                                                    {"register", Scenario::register_accounts}};
    const std::map<std::string, Mechanism> mechanisms{{"scram-sha-1", Mechanism::scram_sha_1},
                                                      {"plain", Mechanism::plain}};
    std::string scenario;
    std::string mechanism = "scram-sha-1";
    app.add_option("scenario", scenario, "pairs | saturation | fanout | idle | register")
        ->required()
        ->check(CLI::IsMember(scenarios));
    app.add_option("--label", o.label, "server name for the report");
    app.add_option("--host", o.host, "server IP address")->capture_default_str();
    app.add_option("--port", o.port, "server c2s port")->capture_default_str();
    app.add_option("--domain", o.domain, "XMPP domain")->capture_default_str();
    app.add_option("--peer-host", o.peer_host, "pairs, saturation: the peer server's IP address")
        ->capture_default_str();
    app.add_option("--peer-port", o.peer_port,
                   "pairs, saturation: a federated server's c2s port; every pair's second "
                   "client logs in there, so messages cross the s2s link (0: one server)");
    app.add_option("--peer-domain", o.peer_domain, "the peer server's XMPP domain");
    app.add_option("--users-prefix", o.users_prefix, "account name prefix")->capture_default_str();
    app.add_option("--first-user", o.first_user, "number of the first account")
        ->capture_default_str();
    app.add_option("--password", o.password, "the accounts' shared password");
    app.add_option("--mech", mechanism, "SASL mechanism: scram-sha-1 | plain")
        ->check(CLI::IsMember(mechanisms))
        ->capture_default_str();
    app.add_flag("--starttls", o.starttls, "negotiate STARTTLS before SASL");
    std::string transport = "tcp";
    app.add_option("--transport", transport, "tcp | ws (XMPP over WebSocket, RFC 7395)")
        ->check(CLI::IsMember({"tcp", "ws"}))
        ->capture_default_str();
    app.add_option("--path", o.ws_path, "ws: the WebSocket path")->capture_default_str();
    app.add_flag("--tls-default-libctx", o.tls_default_libctx,
                 "TLS in OpenSSL's default library context, not the bench's lean one (for "
                 "comparison: ~1 M more instructions, ~50 us, per handshake)");
    app.add_flag("!--no-presence", o.presence, "do not send initial presence");
    app.add_flag("--carbons", o.carbons, "enable Message Carbons (XEP-0280) on receivers");
    app.add_flag("--imng", o.imng, "enable IM-NG (XEP-0409) on receivers");
    app.add_option("--threads", o.threads, "worker threads (one io_context each)")
        ->capture_default_str();
    app.add_option("--clients", o.clients, "pairs, saturation: clients")->capture_default_str();
    app.add_option("--accounts", o.accounts, "fanout: accounts (M)")->capture_default_str();
    app.add_option("--devices", o.devices, "fanout: devices per account (K)")
        ->capture_default_str();
    app.add_option("--contacts", o.contacts, "fanout: contacts writing to each account")
        ->capture_default_str();
    app.add_option("--sessions", o.sessions, "idle, register: sessions or accounts")
        ->capture_default_str();
    app.add_option("--login-concurrency", o.login_concurrency, "logins in flight")
        ->capture_default_str();
    app.add_option("--rate", o.rate, "total messages/s (0: window mode)")->capture_default_str();
    app.add_option("--window", o.window, "messages in flight per sender (saturation)")
        ->capture_default_str();
    app.add_option("--warmup", o.warmup, "seconds of load before the window")
        ->capture_default_str();
    app.add_option("--duration", o.duration, "seconds measured")->capture_default_str();
    app.add_option("--drain", o.drain, "at most this many seconds to wait for stragglers")
        ->capture_default_str();
    app.add_option("--settle", o.settle, "idle: seconds before sampling memory")
        ->capture_default_str();
    app.add_option("--hold", o.hold, "idle: seconds to keep sampling memory afterwards")
        ->capture_default_str();
    app.add_option("--login-timeout", o.login_timeout, "seconds for all logins")
        ->capture_default_str();
    app.add_option("--max-messages", o.max_messages, "bound on messages sent")
        ->capture_default_str();
    app.add_option("--server-pid", o.server_pids, "server process(es) to sample in /proc")
        ->delimiter(',');
    app.add_option("--server-core", o.server_core,
                   "core the server is pinned to: report other processes' CPU use on it");
    app.add_option("--scram-cache", o.scram_cache, "file caching SCRAM salted passwords");
    app.add_flag("--json", o.json, "print one JSON object on stdout (the table goes to stderr)");
    app.add_flag("--strict", o.strict, "exit 1 unless every message arrived exactly once");
    CLI11_PARSE(app, argc, argv);
    o.scenario = scenarios.at(scenario);
    o.mechanism = mechanisms.at(mechanism);
    o.websocket = transport == "ws";
    if (o.websocket && o.starttls) {
        std::fprintf(stderr, "chorus-bench: --starttls is for --transport tcp\n");
        return 2;
    }

    if (o.threads < 1 || o.clients < 2 || o.devices < 1 || o.accounts < 1 || o.contacts < 1 ||
        o.window < 1 || o.duration <= 0) {
        std::fprintf(stderr, "chorus-bench: counts must be positive (clients >= 2)\n");
        return 2;
    }
    if (o.peer_port != 0 &&
        (o.peer_domain.empty() || o.peer_domain == o.domain || o.scenario == Scenario::fanout)) {
        std::fprintf(stderr,
                     "chorus-bench: --peer-port needs pairs or saturation and a "
                     "--peer-domain other than --domain\n");
        return 2;
    }
    Report report;
    report.text("scenario", scenario_name(o.scenario));
    report.text("server", o.label.empty() ? o.host + ":" + std::to_string(o.port) : o.label);
    report.text("mechanism", o.mechanism == Mechanism::plain ? "PLAIN" : "SCRAM-SHA-1");
    report.text("tls_mode", o.starttls ? "starttls" : "plaintext");
    if (o.peer_port != 0) {
        report.text("peer",
                    o.peer_domain + " at " + o.peer_host + ":" + std::to_string(o.peer_port));
    }
    report.text("transport", o.websocket ? "websocket" : "tcp");
    report.count("threads", static_cast<std::uint64_t>(o.threads));
    int status = 0;
    switch (o.scenario) {
        case Scenario::pairs:
        case Scenario::saturation:
        case Scenario::fanout:
            status = run_traffic(o, report);
            break;
        case Scenario::idle:
            status = run_idle(o, report);
            break;
        case Scenario::register_accounts:
            status = run_register(o, report);
            break;
    }
    const std::string table = report.table();
    if (o.json) {
        std::fputs(table.c_str(), stderr);
        std::fputs(report.json().c_str(), stdout);
    } else {
        std::fputs(table.c_str(), stdout);
    }
    return status;
}
