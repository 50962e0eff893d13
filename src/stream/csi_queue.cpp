// CsiQueue: classification by the stanza's bytes and the held queue (XEP-0352).
#include "stream/csi_queue.h"

#include <algorithm>

#include "stanza/namespaces.h"

namespace chorus::stream {
namespace {

/// The value of attribute `name` in the start tag at the front of `stanza`.
std::string_view start_tag_attr(std::string_view stanza, std::string_view name) noexcept
{
    const auto tag_end = stanza.find('>');
    const auto tag = stanza.substr(0, tag_end);
    for (std::size_t at = tag.find(name); at != std::string_view::npos;
         at = tag.find(name, at + 1)) {
        const auto after = at + name.size();
        if (at == 0 || tag[at - 1] != ' ' || after + 1 >= tag.size() || tag[after] != '=') {
            continue;
        }
        const char quote = tag[after + 1];
        const auto end = tag.find(quote, after + 2);
        if (end == std::string_view::npos) {
            return {};
        }
        return tag.substr(after + 2, end - after - 2);
    }
    return {};
}

}  // namespace

CsiKind csi_kind(std::string_view s) noexcept
{
    if (s.starts_with("<presence")) {
        // Errors and subscription requests matter to the user at once.
        const auto type = start_tag_attr(s, "type");
        return type.empty() || type == "unavailable" ? CsiKind::presence : CsiKind::urgent;
    }
    if (s.starts_with("<message")) {
        const bool has_body = s.find("<body") != std::string_view::npos;
        const bool chat_state = s.find(ns::chatstates) != std::string_view::npos;
        const bool is_error = start_tag_attr(s, "type") == "error";
        return !has_body && chat_state && !is_error ? CsiKind::chat_state : CsiKind::urgent;
    }
    return CsiKind::urgent;
}

bool CsiQueue::hold(router::SharedBytes& bytes)
{
    const auto kind = csi_kind(*bytes);
    if (kind == CsiKind::urgent || held_.size() >= max_held) {
        return false;
    }
    if (kind == CsiKind::presence) {
        // Only the newest presence of each sender matters; it takes the newest place.
        const auto from = start_tag_attr(*bytes, "from");
        std::erase_if(held_, [&](const router::SharedBytes& h) {
            return csi_kind(*h) == CsiKind::presence && start_tag_attr(*h, "from") == from;
        });
    }
    held_.push_back(std::move(bytes));
    return true;
}

std::vector<router::SharedBytes> CsiQueue::take()
{
    std::vector<router::SharedBytes> out;
    out.swap(held_);
    return out;
}

}  // namespace chorus::stream
