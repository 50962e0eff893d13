// XEP-0313 query form and XEP-0059 RSM parsing.
#include "modules/mam/mam_query.h"

#include <charconv>

#include "base/clock.h"
#include "jid/jid.h"
#include "stanza/namespaces.h"

namespace chorus::modules::mam {
namespace {

std::optional<std::int64_t> parse_time(std::string_view text)
{
    std::chrono::system_clock::time_point t;
    if (!parse_xep82(text, t)) {
        return std::nullopt;
    }
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

std::vector<std::string> field_values(const xml::Element& field)
{
    std::vector<std::string> out;
    for (const auto& v : field.nodes()) {
        if (v.is("value", ns::data_forms)) {
            out.push_back(v.text());
        }
    }
    return out;
}

}  // namespace

std::string format_archive_id(std::int64_t id)
{
    ArchiveIdChars chars;
    return std::string(format_archive_id(id, chars));
}

std::string_view format_archive_id(std::int64_t id, ArchiveIdChars& chars)
{
    const auto end = std::to_chars(chars.data(), chars.data() + chars.size(), id).ptr;
    return {chars.data(), static_cast<std::size_t>(end - chars.data())};
}

std::optional<std::int64_t> parse_archive_id(std::string_view text)
{
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v <= 0) {
        return std::nullopt;
    }
    return v;
}

Result<storage::ArchiveQuery, StanzaError> parse_query(const xml::Element& query, std::string owner)
{
    storage::ArchiveQuery q;
    q.owner = std::move(owner);
    q.max = default_page;
    if (const auto* form = query.child("x", ns::data_forms)) {
        for (const auto& field : form->nodes()) {
            if (!field.is("field", ns::data_forms)) {
                continue;
            }
            const auto var = field.attr("var");
            const auto values = field_values(field);
            const std::string value = values.empty() ? std::string() : values.front();
            if (var == "FORM_TYPE") {
                if (value != ns::mam) {
                    return unexpected(StanzaError::bad_request("FORM_TYPE must be urn:xmpp:mam:2"));
                }
            } else if (var == "with") {
                auto jid = Jid::parse(value);
                if (!jid) {
                    return unexpected(StanzaError::jid_malformed("'with' is not a valid JID"));
                }
                q.with = jid->bare_str();  // the archive indexes the other party's bare JID
            } else if (var == "start" || var == "end") {
                auto t = parse_time(value);
                if (!t) {
                    return unexpected(StanzaError::bad_request("'" + std::string(var) +
                                                               "' is not a XEP-0082 DateTime"));
                }
                (var == "start" ? q.start_us : q.end_us) = t;
            } else if (var == "after-id" || var == "before-id") {
                auto id = parse_archive_id(value);
                if (!id) {
                    return unexpected(StanzaError::item_not_found("No such archive id: " + value));
                }
                (var == "after-id" ? q.after_id : q.before_id) = id;
            } else if (var == "ids") {
                for (const auto& v : values) {
                    auto id = parse_archive_id(v);
                    if (!id) {
                        return unexpected(StanzaError::item_not_found("No such archive id: " + v));
                    }
                    q.ids.push_back(*id);
                }
            } else if (!var.empty()) {  // XEP-0313 §4.1.1: unknown fields are an error
                return unexpected(
                    StanzaError::bad_request("Unsupported field: " + std::string(var)));
            }
        }
    }
    if (const auto* set = query.child("set", ns::rsm)) {
        if (const auto* max = set->child("max", ns::rsm)) {
            std::size_t m = 0;
            const auto text = max->text();
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), m);
            if (ec != std::errc() || p != text.data() + text.size()) {
                return unexpected(StanzaError::bad_request("RSM <max/> must be a number"));
            }
            q.max = std::min(m, max_page);
        }
        if (const auto* after = set->child("after", ns::rsm)) {
            auto id = parse_archive_id(after->text());
            if (!id) {
                return unexpected(StanzaError::item_not_found("No such archive id"));
            }
            q.after_id = id;
        }
        if (const auto* before = set->child("before", ns::rsm)) {
            if (before->text().empty()) {
                q.from_end = true;  // XEP-0059 §2.5: the last page
            } else {
                auto id = parse_archive_id(before->text());
                if (!id) {
                    return unexpected(StanzaError::item_not_found("No such archive id"));
                }
                q.before_id = id;
            }
        }
    }
    return q;
}

xml::Element query_form()
{
    xml::Element query("query", std::string(ns::mam));
    auto& x = query.add_child("x", std::string(ns::data_forms));
    x.set_attr("type", "form");
    auto add = [&](std::string_view var, std::string_view type) -> xml::Element& {
        auto& f = x.add_child("field", std::string(ns::data_forms));
        f.set_attr("var", var).set_attr("type", type);
        return f;
    };
    add("FORM_TYPE", "hidden").add_child("value", std::string(ns::data_forms)).add_text(ns::mam);
    add("with", "jid-single");
    add("start", "text-single");
    add("end", "text-single");
    add("before-id", "text-single");
    add("after-id", "text-single");
    add("ids", "text-multi");
    return query;
}

xml::Element fin_element(const storage::ArchivePage& page, std::string_view queryid)
{
    xml::Element fin("fin", std::string(ns::mam));
    if (page.complete) {
        fin.set_attr("complete", "true");
    }
    if (!queryid.empty()) {
        fin.set_attr("queryid", queryid);
    }
    auto& set = fin.add_child("set", std::string(ns::rsm));
    if (!page.items.empty()) {
        set.add_child("first", std::string(ns::rsm))
            .set_attr("index", std::to_string(page.first_index))
            .add_text(format_archive_id(page.items.front().id));
        set.add_child("last", std::string(ns::rsm))
            .add_text(format_archive_id(page.items.back().id));
    }
    set.add_child("count", std::string(ns::rsm)).add_text(std::to_string(page.count));
    return fin;
}

}  // namespace chorus::modules::mam
