// ArchiveBatch: packing, body sharing and release of burst-sized buffers.
#include "storage/sqlite/archive_batch.h"

#include <algorithm>

namespace chorus::storage::sqlite {
namespace {

// Above this, clear() gives the text buffer back: a burst must not pin its peak for good.
constexpr std::size_t keep_text_bytes = std::size_t{1} << 20;
constexpr std::size_t keep_items = 8192;

}  // namespace

ArchiveBatch::Span ArchiveBatch::store(std::string_view s)
{
    const Span span{text_.size(), s.size()};
    text_.append(s);
    return span;
}

void ArchiveBatch::add(const ArchiveEntry& entry)
{
    Item item{.id = entry.id,
              .stamp_us = entry.stamp_us,
              .owner = store(entry.owner),
              .with = store(entry.with),
              .outgoing = entry.outgoing};
    if (bodies_.empty() || text(bodies_.back().stanza) != entry.stanza) {
        bodies_.push_back({store(entry.stanza), entry.id});
    }
    item.body = bodies_.size() - 1;
    bodies_.back().id = std::max(bodies_.back().id, entry.id);
    items_.push_back(item);
}

void ArchiveBatch::clear()
{
    if (text_.capacity() > keep_text_bytes) {
        std::string().swap(text_);
    }
    if (items_.capacity() > keep_items) {
        std::vector<Item>().swap(items_);
        std::vector<Body>().swap(bodies_);
    }
    text_.clear();
    items_.clear();
    bodies_.clear();
}

void ArchiveBatch::swap(ArchiveBatch& other) noexcept
{
    text_.swap(other.text_);
    items_.swap(other.items_);
    bodies_.swap(other.bodies_);
}

}  // namespace chorus::storage::sqlite
