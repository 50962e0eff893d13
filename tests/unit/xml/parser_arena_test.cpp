// Tests for src/xml/parser_arena.cpp: expat's memory suite on per-parser bump chunks, alone and
// under a real expat parser.
#include "xml/parser_arena.h"

#include <expat.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::xml {
namespace {

constexpr std::size_t chunk = ParserArena::chunk_bytes;

void* arena_malloc(std::size_t size)
{
    return ParserArena::suite()->malloc_fcn(size);
}
void* arena_realloc(void* block, std::size_t size)
{
    return ParserArena::suite()->realloc_fcn(block, size);
}
void arena_free(void* block)
{
    ParserArena::suite()->free_fcn(block);
}

// A byte pattern that differs per block (seed) and per offset, so an overlap or a short copy
// shows up as a mismatch.
void fill(void* block, std::size_t size, unsigned seed)
{
    auto* p = static_cast<unsigned char*>(block);
    for (std::size_t i = 0; i < size; ++i) {
        p[i] = static_cast<unsigned char>(seed * 131 + i * 7 + (i >> 8));
    }
}

::testing::AssertionResult holds(const void* block, std::size_t size, unsigned seed)
{
    const auto* p = static_cast<const unsigned char*>(block);
    for (std::size_t i = 0; i < size; ++i) {
        if (p[i] != static_cast<unsigned char>(seed * 131 + i * 7 + (i >> 8))) {
            return ::testing::AssertionFailure()
                   << "byte " << i << " of " << size << " (seed " << seed << ") changed";
        }
    }
    return ::testing::AssertionSuccess();
}

bool aligned16(const void* p)
{
    return reinterpret_cast<std::uintptr_t>(p) % 16 == 0;
}

TEST(ParserArena, SmallBlocksAreAlignedTo16AndDoNotOverlap)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    std::vector<std::pair<void*, std::size_t>> blocks;
    for (std::size_t size : {0, 1, 7, 15, 16, 17, 31, 100, 255, 1000, 4095, 4096, 3, 64}) {
        void* p = arena_malloc(size);
        ASSERT_NE(p, nullptr) << size;
        EXPECT_TRUE(aligned16(p)) << size;
        fill(p, size, static_cast<unsigned>(blocks.size()));
        blocks.emplace_back(p, size);
    }
    EXPECT_GT(arena.held_bytes(), 0u);
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        EXPECT_TRUE(holds(blocks[i].first, blocks[i].second, static_cast<unsigned>(i)));
    }
    for (auto& [p, size] : blocks) {
        arena_free(p);
    }
}

TEST(ParserArena, ReallocGrowsTheNewestBlockInPlaceAndKeepsItsBytes)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    void* p = arena_malloc(100);
    fill(p, 100, 1);
    void* grown = arena_realloc(p, 1000);
    EXPECT_EQ(grown, p);  // the newest block of a chunk with room does not move
    EXPECT_TRUE(holds(grown, 100, 1));
    fill(grown, 1000, 2);
    grown = arena_realloc(grown, 4096);
    EXPECT_EQ(grown, p);
    EXPECT_TRUE(holds(grown, 1000, 2));
    EXPECT_EQ(arena.held_bytes(), chunk);
    arena_free(grown);
}

TEST(ParserArena, ReallocMovesAnOlderBlockAndKeepsBothBlocks)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    void* older = arena_malloc(100);
    fill(older, 100, 3);
    void* newer = arena_malloc(50);
    fill(newer, 50, 4);
    void* moved = arena_realloc(older, 500);
    ASSERT_NE(moved, nullptr);
    EXPECT_NE(moved, older);  // growing in place would overwrite newer
    EXPECT_TRUE(aligned16(moved));
    EXPECT_TRUE(holds(moved, 100, 3));
    EXPECT_TRUE(holds(newer, 50, 4));
    fill(moved, 500, 5);
    EXPECT_TRUE(holds(newer, 50, 4));
    arena_free(newer);
    arena_free(moved);
}

TEST(ParserArena, ReallocMovesTheNewestBlockWhenTheChunkIsFull)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    std::vector<void*> fillers;
    for (int i = 0; i < 3; ++i) {
        fillers.push_back(arena_malloc(4000));
    }
    fillers.push_back(arena_malloc(300));
    // last starts 12400 bytes into the chunk: fewer than 4096 bytes remain after its start.
    void* last = arena_malloc(2000);
    fill(last, 2000, 6);
    ASSERT_EQ(arena.held_bytes(), chunk);
    void* moved = arena_realloc(last, 4096);
    EXPECT_NE(moved, last);
    EXPECT_EQ(arena.held_bytes(), 2 * chunk);
    EXPECT_TRUE(holds(moved, 2000, 6));
    arena_free(moved);
    for (void* p : fillers) {
        arena_free(p);
    }
}

TEST(ParserArena, ReallocShrinksAndKeepsThePrefix)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    void* p = arena_malloc(2000);
    fill(p, 2000, 7);
    void* shrunk = arena_realloc(p, 10);
    ASSERT_NE(shrunk, nullptr);
    EXPECT_TRUE(holds(shrunk, 10, 7));
    void* next = arena_malloc(64);  // the space given back is used again
    EXPECT_LT(static_cast<char*>(next), static_cast<char*>(p) + 2000);
    fill(next, 64, 8);
    EXPECT_TRUE(holds(shrunk, 10, 7));
    shrunk = arena_realloc(shrunk, 1);
    EXPECT_TRUE(holds(shrunk, 1, 7));
    EXPECT_TRUE(holds(next, 64, 8));
    arena_free(next);
    arena_free(shrunk);
}

// Expat often frees what it allocated last (a scratch string, a failed start tag's
// attributes); that space is used again at once, the rest waits for release().
TEST(ParserArena, FreeingTheNewestBlockGivesItsSpaceBack)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    void* older = arena_malloc(200);
    void* newest = arena_malloc(300);
    arena_free(newest);
    EXPECT_EQ(arena_malloc(300), newest);
    arena_free(older);  // not the newest: stays allocated
    void* after = arena_malloc(10);
    EXPECT_GT(static_cast<char*>(after), static_cast<char*>(newest));
    EXPECT_EQ(arena.held_bytes(), chunk);
}

TEST(ParserArena, ReallocOfNullAllocatesAndFreeOfNullDoesNothing)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    arena_free(nullptr);
    EXPECT_EQ(arena.held_bytes(), 0u);
    void* small = arena_realloc(nullptr, 40);
    ASSERT_NE(small, nullptr);
    EXPECT_TRUE(aligned16(small));
    fill(small, 40, 9);
    void* large = arena_realloc(nullptr, 10000);
    ASSERT_NE(large, nullptr);
    EXPECT_TRUE(aligned16(large));
    fill(large, 10000, 10);
    EXPECT_TRUE(holds(small, 40, 9));
    arena_free(nullptr);
    EXPECT_TRUE(holds(large, 10000, 10));
    arena_free(large);
    arena_free(small);
}

TEST(ParserArena, LargeBlocksComeFromTheHeapAndHoldNoChunk)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    void* p = arena_malloc(4097);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned16(p));
    EXPECT_EQ(arena.held_bytes(), 0u);
    fill(p, 4097, 11);
    p = arena_realloc(p, 100000);  // large to large
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(holds(p, 4097, 11));
    fill(p, 100000, 12);
    p = arena_realloc(p, 50000);
    EXPECT_TRUE(holds(p, 50000, 12));
    EXPECT_EQ(arena.held_bytes(), 0u);
    arena_free(p);  // LeakSanitizer sees it if the heap block were kept
}

TEST(ParserArena, SmallLargeSmallTransitionsKeepTheBytes)
{
    ParserArena arena;
    ParserArena::Scope scope(arena);
    void* keep = arena_malloc(32);  // p is never the only block, nor always the newest
    fill(keep, 32, 13);
    void* p = arena_malloc(3000);
    fill(p, 3000, 14);
    p = arena_realloc(p, 4096);  // the limit is still small
    EXPECT_TRUE(holds(p, 3000, 14));
    fill(p, 4096, 15);
    p = arena_realloc(p, 4097);  // small to large
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned16(p));
    EXPECT_TRUE(holds(p, 4096, 15));
    fill(p, 4097, 16);
    p = arena_realloc(p, 20000);
    EXPECT_TRUE(holds(p, 4097, 16));
    fill(p, 20000, 17);
    p = arena_realloc(p, 4096);  // large to small
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned16(p));
    EXPECT_TRUE(holds(p, 4096, 17));
    p = arena_realloc(p, 100);
    EXPECT_TRUE(holds(p, 100, 17));
    p = arena_realloc(p, 9000);  // and large once more
    EXPECT_TRUE(holds(p, 100, 17));
    EXPECT_TRUE(holds(keep, 32, 13));
    arena_free(p);
    arena_free(keep);
}

TEST(ParserArena, ManyBlocksFillChunksIn16KiBStepsAndReleaseGivesThemAllBack)
{
    ParserArena arena;
    std::vector<std::pair<void*, std::size_t>> blocks;
    std::set<const char*> chunk_firsts;  // the first block of each chunk
    {
        ParserArena::Scope scope(arena);
        std::size_t held = 0;
        for (unsigned i = 0; i < 600; ++i) {
            const std::size_t size = 1 + (i * 977) % 2500;
            void* p = arena_malloc(size);
            ASSERT_NE(p, nullptr);
            ASSERT_TRUE(aligned16(p));
            fill(p, size, i);
            blocks.emplace_back(p, size);
            ASSERT_EQ(arena.held_bytes() % chunk, 0u);
            if (arena.held_bytes() != held) {
                ASSERT_EQ(arena.held_bytes(), held + chunk) << "one chunk at a time";
                held = arena.held_bytes();
                chunk_firsts.insert(static_cast<const char*>(p));
            }
        }
        EXPECT_GE(arena.held_bytes(), 10 * chunk);
        for (unsigned i = 0; i < blocks.size(); ++i) {
            ASSERT_TRUE(holds(blocks[i].first, blocks[i].second, i));
        }
        for (auto& [p, size] : blocks) {
            arena_free(p);
        }
    }
    arena.release();
    EXPECT_EQ(arena.held_bytes(), 0u);
    arena.release();  // twice is harmless
    EXPECT_EQ(arena.held_bytes(), 0u);

    // The thread keeps released chunks for the next parser.
    ParserArena next;
    ParserArena::Scope scope(next);
    void* p = arena_malloc(16);
    EXPECT_EQ(chunk_firsts.count(static_cast<const char*>(p)), 1u);
    fill(p, 16, 1);
    EXPECT_TRUE(holds(p, 16, 1));
    arena_free(p);
}

TEST(ParserArena, NestedScopesRouteEachCallToTheInnermostArena)
{
    ParserArena outer, inner, innermost;
    ParserArena::Scope outer_scope(outer);
    void* a = arena_malloc(100);
    EXPECT_EQ(outer.held_bytes(), chunk);
    {
        ParserArena::Scope inner_scope(inner);
        std::vector<void*> blocks;
        for (int i = 0; i < 20; ++i) {
            blocks.push_back(arena_malloc(4000));
        }
        EXPECT_GE(inner.held_bytes(), 5 * chunk);
        {
            ParserArena::Scope innermost_scope(innermost);
            void* c = arena_malloc(10);
            EXPECT_EQ(innermost.held_bytes(), chunk);
            arena_free(c);
        }
        blocks.push_back(arena_malloc(4000));  // back to inner, not innermost
        EXPECT_EQ(innermost.held_bytes(), chunk);
        for (void* p : blocks) {
            arena_free(p);
        }
    }
    const std::size_t inner_held = inner.held_bytes();
    std::vector<void*> blocks;
    for (int i = 0; i < 20; ++i) {
        blocks.push_back(arena_malloc(4000));
    }
    EXPECT_GE(outer.held_bytes(), 5 * chunk);
    EXPECT_EQ(inner.held_bytes(), inner_held);
    for (void* p : blocks) {
        arena_free(p);
    }
    arena_free(a);
    inner.release();
    innermost.release();
    EXPECT_EQ(inner.held_bytes(), 0u);
    EXPECT_EQ(innermost.held_bytes(), 0u);
}

// Records an expat parse as one hash over its events, plus counts.
struct Digest {
    std::uint64_t hash = 1469598103934665603ull;  // FNV-1a
    std::size_t starts = 0, ends = 0, attributes = 0, text_bytes = 0;
    int depth = 0;
    int on_depth_one_end = 0;  // elements closed at depth 1 (stanzas inside a root)

    void add(std::string_view s)
    {
        for (char c : s) {
            hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
        }
    }
    bool operator==(const Digest& o) const
    {
        return hash == o.hash && starts == o.starts && ends == o.ends &&
               attributes == o.attributes && text_bytes == o.text_bytes;
    }
};

void XMLCALL on_start(void* ud, const XML_Char* name, const XML_Char** atts)
{
    auto& d = *static_cast<Digest*>(ud);
    ++d.starts;
    ++d.depth;
    d.add("<");
    d.add(name);
    for (int i = 0; atts[i] != nullptr; i += 2) {
        ++d.attributes;
        d.add(" ");
        d.add(atts[i]);
        d.add("=");
        d.add(atts[i + 1]);
    }
    d.add(">");
}

void XMLCALL on_end(void* ud, const XML_Char* name)
{
    auto& d = *static_cast<Digest*>(ud);
    ++d.ends;
    if (--d.depth == 1) {
        ++d.on_depth_one_end;
    }
    d.add("</");
    d.add(name);
    d.add(">");
}

void XMLCALL on_text(void* ud, const XML_Char* text, int len)
{
    auto& d = *static_cast<Digest*>(ud);
    d.text_bytes += static_cast<std::size_t>(len);
    d.add(std::string_view(text, static_cast<std::size_t>(len)));
}

void watch(XML_Parser parser, Digest& digest)
{
    XML_SetUserData(parser, &digest);
    XML_SetElementHandler(parser, &on_start, &on_end);
    XML_SetCharacterDataHandler(parser, &on_text);
}

struct Generated {
    std::string text;
    std::size_t elements = 0;
    std::size_t attributes = 0;  // namespace declarations excluded: expat reports none
};

// About 1 MiB of XML with what makes expat allocate: deep nesting (its tag stack), many
// attributes (its attribute array), prefixes declared per element (bindings), entities and
// character references, and attribute values and text runs longer than a small block.
Generated big_document()
{
    Generated g;
    std::string& doc = g.text;
    doc =
        "<?xml version='1.0' encoding='UTF-8'?>"
        "<root xmlns='urn:example:root' xmlns:a='urn:example:a'>";
    g.elements = 1;
    for (int i = 0; doc.size() < (std::size_t{1} << 20); ++i) {
        const int depth = 1 + i % 40;
        for (int d = 0; d < depth; ++d) {
            doc += "<n" + std::to_string(d % 7);
            if (d % 5 == 0) {
                doc += " xmlns:p" + std::to_string(d) + "='urn:example:p" + std::to_string(i % 9) +
                       "'";
                doc += " p" + std::to_string(d) + ":q='" + std::to_string(i) + "'";
                ++g.attributes;
            }
            const int count = (i + d) % 20;  // above 16: expat grows its attribute array
            for (int k = 0; k < count; ++k) {
                doc += " k" + std::to_string(k) + "='v" + std::to_string(i * 31 + k) + "&amp;'";
            }
            doc += " a:id='" + std::to_string(i) + "-" + std::to_string(d) + "'>";
            g.attributes += static_cast<std::size_t>(count) + 1;
            ++g.elements;
            doc += "t&lt;" + std::to_string(d) + "&#x263A;\xc3\xa9";
        }
        if (i % 17 == 0) {
            doc += "<long a:v='" + std::string(6000 + static_cast<std::size_t>(i % 100), 'v') +
                   "'>" + std::string(20000, 'x') + "</long>";
            ++g.elements;
            ++g.attributes;
        }
        for (int d = depth - 1; d >= 0; --d) {
            doc += "</n" + std::to_string(d % 7) + ">\n";
        }
    }
    doc += "</root>";
    return g;
}

Digest parse_with_heap(const std::string& doc)
{
    Digest d;
    XML_Parser parser = XML_ParserCreateNS("UTF-8", '|');
    watch(parser, d);
    EXPECT_EQ(XML_Parse(parser, doc.data(), static_cast<int>(doc.size()), XML_TRUE), XML_STATUS_OK)
        << XML_ErrorString(XML_GetErrorCode(parser));
    XML_ParserFree(parser);
    return d;
}

Digest parse_in_arena(const std::string& doc, const std::vector<std::size_t>& sizes)
{
    Digest d;
    ParserArena arena;
    XML_Parser parser;
    {
        ParserArena::Scope scope(arena);
        parser = XML_ParserCreate_MM("UTF-8", ParserArena::suite(), "|");
    }
    EXPECT_NE(parser, nullptr);
    EXPECT_GT(arena.held_bytes(), 0u);
    watch(parser, d);
    std::size_t at = 0;
    for (std::size_t i = 0; at < doc.size(); ++i) {
        const std::size_t n = std::min(sizes[i % sizes.size()], doc.size() - at);
        ParserArena::Scope scope(arena);
        if (XML_Parse(parser, doc.data() + at, static_cast<int>(n), XML_FALSE) != XML_STATUS_OK) {
            ADD_FAILURE() << XML_ErrorString(XML_GetErrorCode(parser)) << " at byte " << at;
            break;
        }
        at += n;
    }
    {
        ParserArena::Scope scope(arena);
        EXPECT_EQ(XML_Parse(parser, nullptr, 0, XML_TRUE), XML_STATUS_OK);
        XML_ParserFree(parser);
    }
    arena.release();
    EXPECT_EQ(arena.held_bytes(), 0u);
    return d;
}

TEST(ParserArenaExpat, ParsesAMebibyteDocumentAsTheHeapParserDoesInAnyChunking)
{
    const Generated g = big_document();
    const Digest want = parse_with_heap(g.text);
    ASSERT_EQ(want.starts, g.elements);
    ASSERT_EQ(want.ends, g.elements);
    ASSERT_EQ(want.attributes, g.attributes);
    const std::vector<std::vector<std::size_t>> chunkings = {
        {g.text.size()},
        {1, 2, 3, 5, 8, 13, 21, 34, 55, 89},
        {4096, 61, 65536, 7, 300000},
        {16384},
    };
    for (std::size_t i = 0; i < chunkings.size(); ++i) {
        EXPECT_TRUE(parse_in_arena(g.text, chunkings[i]) == want) << "chunking " << i;
    }
}

TEST(ParserArenaExpat, AParserThatFailsStillFreesEverything)
{
    ParserArena arena;
    XML_Parser parser;
    {
        ParserArena::Scope scope(arena);
        parser = XML_ParserCreate_MM("UTF-8", ParserArena::suite(), "|");
        const std::string bad = "<root a='" + std::string(10000, 'v') + "'><x></y></root>";
        EXPECT_EQ(XML_Parse(parser, bad.data(), static_cast<int>(bad.size()), XML_FALSE),
                  XML_STATUS_ERROR);
        EXPECT_EQ(XML_GetErrorCode(parser), XML_ERROR_TAG_MISMATCH);
        XML_ParserFree(parser);
    }
    arena.release();
    EXPECT_EQ(arena.held_bytes(), 0u);
}

std::string stanza_batch(int first, int count)
{
    std::string out;
    for (int i = first; i < first + count; ++i) {
        out += "<message to='romeo@example.net/orchard' id='m" + std::to_string(i) +
               "' type='chat'><body>hello &amp; " + std::to_string(i) + "</body></message>";
        if (i % 10 == 0) {
            out += "\n";  // whitespace keepalive
        }
    }
    return out;
}

// Expat reuses its tag, binding and pool memory from stanza to stanza; only blocks it frees
// out of order stay in the arena until release(), and those must not add up.
TEST(ParserArenaExpat, HeldBytesStopGrowingAfterTheFirstThousandStanzas)
{
    constexpr int total = 100000;
    constexpr int batch = 100;
    // Every size is used within the first batch, so expat's buffer reaches its largest then.
    const std::vector<std::size_t> sizes = {1, 3, 17, 200, 1500, 4096, 9000, 64, 700};
    ParserArena arena;
    Digest d;
    XML_Parser parser;
    {
        ParserArena::Scope scope(arena);
        parser = XML_ParserCreate_MM("UTF-8", ParserArena::suite(), "|");
    }
    watch(parser, d);
    const std::string header =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='example.net' version='1.0'>";
    {
        ParserArena::Scope scope(arena);
        ASSERT_EQ(XML_Parse(parser, header.data(), static_cast<int>(header.size()), XML_FALSE),
                  XML_STATUS_OK);
    }
    std::size_t held_after_1k = 0;
    std::size_t piece = 0;
    for (int first = 0; first < total; first += batch) {
        const std::string bytes = stanza_batch(first, batch);
        for (std::size_t at = 0; at < bytes.size();) {
            const std::size_t n = std::min(sizes[piece++ % sizes.size()], bytes.size() - at);
            ParserArena::Scope scope(arena);
            ASSERT_EQ(XML_Parse(parser, bytes.data() + at, static_cast<int>(n), XML_FALSE),
                      XML_STATUS_OK)
                << XML_ErrorString(XML_GetErrorCode(parser));
            at += n;
        }
        if (first + batch == 1000) {
            ASSERT_EQ(d.on_depth_one_end, 1000);
            held_after_1k = arena.held_bytes();
        }
    }
    EXPECT_EQ(d.on_depth_one_end, total);
    EXPECT_GT(held_after_1k, 0u);
    EXPECT_LE(arena.held_bytes(), held_after_1k + chunk)
        << "after 1k stanzas " << held_after_1k << " bytes, after 100k " << arena.held_bytes();
    {
        ParserArena::Scope scope(arena);
        XML_ParserFree(parser);
    }
    arena.release();
    EXPECT_EQ(arena.held_bytes(), 0u);
}

}  // namespace
}  // namespace chorus::xml
