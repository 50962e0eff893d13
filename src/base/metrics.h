// Metrics: the process's counters for /metrics and `chorusctl stats` (issue 16). Plain
// integers bumped on the I/O thread: no locks, no atomics, no strings per stanza. Gauges
// (sessions, queue depths) are read when a page is rendered, not kept here.
// TODO(scale round): one Metrics per I/O thread, summed by the page.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace chorus {

/// Cumulative histogram with fixed bucket bounds (seconds), Prometheus style.
struct LatencyHistogram {
    static constexpr std::array<double, 10> bounds = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.25,  1.0};
    std::array<std::uint64_t, bounds.size()> buckets{};  // not cumulative; the page sums
    std::uint64_t count = 0;
    double sum = 0;

    void observe(std::chrono::steady_clock::duration d) noexcept
    {
        const double s = std::chrono::duration<double>(d).count();
        ++count;
        sum += s;
        for (std::size_t i = 0; i < bounds.size(); ++i) {
            if (s <= bounds[i]) {
                ++buckets[i];
                return;
            }
        }
    }
};

struct Metrics {
    enum Kind { message, presence, iq, other, kinds };
    std::array<std::uint64_t, kinds> stanzas_in{};   // from clients, once bound
    std::array<std::uint64_t, kinds> stanzas_out{};  // to clients
    std::array<std::uint64_t, 7> inbound_rows{};     // ROUTING.md R1..R7
    std::array<std::uint64_t, 6> outbound_rows{};    // ROUTING.md O1..O6
    std::uint64_t fanout_copies = 0;  // copies of inbound messages delivered to sessions
    std::uint64_t sm_enabled = 0;
    std::uint64_t sm_resumed = 0;
    std::uint64_t sm_resume_failed = 0;
    std::uint64_t tls_handshakes = 0;
    std::uint64_t tls_handshake_failures = 0;
    std::uint64_t logins = 0;
    std::uint64_t login_failures = 0;
    std::array<std::uint64_t, 24> stanza_errors{};  // by chorus::Condition
    std::array<std::uint64_t, 25> stream_errors{};  // by chorus::StreamCondition
    std::uint64_t upload_slots = 0;
    std::uint64_t upload_bytes = 0;  // stored by PUT
    std::uint64_t download_bytes = 0;
    std::uint64_t http_requests = 0;
    std::uint64_t websocket_upgrades = 0;
    LatencyHistogram archive_commit;  // from a group commit's start to its durability
};

/// The process's counters (one I/O thread today); constant-initialized, so no guard.
inline Metrics process_metrics{};
inline Metrics& metrics() noexcept
{
    return process_metrics;
}

/// The kind of a serialized stanza from its first bytes ("<message", "<presence", "<iq").
constexpr Metrics::Kind stanza_kind(std::string_view bytes) noexcept
{
    if (bytes.size() < 2 || bytes[0] != '<') {
        return Metrics::other;
    }
    switch (bytes[1]) {
        case 'm':
            return Metrics::message;
        case 'p':
            return Metrics::presence;
        case 'i':
            return Metrics::iq;
        default:
            return Metrics::other;
    }
}

}  // namespace chorus
