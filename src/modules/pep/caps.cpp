// XEP-0115 §5 verification strings and the caps cache of the PEP module.
#include "modules/pep/caps.h"

#include <algorithm>
#include <tuple>
#include <vector>

#include "base/encoding.h"
#include "stanza/namespaces.h"

namespace chorus::modules::pep {
namespace {

std::vector<std::string> values_of(const xml::Element& field)
{
    std::vector<std::string> out;
    for (const auto& v : field.nodes()) {
        if (v.is("value", ns::data_forms)) {
            out.push_back(v.text());
        }
    }
    return out;
}

// §5.4 step 3.6: one form's text, FORM_TYPE first, then fields by var with sorted values.
std::optional<std::pair<std::string, std::string>> form_text(const xml::Element& x)
{
    std::string form_type;
    std::vector<std::pair<std::string, std::vector<std::string>>> fields;
    for (const auto& f : x.nodes()) {
        if (!f.is("field", ns::data_forms)) {
            continue;
        }
        auto values = values_of(f);
        if (f.attr("var") == "FORM_TYPE") {
            if (values.size() != 1) {
                return std::nullopt;
            }
            form_type = values[0];
            continue;
        }
        std::sort(values.begin(), values.end());
        fields.emplace_back(std::string(f.attr("var")), std::move(values));
    }
    std::sort(fields.begin(), fields.end());
    std::string s = form_type + "<";
    for (const auto& [var, values] : fields) {
        s += var + "<";
        for (const auto& v : values) {
            s += v + "<";
        }
    }
    return std::pair{form_type, s};
}

}  // namespace

std::optional<std::string> caps_ver_sha1(const xml::Element& query)
{
    using Identity = std::tuple<std::string, std::string, std::string, std::string>;
    std::vector<Identity> identities;
    std::vector<std::string> features;
    std::vector<std::pair<std::string, std::string>> forms;
    for (const auto& c : query.nodes()) {
        if (c.is("identity", ns::disco_info)) {
            identities.emplace_back(c.attr("category"), c.attr("type"), c.attr("xml:lang"),
                                    c.attr("name"));
        } else if (c.is("feature", ns::disco_info)) {
            features.emplace_back(c.attr("var"));
        } else if (c.is("x", ns::data_forms) && c.attr("type") == "result") {
            auto f = form_text(c);
            if (!f) {
                return std::nullopt;
            }
            if (!f->first.empty()) {  // §5.4 3.6: forms without FORM_TYPE are ignored
                forms.push_back(std::move(*f));
            }
        }
    }
    std::sort(identities.begin(), identities.end());
    std::sort(features.begin(), features.end());
    std::sort(forms.begin(), forms.end());
    // §5.4 3.3–3.5: duplicates make the answer ill-formed.
    if (std::adjacent_find(identities.begin(), identities.end()) != identities.end() ||
        std::adjacent_find(features.begin(), features.end()) != features.end() ||
        std::adjacent_find(forms.begin(), forms.end(), [](const auto& a, const auto& b) {
            return a.first == b.first;
        }) != forms.end()) {
        return std::nullopt;
    }
    std::string s;
    for (const auto& [category, type, lang, name] : identities) {
        s += category + "/" + type + "/" + lang + "/" + name + "<";
    }
    for (const auto& f : features) {
        s += f + "<";
    }
    for (const auto& f : forms) {
        s += f.second;
    }
    return base64_encode(sha1(s));
}

NotifySet notify_nodes(const xml::Element& query)
{
    constexpr std::string_view suffix = "+notify";
    NotifySet out;
    for (const auto& c : query.nodes()) {
        if (c.is("feature", ns::disco_info)) {
            const auto var = c.attr("var");
            if (var.size() > suffix.size() && var.ends_with(suffix)) {
                out.emplace(var.substr(0, var.size() - suffix.size()));
            }
        }
    }
    return out;
}

std::shared_ptr<const NotifySet> CapsCache::find(std::string_view ver) const
{
    auto it = by_ver_.find(std::string(ver));
    return it == by_ver_.end() ? nullptr : it->second;
}

void CapsCache::add(std::string ver, std::shared_ptr<const NotifySet> nodes)
{
    if (by_ver_.contains(ver)) {
        return;
    }
    while (!order_.empty() && by_ver_.size() >= capacity_) {
        by_ver_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(ver);
    by_ver_.emplace(std::move(ver), std::move(nodes));
}

}  // namespace chorus::modules::pep
