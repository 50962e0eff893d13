// apps/chorus-bench/xml_scanner.h: splits an XMPP stream (RFC 6120 §4) into top-level elements
// by counting tags, without a DOM: the bench trusts the server it measures and only counts.
#pragma once

#include <cstddef>
#include <string_view>

namespace chorus::bench {

enum class EventKind { need_more, stream_open, stanza, stream_close };

struct Event {
    EventKind kind = EventKind::need_more;
    std::string_view text;  // the stream header's start tag, or one whole top-level element
};

/// Finds the next complete top-level event in data. consumed is the number of leading bytes the
/// caller may drop (also for need_more: whitespace and the XML declaration before an element).
class StreamScanner {
public:
    Event next(std::string_view data, std::size_t& consumed);
    /// After STARTTLS or SASL success the server opens a new stream (RFC 6120 §5.4.3.3, §6.4.6).
    void reset() { in_stream_ = false; }

private:
    bool in_stream_ = false;
};

/// "message" for "<message to='...'>...".
std::string_view element_name(std::string_view element);
/// The value of attribute name on element's start tag, unescaped bytes as sent; empty if absent.
std::string_view attribute(std::string_view element, std::string_view name);
/// The text content of the first <child> (any namespace) inside element; empty if none.
std::string_view child_text(std::string_view element, std::string_view child);
/// Whether element contains a start tag <child ...> or <child/>.
bool has_child(std::string_view element, std::string_view child);
/// The bytes between element's start tag and its end tag; empty for <x/>.
std::string_view inner_text(std::string_view element);

}  // namespace chorus::bench
