// SRV ordering (RFC 2782) and s2s target lists (RFC 6120 §3.2.1, XEP-0368).
#include "net/srv_order.h"

#include <algorithm>
#include <random>

namespace chorus::net {

RandomUpTo system_random()
{
    return [](std::uint32_t bound) {
        thread_local std::mt19937 engine{std::random_device{}()};
        return std::uniform_int_distribution<std::uint32_t>(0, bound)(engine);
    };
}

std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, const RandomUpTo& random)
{
    std::stable_sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
        return a.priority < b.priority || (a.priority == b.priority && a.weight == 0 && b.weight);
    });
    std::vector<SrvRecord> out;
    out.reserve(records.size());
    auto first = records.begin();
    while (first != records.end()) {
        auto last = std::find_if(first, records.end(),
                                 [&](const auto& r) { return r.priority != first->priority; });
        std::vector<SrvRecord> group(std::make_move_iterator(first), std::make_move_iterator(last));
        while (!group.empty()) {
            std::uint32_t sum = 0;
            for (const auto& r : group) {
                sum += r.weight;
            }
            const auto draw = random(sum);
            std::uint32_t running = 0;
            auto chosen = group.begin();
            for (auto it = group.begin(); it != group.end(); ++it) {
                running += it->weight;
                if (running >= draw) {
                    chosen = it;
                    break;
                }
            }
            out.push_back(std::move(*chosen));
            group.erase(chosen);
        }
        first = last;
    }
    return out;
}

bool srv_says_unavailable(const std::vector<SrvRecord>& records)
{
    return records.size() == 1 && (records[0].target == "." || records[0].target.empty());
}

std::vector<S2sTarget> s2s_targets(const std::string& domain, std::vector<SrvRecord> xmpps,
                                   std::vector<SrvRecord> xmpp, const RandomUpTo& random)
{
    for (auto& r : xmpps) {
        r.direct_tls = true;
    }
    const bool xmpps_off = xmpps.empty() || srv_says_unavailable(xmpps);
    const bool xmpp_off = xmpp.empty() || srv_says_unavailable(xmpp);
    if (xmpps.empty() && xmpp.empty()) {
        return {{domain, 5269, false}};
    }
    std::vector<SrvRecord> all;
    if (!xmpps_off) {
        all = std::move(xmpps);
    }
    if (!xmpp_off) {
        all.insert(all.end(), std::make_move_iterator(xmpp.begin()),
                   std::make_move_iterator(xmpp.end()));
    }
    std::vector<S2sTarget> out;
    for (auto& r : order_srv(std::move(all), random)) {
        if (r.target != "." && !r.target.empty()) {
            out.push_back({std::move(r.target), r.port, r.direct_tls});
        }
    }
    return out;
}

}  // namespace chorus::net
