// apps/chorus-bench/stats.cpp: histogram quantiles and the sequence window.
#include "stats.h"

#include <bit>

namespace chorus::bench {

std::size_t Histogram::index(std::uint64_t value)
{
    if (value < 64) {
        return static_cast<std::size_t>(value);
    }
    const int msb = 63 - std::countl_zero(value);  // >= 6
    const std::uint64_t sub = value >> (msb - 5);  // in [32, 64)
    return 64 + static_cast<std::size_t>(msb - 6) * sub_buckets +
           static_cast<std::size_t>(sub - 32);
}

void Histogram::merge(const Histogram& other)
{
    for (std::size_t i = 0; i < bucket_count; ++i) {
        buckets_[i] += other.buckets_[i];
    }
    count_ += other.count_;
    if (other.max_ > max_) {
        max_ = other.max_;
    }
}

double Histogram::quantile(double q) const
{
    if (count_ == 0) {
        return 0;
    }
    const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += buckets_[i];
        if (seen < rank) {
            continue;
        }
        if (i < 64) {
            return static_cast<double>(i);
        }
        const std::size_t msb = (i - 64) / sub_buckets + 6;
        const std::uint64_t sub = (i - 64) % sub_buckets + 32;
        const double low = static_cast<double>(sub << (msb - 5));
        const double high = static_cast<double>((sub + 1) << (msb - 5));
        const double mid = (low + high) / 2;
        return mid > static_cast<double>(max_) ? static_cast<double>(max_) : mid;
    }
    return static_cast<double>(max_);
}

bool SeqTracker::test_and_set(std::uint64_t seq)
{
    std::uint64_t& word = bits_[(seq % window) / 64];
    const std::uint64_t bit = std::uint64_t{1} << (seq % 64);
    const bool was_set = (word & bit) != 0;
    word |= bit;
    return was_set;
}

bool SeqTracker::add(std::uint64_t seq)
{
    if (seq >= top_) {
        // Forget the slots the window slides over, then take seq's.
        if (seq - top_ >= window) {
            bits_.fill(0);
        } else {
            for (std::uint64_t s = top_; s < seq; ++s) {
                bits_[(s % window) / 64] &= ~(std::uint64_t{1} << (s % 64));
            }
            bits_[(seq % window) / 64] &= ~(std::uint64_t{1} << (seq % 64));
        }
        top_ = seq + 1;
        test_and_set(seq);
        ++unique_;
        return true;
    }
    if (top_ - seq > window) {
        ++stale_;  // too old to tell a late first copy from a duplicate
        return false;
    }
    if (test_and_set(seq)) {
        ++duplicates_;
        return false;
    }
    ++out_of_order_;
    ++unique_;
    return true;
}

}  // namespace chorus::bench
