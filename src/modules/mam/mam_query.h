// XEP-0313 query parsing: the data form (with/start/end/before-id/after-id/ids) and RSM
// (XEP-0059 max/after/before) into a storage::ArchiveQuery. Pure, so each field is a test.
#pragma once

#include <array>
#include <string>

#include "base/result.h"
#include "stanza/stanza_error.h"
#include "storage/archive.h"
#include "xml/element.h"

namespace chorus::modules::mam {

/// Default and largest page size (XEP-0313 §4.3: the server may cap a client's max).
inline constexpr std::size_t default_page = 50;
inline constexpr std::size_t max_page = 250;

/// Archive ids as they appear on the wire (XEP-0359 stanza-id) and back.
std::string format_archive_id(std::int64_t id);
/// The same text in the caller's buffer, for the per-message path (no allocation).
using ArchiveIdChars = std::array<char, 20>;
std::string_view format_archive_id(std::int64_t id, ArchiveIdChars& chars);
std::optional<std::int64_t> parse_archive_id(std::string_view text);

/// Builds the storage query from <query xmlns='urn:xmpp:mam:2'>; bad-request on a bad form.
Result<storage::ArchiveQuery, StanzaError> parse_query(const xml::Element& query,
                                                       std::string owner);

/// The <fin/> that closes a query's page (XEP-0313 §4.3, with its RSM set).
xml::Element fin_element(const storage::ArchivePage& page, std::string_view queryid);

/// The form a client gets for <iq type='get'><query xmlns='urn:xmpp:mam:2'/></iq>.
xml::Element query_form();

}  // namespace chorus::modules::mam
