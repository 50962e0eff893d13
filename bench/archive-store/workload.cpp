// bench/archive-store: the entries of chorus-bench's saturation traffic (workload.h).
#include "workload.h"

#include <fmt/format.h>

namespace archive_bench {
namespace {

// chorus-bench's clock at some day in 2026: the last body field is its send time in ns.
constexpr std::int64_t base_stamp_us = 1'764'684'302'000'000;
constexpr std::int64_t spacing_us = 10;  // 100 k messages per second

}  // namespace

std::string account_jid(int n)
{
    return fmt::format("user{}@localhost", n);
}

Workload::Workload(std::size_t pad) : pad_(pad, 'x')
{
    if (pad > 0) {
        pad_.insert(0, 1, ' ');
    }
}

void Workload::append_message(Store& store, std::uint64_t m)
{
    const int from = static_cast<int>(m % accounts);
    const int to = from ^ 1;
    const std::string owner = account_jid(from), with = account_jid(to);
    const std::int64_t stamp = base_stamp_us + static_cast<std::int64_t>(m) * spacing_us;
    // apps/chorus-bench/traffic.cpp: "<message to='...' type='chat'><body>cb FLOW SEQ NS";
    // the router stamps from (full JID, resource "b") and serializes in jabber:client.
    stanza_.clear();
    fmt::format_to(std::back_inserter(stanza_),
                   "<message to='{}' type='chat' from='{}/b'><body>cb {} {} {}{}</body></message>",
                   with, owner, from, m / accounts, stamp * 1000 + 123, pad_);
    last_size_ = stanza_.size();
    const auto id = static_cast<std::int64_t>(2 * m + 1);
    store.append({id, owner, with, stamp, true, stanza_});
    store.append({id + 1, with, owner, stamp, false, stanza_});
}

}  // namespace archive_bench
