// XML serialization of element trees and stream headers, with escaping (XML 1.0 §2.4).
#pragma once

#include <string>
#include <string_view>

#include "xml/element.h"

namespace chorus::xml {

/// Appends text escaped for character data.
void escape_text(std::string_view in, std::string& out);
/// Appends text escaped for an attribute value quoted with '.
void escape_attr(std::string_view in, std::string& out);

/// Appends e; an xmlns is written wherever the namespace differs from the parent's, so a
/// stanza in the stream's default namespace (jabber:client) carries none.
void serialize(const Element& e, std::string& out, std::string_view parent_ns);
/// Convenience: a standalone serialization (namespace always declared).
std::string to_string(const Element& e);

}  // namespace chorus::xml
