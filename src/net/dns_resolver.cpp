// DnsResolver: c-ares on Asio (see the header for why this shape).
#include "net/dns_resolver.h"

#include <ares.h>
#include <spdlog/spdlog.h>

#include <arpa/nameser.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <mutex>

namespace chorus::net {

namespace asio = boost::asio;

struct DnsResolver::Watch {
    explicit Watch(asio::io_context& io, int fd) : fd(fd), descriptor(io, fd) {}
    int fd;
    asio::posix::stream_descriptor descriptor;  // c-ares owns the fd: released, never closed
    bool readable = false, writable = false;
    bool reading = false, writing = false;
    bool gone = false;
};

namespace {

struct Query {
    DnsResolver::SrvHandler done;
    std::string name;
    std::weak_ptr<bool> alive;
    asio::io_context* io;
};

}  // namespace

DnsResolver::DnsResolver(asio::io_context& io, const std::string& servers) : io_(io), timer_(io)
{
    static std::once_flag once;
    std::call_once(once, [] { ares_library_init(ARES_LIB_INIT_ALL); });
    ares_options options{};
    options.sock_state_cb = [](void* data, ares_socket_t fd, int r, int w) {
        on_socket_state(data, fd, r, w);
    };
    options.sock_state_cb_data = this;
    options.timeout = 2000;  // ms per try; the link's connect_timeout bounds the whole
    options.tries = 2;
    const int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    ares_channel channel = nullptr;
    if (const int rc = ares_init_options(&channel, &options, mask); rc != ARES_SUCCESS) {
        spdlog::warn("DNS: c-ares did not start ({}); SRV records are not looked up",
                     ares_strerror(rc));
        return;
    }
    channel_ = channel;
    if (!servers.empty()) {
        if (const int rc = ares_set_servers_ports_csv(channel_, servers.c_str());
            rc != ARES_SUCCESS) {
            spdlog::warn("DNS: servers '{}': {}", servers, ares_strerror(rc));
        }
    }
}

DnsResolver::~DnsResolver()
{
    *alive_ = false;  // answers c-ares gives while being destroyed go nowhere
    timer_.cancel();
    if (channel_) {
        ares_destroy(channel_);
    }
    for (auto& [fd, w] : watches_) {
        w->gone = true;
        w->descriptor.release();
    }
}

void DnsResolver::srv(const std::string& name, SrvHandler done)
{
    if (!channel_) {
        asio::post(io_, [done = std::move(done)] { done({}); });
        return;
    }
    auto* query = new Query{std::move(done), name, alive_, &io_};
    ares_query(channel_, name.c_str(), ns_c_in, ns_t_srv, &DnsResolver::on_answer, query);
    arm_timer();
}

void DnsResolver::on_answer(void* arg, int status, int, unsigned char* buf, int len)
{
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    if (query->alive.expired() || !*query->alive.lock()) {
        return;
    }
    std::vector<SrvRecord> records;
    if (status == ARES_SUCCESS) {
        ares_srv_reply* reply = nullptr;
        status = ares_parse_srv_reply(buf, len, &reply);
        for (auto* r = reply; r; r = r->next) {
            std::string target = r->host ? r->host : "";
            if (target.empty()) {
                target = ".";  // the root: "no service here" (RFC 2782)
            }
            records.push_back({std::move(target), r->port, r->priority, r->weight, false});
        }
        if (reply) {
            ares_free_data(reply);
        }
    }
    if (status != ARES_SUCCESS && status != ARES_ENOTFOUND && status != ARES_ENODATA) {
        spdlog::info("DNS: SRV {}: {}", query->name, ares_strerror(status));
    }
    asio::post(*query->io,
               [done = std::move(query->done), records = std::move(records)] { done(records); });
}

void DnsResolver::on_socket_state(void* self, int fd, int readable, int writable)
{
    static_cast<DnsResolver*>(self)->watch(fd, readable != 0, writable != 0);
}

void DnsResolver::watch(int fd, bool readable, bool writable)
{
    auto it = watches_.find(fd);
    if (!readable && !writable) {
        if (it != watches_.end()) {  // c-ares closes the fd next: stop watching it first
            it->second->gone = true;
            it->second->descriptor.cancel();
            it->second->descriptor.release();
            watches_.erase(it);
        }
        return;
    }
    if (it == watches_.end()) {
        it = watches_.emplace(fd, std::make_shared<Watch>(io_, fd)).first;
    }
    auto w = it->second;
    w->readable = readable;
    w->writable = writable;
    if (readable && !w->reading) {
        wait(w, false);
    }
    if (writable && !w->writing) {
        wait(w, true);
    }
}

void DnsResolver::wait(const std::shared_ptr<Watch>& w, bool for_write)
{
    (for_write ? w->writing : w->reading) = true;
    const auto type = for_write ? asio::posix::stream_descriptor::wait_write
                                : asio::posix::stream_descriptor::wait_read;
    w->descriptor.async_wait(type, [this, w, for_write](boost::system::error_code ec) {
        (for_write ? w->writing : w->reading) = false;
        if (ec || w->gone) {
            return;
        }
        process(for_write ? ARES_SOCKET_BAD : w->fd, for_write ? w->fd : ARES_SOCKET_BAD);
        if (!w->gone && (for_write ? w->writable : w->readable) &&
            !(for_write ? w->writing : w->reading)) {
            wait(w, for_write);
        }
    });
}

void DnsResolver::process(int read_fd, int write_fd)
{
    ares_process_fd(channel_, read_fd, write_fd);
    arm_timer();
}

void DnsResolver::arm_timer()
{
    timeval tv{};
    if (!ares_timeout(channel_, nullptr, &tv)) {
        timer_.cancel();  // nothing pending
        return;
    }
    timer_.expires_after(std::chrono::seconds(tv.tv_sec) + std::chrono::microseconds(tv.tv_usec));
    timer_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
        if (ec || alive.expired() || !*alive.lock()) {
            return;
        }
        process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // c-ares retries or fails what timed out
    });
}

}  // namespace chorus::net
