// DnsResolver: asynchronous DNS SRV lookups (RFC 2782) with c-ares, driven by the server's
// io_context: c-ares tells which sockets it wants watched (ARES_OPT_SOCK_STATE_CB), Asio
// waits on them and on c-ares' next timeout, so no thread and no blocking call is added.
// A/AAAA stay with Asio's resolver (getaddrinfo: /etc/hosts and nsswitch, as users expect).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "net/srv_order.h"

struct ares_channeldata;

namespace chorus::net {

class DnsResolver {
public:
    /// The records, empty when the name has none or the lookup failed (then logged).
    using SrvHandler = std::function<void(std::vector<SrvRecord>)>;

    /// servers: "host:port,..." instead of /etc/resolv.conf's (tests); empty: the system's.
    explicit DnsResolver(boost::asio::io_context& io, const std::string& servers = {});
    ~DnsResolver();
    DnsResolver(const DnsResolver&) = delete;
    DnsResolver& operator=(const DnsResolver&) = delete;

    /// Looks up the SRV records of `name`; `done` runs later on the io_context, never
    /// from inside this call, and not at all once the resolver is destroyed.
    void srv(const std::string& name, SrvHandler done);
    bool ready() const noexcept { return channel_ != nullptr; }

private:
    struct Watch;
    static void on_socket_state(void* self, int fd, int readable, int writable);
    static void on_answer(void* arg, int status, int timeouts, unsigned char* buf, int len);
    void watch(int fd, bool readable, bool writable);
    void wait(const std::shared_ptr<Watch>& w, bool for_write);
    void process(int read_fd, int write_fd);
    void arm_timer();

    boost::asio::io_context& io_;
    ares_channeldata* channel_ = nullptr;
    std::map<int, std::shared_ptr<Watch>> watches_;
    boost::asio::steady_timer timer_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace chorus::net
