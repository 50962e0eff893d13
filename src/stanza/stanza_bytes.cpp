// Byte-level stanza forms (serialize once per fan-out).
#include "stanza/stanza_bytes.h"

#include "stanza/namespaces.h"
#include "xml/serializer.h"
#include "xml/stream_parser.h"

namespace chorus {

std::string serialize_stanza(const xml::Element& stanza)
{
    std::string out;
    out.reserve(256);
    xml::serialize(stanza, out, ns::client);
    return out;
}

std::optional<xml::Element> parse_stanza_bytes(std::string_view bytes)
{
    struct Reader final : xml::StreamHandler {
        void on_stream_open(const xml::Element&) override {}
        void on_stanza(xml::Element e) override { stanzas.push_back(std::move(e)); }
        void on_stream_close() override {}
        std::vector<xml::Element> stanzas;
    } reader;
    // Our own bytes, within the limits the stanza passed plus our wrappers.
    xml::StreamParser parser(reader, {.max_stanza_bytes = bytes.size() + 64, .max_depth = 128});
    std::string doc = "<stream:stream xmlns='";
    doc += ns::client;
    doc += "' xmlns:stream='";
    doc += ns::streams;
    doc += "'>";
    doc += bytes;
    parser.feed(doc);
    if (parser.error() != xml::ParseError::none || reader.stanzas.size() != 1) {
        return std::nullopt;
    }
    return std::move(reader.stanzas.front());
}

std::string with_stanza_id(std::string_view bytes, std::string_view id, std::string_view by)
{
    // Built in place: this runs once per archived message, on the delivery path.
    const bool empty = bytes.ends_with("/>");  // <message .../>: open it
    const auto close = empty ? bytes.size() - 2 : bytes.rfind("</");
    const auto split = close == std::string_view::npos ? bytes.size() : close;  // not a stanza
    std::string out;
    out.reserve(bytes.size() + ns::sid.size() + id.size() + by.size() + 48);
    out.append(bytes.substr(0, split));
    if (empty) {
        out += '>';
    }
    out += "<stanza-id xmlns='";
    out += ns::sid;
    out += "' id='";
    xml::escape_attr(id, out);
    out += "' by='";
    xml::escape_attr(by, out);
    out += "'/>";
    if (empty) {
        const auto name_end = bytes.find_first_of(" />", 1);
        out += "</";
        out.append(bytes.substr(1, name_end - 1));
        out += '>';
    } else {
        out.append(bytes.substr(split));
    }
    return out;
}

void append_qualified(std::string_view bytes, std::string& out)
{
    const auto name_end = bytes.find_first_of(" />", 1);
    out.append(bytes.substr(0, name_end));
    out += " xmlns='";
    out += ns::client;
    out += '\'';
    out.append(bytes.substr(name_end));
}

std::string carbon_copy(std::string_view bytes, std::string_view kind, std::string_view owner,
                        std::string_view recipient)
{
    std::string out;
    out.reserve(bytes.size() + 200);
    out += "<message from='";
    xml::escape_attr(owner, out);
    out += "' to='";
    xml::escape_attr(recipient, out);
    out += "' type='chat'><";
    out += kind;
    out += " xmlns='";
    out += ns::carbons;
    out += "'><forwarded xmlns='";
    out += ns::forward;
    out += "'>";
    append_qualified(bytes, out);
    out += "</forwarded></";
    out += kind;
    out += "></message>";
    return out;
}

}  // namespace chorus
