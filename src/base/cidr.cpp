// Cidr: parsing and matching on 128-bit addresses (IPv4 mapped into ::ffff:0:0/96).
#include "base/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

namespace chorus {

namespace {
/// The address as 16 bytes, IPv4 mapped; false when it is not one.
bool to_bytes(std::string_view text, std::array<std::uint8_t, 16>& out, bool& v4)
{
    const std::string s(text);
    in_addr a4{};
    in6_addr a6{};
    out = {};
    if (inet_pton(AF_INET, s.c_str(), &a4) == 1) {
        out[10] = out[11] = 0xff;
        std::memcpy(out.data() + 12, &a4, 4);
        v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s.c_str(), &a6) == 1) {
        std::memcpy(out.data(), &a6, 16);
        static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        v4 = std::memcmp(out.data(), mapped, 12) == 0;
        return true;
    }
    return false;
}
}  // namespace

std::optional<Cidr> Cidr::parse(std::string_view text)
{
    const auto slash = text.find('/');
    Cidr c;
    bool v4 = false;
    if (!to_bytes(text.substr(0, slash), c.bytes_, v4)) {
        return std::nullopt;
    }
    const int width = v4 ? 32 : 128;
    int prefix = width;
    if (slash != std::string_view::npos) {
        const auto p = text.substr(slash + 1);
        const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
        if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 ||
            prefix > width) {
            return std::nullopt;
        }
    }
    c.prefix_ = prefix + (128 - width);
    return c;
}

bool Cidr::contains(std::string_view address) const
{
    std::array<std::uint8_t, 16> a{};
    bool v4 = false;
    if (!to_bytes(address, a, v4)) {
        return false;
    }
    int bits = prefix_;
    for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
        const auto mask = static_cast<std::uint8_t>(bits >= 8 ? 0xff : 0xff << (8 - bits));
        if ((a[i] & mask) != (bytes_[i] & mask)) {
            return false;
        }
    }
    return true;
}

}  // namespace chorus
