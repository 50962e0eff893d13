// XEP-0156 §3: /.well-known/host-meta (XRD) and host-meta.json (JRD) name the WebSocket
// endpoint (RFC 7395 §4) web clients connect to.
#pragma once

#include <string>
#include <string_view>

namespace chorus::http {

/// The ws:// or wss:// URL of /xmpp-websocket: from external_url when set, else from the
/// request's Host header and whether it came over TLS.
std::string websocket_url(std::string_view external_url, std::string_view host, bool tls);
std::string host_meta_xml(std::string_view websocket_url);
std::string host_meta_json(std::string_view websocket_url);

}  // namespace chorus::http
