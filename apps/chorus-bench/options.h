// apps/chorus-bench/options.h: chorus-bench's command line: the server, the accounts and the
// knobs of each scenario (issue 7).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chorus::bench {

enum class Scenario { pairs, saturation, fanout, idle, register_accounts };
enum class Mechanism { scram_sha_1, plain };

struct Options {
    Scenario scenario = Scenario::pairs;
    std::string label;  // the server's name in the report ("chorus", "prosody", ...)
    std::string host = "127.0.0.1";
    std::uint16_t port = 5222;
    std::string domain = "localhost";
    // pairs, saturation across two federated servers: the second client of every pair logs in
    // here, so each pair's messages cross the server-to-server link both ways (0: one server).
    std::string peer_host = "127.0.0.1";
    std::uint16_t peer_port = 0;
    std::string peer_domain;
    std::string users_prefix = "bench";
    int first_user = 1;  // accounts are prefix + %04d, from this number up
    std::string password = "bench";
    Mechanism mechanism = Mechanism::scram_sha_1;
    bool starttls = false;
    bool websocket = false;                   // --transport ws (RFC 7395)
    std::string ws_path = "/xmpp-websocket";  // its HTTP path
    bool tls_default_libctx = false;          // TLS in OpenSSL's default library context (tls.cpp)
    bool presence = true;
    bool carbons = false;
    bool imng = false;
    int threads = 1;
    int clients = 100;    // pairs, saturation: logged-in clients, in pairs
    int accounts = 25;    // fanout: M accounts ...
    int devices = 4;      // ... with K devices each ...
    int contacts = 1;     // ... and this many contacts writing to each
    int sessions = 1000;  // idle, register
    int login_concurrency = 200;
    double rate = 1000;  // total messages/s sent (pairs, fanout); 0: keep a window instead
    int window = 16;     // saturation (and rate 0): outstanding messages per sender
    double warmup = 3;
    double duration = 10;
    double drain = 5;   // at most this long to wait for stragglers after the window
    double settle = 3;  // idle: wait before sampling the server's memory
    double hold = 0;    // idle: keep the sessions this long after the sample, sampling again
    double login_timeout = 120;
    std::uint64_t max_messages = 200'000'000;  // bound on the messages one run sends
    std::vector<int> server_pids;
    int server_core = -1;  // the core the server is pinned to, to report what else ran there
    std::string scram_cache;
    bool json = false;
    bool strict = false;  // exit 1 on any lost, duplicated or misrouted message
};

/// Account number n's node: prefix + n with at least 4 digits ("bench0001").
std::string account_node(const Options& options, int n);

}  // namespace chorus::bench
