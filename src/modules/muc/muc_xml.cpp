// XEP-0045 wire helpers (see muc_xml.h).
#include "modules/muc/muc_xml.h"

#include "stanza/namespaces.h"
#include "xml/serializer.h"

namespace chorus::modules::muc {

std::string with_to(std::string_view bytes, std::string_view to)
{
    // After "<message", "<presence" or "<iq": the first space, '/' or '>'.
    const auto cut = bytes.find_first_of(" />");
    std::string out;
    out.reserve(bytes.size() + to.size() + 8);
    out.append(bytes.substr(0, cut));
    out.append(" to='");
    xml::escape_attr(to, out);
    out.append("'");
    if (cut != std::string_view::npos) {
        out.append(bytes.substr(cut));
    }
    return out;
}

void add_status_codes(xml::Element& x, const std::vector<int>& codes)
{
    for (int code : codes) {
        x.add_child("status", std::string(ns::muc_user)).set_attr("code", std::to_string(code));
    }
}

xml::Element& add_field(xml::Element& form, std::string_view var, std::string_view type,
                        std::string_view label, const std::vector<std::string>& values)
{
    auto& f = form.add_child("field", std::string(ns::data_forms));
    f.set_attr("var", var);
    if (!type.empty()) {
        f.set_attr("type", type);
    }
    if (!label.empty()) {
        f.set_attr("label", label);
    }
    for (const auto& v : values) {
        f.add_child("value", std::string(ns::data_forms)).add_text(v);
    }
    return f;
}

namespace {
const xml::Element* find_field(const xml::Element& form, std::string_view var)
{
    for (const auto& f : form.nodes()) {
        if (f.is("field", ns::data_forms) && f.attr("var") == var) {
            return &f;
        }
    }
    return nullptr;
}
}  // namespace

std::vector<std::string> field_values(const xml::Element& form, std::string_view var)
{
    std::vector<std::string> out;
    if (const auto* f = find_field(form, var)) {
        for (const auto& v : f->nodes()) {
            if (v.is("value", ns::data_forms)) {
                out.push_back(v.text());
            }
        }
    }
    return out;
}

bool has_field(const xml::Element& form, std::string_view var)
{
    return find_field(form, var) != nullptr;
}

std::string field_value(const xml::Element& form, std::string_view var)
{
    auto values = field_values(form, var);
    return values.empty() ? std::string() : values.front();
}

bool field_true(const xml::Element& form, std::string_view var)
{
    const auto v = field_value(form, var);
    return v == "1" || v == "true";
}

std::string form_type(const xml::Element& form)
{
    return field_value(form, "FORM_TYPE");
}

}  // namespace chorus::modules::muc
