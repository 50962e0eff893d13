// XEP-0156 host-meta documents (RFC 6415) for the WebSocket endpoint (RFC 7395 §4).
#include "http/host_meta.h"

#include "stanza/namespaces.h"
#include "xml/serializer.h"

namespace chorus::http {

namespace {
constexpr std::string_view websocket_rel = "urn:xmpp:alt-connections:websocket";

std::string json_escaped(std::string_view in)
{
    std::string out;
    for (char c : in) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        if (static_cast<unsigned char>(c) >= 0x20) {
            out += c;
        }
    }
    return out;
}
}  // namespace

std::string websocket_url(std::string_view external_url, std::string_view host, bool tls)
{
    std::string base;
    if (!external_url.empty()) {
        base = external_url;
        if (base.starts_with("https://")) {
            base.replace(0, 5, "wss");
        } else {
            base.replace(0, 4, "ws");
        }
        while (base.ends_with('/')) {
            base.pop_back();
        }
    } else {
        base = tls ? "wss://" : "ws://";
        base += host;
    }
    return base + "/xmpp-websocket";
}

std::string host_meta_xml(std::string_view url)
{
    std::string out = "<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='";
    out += ns::xrd;
    out += "'>\n  <Link rel='";
    out += websocket_rel;
    out += "' href='";
    xml::escape_attr(url, out);
    out += "'/>\n</XRD>\n";
    return out;
}

std::string host_meta_json(std::string_view url)
{
    return "{\"links\":[{\"rel\":\"" + std::string(websocket_rel) + "\",\"href\":\"" +
           json_escaped(url) + "\"}]}\n";
}

}  // namespace chorus::http
