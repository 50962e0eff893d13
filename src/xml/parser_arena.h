// ParserArena: the memory of one expat parser, kept apart from the general heap.
// A parser needs ~14 KiB while a client logs in and nothing once it idles (hibernate()).
// Were that memory interleaved in the heap with the long-lived objects of the same login,
// freeing it would leave holes that pin whole pages; in its own mmap'd chunks it leaves
// nothing behind.
#pragma once

#include <expat.h>

#include <cstddef>

namespace chorus::xml {

class ParserArena {
public:
    ParserArena() = default;
    ~ParserArena() { release(); }
    ParserArena(const ParserArena&) = delete;
    ParserArena& operator=(const ParserArena&) = delete;

    /// Expat's memory suite; allocates from the arena made current by Scope.
    static const XML_Memory_Handling_Suite* suite();
    /// Gives every chunk back; only once expat has freed what it took (XML_ParserFree).
    void release();
    /// Bytes held in chunks (for tests).
    std::size_t held_bytes() const noexcept { return chunks_ * chunk_bytes; }

    /// Makes an arena current for the expat calls in its lifetime; nests.
    class Scope {
    public:
        explicit Scope(ParserArena& arena);
        ~Scope();
        Scope(const Scope&) = delete;
        Scope& operator=(const Scope&) = delete;

    private:
        ParserArena* previous_;
    };

    static constexpr std::size_t chunk_bytes = 16 * 1024;

private:
    struct Chunk;
    void* allocate(std::size_t size);
    void* reallocate(void* block, std::size_t size);
    void deallocate(void* block);
    static void* suite_malloc(std::size_t size);
    static void* suite_realloc(void* block, std::size_t size);
    static void suite_free(void* block);

    Chunk* head_ = nullptr;  // the chunk being filled; older ones linked behind it
    std::size_t chunks_ = 0;
};

}  // namespace chorus::xml
