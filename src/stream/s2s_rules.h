// Pure checks for server-to-server streams (RFC 6120 §4.7, §8.1.1, §13; XEP-0220).
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "stanza/stream_error.h"
#include "xml/element.h"

namespace chorus::stream {

/// Domain pairs (remote, local) a peer proved on one incoming stream (XEP-0220 §2.1.3).
using AuthenticatedPairs = std::set<std::pair<std::string, std::string>>;

/// Whether a stanza that arrived over an incoming link may be routed: 'from' and 'to' are
/// valid JIDs (RFC 6120 §8.1.1.1: both are required on s2s), 'to' is at a domain this
/// server hosts, and the pair was authenticated. The stream error otherwise.
std::optional<StreamError> check_inbound_stanza(
    const xml::Element& stanza, const AuthenticatedPairs& pairs,
    const std::function<bool(std::string_view)>& hosts_domain);

/// Whether the initiator's <bidi xmlns='urn:xmpp:bidi'/> (XEP-0288 §2.2) is accepted: only
/// on a stream whose features offered it and before any pair is authenticated there. The
/// stream error otherwise.
std::optional<StreamError> check_bidi_request(bool offered, bool authenticated);

/// Stanzas arrive in jabber:server and are routed in jabber:client (the router's and the
/// modules' namespace); children in other namespaces are left alone.
void to_client_namespace(xml::Element& stanza);

}  // namespace chorus::stream
