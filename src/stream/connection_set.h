// ConnectionSet: every open c2s connection, for shutdown, per-address limits and the idle
// sweep that lets quiet sessions give memory back.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/config.h"
#include "stanza/stream_error.h"
#include "stream/stream_management.h"

namespace chorus::stream {

class C2sSession;

/// The limits.max_connections_per_ip that applies to a client address: none (0) for
/// loopback (127.0.0.0/8, ::1, and 127/8 mapped into IPv6) when limits.exempt_loopback.
int connection_limit_for(const boost::asio::ip::address& address, const Limits& limits) noexcept;

class ConnectionSet {
public:
    /// How often sweep_idle() should be called; each session is visited once per
    /// sweep_cycle, so one idle that long frees its parser within two cycles.
    static constexpr auto sweep_period = std::chrono::milliseconds(250);
    static constexpr int sweep_slices = 4;  // sweep_cycle = sweep_slices * sweep_period

    void add(C2sSession* s);
    void remove(C2sSession* s);
    /// Counts a connection from address; false (and not counted) over the limit (0: none).
    bool admit(const std::string& address, int limit);
    void release(const std::string& address);
    std::size_t size() const noexcept { return sessions_.size(); }
    const std::vector<C2sSession*>& sessions() const noexcept { return sessions_; }
    /// Closes every connection with the given stream error.
    void close_all(StreamError error);
    /// Visits the next slice of sessions (C2sSession::sweep_idle: parsers of idle sessions,
    /// connection timeouts): small slices keep the I/O thread from stalling on 19k sessions
    /// at once.
    void sweep_idle();
    /// XEP-0198 resumption ids of the sessions that enabled resumption.
    ResumptionTable<C2sSession>& resumable() noexcept { return resumable_; }

private:
    ResumptionTable<C2sSession> resumable_;
    std::vector<C2sSession*> sessions_;  // a session knows its index (swap-remove)
    std::unordered_map<std::string, int> per_address_;
    std::size_t cursor_ = 0;
    std::size_t freed_since_trim_ = 0;
    std::size_t closed_since_trim_ = 0;
    int sweeps_since_trim_ = 0;
};

}  // namespace chorus::stream
