// Inbound s2s stanza checks (RFC 6120 §4.9.3, §8.1.1.1) and the namespace switch.
#include "stream/s2s_rules.h"

#include "jid/jid.h"
#include "stanza/namespaces.h"

namespace chorus::stream {

std::optional<StreamError> check_inbound_stanza(
    const xml::Element& stanza, const AuthenticatedPairs& pairs,
    const std::function<bool(std::string_view)>& hosts_domain)
{
    const auto from = Jid::parse(stanza.attr("from"));
    if (!from) {  // §4.9.3.9: missing or not a JID
        return StreamError{StreamCondition::invalid_from, "A valid 'from' is required"};
    }
    const auto to = Jid::parse(stanza.attr("to"));
    if (!to) {  // §4.9.3.7: s2s stanzas carry a 'to'
        return StreamError{StreamCondition::improper_addressing, "A valid 'to' is required"};
    }
    if (!hosts_domain(to->domain())) {  // §4.9.3.6: not a domain of this server
        return StreamError{StreamCondition::host_unknown,
                           "This server does not host " + to->domain()};
    }
    if (!pairs.contains({from->domain(), to->domain()})) {
        // §4.9.3.9 and XEP-0220 §2.1.3: only an authenticated pair may send
        return StreamError{StreamCondition::invalid_from,
                           from->domain() + " is not authenticated for " + to->domain()};
    }
    return std::nullopt;
}

std::optional<StreamError> check_bidi_request(bool offered, bool authenticated)
{
    if (authenticated) {
        // XEP-0288 §2.2: asked before SASL or dialback. Later, the pairs were proved for a
        // one-way stream and the peer may already route around it: a policy of ours.
        return StreamError{StreamCondition::policy_violation,
                           "Bidirectionality is negotiated before authentication"};
    }
    if (!offered) {  // RFC 6120 §4.9.3.24: a first-level element this stream does not take
        return StreamError{StreamCondition::unsupported_stanza_type,
                           "Bidirectionality was not offered on this stream"};
    }
    return std::nullopt;
}

void to_client_namespace(xml::Element& stanza)
{
    if (stanza.ns() != ns::server) {
        return;
    }
    stanza.set_ns(std::string(ns::client));
    for (auto& child : stanza.nodes()) {
        if (!child.is_text()) {
            to_client_namespace(child);
        }
    }
}

}  // namespace chorus::stream
