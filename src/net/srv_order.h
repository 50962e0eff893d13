// Ordering of DNS SRV records (RFC 2782) and the s2s connection targets built from them
// (RFC 6120 §3.2.1, XEP-0368 §3).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace chorus::net {

struct SrvRecord {
    std::string target;
    std::uint16_t port = 0;
    std::uint16_t priority = 0;
    std::uint16_t weight = 0;
    bool direct_tls = false;  // from _xmpps-server._tcp (XEP-0368): TLS from the first byte
};

/// A number in [0, bound], uniformly (a parameter so tests can fix it).
using RandomUpTo = std::function<std::uint32_t(std::uint32_t bound)>;
RandomUpTo system_random();

/// RFC 2782: lowest priority first; within a priority, a weighted random order (weight-0
/// records first in the running sum, so they are picked only when the draw is 0).
std::vector<SrvRecord> order_srv(std::vector<SrvRecord> records, const RandomUpTo& random);

/// RFC 2782 and RFC 6120 §3.2.1 step 2: one record with target "." means the service is
/// decidedly not offered at that domain (no fallback to A/AAAA).
bool srv_says_unavailable(const std::vector<SrvRecord>& records);

/// Where an outgoing s2s link tries to connect, in order.
struct S2sTarget {
    std::string host;
    std::uint16_t port = 5269;
    bool direct_tls = false;
};

/// XEP-0368 §3: the records of _xmpps-server._tcp (direct TLS) and _xmpp-server._tcp
/// (STARTTLS) ordered together; none at all: the domain itself on 5269 (RFC 6120 §3.2.2).
/// Empty when the domain says it offers no service.
std::vector<S2sTarget> s2s_targets(const std::string& domain, std::vector<SrvRecord> xmpps,
                                   std::vector<SrvRecord> xmpp, const RandomUpTo& random);

}  // namespace chorus::net
