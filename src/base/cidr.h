// CIDR blocks ("127.0.0.0/8", "::1/128", a bare address = one host) for allow-lists.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace chorus {

class Cidr {
public:
    /// nullopt when text is not an address with an optional /prefix in range.
    static std::optional<Cidr> parse(std::string_view text);
    /// Whether address (textual, IPv4 or IPv6; IPv4-mapped IPv6 counts as IPv4) is inside.
    bool contains(std::string_view address) const;

private:
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 as IPv4-mapped IPv6
    int prefix_ = 0;                        // over the 128 bits
};

}  // namespace chorus
