// apps/chorus-bench/runner.h: the workers of one run, pipelined logins and the orderly close.
#pragma once

#include "options.h"
#include "sasl.h"
#include "stats.h"
#include "tls.h"
#include "worker.h"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace chorus::bench {

using SteadyClock = std::chrono::steady_clock;

/// Nanoseconds on the steady clock, the unit of every timestamp a message carries.
inline std::uint64_t now_ns()
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now().time_since_epoch())
            .count());
}

void sleep_seconds(double seconds);

enum class ConnectMode { login, register_account };

struct ConnectSummary {
    std::uint64_t attempted = 0;
    std::uint64_t ok = 0;
    std::uint64_t existed = 0;  // register: the account was already there
    std::uint64_t failed = 0;
    double seconds = 0;  // first connect to last completion
    Histogram latency;   // per login, ns
    std::string first_error;
};

class Runner {
public:
    explicit Runner(const Options& options);
    ~Runner();

    std::size_t worker_count() const { return workers_.size(); }
    /// Groups of clients that talk to each other share a worker, so no message crosses threads.
    Worker& worker_for_group(std::size_t group) { return *workers_[group % workers_.size()]; }
    Worker& worker(std::size_t i) { return *workers_[i]; }

    /// Connects every client added since the last call, options.login_concurrency at a time, and
    /// starts the read loop of each logged-in client with sink_for(its worker). Blocks.
    ConnectSummary connect_all(ConnectMode mode,
                               const std::function<MessageSink&(Worker&)>& sink_for,
                               std::size_t read_buffer);
    /// Ends every stream, waits up to wait_seconds for the server to close them, then stops.
    void close_all(double wait_seconds);
    std::uint64_t unexpected_closes() const;
    void save_cache();

private:
    struct LoginRound;  // the lanes' shared state; outlives any lane that overstays its deadline

    const Options& options_;
    TlsClientContext tls_;
    ScramCache cache_;
    std::vector<std::unique_ptr<Worker>> workers_;
    std::vector<std::size_t> connected_;  // per worker: clients already connected
    std::vector<std::unique_ptr<LoginRound>> rounds_;
};

}  // namespace chorus::bench
