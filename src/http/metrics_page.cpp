// The /metrics page (Prometheus text format 0.0.4; promtool check metrics accepts it).
#include "http/metrics_page.h"

#include <fmt/format.h>
#include <map>

#include "base/metrics.h"
#include "server/server.h"
#include "stanza/stanza_error.h"
#include "stanza/stream_error.h"
#include "stream/c2s_session.h"
#include "stream/connection_set.h"

namespace chorus::http {

namespace {
constexpr const char* kind_names[] = {"message", "presence", "iq", "other"};

class Page {
public:
    /// # HELP and # TYPE lines of a family; its samples follow.
    void family(std::string_view name, std::string_view type, std::string_view help)
    {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    }
    void sample(std::string_view name, std::string_view labels, double value)
    {
        out_ += name;
        if (!labels.empty()) {
            out_ += '{';
            out_ += labels;
            out_ += '}';
        }
        out_ += fmt::format(" {}\n", value);
    }
    void counter(std::string_view name, std::string_view help, std::uint64_t value)
    {
        family(name, "counter", help);
        sample(name, {}, static_cast<double>(value));
    }
    std::string take() { return std::move(out_); }

private:
    std::string out_;
};
}  // namespace

std::string metrics_page(Server& server, const stream::ConnectionSet& connections)
{
    const auto& m = metrics();
    Page p;

    std::map<std::pair<std::string_view, std::string_view>, int> sessions;
    for (const auto* s : connections.sessions()) {
        ++sessions[{s->transport(), s->state()}];
    }
    p.family("chorus_sessions", "gauge", "Client connections by transport and stream state.");
    for (const auto transport : {"tcp", "tls", "websocket"}) {
        for (const auto state : {"negotiating", "bound", "detached", "closing"}) {
            auto it = sessions.find({transport, state});
            p.sample("chorus_sessions",
                     fmt::format("transport=\"{}\",state=\"{}\"", transport, state),
                     it == sessions.end() ? 0 : it->second);
        }
    }
    p.family("chorus_bound_sessions", "gauge", "Sessions in the routing table (resources).");
    p.sample("chorus_bound_sessions", {}, static_cast<double>(server.sessions().size()));

    p.family("chorus_stanzas_in_total", "counter", "Stanzas received from bound clients.");
    for (int k = 0; k < Metrics::kinds; ++k) {
        p.sample("chorus_stanzas_in_total", fmt::format("kind=\"{}\"", kind_names[k]),
                 static_cast<double>(m.stanzas_in[k]));
    }
    p.family("chorus_stanzas_out_total", "counter", "Stanzas written to clients.");
    for (int k = 0; k < Metrics::kinds; ++k) {
        p.sample("chorus_stanzas_out_total", fmt::format("kind=\"{}\"", kind_names[k]),
                 static_cast<double>(m.stanzas_out[k]));
    }
    p.family("chorus_messages_total", "counter",
             "Messages by ROUTING.md row (R1-R7 inbound to a local account, O1-O6 outbound).");
    for (std::size_t i = 0; i < m.inbound_rows.size(); ++i) {
        p.sample("chorus_messages_total", fmt::format("row=\"R{}\"", i + 1),
                 static_cast<double>(m.inbound_rows[i]));
    }
    for (std::size_t i = 0; i < m.outbound_rows.size(); ++i) {
        p.sample("chorus_messages_total", fmt::format("row=\"O{}\"", i + 1),
                 static_cast<double>(m.outbound_rows[i]));
    }
    p.counter("chorus_fanout_copies_total", "Copies of inbound messages delivered to sessions.",
              m.fanout_copies);

    p.family("chorus_archive_backlog", "gauge", "Archived messages not yet committed.");
    p.sample("chorus_archive_backlog", {},
             static_cast<double>(server.storage().archive().backlog()));
    p.family("chorus_archive_commit_seconds", "histogram",
             "From a message's append to its group commit being durable.");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < LatencyHistogram::bounds.size(); ++i) {
        cumulative += m.archive_commit.buckets[i];
        p.sample("chorus_archive_commit_seconds_bucket",
                 fmt::format("le=\"{}\"", LatencyHistogram::bounds[i]),
                 static_cast<double>(cumulative));
    }
    p.sample("chorus_archive_commit_seconds_bucket", "le=\"+Inf\"",
             static_cast<double>(m.archive_commit.count));
    p.sample("chorus_archive_commit_seconds_sum", {}, m.archive_commit.sum);
    p.sample("chorus_archive_commit_seconds_count", {},
             static_cast<double>(m.archive_commit.count));

    if (auto totals = server.storage().offline().totals()) {
        p.family("chorus_offline_messages", "gauge", "Messages waiting in offline storage.");
        p.sample("chorus_offline_messages", {}, static_cast<double>(totals->messages));
        p.family("chorus_offline_queues", "gauge", "Accounts with messages in offline storage.");
        p.sample("chorus_offline_queues", {}, static_cast<double>(totals->accounts));
    }

    p.counter("chorus_sm_enabled_total", "XEP-0198 stream management enabled.", m.sm_enabled);
    p.counter("chorus_sm_resumptions_total", "XEP-0198 sessions resumed.", m.sm_resumed);
    p.counter("chorus_sm_resumption_failures_total", "XEP-0198 resumptions refused.",
              m.sm_resume_failed);
    p.counter("chorus_tls_handshakes_total", "TLS handshakes completed (c2s).", m.tls_handshakes);
    p.counter("chorus_tls_handshake_failures_total", "TLS handshakes failed (c2s).",
              m.tls_handshake_failures);
    p.counter("chorus_logins_total", "SASL authentications that succeeded.", m.logins);
    p.counter("chorus_login_failures_total", "SASL authentications that failed.", m.login_failures);

    p.family("chorus_stanza_errors_total", "counter", "Stanza errors sent, by condition.");
    for (std::size_t i = 0; i <= static_cast<std::size_t>(Condition::unexpected_request); ++i) {
        p.sample("chorus_stanza_errors_total",
                 fmt::format("condition=\"{}\"", condition_name(static_cast<Condition>(i))),
                 static_cast<double>(m.stanza_errors[i]));
    }
    p.family("chorus_stream_errors_total", "counter", "Stream errors sent, by condition.");
    for (std::size_t i = 0; i <= static_cast<std::size_t>(StreamCondition::unsupported_version);
         ++i) {
        p.sample(
            "chorus_stream_errors_total",
            fmt::format("condition=\"{}\"", stream_condition_name(static_cast<StreamCondition>(i))),
            static_cast<double>(m.stream_errors[i]));
    }
    p.counter("chorus_upload_slots_total", "XEP-0363 upload slots granted.", m.upload_slots);
    p.counter("chorus_upload_bytes_total", "Bytes stored by XEP-0363 uploads.", m.upload_bytes);
    p.counter("chorus_download_bytes_total", "Bytes served from XEP-0363 uploads.",
              m.download_bytes);
    p.counter("chorus_http_requests_total", "HTTP requests answered.", m.http_requests);
    p.counter("chorus_websocket_upgrades_total", "RFC 7395 WebSocket connections accepted.",
              m.websocket_upgrades);
    return p.take();
}

}  // namespace chorus::http
