// Config loading (TOML via toml++) and validation; RFC 6120 §13.12 sets the stanza floor.
#include "base/config.h"

#include <arpa/inet.h>

#include <limits>
#include <set>
#include <span>
#include <string_view>
#include <variant>

#include <toml++/toml.h>

#include "base/cidr.h"
#include "jid/jid.h"

namespace chorus {
namespace {

// Where one option's value goes; the pointee's type decides which TOML type is accepted.
using Target = std::variant<bool*, int*, std::size_t*, std::string*, std::vector<std::string>*>;

struct Option {
    std::string_view key;
    Target (*field)(Config&);
};

// Each table's options, as written in the file. A key not listed here is an error, so a
// typo such as "max_stanza_byte" cannot silently leave the default in place.
const Option top_level_options[] = {
    {"domains", [](Config& c) -> Target { return &c.domains; }},
    {"data_dir", [](Config& c) -> Target { return &c.data_dir; }},
    {"log_level", [](Config& c) -> Target { return &c.log_level; }},
    {"threads", [](Config& c) -> Target { return &c.threads; }},
    {"scram_iterations", [](Config& c) -> Target { return &c.scram_iterations; }},
    {"allow_registration", [](Config& c) -> Target { return &c.allow_registration; }},
    {"message_to_bare", [](Config& c) -> Target { return &c.message_to_bare; }},
    {"mam_default", [](Config& c) -> Target { return &c.mam_default; }},
    {"archive_transient", [](Config& c) -> Target { return &c.archive_transient; }},
    {"modules_disabled", [](Config& c) -> Target { return &c.modules_disabled; }},
};
const Option c2s_options[] = {
    {"bind", [](Config& c) -> Target { return &c.bind_address; }},
    {"port", [](Config& c) -> Target { return &c.c2s_port; }},
    {"direct_tls_port", [](Config& c) -> Target { return &c.c2s_direct_tls_port; }},
    {"require_tls", [](Config& c) -> Target { return &c.require_tls; }},
    {"allow_plaintext_on_loopback",
     [](Config& c) -> Target { return &c.allow_plaintext_on_loopback; }},
    {"negotiation_timeout", [](Config& c) -> Target { return &c.negotiation_timeout_s; }},
    {"ping_interval", [](Config& c) -> Target { return &c.ping_interval_s; }},
    {"ping_timeout", [](Config& c) -> Target { return &c.ping_timeout_s; }},
};
const Option sm_options[] = {
    {"enabled", [](Config& c) -> Target { return &c.sm_enabled; }},
    {"resume_timeout", [](Config& c) -> Target { return &c.sm_resume_timeout_s; }},
    {"request_after", [](Config& c) -> Target { return &c.sm_request_after; }},
    {"request_interval", [](Config& c) -> Target { return &c.sm_request_interval_s; }},
    {"max_queue", [](Config& c) -> Target { return &c.sm_max_queue; }},
};
const Option tls_options[] = {
    {"certificate", [](Config& c) -> Target { return &c.certificate; }},
    {"private_key", [](Config& c) -> Target { return &c.private_key; }},
};
const Option limits_options[] = {
    {"max_stanza_bytes", [](Config& c) -> Target { return &c.limits.max_stanza_bytes; }},
    {"max_stanza_bytes_unauthenticated",
     [](Config& c) -> Target { return &c.limits.max_stanza_bytes_unauthenticated; }},
    {"max_depth", [](Config& c) -> Target { return &c.limits.max_depth; }},
    {"max_attributes", [](Config& c) -> Target { return &c.limits.max_attributes; }},
    {"max_auth_failures", [](Config& c) -> Target { return &c.limits.max_auth_failures; }},
    {"max_sessions_per_account",
     [](Config& c) -> Target { return &c.limits.max_sessions_per_account; }},
    {"max_connections_per_ip",
     [](Config& c) -> Target { return &c.limits.max_connections_per_ip; }},
    {"exempt_loopback", [](Config& c) -> Target { return &c.limits.exempt_loopback; }},
    {"write_high_watermark", [](Config& c) -> Target { return &c.limits.write_high_watermark; }},
};
const Option offline_options[] = {
    {"max_messages", [](Config& c) -> Target { return &c.offline_max_messages; }},
    {"max_age_days", [](Config& c) -> Target { return &c.offline_max_age_days; }},
};
const Option storage_options[] = {
    {"backend", [](Config& c) -> Target { return &c.storage_backend; }},
    {"durability", [](Config& c) -> Target { return &c.storage_durability; }},
};
const Option muc_options[] = {
    {"enabled", [](Config& c) -> Target { return &c.muc.enabled; }},
    {"name", [](Config& c) -> Target { return &c.muc.name; }},
    {"max_rooms_per_user", [](Config& c) -> Target { return &c.muc.max_rooms_per_user; }},
    {"max_occupants", [](Config& c) -> Target { return &c.muc.max_occupants; }},
    {"max_history", [](Config& c) -> Target { return &c.muc.max_history; }},
    {"max_message_bytes", [](Config& c) -> Target { return &c.muc.max_message_bytes; }},
    {"max_joins_per_minute", [](Config& c) -> Target { return &c.muc.max_joins_per_minute; }},
    {"max_rooms_per_occupant", [](Config& c) -> Target { return &c.muc.max_rooms_per_occupant; }},
};

const Option s2s_options[] = {
    {"enabled", [](Config& c) -> Target { return &c.s2s_enabled; }},
    {"bind", [](Config& c) -> Target { return &c.s2s_bind_address; }},
    {"port", [](Config& c) -> Target { return &c.s2s_port; }},
    {"require_valid_certs", [](Config& c) -> Target { return &c.s2s_require_valid_certs; }},
    {"require_tls", [](Config& c) -> Target { return &c.s2s_require_tls; }},
    {"bidi", [](Config& c) -> Target { return &c.s2s_bidi; }},
    {"routes", [](Config& c) -> Target { return &c.s2s_routes; }},
    {"dialback_secret", [](Config& c) -> Target { return &c.s2s_dialback_secret; }},
    {"connect_timeout", [](Config& c) -> Target { return &c.s2s_connect_timeout_s; }},
    {"max_queue", [](Config& c) -> Target { return &c.s2s_max_queue; }},
    {"idle_timeout", [](Config& c) -> Target { return &c.s2s_idle_timeout_s; }},
    {"max_incoming", [](Config& c) -> Target { return &c.s2s_max_incoming; }},
    {"max_incoming_per_ip", [](Config& c) -> Target { return &c.s2s_max_incoming_per_ip; }},
    {"ca_file", [](Config& c) -> Target { return &c.s2s_ca_file; }},
};
// Issue 16: the web face.
const Option http_options[] = {
    {"enabled", [](Config& c) -> Target { return &c.http.enabled; }},
    {"bind", [](Config& c) -> Target { return &c.http.bind; }},
    {"port", [](Config& c) -> Target { return &c.http.port; }},
    {"tls_port", [](Config& c) -> Target { return &c.http.tls_port; }},
    {"max_header_bytes", [](Config& c) -> Target { return &c.http.max_header_bytes; }},
    {"max_body_bytes", [](Config& c) -> Target { return &c.http.max_body_bytes; }},
    {"request_timeout", [](Config& c) -> Target { return &c.http.request_timeout_s; }},
    {"idle_timeout", [](Config& c) -> Target { return &c.http.idle_timeout_s; }},
    {"max_connections_per_ip", [](Config& c) -> Target { return &c.http.max_connections_per_ip; }},
    {"consider_websocket_secure",
     [](Config& c) -> Target { return &c.http.consider_websocket_secure; }},
    {"websocket_ping_interval",
     [](Config& c) -> Target { return &c.http.websocket_ping_interval_s; }},
    {"external_url", [](Config& c) -> Target { return &c.http.external_url; }},
    {"metrics", [](Config& c) -> Target { return &c.http.metrics; }},
    {"metrics_remote", [](Config& c) -> Target { return &c.http.metrics_remote; }},
    {"metrics_allow", [](Config& c) -> Target { return &c.http.metrics_allow; }},
};
const Option upload_options[] = {
    {"enabled", [](Config& c) -> Target { return &c.upload.enabled; }},
    {"max_file_size", [](Config& c) -> Target { return &c.upload.max_file_size; }},
    {"quota_per_user", [](Config& c) -> Target { return &c.upload.quota_per_user; }},
    {"expire_after_days", [](Config& c) -> Target { return &c.upload.expire_after_days; }},
    {"slot_timeout", [](Config& c) -> Target { return &c.upload.slot_timeout_s; }},
    {"secret", [](Config& c) -> Target { return &c.upload.secret; }},
};
const Option contact_options[] = {
    {"abuse", [](Config& c) -> Target { return &c.contact.abuse; }},
    {"admin", [](Config& c) -> Target { return &c.contact.admin; }},
    {"feedback", [](Config& c) -> Target { return &c.contact.feedback; }},
    {"sales", [](Config& c) -> Target { return &c.contact.sales; }},
    {"security", [](Config& c) -> Target { return &c.contact.security; }},
    {"support", [](Config& c) -> Target { return &c.contact.support; }},
};
const Option external_services_options[] = {
    {"stun", [](Config& c) -> Target { return &c.external_services.stun; }},
    {"turn", [](Config& c) -> Target { return &c.external_services.turn; }},
    {"turn_secret", [](Config& c) -> Target { return &c.external_services.turn_secret; }},
    {"turn_ttl", [](Config& c) -> Target { return &c.external_services.turn_ttl_s; }},
};
const Option pubsub_options[] = {
    {"max_items", [](Config& c) -> Target { return &c.pubsub_max_items; }},
    {"max_nodes", [](Config& c) -> Target { return &c.pubsub_max_nodes; }},
    {"max_item_bytes", [](Config& c) -> Target { return &c.pubsub_max_item_bytes; }},
    {"caps_cache", [](Config& c) -> Target { return &c.pubsub_caps_cache; }},
    {"service", [](Config& c) -> Target { return &c.pubsub_service; }},
    {"service_domain", [](Config& c) -> Target { return &c.pubsub_service_domain; }},
};

struct Section {
    std::string_view name;
    std::span<const Option> options;
};
// One section a line, so each addition is its own line.
// clang-format off
const Section sections[] = {
    {"c2s", c2s_options},
    {"sm", sm_options},
    {"tls", tls_options},
    {"limits", limits_options},
    {"offline", offline_options},
    {"storage", storage_options},
    {"s2s", s2s_options},
    {"http", http_options},
    {"upload", upload_options},
    {"contact", contact_options},
    {"external_services", external_services_options},
    {"pubsub", pubsub_options},
    {"muc", muc_options},
};
// clang-format on

template <class... F>
struct Overloaded : F... {
    using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// Stores node into target; the returned text says what was wrong (empty when fine).
std::string assign(const toml::node& node, const Target& target)
{
    return std::visit(
        Overloaded{
            [&](bool* out) -> std::string {
                if (!node.is_boolean()) {
                    return "expected true or false";
                }
                *out = node.as_boolean()->get();
                return {};
            },
            [&](int* out) -> std::string {
                if (!node.is_integer()) {
                    return "expected an integer";
                }
                std::int64_t v = node.as_integer()->get();
                if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
                    return "out of range";
                }
                *out = static_cast<int>(v);
                return {};
            },
            [&](std::size_t* out) -> std::string {
                if (!node.is_integer()) {
                    return "expected an integer";
                }
                std::int64_t v = node.as_integer()->get();
                if (v < 0) {
                    return "must not be negative";
                }
                *out = static_cast<std::size_t>(v);
                return {};
            },
            [&](std::string* out) -> std::string {
                if (!node.is_string()) {
                    return "expected a string";
                }
                *out = node.as_string()->get();
                return {};
            },
            [&](std::vector<std::string>* out) -> std::string {
                const toml::array* array = node.as_array();
                if (array == nullptr) {
                    return "expected an array of strings";
                }
                std::vector<std::string> values;
                for (const toml::node& element : *array) {
                    if (!element.is_string()) {
                        return "expected an array of strings";
                    }
                    values.push_back(element.as_string()->get());
                }
                *out = std::move(values);
                return {};
            },
        },
        target);
}

std::string located(const std::string& path, const toml::node& node, std::string_view message)
{
    return path + ":" + std::to_string(node.source().begin.line) + ": " + std::string(message);
}

// Applies one table's keys; prefix is "" at the top level or "limits." inside [limits].
Result<void, std::string> apply_table(const std::string& path, const toml::table& table,
                                      std::span<const Option> options, std::string_view prefix,
                                      bool top_level, Config& config)
{
    for (const auto& [key, node] : table) {
        std::string name = std::string(prefix) + std::string(key.str());
        if (top_level) {
            const Section* section = nullptr;
            for (const Section& s : sections) {
                if (s.name == key.str()) {
                    section = &s;
                }
            }
            if (section != nullptr) {
                const toml::table* inner = node.as_table();
                if (inner == nullptr) {
                    return unexpected(located(path, node, name + ": expected a table"));
                }
                auto r = apply_table(path, *inner, section->options, name + ".", false, config);
                if (!r) {
                    return r;
                }
                continue;
            }
        }
        const Option* option = nullptr;
        for (const Option& o : options) {
            if (o.key == key.str()) {
                option = &o;
            }
        }
        if (option == nullptr) {
            return unexpected(located(path, node, "unknown option '" + name + "'"));
        }
        if (std::string problem = assign(node, option->field(config)); !problem.empty()) {
            return unexpected(located(path, node, name + ": " + problem));
        }
    }
    return {};
}

bool is_ip_address(const std::string& text)
{
    in_addr v4{};
    in6_addr v6{};
    return inet_pton(AF_INET, text.c_str(), &v4) == 1 ||
           inet_pton(AF_INET6, text.c_str(), &v6) == 1;
}

template <typename T>
Result<void, std::string> at_least(std::string_view name, T value, T min)
{
    if (value < min) {
        return unexpected(std::string(name) + ": must be at least " + std::to_string(min));
    }
    return {};
}

template <typename T>
Result<void, std::string> between(std::string_view name, T value, T min, T max)
{
    if (value < min || value > max) {
        return unexpected(std::string(name) + ": must be between " + std::to_string(min) + " and " +
                          std::to_string(max));
    }
    return {};
}

Result<void, std::string> one_of(std::string_view name, const std::string& value,
                                 std::initializer_list<std::string_view> allowed)
{
    std::string list;
    for (std::string_view a : allowed) {
        if (a == value) {
            return {};
        }
        list += list.empty() ? "" : ", ";
        list += a;
    }
    return unexpected(std::string(name) + ": must be one of " + list + " (got '" + value + "')");
}

Result<void, std::string> validate_cidrs(std::string_view key,
                                         const std::vector<std::string>& blocks)
{
    for (const auto& b : blocks) {
        if (!Cidr::parse(b)) {
            return unexpected(std::string(key) + ": '" + b + "' is not an address or CIDR block");
        }
    }
    return {};
}

Result<void, std::string> validate_domains(const std::vector<std::string>& domains)
{
    if (domains.empty()) {
        return unexpected(std::string("domains: at least one domain is required"));
    }
    std::set<std::string> seen;
    for (const std::string& domain : domains) {
        auto jid = Jid::from_parts({}, domain);
        if (!jid) {
            return unexpected("domains: '" + domain + "' is not a valid domain name");
        }
        // The router compares prepared domains, so the configured one must be prepared too.
        if (jid->domain() != domain) {
            return unexpected("domains: write '" + domain + "' as '" + jid->domain() + "'");
        }
        if (!seen.insert(domain).second) {
            return unexpected("domains: '" + domain + "' is listed twice");
        }
    }
    return {};
}

Result<void, std::string> validate_s2s_routes(const std::vector<std::string>& routes)
{
    for (const std::string& route : routes) {
        if (!parse_s2s_route(route)) {
            return unexpected("s2s.routes: '" + route + "' is not 'domain=host:port'");
        }
    }
    return {};
}

// Issue 16: [http], [upload], [external_services].
Result<void, std::string> validate_web(const Config& c)
{
    const Result<void, std::string> checks[] = {
        is_ip_address(c.http.bind)
            ? Result<void, std::string>{}
            : unexpected("http.bind: '" + c.http.bind + "' is not an IP address"),
        between("http.port", c.http.port, 0, 65535),
        between("http.tls_port", c.http.tls_port, 0, 65535),
        c.http.port != 0 && c.http.port == c.http.tls_port
            ? unexpected(std::string("http.tls_port: must differ from http.port"))
            : Result<void, std::string>{},
        between("http.max_header_bytes", c.http.max_header_bytes, std::size_t{1024},
                std::size_t{1024 * 1024}),
        between("http.max_body_bytes", c.http.max_body_bytes, std::size_t{1024},
                std::size_t{64 * 1024 * 1024}),
        between("http.request_timeout", c.http.request_timeout_s, 1, 3600),
        between("http.idle_timeout", c.http.idle_timeout_s, 1, 3600),
        at_least("http.max_connections_per_ip", c.http.max_connections_per_ip, 0),
        between("http.websocket_ping_interval", c.http.websocket_ping_interval_s, 0, 3600),
        c.http.external_url.empty() || c.http.external_url.starts_with("http://") ||
                c.http.external_url.starts_with("https://")
            ? Result<void, std::string>{}
            : unexpected(std::string("http.external_url: must start with http:// or https://")),
        validate_cidrs("http.metrics_allow", c.http.metrics_allow),
        between("upload.max_file_size", c.upload.max_file_size, std::size_t{1},
                std::size_t{1} << 40),
        at_least("upload.quota_per_user", c.upload.quota_per_user, c.upload.max_file_size),
        between("upload.expire_after_days", c.upload.expire_after_days, 1, 3650),
        between("upload.slot_timeout", c.upload.slot_timeout_s, 10, 86400),
        between("external_services.turn_ttl", c.external_services.turn_ttl_s, 60, 30 * 86400),
    };
    for (const auto& check : checks) {
        if (!check) {
            return check;
        }
    }
    return {};
}

}  // namespace

std::optional<S2sRoute> parse_s2s_route(std::string_view text)
{
    const auto eq = text.find('=');
    const auto colon = text.rfind(':');
    if (eq == std::string_view::npos || colon == std::string_view::npos || colon < eq) {
        return std::nullopt;
    }
    S2sRoute r{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1, colon - eq - 1)),
               0};
    const auto port = text.substr(colon + 1);
    if (r.domain.empty() || r.host.empty() || port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    r.port = std::stoi(std::string(port));
    if (r.port < 1 || r.port > 65535) {
        return std::nullopt;
    }
    if (r.host.size() > 2 && r.host.front() == '[' && r.host.back() == ']') {
        r.host = r.host.substr(1, r.host.size() - 2);  // [::1]:5269
    }
    return r;
}

Result<Config, std::string> load_config(const std::string& path)
{
    // toml++ reports syntax errors by throwing; this is our boundary with it (STYLE.md).
    toml::table table;
    try {
        table = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        std::string position;  // none when the file could not be read at all
        if (where.line != 0) {
            position = ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
        }
        return unexpected(path + position + ": " + std::string(e.description()));
    }
    Config config;
    if (auto r = apply_table(path, table, top_level_options, "", true, config); !r) {
        return unexpected(r.error());
    }
    return config;
}

Result<void, std::string> validate_config(const Config& c)
{
    const Result<void, std::string> checks[] = {
        validate_domains(c.domains),
        c.data_dir.empty() ? unexpected(std::string("data_dir: must not be empty"))
                           : Result<void, std::string>{},
        one_of("log_level", c.log_level,
               {"trace", "debug", "info", "warn", "error", "critical", "off"}),
        between("threads", c.threads, 1, 64),
        // RFC 7677 §4: at least 4096 iterations.
        at_least("scram_iterations", c.scram_iterations, 4096),
        one_of("message_to_bare", c.message_to_bare, {"highest", "all"}),
        one_of("mam_default", c.mam_default, {"always", "never", "roster"}),
        one_of("storage.backend", c.storage_backend, {"sqlite"}),
        one_of("storage.durability", c.storage_durability, {"process", "power"}),
        is_ip_address(c.bind_address)
            ? Result<void, std::string>{}
            : unexpected("c2s.bind: '" + c.bind_address + "' is not an IP address"),
        between("c2s.port", c.c2s_port, 0, 65535),
        between("c2s.direct_tls_port", c.c2s_direct_tls_port, 0, 65535),
        c.c2s_port != 0 && c.c2s_port == c.c2s_direct_tls_port
            ? unexpected(std::string("c2s.direct_tls_port: must differ from c2s.port"))
            : Result<void, std::string>{},
        !c.certificate.empty() && c.private_key.empty()
            ? unexpected(std::string("tls.private_key: required when tls.certificate is set"))
            : Result<void, std::string>{},
        c.certificate.empty() && !c.private_key.empty()
            ? unexpected(std::string("tls.certificate: required when tls.private_key is set"))
            : Result<void, std::string>{},
        // RFC 6120 §13.12: a server MUST allow stanzas of at least 10000 bytes.
        at_least("limits.max_stanza_bytes", c.limits.max_stanza_bytes, std::size_t{10000}),
        // A stream header, <starttls/> and a SCRAM message with channel binding fit.
        at_least("limits.max_stanza_bytes_unauthenticated",
                 c.limits.max_stanza_bytes_unauthenticated, std::size_t{4096}),
        between("c2s.negotiation_timeout", c.negotiation_timeout_s, 1, 3600),
        between("c2s.ping_interval", c.ping_interval_s, 0, 86400),  // 0: no pings
        between("c2s.ping_timeout", c.ping_timeout_s, 1, 3600),
        between("sm.resume_timeout", c.sm_resume_timeout_s, 0, 86400),  // 0: no resumption
        between("sm.request_after", c.sm_request_after, 1, 10000),
        between("sm.request_interval", c.sm_request_interval_s, 1, 3600),
        between("sm.max_queue", c.sm_max_queue, 10, 100000),
        c.sm_max_queue < c.sm_request_after
            ? unexpected(std::string("sm.max_queue: must be at least sm.request_after"))
            : Result<void, std::string>{},
        // The stream and stanza elements themselves take two levels.
        at_least("limits.max_depth", c.limits.max_depth, 3),
        at_least("limits.max_attributes", c.limits.max_attributes, 1),
        at_least("limits.max_auth_failures", c.limits.max_auth_failures, 1),
        at_least("limits.max_sessions_per_account", c.limits.max_sessions_per_account, 1),
        at_least("limits.max_connections_per_ip", c.limits.max_connections_per_ip, 0),
        at_least("limits.write_high_watermark", c.limits.write_high_watermark, std::size_t{1}),
        at_least("offline.max_age_days", c.offline_max_age_days, 1),
        is_ip_address(c.s2s_bind_address)
            ? Result<void, std::string>{}
            : unexpected("s2s.bind: '" + c.s2s_bind_address + "' is not an IP address"),
        between("s2s.port", c.s2s_port, 0, 65535),
        validate_s2s_routes(c.s2s_routes),
        between("s2s.connect_timeout", c.s2s_connect_timeout_s, 1, 600),
        between("s2s.max_queue", c.s2s_max_queue, std::size_t{1}, std::size_t{100000}),
        between("s2s.idle_timeout", c.s2s_idle_timeout_s, 10, 86400),
        at_least("s2s.max_incoming", c.s2s_max_incoming, 1),
        at_least("s2s.max_incoming_per_ip", c.s2s_max_incoming_per_ip, 1),
        validate_web(c),  // issue 16
        at_least("pubsub.max_items", c.pubsub_max_items, std::size_t{1}),
        at_least("pubsub.max_nodes", c.pubsub_max_nodes, std::size_t{1}),
        at_least("pubsub.max_item_bytes", c.pubsub_max_item_bytes, std::size_t{1024}),
        at_least("pubsub.caps_cache", c.pubsub_caps_cache, std::size_t{16}),
        c.muc.name.empty() || c.muc.name.find_first_of("@/. ") != std::string::npos
            ? unexpected(std::string("muc.name: one DNS label, such as 'conference'"))
            : Result<void, std::string>{},
        at_least("muc.max_occupants", c.muc.max_occupants, std::size_t{2}),
        at_least("muc.max_message_bytes", c.muc.max_message_bytes, std::size_t{1024}),
        at_least("muc.max_joins_per_minute", c.muc.max_joins_per_minute, 1),
        at_least("muc.max_rooms_per_occupant", c.muc.max_rooms_per_occupant, std::size_t{1}),
    };
    for (const auto& check : checks) {
        if (!check) {
            return check;
        }
    }
    return {};
}

}  // namespace chorus
