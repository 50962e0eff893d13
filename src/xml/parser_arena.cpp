// ParserArena: bump allocation in 16 KiB mmap'd chunks; large blocks from malloc.
#include "xml/parser_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "base/check.h"

namespace chorus::xml {
namespace {

// Every block starts with its size, so realloc knows what to copy and free knows where a
// large block came from.
struct alignas(16) Header {
    std::uint32_t size;
    std::uint32_t large;  // 1: from malloc, freed on its own
};

// Blocks above this come from malloc: a stanza's read buffer can grow to the largest read,
// and should go back as soon as expat lets go of it.
constexpr std::size_t max_small = 4096;
// Chunks kept per thread for the next parser; a burst of logins beyond this unmaps.
constexpr std::size_t cached_chunks_max = 16;

thread_local ParserArena* current = nullptr;

constexpr std::size_t round_up(std::size_t n)
{
    return (n + 15) & ~std::size_t{15};
}

}  // namespace

struct ParserArena::Chunk {
    Chunk* next;
    std::size_t used;  // bytes from the chunk's start, this header included
};

namespace {
std::vector<void*>& chunk_cache()
{
    static thread_local std::vector<void*> cache;
    return cache;
}
}  // namespace

const XML_Memory_Handling_Suite* ParserArena::suite()
{
    static const XML_Memory_Handling_Suite s{&suite_malloc, &suite_realloc, &suite_free};
    return &s;
}

ParserArena::Scope::Scope(ParserArena& arena) : previous_(current)
{
    current = &arena;
}
ParserArena::Scope::~Scope()
{
    current = previous_;
}

void* ParserArena::suite_malloc(std::size_t size)
{
    CHORUS_CHECK(current != nullptr);
    return current->allocate(size);
}

void* ParserArena::suite_realloc(void* block, std::size_t size)
{
    CHORUS_CHECK(current != nullptr);
    return current->reallocate(block, size);
}

void ParserArena::suite_free(void* block)
{
    CHORUS_CHECK(current != nullptr);
    current->deallocate(block);
}

void* ParserArena::allocate(std::size_t size)
{
    const std::size_t need = sizeof(Header) + round_up(size);
    if (size > max_small) {
        auto* h = static_cast<Header*>(std::malloc(need));
        if (h == nullptr) {
            return nullptr;
        }
        *h = {static_cast<std::uint32_t>(size), 1};
        return h + 1;
    }
    constexpr std::size_t chunk_header = round_up(sizeof(Chunk));
    if (head_ == nullptr || head_->used + need > chunk_bytes) {
        void* memory = nullptr;
        auto& cache = chunk_cache();
        if (!cache.empty()) {
            memory = cache.back();
            cache.pop_back();
        } else {
            memory = mmap(nullptr, chunk_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                          -1, 0);
            if (memory == MAP_FAILED) {
                return nullptr;
            }
        }
        head_ = new (memory) Chunk{head_, chunk_header};
        ++chunks_;
    }
    auto* h = reinterpret_cast<Header*>(reinterpret_cast<char*>(head_) + head_->used);
    head_->used += need;
    *h = {static_cast<std::uint32_t>(size), 0};
    return h + 1;
}

void* ParserArena::reallocate(void* block, std::size_t size)
{
    if (block == nullptr) {
        return allocate(size);
    }
    Header* h = static_cast<Header*>(block) - 1;
    if (h->large != 0 && size > max_small) {
        auto* grown = static_cast<Header*>(std::realloc(h, sizeof(Header) + round_up(size)));
        if (grown == nullptr) {
            return nullptr;
        }
        grown->size = static_cast<std::uint32_t>(size);
        return grown + 1;
    }
    // The newest block of the chunk grows in place when the chunk has room.
    char* end = reinterpret_cast<char*>(block) + round_up(h->size);
    if (h->large == 0 && size <= max_small && end == reinterpret_cast<char*>(head_) + head_->used &&
        reinterpret_cast<char*>(block) + round_up(size) <=
            reinterpret_cast<char*>(head_) + chunk_bytes) {
        head_->used = static_cast<std::size_t>(reinterpret_cast<char*>(block) + round_up(size) -
                                               reinterpret_cast<char*>(head_));
        h->size = static_cast<std::uint32_t>(size);
        return block;
    }
    void* moved = allocate(size);
    if (moved != nullptr) {
        std::memcpy(moved, block, std::min<std::size_t>(h->size, size));
        deallocate(block);
    }
    return moved;
}

void ParserArena::deallocate(void* block)
{
    if (block == nullptr) {
        return;
    }
    Header* h = static_cast<Header*>(block) - 1;
    if (h->large != 0) {
        std::free(h);
        return;
    }
    // Only the newest block goes back at once; the rest waits for release(), which comes
    // when the parser is freed (expat reuses its own lists in between).
    char* end = reinterpret_cast<char*>(block) + round_up(h->size);
    if (end == reinterpret_cast<char*>(head_) + head_->used) {
        head_->used =
            static_cast<std::size_t>(reinterpret_cast<char*>(h) - reinterpret_cast<char*>(head_));
    }
}

void ParserArena::release()
{
    auto& cache = chunk_cache();
    while (head_ != nullptr) {
        Chunk* next = head_->next;
        if (cache.size() < cached_chunks_max) {
            cache.push_back(head_);
        } else {
            munmap(head_, chunk_bytes);
        }
        head_ = next;
    }
    chunks_ = 0;
}

}  // namespace chorus::xml
