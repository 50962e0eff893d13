// apps/chorus-bench/worker.cpp: the worker thread's life and the write coalescing.
#include "worker.h"

namespace chorus::bench {

Worker::Worker(const Options& options, SSL_CTX* tls, asio::ip::tcp::endpoint server,
               asio::ip::tcp::endpoint peer, ScramCache& cache)
    : options_(options), tls_(tls), server_(server), peer_(peer), cache_(cache)
{
}

Worker::~Worker()
{
    stop();
}

Client& Worker::add_client(ClientSetup setup)
{
    clients_.push_back(std::make_unique<Client>(*this, std::move(setup)));
    dirty_.reserve(clients_.size());
    return *clients_.back();
}

void Worker::flush_dirty()
{
    for (Client* client : dirty_) {
        client->dirty_ = false;
        client->flush();
    }
    dirty_.clear();
}

void Worker::start()
{
    if (thread_.joinable()) {
        return;
    }
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
}

void Worker::stop()
{
    if (!thread_.joinable()) {
        return;
    }
    guard_.reset();
    io_.stop();
    thread_.join();
}

}  // namespace chorus::bench
