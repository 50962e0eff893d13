// Server configuration: every setting has a safe default, so no config file is needed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace chorus {

struct Limits {
    std::size_t max_stanza_bytes = 256 * 1024;  // RFC 6120 §13.12: at least 10000
    // Before SASL success nobody is accountable for the memory a stanza takes; STARTTLS,
    // SCRAM and XEP-0077 forms need a few hundred bytes (the smaller limit of the two wins).
    std::size_t max_stanza_bytes_unauthenticated = 16 * 1024;
    int max_depth = 32;
    int max_attributes = 64;
    int max_auth_failures = 3;  // then the stream is closed
    int max_sessions_per_account = 64;
    // A household or office behind one NAT address has a few devices per person; one
    // host opening hundreds of connections is what this stops (file descriptors). 0: none.
    int max_connections_per_ip = 32;
    bool exempt_loopback = true;  // 127.0.0.0/8 and ::1: local tools and benchmarks
    std::size_t write_high_watermark = 1024 * 1024;  // queued bytes before reads pause
};

// Issue 16: the web face. One HTTP listener serves RFC 7395 WebSocket, XEP-0156 host-meta,
// XEP-0363 uploads and /metrics.
struct HttpConfig {
    bool enabled = true;
    std::string bind = "127.0.0.1";  // a TLS-terminating reverse proxy usually sits in front
    int port = 5280;                 // plain HTTP; 0 picks a free port (tests)
    int tls_port = 5281;             // HTTPS with the c2s certificate; 0 disables
    std::size_t max_header_bytes = 8 * 1024;
    std::size_t max_body_bytes = 64 * 1024;  // any request but an upload's PUT
    int request_timeout_s = 30;       // to receive a request's header, or the next body chunk
    int idle_timeout_s = 60;          // a kept-alive connection with no request
    int max_connections_per_ip = 32;  // 0: none; limits.exempt_loopback applies
    // Prosody's consider_websocket_secure: plain-HTTP WebSocket streams count as encrypted
    // (a TLS proxy in front). A loopback peer's X-Forwarded-Proto: https counts too.
    bool consider_websocket_secure = false;
    int websocket_ping_interval_s = 30;  // WebSocket ping after this much silence; 0: none
    // Base URL clients reach this listener at (upload links, host-meta); empty:
    // http://<domain>:<port>.
    std::string external_url;
    bool metrics = true;
    bool metrics_remote = false;             // /metrics answers non-loopback peers too
    std::vector<std::string> metrics_allow;  // CIDR blocks served /metrics; empty: loopback
};

struct UploadConfig {  // XEP-0363 on upload.<domain>
    bool enabled = true;
    std::size_t max_file_size = 10 * 1024 * 1024;
    std::size_t quota_per_user = 100 * 1024 * 1024;  // bytes stored per account
    int expire_after_days = 7;
    int slot_timeout_s = 300;  // a PUT URL is valid this long
    std::string secret;        // HMAC key; empty: generated once in data_dir/upload/secret
};

struct ContactConfig {  // XEP-0157 addresses (mailto:, xmpp:, https:)
    std::vector<std::string> abuse, admin, feedback, sales, security, support;
};

struct ExternalServicesConfig {     // XEP-0215
    std::vector<std::string> stun;  // "host:port"
    std::vector<std::string> turn;  // "host:port"
    std::string turn_secret;        // shared with coturn's static-auth-secret (REST API)
    int turn_ttl_s = 86400;
};

/// [muc]: the group chat service (XEP-0045) on <name>.<domain> of every served domain.
struct MucConfig {
    bool enabled = true;
    std::string name = "conference";           // the service is conference.<domain>
    std::size_t max_rooms_per_user = 100;      // rooms a user may create and keep
    std::size_t max_occupants = 1000;          // per room (admins and owners may exceed it)
    std::size_t max_history = 100;             // messages a room keeps for joiners, at most
    std::size_t max_message_bytes = 65536;     // of a groupchat or private message's stanza
    int max_joins_per_minute = 60;             // per user (bare JID), all rooms together
    std::size_t max_rooms_per_occupant = 200;  // rooms one user is in at once
};

struct Config {
    std::vector<std::string> domains = {"localhost"};
    std::string data_dir = "data";
    std::string bind_address = "0.0.0.0";
    int c2s_port = 5222;
    int c2s_direct_tls_port = 5223;  // XEP-0368; 0 disables
    std::string certificate;         // PEM; empty: generate a self-signed one in data_dir
    std::string private_key;
    bool require_tls = true;
    bool allow_plaintext_on_loopback = false;  // benchmarks only
    // RFC 6120 §4.9.3.4 <connection-timeout/>: from accept to resource binding, however
    // many bytes trickle in meanwhile.
    int negotiation_timeout_s = 30;
    // XEP-0199 §4.2: a bound session silent this long is pinged (0: never); it is closed
    // when nothing at all arrives within ping_timeout_s. Conversations pings its server
    // every 300 s at most, so a healthy mobile client is rarely pinged.
    int ping_interval_s = 300;
    int ping_timeout_s = 60;
    // XEP-0198 Stream Management. A detached session (connection lost, resumption on)
    // stays bound this long for a <resume/> (0: no resumption, <enable/> still counts).
    bool sm_enabled = true;
    int sm_resume_timeout_s = 300;
    // The server asks for an ack (<r/>) once this many stanzas are unacked, or once the
    // oldest has waited sm_request_interval_s (Prosody's mod_smacks asks as soon as its
    // queue exceeds smacks_max_unacked_stanzas; a few stanzas per <r/> keep the extra
    // bytes small while the queue a lost connection leaves stays short).
    int sm_request_after = 5;
    int sm_request_interval_s = 30;
    // Unacked stanzas kept per session: past it an attached session is closed and a
    // detached one expires (its stanzas re-routed), so a client that never acks, or never
    // comes back, cannot grow memory without bound (Prosody: smacks_max_queue_size).
    int sm_max_queue = 500;
    bool allow_registration = false;  // XEP-0077
    int scram_iterations = 4096;
    int threads = 1;
    std::string log_level = "info";
    Limits limits;
    // RFC 6121 §8.5.2.1.1: bare-JID chat/normal goes to the highest-priority resource(s)
    // ("highest") or to all non-negative ones ("all").
    std::string message_to_bare = "highest";
    std::size_t offline_max_messages = 1000;
    int offline_max_age_days = 30;
    bool archive_transient = false;
    std::string mam_default = "always";  // always | never | roster
    // Where every store lives: "sqlite" (<data_dir>/chorus.sqlite). The server opens one
    // Storage of this backend and modules see only its interfaces.
    std::string storage_backend = "sqlite";
    // What a committed write survives before a copy of it leaves: "process" (the WAL
    // commit, a killed server) or "power" (an fsync per group commit, a power loss).
    std::string storage_durability = "process";
    // Modules not to load, by name (Prosody's modules_disabled): e.g. ["imng"] for a server
    // without XEP-0409, to test clients' fallback. One another module needs stops startup.
    std::vector<std::string> modules_disabled;
    // Federation (RFC 6120 §13, [s2s]): server-to-server links, authenticated by SASL
    // EXTERNAL with a valid certificate (XEP-0178), else Server Dialback (XEP-0220).
    bool s2s_enabled = true;
    std::string s2s_bind_address = "0.0.0.0";
    int s2s_port = 5269;
    // Links are refused unless the peer's certificate is valid for its domain (public CAs):
    // off only for private deployments and loopback tests with self-signed certificates.
    bool s2s_require_valid_certs = true;
    bool s2s_require_tls = true;
    // XEP-0288: offer and ask for bidirectional links (one connection carries both ways).
    bool s2s_bidi = true;
    // "domain=host:port": where a remote domain's server is reached, instead of DNS.
    std::vector<std::string> s2s_routes;
    // XEP-0220 §2.4 keys are derived from this; empty: a random secret per process start.
    std::string s2s_dialback_secret;
    int s2s_connect_timeout_s = 30;    // connect + TLS + dialback, else bounced
    std::size_t s2s_max_queue = 1000;  // stanzas waiting per link while it comes up
    int s2s_idle_timeout_s = 600;      // an outgoing link silent this long is closed
    int s2s_max_incoming = 500;        // inbound s2s connections
    int s2s_max_incoming_per_ip = 20;  // inbound s2s connections from one address
    // PEM file of extra trusted roots for peers' certificates (besides the system's).
    std::string s2s_ca_file;
    // Issue 16: the web face.
    HttpConfig http;
    UploadConfig upload;
    ContactConfig contact;
    ExternalServicesConfig external_services;
    // Publish-subscribe (XEP-0060) for PEP (XEP-0163) and the pubsub service. 'max' in
    // pubsub#max_items means pubsub_max_items; an OMEMO bundle is a few KiB, an avatar's
    // data item tens of KiB (base64). An item never exceeds limits.max_stanza_bytes either
    // (the stanza that carries it must fit).
    std::size_t pubsub_max_items = 256;
    std::size_t pubsub_max_nodes = 256;  // per account (PEP) or per service
    std::size_t pubsub_max_item_bytes = 128 * 1024;
    // XEP-0115 caps hashes remembered with the nodes they ask for; each costs one
    // disco#info query when first seen.
    std::size_t pubsub_caps_cache = 4096;
    bool pubsub_service = true;         // the generic service on pubsub_service_domain
    std::string pubsub_service_domain;  // empty: "pubsub." + the first domain
    MucConfig muc;
};

/// One s2s.routes entry: "domain=host:port" (host may be an IP, [v6] or a name).
struct S2sRoute {
    std::string domain;
    std::string host;
    int port = 0;
};
std::optional<S2sRoute> parse_s2s_route(std::string_view text);

/// Reads a TOML file over the defaults; the error names the bad option.
Result<Config, std::string> load_config(const std::string& path);
/// Checks bounds and consistency; the error names the bad option.
Result<void, std::string> validate_config(const Config& config);

}  // namespace chorus
