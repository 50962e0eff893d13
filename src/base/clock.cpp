// XEP-0082 DateTime formatting and parsing (CCYY-MM-DDThh:mm:ss[.sss]TZD).
#include "base/clock.h"

#include <cstdio>

namespace chorus {
namespace {

using namespace std::chrono;

// Reads exactly n ASCII digits at pos; false if any is missing.
bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) noexcept
{
    if (pos + n > s.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    pos += n;
    out = value;
    return true;
}

bool expect_char(std::string_view s, std::size_t& pos, char c) noexcept
{
    if (pos >= s.size() || s[pos] != c) {
        return false;
    }
    ++pos;
    return true;
}

}  // namespace

std::string format_xep82(system_clock::time_point t)
{
    auto us = floor<microseconds>(t);
    auto day = floor<days>(us);
    year_month_day ymd{day};
    hh_mm_ss hms{us - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  static_cast<long long>(hms.subseconds().count()));
    return buf;
}

bool parse_xep82(std::string_view text, system_clock::time_point& out)
{
    std::size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!read_digits(text, pos, 4, y) || !expect_char(text, pos, '-') ||
        !read_digits(text, pos, 2, mo) || !expect_char(text, pos, '-') ||
        !read_digits(text, pos, 2, d) || !expect_char(text, pos, 'T') ||
        !read_digits(text, pos, 2, h) || !expect_char(text, pos, ':') ||
        !read_digits(text, pos, 2, mi) || !expect_char(text, pos, ':') ||
        !read_digits(text, pos, 2, s)) {
        return false;
    }
    // XEP-0082 §3.2: a fraction of any length; digits past nanoseconds are dropped.
    nanoseconds fraction{0};
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        std::size_t digits = 0;
        long long value = 0;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            if (digits < 9) {
                value = value * 10 + (text[pos] - '0');
            }
            ++digits;
            ++pos;
        }
        if (digits == 0) {
            return false;
        }
        for (std::size_t i = digits; i < 9; ++i) {
            value *= 10;
        }
        fraction = nanoseconds{value};
    }
    // TZD: "Z" or an offset from UTC, +hh:mm or -hh:mm.
    minutes offset{0};
    if (pos >= text.size()) {
        return false;
    }
    if (text[pos] == 'Z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        int sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        int oh = 0, om = 0;
        if (!read_digits(text, pos, 2, oh) || !expect_char(text, pos, ':') ||
            !read_digits(text, pos, 2, om) || oh > 23 || om > 59) {
            return false;
        }
        offset = minutes{sign * (oh * 60 + om)};
    } else {
        return false;
    }
    if (pos != text.size()) {
        return false;
    }
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) {
        return false;
    }
    // Local time minus its offset is UTC: 12:00+02:00 is 10:00Z.
    auto utc = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} - offset;
    out = time_point_cast<system_clock::duration>(utc) +
          duration_cast<system_clock::duration>(fraction);
    return true;
}

}  // namespace chorus
