// ArchiveBatch: archive entries waiting for the writer, packed so an append allocates nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "storage/archive.h"

namespace chorus::storage::sqlite {

/// Entries appended since the writer last took the batch. Their text lives back to back in
/// one buffer, and an entry whose stanza equals the previous one's (the same message in the
/// sender's and the recipient's archive) shares its body: stored once, by the writer.
class ArchiveBatch {
public:
    struct Span {
        std::size_t offset = 0, size = 0;
    };
    struct Item {
        std::int64_t id = 0, stamp_us = 0;
        Span owner, with;
        std::size_t body = 0;  // index into bodies()
        bool outgoing = false;
    };
    struct Body {
        Span stanza;
        std::int64_t id = 0;  // the largest id of the items that refer to it
    };

    void add(const ArchiveEntry& entry);
    /// Empties the batch; keeps its buffers unless a burst made them large.
    void clear();
    void swap(ArchiveBatch& other) noexcept;

    std::string_view text(Span s) const noexcept { return {text_.data() + s.offset, s.size}; }
    std::span<const Item> items() const noexcept { return items_; }
    std::span<const Body> bodies() const noexcept { return bodies_; }
    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }

private:
    Span store(std::string_view s);

    std::string text_;
    std::vector<Item> items_;
    std::vector<Body> bodies_;
};

}  // namespace chorus::storage::sqlite
