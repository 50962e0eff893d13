// RFC 7395 framing: WebSocket messages <-> the XML stream a C2sSession parses and writes.
// Inbound, <open/> becomes a stream header and <close/> the stream's end, so the session
// negotiates exactly as on TCP; outbound, the session's bytes are cut into one message per
// top-level element, each namespace-qualified (§3.3.3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace chorus::stream::ws {

/// One top-level piece of XML text.
struct Unit {
    enum class Kind { element, stream_open, stream_close, declaration, text };
    Kind kind = Kind::text;
    std::string_view bytes;  // the whole unit
    std::string_view name;   // of an element or stream tag
};

/// Splits XML text into top-level units (a <stream:stream ...> start tag and its end tag
/// are units of their own). False when the text ends inside an element or markup.
bool split_units(std::string_view text, std::vector<Unit>& out);

struct Inbound {
    enum class Kind { stream_bytes, ignore, invalid };
    Kind kind = Kind::invalid;
    std::string bytes;  // what the session's parser gets (stream_bytes)
    std::string why;    // invalid: for the stream error's text
};

/// One message from the client: <open/> -> a stream header, <close/> -> </stream:stream>,
/// one element -> itself; whitespace -> ignore; anything else -> invalid.
Inbound translate_inbound(std::string_view message);

/// Appends the WebSocket messages for bytes the session wrote (whole elements, a stream
/// header, a stream end, in any grouping).
void translate_outbound(std::string_view bytes, std::vector<std::string>& messages);

}  // namespace chorus::stream::ws
