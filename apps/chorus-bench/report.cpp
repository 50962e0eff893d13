// apps/chorus-bench/report.cpp: JSON escaping (RFC 8259 §7) and the aligned table.
#include "report.h"

#include <cmath>
#include <cstdio>

namespace chorus::bench {
namespace {

std::string quoted(const std::string& text)
{
    std::string out = "\"";
    for (unsigned char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c < 0x20) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\u%04x", c);
            out += escape;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

}  // namespace

void Report::number(std::string key, double value, std::string unit, int precision)
{
    char shown[64];
    std::snprintf(shown, sizeof shown, "%.*f", precision, value);
    char exact[64];
    std::snprintf(exact, sizeof exact, "%.6g", value);
    entries_.push_back(
        {std::move(key), std::isfinite(value) ? exact : "null", shown, std::move(unit)});
}

void Report::count(std::string key, std::uint64_t value, std::string unit)
{
    const std::string text = std::to_string(value);
    entries_.push_back({std::move(key), text, text, std::move(unit)});
}

void Report::text(std::string key, std::string value)
{
    entries_.push_back({std::move(key), quoted(value), value, ""});
}

void Report::note(std::string line)
{
    notes_.push_back(std::move(line));
}

std::string Report::json() const
{
    std::string out = "{";
    for (const Entry& entry : entries_) {
        if (out.size() > 1) {
            out += ", ";
        }
        out += quoted(entry.key) + ": " + entry.json_value;
    }
    out += std::string(out.size() > 1 ? ", " : "") + "\"notes\": [";
    for (std::size_t i = 0; i < notes_.size(); ++i) {
        out += (i > 0 ? ", " : "") + quoted(notes_[i]);
    }
    return out + "]}\n";
}

std::string Report::table() const
{
    std::size_t width = 0;
    for (const Entry& entry : entries_) {
        width = std::max(width, entry.key.size());
    }
    std::string out;
    for (const Entry& entry : entries_) {
        out += "  " + entry.key + std::string(width - entry.key.size() + 2, ' ') + entry.shown;
        if (!entry.unit.empty()) {
            out += " " + entry.unit;
        }
        out += "\n";
    }
    for (const std::string& line : notes_) {
        out += "  note: " + line + "\n";
    }
    return out;
}

}  // namespace chorus::bench
