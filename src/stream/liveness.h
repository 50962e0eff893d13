// Liveness: which connection timeout applies when the idle sweep visits a connection
// (RFC 6120 §4.9.3.4 <connection-timeout/>, XEP-0199 §4.2 server-to-client ping). A pure
// decision, so each row is a table test; the session carries it out (c2s_liveness.cpp).
#pragma once

#include <chrono>

namespace chorus::stream {

using LivenessClock = std::chrono::steady_clock;

struct LivenessPolicy {
    LivenessClock::duration negotiation_timeout;  // from accept to resource binding
    LivenessClock::duration ping_interval;        // silence before a ping; zero: never
    LivenessClock::duration ping_timeout;         // after a ping, for anything to arrive
};

struct LivenessFacts {
    bool bound = false;
    bool heard = false;       // bytes arrived since the previous visit
    bool reads_held = false;  // the server is not reading (backpressure, read gate)
    bool ping_outstanding = false;
    // Since the connection's mark: its accept (unbound), the visit that last heard from it
    // (bound), or the ping (ping_outstanding).
    LivenessClock::duration since_mark{};
};

enum class Liveness {
    wait,                 // nothing due yet
    heard,                // alive: the mark moves to now and a pending ping is forgotten
    ping,                 // send a ping; the mark moves to now
    negotiation_timeout,  // <connection-timeout/>: never bound in time
    ping_timeout,         // <connection-timeout/>: silent after a ping
};

constexpr Liveness check_liveness(const LivenessFacts& f, const LivenessPolicy& p) noexcept
{
    if (!f.bound) {
        // Measured from accept, not from the last byte: a peer trickling a byte a second
        // must not hold a connection open without ever binding.
        return f.since_mark >= p.negotiation_timeout ? Liveness::negotiation_timeout
                                                     : Liveness::wait;
    }
    if (f.heard || f.reads_held) {  // a peer we do not read is not silent
        return Liveness::heard;
    }
    if (p.ping_interval == LivenessClock::duration::zero()) {
        return Liveness::wait;
    }
    if (f.ping_outstanding) {
        return f.since_mark >= p.ping_timeout ? Liveness::ping_timeout : Liveness::wait;
    }
    return f.since_mark >= p.ping_interval ? Liveness::ping : Liveness::wait;
}

}  // namespace chorus::stream
