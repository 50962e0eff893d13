// apps/chorus-bench/report.h: the figures of one run, printed as a table for people and as one
// JSON object for bench/side-by-side.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chorus::bench {

class Report {
public:
    void number(std::string key, double value, std::string unit = "", int precision = 1);
    void count(std::string key, std::uint64_t value, std::string unit = "");
    void text(std::string key, std::string value);
    /// A line under the table ("note: ..."), also a "notes" array in the JSON.
    void note(std::string line);

    std::string json() const;
    std::string table() const;

private:
    struct Entry {
        std::string key;
        std::string json_value;
        std::string shown;
        std::string unit;
    };
    std::vector<Entry> entries_;
    std::vector<std::string> notes_;
};

}  // namespace chorus::bench
