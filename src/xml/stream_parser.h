// StreamParser: incremental XMPP stream parsing on expat (RFC 6120 §4, restricted XML §11).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"

namespace chorus::xml {

struct ParserLimits {
    std::size_t max_stanza_bytes = 256 * 1024;
    int max_depth = 32;
    int max_attributes = 64;
};

/// Why parsing stopped; maps to RFC 6120 §4.9.3 stream error conditions.
enum class ParseError {
    none,
    not_well_formed,    // <not-well-formed/>
    restricted_xml,     // DTD, entity declaration, comment, PI: <restricted-xml/>
    policy_violation,   // a limit was exceeded: <policy-violation/>
    invalid_namespace,  // stream element not in the streams namespace
};

/// Receives parse events; Element ownership passes to the handler.
class StreamHandler {
public:
    virtual ~StreamHandler() = default;
    /// The stream header (depth 1); attrs as on the wire (to, from, version, xml:lang, id).
    virtual void on_stream_open(const Element& header) = 0;
    virtual void on_stanza(Element stanza) = 0;
    virtual void on_stream_close() = 0;
};

/// Feed bytes in any chunking (byte by byte works); events go to the handler.
class StreamParser {
public:
    StreamParser(StreamHandler& handler, ParserLimits limits);
    ~StreamParser();
    StreamParser(const StreamParser&) = delete;
    StreamParser& operator=(const StreamParser&) = delete;

    /// Parses data. Returns the number of bytes consumed: all of them, unless a handler
    /// called pause() (then the rest belongs to the next stream, e.g. after SASL success)
    /// or an error stopped parsing (see error()).
    std::size_t feed(std::string_view data);
    /// Called from a handler: stop after the current event; the caller re-feeds the rest
    /// after reset().
    void pause();
    /// Starts a new stream (RFC 6120 §4.3.3 stream restart after STARTTLS or SASL).
    void reset();
    /// Frees expat's state (about 10 KiB) between stanzas of an idle stream; the next
    /// feed() rebuilds it. False (nothing done) when not between stanzas.
    bool hibernate();
    /// The stream is over: frees expat's state for good; feed() ignores what follows.
    /// Not from a handler.
    void discard();
    /// Changes the stanza size limit from the next byte on (RFC 6120 §13.12: a smaller one
    /// before authentication).
    void set_max_stanza_bytes(std::size_t bytes) noexcept;
    ParseError error() const noexcept { return error_; }
    const std::string& error_text() const noexcept { return error_text_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    ParseError error_ = ParseError::none;
    std::string error_text_;
    friend struct Impl;
};

}  // namespace chorus::xml
