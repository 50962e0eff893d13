// bench/archive-store: chorus-bench's saturation traffic as archive entries.
#pragma once

#include <cstdint>
#include <string>

#include "store.h"

namespace archive_bench {

constexpr int accounts = 200;  // user0 .. user199@localhost, chatting in pairs

/// The JID of account n.
std::string account_jid(int n);

/// Message number m (from 0): sender m % accounts writes to its partner (n ^ 1, as
/// chorus-bench's saturation pairs), stanza as chorusd archives it (stamped from, default
/// namespace left out). Ids 2m+1 (sender's item) and 2m+2 (recipient's), as two calls of
/// the MAM module's next_id(); both items carry the same stanza, so the batch shares it.
class Workload {
public:
    /// pad: bytes of extra body text, for stanzas longer than chorus-bench's.
    explicit Workload(std::size_t pad);
    void append_message(Store& store, std::uint64_t m);
    std::size_t stanza_bytes() const noexcept { return last_size_; }

private:
    std::string stanza_;
    std::string pad_;
    std::size_t last_size_ = 0;
};

}  // namespace archive_bench
