// apps/chorus-bench/stats.h: a fixed log-linear latency histogram and per-flow sequence
// tracking, so receivers count delivered, duplicated and lost messages without storing samples.
#pragma once

#include <array>
#include <cstdint>

namespace chorus::bench {

/// Log-linear histogram of nanosecond values: exact below 64 ns, then 32 buckets per power of
/// two (at most 3% error). Recording is an index computation and one increment.
class Histogram {
public:
    static constexpr int sub_buckets = 32;
    static constexpr std::size_t bucket_count = 64 + (64 - 6) * sub_buckets;

    void record(std::uint64_t value)
    {
        ++buckets_[index(value)];
        ++count_;
        if (value > max_) {
            max_ = value;
        }
    }
    void merge(const Histogram& other);
    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    /// The value below which a fraction q (0..1) of the recorded values lie; 0 when empty.
    double quantile(double q) const;

private:
    static std::size_t index(std::uint64_t value);

    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
};

/// What one receiver saw of one sender's numbered messages. Sequence numbers within the last
/// window of the highest one seen are checked exactly; anything older is counted as stale.
class SeqTracker {
public:
    static constexpr std::uint64_t window = 4096;

    /// Records seq; returns false if it was already seen (a duplicate).
    bool add(std::uint64_t seq);
    std::uint64_t unique() const { return unique_; }
    std::uint64_t duplicates() const { return duplicates_; }
    std::uint64_t stale() const { return stale_; }
    std::uint64_t out_of_order() const { return out_of_order_; }

private:
    bool test_and_set(std::uint64_t seq);

    std::uint64_t top_ = 0;  // one past the highest sequence number seen
    std::array<std::uint64_t, window / 64> bits_{};
    std::uint64_t unique_ = 0;
    std::uint64_t duplicates_ = 0;
    std::uint64_t stale_ = 0;
    std::uint64_t out_of_order_ = 0;
};

}  // namespace chorus::bench
