// RFC 7395 §3.3: framing of XMPP over WebSocket, translated to and from a plain stream.
#include "stream/ws_framing.h"

#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::stream::ws {

namespace {
constexpr std::string_view stream_tag = "stream:stream";

bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/// The end of the tag starting at text[at] == '<' (one past its '>'), skipping quoted
/// attribute values; npos when it does not end.
std::size_t tag_end(std::string_view text, std::size_t at)
{
    char quote = 0;
    for (std::size_t i = at + 1; i < text.size(); ++i) {
        const char c = text[i];
        if (quote != 0) {
            if (c == quote) {
                quote = 0;
            }
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '>') {
            return i + 1;
        }
    }
    return std::string_view::npos;
}

std::string_view tag_name(std::string_view tag)
{
    std::size_t i = tag.starts_with("</") ? 2 : 1;
    const std::size_t start = i;
    while (i < tag.size() && !is_space(tag[i]) && tag[i] != '/' && tag[i] != '>') {
        ++i;
    }
    return tag.substr(start, i - start);
}

/// Whether a start tag declares attribute `name`.
bool has_attribute(std::string_view tag, std::string_view name)
{
    std::size_t i = 1 + tag_name(tag).size();
    while (i < tag.size()) {
        while (i < tag.size() && is_space(tag[i])) {
            ++i;
        }
        const std::size_t start = i;
        while (i < tag.size() && tag[i] != '=' && !is_space(tag[i]) && tag[i] != '>' &&
               tag[i] != '/') {
            ++i;
        }
        if (i == start) {
            return false;
        }
        if (tag.substr(start, i - start) == name) {
            return true;
        }
        while (i < tag.size() && tag[i] != '"' && tag[i] != '\'') {
            ++i;
        }
        if (i == tag.size()) {
            return false;
        }
        const auto close = tag.find(tag[i], i + 1);
        if (close == std::string_view::npos) {
            return false;
        }
        i = close + 1;
    }
    return false;
}

void erase_all(std::string& s, std::string_view what)
{
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what)) {
        s.erase(at, what.size());
    }
}
}  // namespace

bool split_units(std::string_view text, std::vector<Unit>& out)
{
    using Kind = Unit::Kind;
    std::size_t i = 0;
    std::size_t start = 0;
    std::string_view name;
    int depth = 0;
    while (i < text.size()) {
        if (text[i] != '<') {
            const auto next = std::min(text.find('<', i), text.size());
            if (depth == 0) {
                out.push_back({Kind::text, text.substr(i, next - i), {}});
            }
            i = next;
            continue;
        }
        const auto rest = text.substr(i);
        std::size_t end = std::string_view::npos;
        if (rest.starts_with("<?")) {
            const auto close = rest.find("?>");
            end = close == std::string_view::npos ? close : i + close + 2;
            if (end != std::string_view::npos && depth == 0) {
                out.push_back({Kind::declaration, text.substr(i, end - i), {}});
            }
        } else if (rest.starts_with("<![CDATA[")) {
            const auto close = rest.find("]]>");
            end = close == std::string_view::npos ? close : i + close + 3;
        } else if (rest.starts_with("<!")) {
            return false;  // comments and DTDs are not for streams (RFC 6120 §11)
        } else {
            end = tag_end(text, i);
            if (end == std::string_view::npos) {
                return false;
            }
            const auto tag = text.substr(i, end - i);
            const auto tag_named = tag_name(tag);
            if (tag.starts_with("</")) {
                if (depth == 0 && tag_named == stream_tag) {
                    out.push_back({Kind::stream_close, tag, tag_named});
                } else if (--depth == 0) {
                    out.push_back({Kind::element, text.substr(start, end - start), name});
                } else if (depth < 0) {
                    return false;
                }
            } else if (tag.ends_with("/>")) {
                if (depth == 0) {
                    out.push_back({Kind::element, tag, tag_named});
                }
            } else if (depth == 0 && tag_named == stream_tag) {
                out.push_back({Kind::stream_open, tag, tag_named});
            } else if (depth++ == 0) {
                start = i;
                name = tag_named;
            }
        }
        if (end == std::string_view::npos) {
            return false;
        }
        i = end;
    }
    return depth == 0;
}

Inbound translate_inbound(std::string_view message)
{
    std::vector<Unit> units;
    if (!split_units(message, units)) {
        return {Inbound::Kind::invalid, {}, "A message must hold one complete element"};
    }
    const Unit* element = nullptr;
    for (const auto& u : units) {
        if (u.kind == Unit::Kind::text) {
            if (u.bytes.find_first_not_of(" \t\r\n") != std::string_view::npos) {
                return {Inbound::Kind::invalid, {}, "Text outside an element"};
            }
            continue;
        }
        if (u.kind != Unit::Kind::element || element != nullptr) {
            return {Inbound::Kind::invalid, {}, "A message must hold exactly one element"};
        }
        element = &u;
    }
    if (element == nullptr) {
        return {Inbound::Kind::ignore, {}, {}};  // whitespace (not a keepalive here, §3.3.3)
    }
    if (element->name == "open" || element->name == "close") {
        auto parsed = parse_stanza_bytes(element->bytes);
        if (!parsed || parsed->ns() != ns::framing) {
            return {Inbound::Kind::invalid, {}, "open and close are in the framing namespace"};
        }
        if (element->name == "close") {
            return {Inbound::Kind::stream_bytes, "</stream:stream>", {}};
        }
        // The session checks these as it checks a TCP stream header (RFC 6120 §4.7).
        std::string header = "<stream:stream xmlns='";
        header += ns::client;
        header += "' xmlns:stream='";
        header += ns::streams;
        header += '\'';
        for (const char* attr : {"to", "from", "version", "id"}) {
            if (auto v = parsed->attr(attr); !v.empty()) {
                header += ' ';
                header += attr;
                header += "='";
                xml::escape_attr(v, header);
                header += '\'';
            }
        }
        header += '>';
        return {Inbound::Kind::stream_bytes, std::move(header), {}};
    }
    return {Inbound::Kind::stream_bytes, std::string(element->bytes), {}};
}

void translate_outbound(std::string_view bytes, std::vector<std::string>& messages)
{
    std::vector<Unit> units;
    split_units(bytes, units);  // our own serializer's output: whole units
    for (const auto& u : units) {
        switch (u.kind) {
            case Unit::Kind::text:
            case Unit::Kind::declaration:
                break;
            case Unit::Kind::stream_close:
                messages.push_back("<close xmlns='" + std::string(ns::framing) + "'/>");
                break;
            case Unit::Kind::stream_open: {
                // <stream:stream xmlns=.. xmlns:stream=.. id=.. ...> -> <open xmlns=framing id=..
                // .../>
                std::string attrs(u.bytes.substr(1 + stream_tag.size()));
                attrs.pop_back();  // '>'
                erase_all(attrs, " xmlns='" + std::string(ns::client) + '\'');
                erase_all(attrs, " xmlns:stream='" + std::string(ns::streams) + '\'');
                messages.push_back("<open xmlns='" + std::string(ns::framing) + '\'' + attrs +
                                   "/>");
                break;
            }
            case Unit::Kind::element: {
                const auto tag = u.bytes.substr(0, tag_end(u.bytes, 0));
                const auto after_name = 1 + u.name.size();
                std::string out;
                out.reserve(u.bytes.size() + 48);
                out.append(u.bytes.substr(0, after_name));
                if (u.name.starts_with("stream:")) {
                    out += " xmlns:stream='";
                    out += ns::streams;
                    out += '\'';
                } else if (!has_attribute(tag, "xmlns")) {
                    out += " xmlns='";
                    out += ns::client;
                    out += '\'';
                }
                out.append(u.bytes.substr(after_name));
                messages.push_back(std::move(out));
                break;
            }
        }
    }
}

}  // namespace chorus::stream::ws
