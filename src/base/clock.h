// Clock interface: wall time for stamps (XEP-0203, MAM) that tests can replace.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace chorus {

/// Source of wall-clock time; inject a fake in tests.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::chrono::system_clock::time_point now() const = 0;
};

class SystemClock final : public Clock {
public:
    std::chrono::system_clock::time_point now() const override
    {
        return std::chrono::system_clock::now();
    }
};

/// XEP-0082 DateTime in UTC with microseconds, e.g. 2026-11-24T21:50:03.123456Z.
std::string format_xep82(std::chrono::system_clock::time_point t);
/// Parses a XEP-0082 DateTime (with Z or an offset, optional fraction); false if malformed.
bool parse_xep82(std::string_view text, std::chrono::system_clock::time_point& out);

}  // namespace chorus
