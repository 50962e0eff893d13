// apps/chorus-client/output.cpp: text and JSON forms of the commands' results.
#include "output.h"

#include <fmt/format.h>

namespace chorus::client_app {

std::string json_string(std::string_view s)
{
    std::string out = "\"";
    for (const unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += fmt::format("\\u{:04x}", c);
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string format_message(const client::ChatMessage& m, bool json)
{
    if (json) {
        return fmt::format(
            "{{\"stanza_id\":{},\"peer\":{},\"from\":{},\"direction\":\"{}\",\"body\":{},"
            "\"stamp\":{},\"origin_id\":{}}}",
            json_string(m.stanza_id), json_string(m.peer), json_string(m.from),
            m.outgoing ? "out" : "in", json_string(m.body), json_string(m.stamp),
            json_string(m.origin_id));
    }
    return fmt::format("[{}] {} {} {}: {}", m.stanza_id.empty() ? "pending" : m.stanza_id, m.stamp,
                       m.outgoing ? "->" : "<-", m.peer, m.body);
}

std::string format_history(const std::vector<client::ChatMessage>& messages, bool json)
{
    std::string out = json ? "[" : "";
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (json) {
            out += (i ? ",\n " : "") + format_message(messages[i], true);
        } else {
            out += format_message(messages[i], false) + "\n";
        }
    }
    return json ? out + "]\n" : out;
}

std::string format_devices(const std::vector<client::Device>& devices, bool json)
{
    std::string out = json ? "[" : "";
    for (std::size_t i = 0; i < devices.size(); ++i) {
        const auto& d = devices[i];
        const char* imng = !d.imng ? "unknown" : (*d.imng ? "yes" : "no");
        if (json) {
            out += fmt::format("{}{{\"jid\":{},\"self\":{},\"imng\":{}}}", i ? ",\n " : "",
                               json_string(d.jid), d.self ? "true" : "false",
                               !d.imng ? "null" : (*d.imng ? "true" : "false"));
        } else {
            out += fmt::format("{}{}  im-ng: {}\n", d.jid, d.self ? " (this device)" : "", imng);
        }
    }
    return json ? out + "]\n" : out;
}

std::string format_error(const client::ClientError& e, bool json)
{
    if (json) {
        return fmt::format("{{\"error\":\"{}\",\"message\":{}}}\n", client::error_kind_name(e.kind),
                           json_string(e.message));
    }
    return "chorus-client: error: " + e.message + "\n";
}

}  // namespace chorus::client_app
