// apps/chorus-bench/xml_scanner.cpp: the tag-counting stream splitter and stanza peeking helpers.
#include "xml_scanner.h"

#include <cstring>

namespace chorus::bench {
namespace {

constexpr std::size_t npos = std::string_view::npos;

// Index of the '>' closing the tag whose body starts at from, skipping quoted attribute values
// (where '>' may legally appear unescaped). A plain loop: tags are short, and callgrind counts
// fewer instructions for it than for a memchr per quote.
std::size_t tag_end(std::string_view data, std::size_t from)
{
    for (std::size_t i = from; i < data.size(); ++i) {
        const char c = data[i];
        if (c == '>') {
            return i;
        }
        if (c == '"' || c == '\'') {
            const void* q = std::memchr(data.data() + i + 1, c, data.size() - i - 1);
            if (q == nullptr) {
                return npos;
            }
            i = static_cast<std::size_t>(static_cast<const char*>(q) - data.data());
        }
    }
    return npos;
}

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool ends_name(char c)
{
    return is_space(c) || c == '/' || c == '>';
}

// Position of the next "<child" start tag (name followed by space, '/' or '>'), or npos.
std::size_t find_start_tag(std::string_view element, std::string_view child, std::size_t from)
{
    while (true) {
        const std::size_t at = element.find(child, from);
        if (at == npos) {
            return npos;
        }
        const std::size_t after = at + child.size();
        if (at > 0 && element[at - 1] == '<' && after < element.size() &&
            ends_name(element[after])) {
            return at - 1;
        }
        from = at + 1;
    }
}

}  // namespace

Event StreamScanner::next(std::string_view data, std::size_t& consumed)
{
    consumed = 0;
    std::size_t p = 0;
    int depth = 0;
    std::size_t begin = 0;
    const std::size_t n = data.size();
    const auto need_more = [&](std::size_t lt) {
        consumed = depth == 0 ? lt : begin;
        return Event{};
    };
    while (true) {
        const void* found = p < n ? std::memchr(data.data() + p, '<', n - p) : nullptr;
        if (found == nullptr) {
            return need_more(depth == 0 ? n : begin);
        }
        const std::size_t lt =
            static_cast<std::size_t>(static_cast<const char*>(found) - data.data());
        if (lt + 1 >= n) {
            return need_more(lt);
        }
        const char c = data[lt + 1];
        if (c == '?' || c == '!') {
            // XML declaration at the top; comments and CDATA would only appear inside stanzas.
            std::string_view close = "?>";
            if (data.substr(lt, 4) == "<!--") {
                close = "-->";
            } else if (data.substr(lt, 9) == "<![CDATA[") {
                close = "]]>";
            } else if (c == '!') {
                close = ">";
            }
            const std::size_t end = data.find(close, lt + 2);
            if (end == npos) {
                return need_more(lt);
            }
            p = end + close.size();
            continue;
        }
        const std::size_t gt = tag_end(data, lt + 1);
        if (gt == npos) {
            return need_more(lt);
        }
        if (c == '/') {
            if (depth == 0) {  // </stream:stream>
                in_stream_ = false;
                consumed = gt + 1;
                return {EventKind::stream_close, data.substr(lt, gt + 1 - lt)};
            }
            if (--depth == 0) {
                consumed = gt + 1;
                return {EventKind::stanza, data.substr(begin, gt + 1 - begin)};
            }
            p = gt + 1;
            continue;
        }
        if (!in_stream_) {
            in_stream_ = true;
            consumed = gt + 1;
            return {EventKind::stream_open, data.substr(lt, gt + 1 - lt)};
        }
        const bool self_closing = data[gt - 1] == '/';
        if (depth == 0) {
            begin = lt;
            if (self_closing) {
                consumed = gt + 1;
                return {EventKind::stanza, data.substr(lt, gt + 1 - lt)};
            }
        }
        if (!self_closing) {
            ++depth;
        }
        p = gt + 1;
    }
}

std::string_view element_name(std::string_view element)
{
    std::size_t i = 1;
    while (i < element.size() && !ends_name(element[i])) {
        ++i;
    }
    return element.substr(1, i - 1);
}

std::string_view attribute(std::string_view element, std::string_view name)
{
    const std::size_t end = tag_end(element, 1);
    if (end == npos) {
        return {};
    }
    const std::string_view tag = element.substr(0, end);
    std::size_t i = 1;
    while (i < tag.size() && !ends_name(tag[i])) {
        ++i;
    }
    while (i < tag.size()) {
        while (i < tag.size() && (is_space(tag[i]) || tag[i] == '/')) {
            ++i;
        }
        const std::size_t name_begin = i;
        while (i < tag.size() && tag[i] != '=' && !is_space(tag[i])) {
            ++i;
        }
        const std::string_view attr = tag.substr(name_begin, i - name_begin);
        while (i < tag.size() && tag[i] != '\'' && tag[i] != '"') {
            ++i;
        }
        if (i >= tag.size()) {
            return {};
        }
        const char quote = tag[i];
        const std::size_t value_end = tag.find(quote, i + 1);
        if (value_end == npos) {
            return {};
        }
        if (attr == name) {
            return tag.substr(i + 1, value_end - i - 1);
        }
        i = value_end + 1;
    }
    return {};
}

std::string_view child_text(std::string_view element, std::string_view child)
{
    const std::size_t at = find_start_tag(element, child, 1);
    if (at == npos) {
        return {};
    }
    const std::size_t gt = tag_end(element, at + 1);
    if (gt == npos || element[gt - 1] == '/') {
        return {};
    }
    const std::size_t lt = element.find('<', gt + 1);
    if (lt == npos) {
        return {};
    }
    return element.substr(gt + 1, lt - gt - 1);
}

bool has_child(std::string_view element, std::string_view child)
{
    return find_start_tag(element, child, 1) != npos;
}

std::string_view inner_text(std::string_view element)
{
    const std::size_t gt = tag_end(element, 1);
    if (gt == npos || element[gt - 1] == '/') {
        return {};
    }
    const std::size_t lt = element.rfind('<');
    if (lt == npos || lt <= gt) {
        return {};
    }
    return element.substr(gt + 1, lt - gt - 1);
}

}  // namespace chorus::bench
