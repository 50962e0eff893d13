// Message facts for routing (ROUTING.md "Terms").
#include "stanza/message_facts.h"

#include "stanza/namespaces.h"

namespace chorus {

bool has_imng_marker(const xml::Element& m) noexcept
{
    return m.child("im-ng", ns::imng) != nullptr;
}

bool has_muc_user(const xml::Element& m) noexcept { return m.child("x", ns::muc_user) != nullptr; }

bool is_transient(const xml::Element& m) noexcept
{
    for (const auto& c : m.nodes()) {
        if (c.is_text()) {
            continue;
        }
        const bool keepless = c.ns() == ns::chatstates || c.ns() == ns::hints ||
                              (c.ns() == ns::sid && c.name() == "origin-id") ||
                              (c.ns() == m.ns() && c.name() == "thread");
        if (!keepless) {
            return false;
        }
    }
    return true;
}

bool is_carbons_eligible(const xml::Element& m) noexcept
{
    // XEP-0280 §6: never a copy of a copy, nothing marked private or no-copy, no MUC PM.
    if (m.child("private", ns::carbons) || m.child("received", ns::carbons) ||
        m.child("sent", ns::carbons) || m.child("no-copy", ns::hints) || has_muc_user(m)) {
        return false;
    }
    const auto type = m.attr("type");
    if (type == "chat") {
        return true;
    }
    if (type == "groupchat" || type == "headline" || type == "error") {
        return false;
    }
    return m.child("body", m.ns()) || m.child_in(ns::chatstates) || m.child_in(ns::receipts) ||
           m.child_in(ns::chat_markers);
}

void strip_stanza_ids(xml::Element& m, std::string_view by)
{
    std::erase_if(m.nodes(), [&](const xml::Element& c) {
        return !c.is_text() && c.is("stanza-id", ns::sid) && c.attr("by") == by;
    });
}

}  // namespace chorus
