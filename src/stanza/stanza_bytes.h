// Byte-level stanza forms: serialize once, then derive fan-out copies by splicing, not by
// re-serializing trees (DESIGN.md "Serialize a stanza once").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "xml/element.h"

namespace chorus {

/// A stanza in the c2s default namespace (no xmlns on the top element).
std::string serialize_stanza(const xml::Element& stanza);
/// The stanza serialize_stanza() wrote, parsed back (XEP-0198 re-routing of a stanza only
/// kept as bytes); nullopt when bytes are not exactly one stanza.
std::optional<xml::Element> parse_stanza_bytes(std::string_view bytes);
/// bytes with <stanza-id xmlns='urn:xmpp:sid:0' id=.. by=../> appended as the last child.
std::string with_stanza_id(std::string_view bytes, std::string_view id, std::string_view by);
/// bytes as a nested stanza: xmlns='jabber:client' declared on its top element.
void append_qualified(std::string_view bytes, std::string& out);
/// XEP-0280 copy: <message from=owner to=recipient type=chat><{kind} xmlns=carbons>
/// <forwarded xmlns=forward>{bytes}</forwarded></{kind}></message>; kind: received or sent.
std::string carbon_copy(std::string_view bytes, std::string_view kind, std::string_view owner,
                        std::string_view recipient);

}  // namespace chorus
