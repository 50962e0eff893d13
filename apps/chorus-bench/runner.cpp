// apps/chorus-bench/runner.cpp: login lanes (coroutines, a fixed number per worker) and the
// bounded waits of the main thread.
#include "runner.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>

#include <cstdio>
#include <exception>
#include <thread>

namespace chorus::bench {
namespace {

struct LaneState {
    std::vector<Client*> clients;
    std::size_t next = 0;
    ConnectSummary summary;
    std::atomic<std::uint64_t>* done = nullptr;
    std::atomic<std::uint64_t>* last_done_ns = nullptr;
    const std::atomic<bool>* stop = nullptr;
    std::atomic<int>* active_lanes = nullptr;
};

void report_exception(std::exception_ptr error)
{
    if (!error) {
        return;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "chorus-bench: a client coroutine failed: %s\n", e.what());
    }
}

asio::awaitable<void> lane(Worker& worker, LaneState& state, ConnectMode mode, MessageSink* sink,
                           std::size_t read_buffer)
{
    while (state.next < state.clients.size() && !state.stop->load()) {
        Client& client = *state.clients[state.next++];
        const std::uint64_t start = now_ns();
        // Two statements, not ?: around co_await: GCC 12 destroys such a temporary twice.
        std::string error;
        if (mode == ConnectMode::login) {
            error = co_await client.login();
        } else {
            error = co_await client.register_account();
        }
        const std::uint64_t end = now_ns();
        if (error.empty() || (mode == ConnectMode::register_account && error == "exists")) {
            ++state.summary.ok;
            state.summary.existed += error.empty() ? 0 : 1;
            state.summary.latency.record(end - start);
            if (mode == ConnectMode::login) {
                asio::co_spawn(worker.io(), client.read_loop(*sink, read_buffer), report_exception);
            }
        } else {
            ++state.summary.failed;
            if (state.summary.first_error.empty()) {
                state.summary.first_error = client.setup().node + ": " + error;
            }
            client.abort();
        }
        state.done->fetch_add(1);
        std::uint64_t seen = state.last_done_ns->load();
        while (seen < end && !state.last_done_ns->compare_exchange_weak(seen, end)) {
        }
    }
    state.active_lanes->fetch_sub(1);
}

}  // namespace

struct Runner::LoginRound {
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::uint64_t> last_done_ns{0};
    std::atomic<bool> stop{false};
    std::atomic<int> active_lanes{0};
    std::vector<std::unique_ptr<LaneState>> states;
};

void sleep_seconds(double seconds)
{
    if (seconds > 0) {
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    }
}

Runner::Runner(const Options& options) : options_(options), tls_(!options.tls_default_libctx)
{
    if (!options.scram_cache.empty()) {
        cache_.load(options.scram_cache);
    }
    const asio::ip::tcp::endpoint server(asio::ip::make_address(options.host), options.port);
    const asio::ip::tcp::endpoint peer(asio::ip::make_address(options.peer_host),
                                       options.peer_port);
    for (int i = 0; i < std::max(1, options.threads); ++i) {
        workers_.push_back(std::make_unique<Worker>(options_, tls_.get(), server, peer, cache_));
    }
    connected_.assign(workers_.size(), 0);
}

Runner::~Runner()
{
    for (auto& worker : workers_) {
        worker->stop();
    }
}

ConnectSummary Runner::connect_all(ConnectMode mode,
                                   const std::function<MessageSink&(Worker&)>& sink_for,
                                   std::size_t read_buffer)
{
    rounds_.push_back(std::make_unique<LoginRound>());
    auto& [done, last_done_ns, stop, active_lanes, states] = *rounds_.back();
    std::uint64_t total = 0;
    const std::size_t lanes_per_worker =
        static_cast<std::size_t>(std::max(1, options_.login_concurrency)) / workers_.size() + 1;
    const std::uint64_t start = now_ns();
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        Worker& worker = *workers_[w];
        auto state = std::make_unique<LaneState>();
        for (std::size_t i = connected_[w]; i < worker.clients().size(); ++i) {
            state->clients.push_back(worker.clients()[i].get());
        }
        connected_[w] = worker.clients().size();
        state->done = &done;
        state->last_done_ns = &last_done_ns;
        state->stop = &stop;
        state->active_lanes = &active_lanes;
        total += state->clients.size();
        MessageSink* sink = mode == ConnectMode::login ? &sink_for(worker) : nullptr;
        const std::size_t lanes = std::min(lanes_per_worker, state->clients.size());
        for (std::size_t l = 0; l < lanes; ++l) {
            active_lanes.fetch_add(1);
            asio::co_spawn(worker.io(), lane(worker, *state, mode, sink, read_buffer),
                           report_exception);
        }
        states.push_back(std::move(state));
        worker.start();
    }
    const auto deadline =
        SteadyClock::now() + std::chrono::duration<double>(options_.login_timeout);
    std::uint64_t reported = 0;
    while (done.load() < total && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (!options_.json && done.load() >= reported + 5000) {
            reported = done.load();
            std::fprintf(stderr, "chorus-bench: %llu/%llu connected\n",
                         static_cast<unsigned long long>(reported),
                         static_cast<unsigned long long>(total));
        }
    }
    stop.store(true);
    if (done.load() < total) {
        // Past the deadline: cut off the logins in progress; their lanes record the failures.
        for (auto& worker : workers_) {
            worker->run_sync([&] {
                for (auto& client : worker->clients()) {
                    if (client->is_logging_in()) {
                        client->abort();
                    }
                }
            });
        }
    }
    const auto lanes_deadline = SteadyClock::now() + std::chrono::seconds(5);
    while (active_lanes.load() > 0 && SteadyClock::now() < lanes_deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ConnectSummary summary;
    summary.attempted = total;
    for (std::size_t w = 0; w < workers_.size(); ++w) {
        LaneState& state = *states[w];
        workers_[w]->run_sync([&] {
            summary.ok += state.summary.ok;
            summary.existed += state.summary.existed;
            summary.failed += state.summary.failed;
            summary.latency.merge(state.summary.latency);
            if (summary.first_error.empty()) {
                summary.first_error = state.summary.first_error;
            }
        });
    }
    summary.failed += total - done.load();
    if (summary.first_error.empty() && done.load() < total) {
        summary.first_error = "login timeout";
    }
    summary.seconds = static_cast<double>(last_done_ns.load() - start) / 1e9;
    return summary;
}

void Runner::close_all(double wait_seconds)
{
    for (auto& worker : workers_) {
        worker->run_sync([&] {
            for (auto& client : worker->clients()) {
                client->close();
            }
        });
    }
    const auto deadline = SteadyClock::now() + std::chrono::duration<double>(wait_seconds);
    const auto open = [&] {
        std::int64_t n = 0;
        for (auto& worker : workers_) {
            n += worker->open_connections.load();
        }
        return n;
    };
    while (open() > 0 && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    for (auto& worker : workers_) {
        worker->run_sync([&] {
            for (auto& client : worker->clients()) {
                client->abort();
            }
        });
        worker->stop();
    }
}

std::uint64_t Runner::unexpected_closes() const
{
    std::uint64_t n = 0;
    for (const auto& worker : workers_) {
        n += worker->unexpected_closes.load();
    }
    return n;
}

void Runner::save_cache()
{
    if (!options_.scram_cache.empty() && cache_.derivations() > 0) {
        cache_.save(options_.scram_cache);
    }
}

}  // namespace chorus::bench
