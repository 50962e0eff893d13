// ConnectionSet: swap-remove membership, per-address counts, the sliced idle sweep.
#include "stream/connection_set.h"

#include <malloc.h>

#include <algorithm>

#include "stream/c2s_session.h"

namespace chorus::stream {

int connection_limit_for(const boost::asio::ip::address& address, const Limits& limits) noexcept
{
    bool loopback = address.is_loopback();
    if (address.is_v6() && address.to_v6().is_v4_mapped()) {  // a dual-stack listener
        loopback = boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6())
                       .is_loopback();
    }
    return loopback && limits.exempt_loopback ? 0 : limits.max_connections_per_ip;
}

void ConnectionSet::add(C2sSession* s)
{
    s->connection_slot_ = sessions_.size();
    sessions_.push_back(s);
}

void ConnectionSet::remove(C2sSession* s)
{
    const std::size_t slot = s->connection_slot_;
    sessions_[slot] = sessions_.back();
    sessions_[slot]->connection_slot_ = slot;
    sessions_.pop_back();
    ++closed_since_trim_;
}

bool ConnectionSet::admit(const std::string& address, int limit)
{
    auto& n = per_address_[address];
    if (limit > 0 && n >= limit) {
        if (n == 0) {
            per_address_.erase(address);
        }
        return false;
    }
    ++n;
    return true;
}

void ConnectionSet::release(const std::string& address)
{
    auto it = per_address_.find(address);
    if (it != per_address_.end() && --it->second <= 0) {
        per_address_.erase(it);
    }
}

void ConnectionSet::close_all(StreamError error)
{
    const std::vector<C2sSession*> copy(sessions_);
    for (C2sSession* s : copy) {
        s->fail(error);
    }
}

void ConnectionSet::sweep_idle()
{
    const std::size_t n = sessions_.size();
    const std::size_t slice = (n + sweep_slices - 1) / sweep_slices;
    const auto now = LivenessClock::now();
    for (std::size_t visited = 0; visited < slice; ++visited) {
        if (cursor_ >= sessions_.size()) {
            cursor_ = 0;
        }
        freed_since_trim_ += sessions_[cursor_++]->sweep_idle(now) ? 1 : 0;
    }
    // What idle and closed sessions freed sits between live sessions in the heap; give its
    // pages back to the system, or the process keeps them for good. Once per cycle at most:
    // a trim walks the whole heap.
    if (++sweeps_since_trim_ >= sweep_slices && (freed_since_trim_ > 0 || closed_since_trim_ > 0)) {
        malloc_trim(0);
        freed_since_trim_ = 0;
        closed_since_trim_ = 0;
        sweeps_since_trim_ = 0;
    }
}

}  // namespace chorus::stream
