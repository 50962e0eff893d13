// XML serializer: one pass, appends to a caller-owned buffer (serialize once per fan-out).
#include "xml/serializer.h"

#include <array>

namespace chorus::xml {
namespace {

/// Characters that may need a reference, for a fast skip over the rest (most text).
constexpr auto special = [] {
    std::array<bool, 256> t{};
    for (unsigned char c : std::string_view("&<>'\"\t\n\r")) {
        t[c] = true;
    }
    return t;
}();

template <bool attribute>
void escape(std::string_view in, std::string& out)
{
    std::size_t start = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (!special[static_cast<unsigned char>(in[i])]) {
            continue;
        }
        const char* rep = nullptr;
        switch (in[i]) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '\'': rep = attribute ? "&apos;" : nullptr; break;
            case '"': rep = attribute ? "&quot;" : nullptr; break;
            // XML 1.0 §3.3.3 turns a literal tab or newline in an attribute into a space,
            // and §2.11 turns a literal CR anywhere into a newline: send references.
            case '\t': rep = attribute ? "&#9;" : nullptr; break;
            case '\n': rep = attribute ? "&#10;" : nullptr; break;
            case '\r': rep = "&#13;"; break;
            default: break;
        }
        if (rep) {
            out.append(in.data() + start, i - start);
            out.append(rep);
            start = i + 1;
        }
    }
    out.append(in.data() + start, in.size() - start);
}

void write_attribute(const Attribute& a, std::string& out, int& prefix_counter)
{
    const auto bar = a.name.find('|');
    out += ' ';
    if (bar == std::string::npos) {
        out += a.name;
    } else {  // a namespaced attribute: declare a prefix for it on this element
        const std::string prefix = "ns" + std::to_string(++prefix_counter);
        out += "xmlns:" + prefix + "='";
        escape<true>(std::string_view(a.name).substr(0, bar), out);
        out += "' " + prefix + ':';
        out.append(a.name, bar + 1);
    }
    out += "='";
    escape<true>(a.value, out);
    out += '\'';
}

void serialize_node(const Element& e, std::string& out, std::string_view parent_ns)
{
    if (e.is_text()) {
        escape<false>(e.content(), out);
        return;
    }
    out += '<';
    out += e.name();
    if (e.ns() != parent_ns) {
        out += " xmlns='";
        escape<true>(e.ns(), out);
        out += '\'';
    }
    int prefix_counter = 0;
    for (const auto& a : e.attrs()) {
        write_attribute(a, out, prefix_counter);
    }
    if (e.nodes().empty()) {
        out += "/>";
        return;
    }
    out += '>';
    for (const auto& c : e.nodes()) {
        serialize_node(c, out, e.ns());
    }
    out += "</";
    out += e.name();
    out += '>';
}

}  // namespace

void escape_text(std::string_view in, std::string& out) { escape<false>(in, out); }
void escape_attr(std::string_view in, std::string& out) { escape<true>(in, out); }

void serialize(const Element& e, std::string& out, std::string_view parent_ns)
{
    serialize_node(e, out, parent_ns);
}

std::string to_string(const Element& e)
{
    std::string out;
    serialize_node(e, out, {});
    return out;
}

}  // namespace chorus::xml
