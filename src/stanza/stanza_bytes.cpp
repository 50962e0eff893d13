// Byte-level stanza forms (serialize once per fan-out).
#include "stanza/stanza_bytes.h"

#include "stanza/namespaces.h"
#include "xml/serializer.h"

namespace chorus {

std::string serialize_stanza(const xml::Element& stanza)
{
    std::string out;
    out.reserve(256);
    xml::serialize(stanza, out, ns::client);
    return out;
}

std::string with_stanza_id(std::string_view bytes, std::string_view id, std::string_view by)
{
    std::string sid = "<stanza-id xmlns='";
    sid += ns::sid;
    sid += "' id='";
    xml::escape_attr(id, sid);
    sid += "' by='";
    xml::escape_attr(by, sid);
    sid += "'/>";
    std::string out;
    out.reserve(bytes.size() + sid.size() + 16);
    if (bytes.ends_with("/>")) {  // <message .../>: open it
        const auto name_end = bytes.find_first_of(" />", 1);
        out.append(bytes.substr(0, bytes.size() - 2));
        out += '>';
        out += sid;
        out += "</";
        out.append(bytes.substr(1, name_end - 1));
        out += '>';
        return out;
    }
    const auto close = bytes.rfind("</");
    out.append(bytes.substr(0, close));
    out += sid;
    out.append(bytes.substr(close));
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
