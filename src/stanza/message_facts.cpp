// Message facts for routing (ROUTING.md "Terms").
#include "stanza/message_facts.h"

#include "stanza/namespaces.h"

namespace chorus {

MessageFacts scan_message(const xml::Element& m) noexcept
{
    MessageFacts f;
    bool opted_out = false;  // <private/>, <no-copy/>, or a carbon copy itself
    bool im_payload = false;  // body, chat state, receipt or marker: XEP-0280 §6.1
    for (const auto& c : m.nodes()) {
        if (c.is_text()) {
            continue;
        }
        const auto& cns = c.ns();
        const auto& name = c.name();
        bool keepless = false;
        if (cns == ns::imng) {
            f.marker = f.marker || name == "im-ng";
        } else if (cns == ns::chatstates) {
            keepless = im_payload = true;
        } else if (cns == ns::hints) {
            keepless = true;
            f.no_store = f.no_store || name == "no-store" || name == "no-permanent-store";
            opted_out = opted_out || name == "no-copy";
        } else if (cns == ns::sid) {
            keepless = name == "origin-id";
            f.has_stanza_id = f.has_stanza_id || name == "stanza-id";
        } else if (cns == m.ns()) {
            keepless = name == "thread";
            im_payload = im_payload || name == "body";
        } else if (cns == ns::carbons) {
            opted_out = true;
        } else if (cns == ns::muc_user) {
            f.muc_user = f.muc_user || name == "x";
        } else if (cns == ns::receipts || cns == ns::chat_markers) {
            im_payload = true;
        }
        f.transient = f.transient && keepless;
    }
    const auto type = m.attr("type");
    if (!opted_out && !f.muc_user && type != "groupchat" && type != "headline" &&
        type != "error") {
        f.carbons_eligible = type == "chat" || im_payload;
    }
    return f;
}

bool has_imng_marker(const xml::Element& m) noexcept
{
    return m.child("im-ng", ns::imng) != nullptr;
}

bool has_muc_user(const xml::Element& m) noexcept { return m.child("x", ns::muc_user) != nullptr; }

bool is_transient(const xml::Element& m) noexcept { return scan_message(m).transient; }

bool is_carbons_eligible(const xml::Element& m) noexcept
{
    return scan_message(m).carbons_eligible;
}

void strip_stanza_ids(xml::Element& m, std::string_view by)
{
    std::erase_if(m.nodes(), [&](const xml::Element& c) {
        return !c.is_text() && c.is("stanza-id", ns::sid) && c.attr("by") == by;
    });
}

}  // namespace chorus
