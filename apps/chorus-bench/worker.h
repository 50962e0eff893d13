// apps/chorus-bench/worker.h: one thread running one io_context with the clients it owns; a
// client never leaves its worker, so scenario state needs no locks (DESIGN.md's model).
#pragma once

#include "client.h"
#include "options.h"
#include "sasl.h"

#include <openssl/ssl.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace chorus::bench {

class Worker {
public:
    Worker(const Options& options, SSL_CTX* tls, asio::ip::tcp::endpoint server,
           asio::ip::tcp::endpoint peer, ScramCache& cache);
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    asio::io_context& io() { return io_; }
    const Options& options() const { return options_; }
    SSL_CTX* tls() { return tls_; }
    /// Where a client's TLS records land between the socket and OpenSSL; its contents never
    /// outlive one call on the worker's thread.
    std::vector<char>& scratch() { return scratch_; }
    /// The server a client logs in to: the peer (Options::peer_port) or the main one.
    const asio::ip::tcp::endpoint& server(bool peer = false) const
    {
        return peer ? peer_ : server_;
    }
    const std::string& domain(bool peer = false) const
    {
        return peer ? options_.peer_domain : options_.domain;
    }
    ScramCache& scram_cache() { return cache_; }

    /// Adds a client; only before start() or on the worker's thread.
    Client& add_client(ClientSetup setup);
    std::vector<std::unique_ptr<Client>>& clients() { return clients_; }

    /// Queues client for the next flush_dirty(), so that all the stanzas one read or one tick
    /// produces leave in one write per connection.
    void mark_dirty(Client& client)
    {
        if (!client.dirty_) {
            client.dirty_ = true;
            dirty_.push_back(&client);
        }
    }
    void flush_dirty();

    void start();
    void stop();
    /// Runs f on the worker's thread and waits for it (directly if the thread never started).
    template <class F>
    void run_sync(F&& f)
    {
        if (!thread_.joinable()) {
            f();
            return;
        }
        std::promise<void> done;
        asio::post(io_, [&] {
            f();
            done.set_value();
        });
        done.get_future().wait();
    }

    std::atomic<std::int64_t> open_connections{0};
    std::atomic<std::uint64_t> unexpected_closes{0};

private:
    asio::io_context io_{1};
    const Options& options_;
    SSL_CTX* tls_;
    asio::ip::tcp::endpoint server_;
    asio::ip::tcp::endpoint peer_;
    ScramCache& cache_;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard_;
    std::thread thread_;
    std::vector<std::unique_ptr<Client>> clients_;  // after io_: destroyed before it
    std::vector<Client*> dirty_;
    std::vector<char> scratch_ = std::vector<char>(64 * 1024);
};

}  // namespace chorus::bench
