// XEP-0045 wire helpers: <x xmlns='muc#user'/> items and status codes, data form fields,
// and addressing one serialized stanza to each recipient.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "xml/element.h"

namespace chorus::modules::muc {

/// bytes (a serialized stanza without 'to') with to='...' on its top element: the fan-out
/// serializes once and only splices the address per copy.
std::string with_to(std::string_view bytes, std::string_view to);

/// Adds <status code='N'/> children to an <x xmlns='muc#user'/>.
void add_status_codes(xml::Element& x, const std::vector<int>& codes);

/// A data form field (XEP-0004) in form: var, type, label, values.
xml::Element& add_field(xml::Element& form, std::string_view var, std::string_view type,
                        std::string_view label, const std::vector<std::string>& values);
/// The values of field var in a submitted form (empty when absent).
std::vector<std::string> field_values(const xml::Element& form, std::string_view var);
/// The single value of field var, or nullptr-like empty optional semantics: has_field says.
bool has_field(const xml::Element& form, std::string_view var);
std::string field_value(const xml::Element& form, std::string_view var);
/// XEP-0004 boolean: "1" or "true".
bool field_true(const xml::Element& form, std::string_view var);
/// The FORM_TYPE of a form, or empty.
std::string form_type(const xml::Element& form);

}  // namespace chorus::modules::muc
