// C2S stream negotiation: header, features, STARTTLS, SASL, resource binding (RFC 6120 §4-7).

#include <spdlog/spdlog.h>
#include <boost/asio/ip/address.hpp>

#include "base/encoding.h"
#include "base/metrics.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "stream/c2s_session.h"
#include "xml/serializer.h"

namespace chorus::stream {

namespace {
std::string element_text(std::string_view name, std::string_view ns, std::string_view text = {})
{
    std::string out = "<";
    out += name;
    out += " xmlns='";
    out += ns;
    out += '\'';
    if (text.empty()) {
        out += "/>";
        return out;
    }
    out += '>';
    xml::escape_text(text, out);
    out += "</";
    out += name;
    out += '>';
    return out;
}
}  // namespace

bool C2sSession::plaintext_allowed() const
{
    if (!server_.config().require_tls) {
        return true;
    }
    return server_.config().allow_plaintext_on_loopback && peer_is_loopback();
}

SaslChannel C2sSession::sasl_channel() const
{
    SaslChannel ch;  // no channel binding: the transport's TLS is not ours to see
    ch.tls = is_secure();
    return ch;
}

void C2sSession::on_stream_open(const xml::Element& header)
{
    std::string out =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' id='";
    out += hex_encode(random_bytes(8));
    out += "' version='1.0' xml:lang='en'";
    const auto to = header.attr("to");
    auto to_jid = Jid::parse(to);
    const bool known =
        to_jid && server_.is_local_domain(to_jid->domain()) && to_jid->node().empty();
    if (known) {
        out += " from='";
        xml::escape_attr(to_jid->domain(), out);
        out += '\'';
    }
    out += '>';
    send_raw(std::move(out));
    stream_open_ = true;
    if (header.attr("xmlns") != ns::client) {
        return fail(
            {StreamCondition::invalid_namespace, "Only jabber:client streams are served here"});
    }
    if (!known) {  // RFC 6120 §4.9.3.6
        return fail({StreamCondition::host_unknown, "This server does not serve that domain"});
    }
    if (domain_.empty()) {
        domain_ = to_jid->domain();
    } else if (domain_ != to_jid->domain()) {
        return fail({StreamCondition::host_unknown, "The domain changed on stream restart"});
    }
    const auto version = header.attr("version");
    if (version.empty() || version.substr(0, version.find('.')) != "1") {
        return fail({StreamCondition::unsupported_version, "XMPP 1.0 streams only"});
    }
    send_features();
}

void C2sSession::send_features()
{
    std::string f = "<stream:features>";
    if (!authenticated_) {
        if (offers_starttls()) {
            f += "<starttls xmlns='";
            f += ns::tls;
            f += plaintext_allowed() ? "'/>" : "'><required/></starttls>";
        }
        if (is_secure() || plaintext_allowed()) {
            const auto channel = sasl_channel();
            f += "<mechanisms xmlns='";
            f += ns::sasl;
            f += "'>";
            for (const auto& m : SaslExchange::mechanisms(channel)) {
                f += "<mechanism>" + m + "</mechanism>";
            }
            f += "</mechanisms>";
            std::vector<xml::Element> extra;
            server_.hooks().preauth_features.run(extra);
            for (const auto& e : extra) {
                xml::serialize(e, f, ns::client);
            }
            if (!channel.tls_unique.empty()) {  // XEP-0440: the bindings -PLUS accepts
                f += "<sasl-channel-binding xmlns='urn:xsf:sasl-cb:0'>";
                if (!channel.tls_exporter.empty()) {
                    f += "<channel-binding type='tls-exporter'/>";
                }
                f += "<channel-binding type='tls-unique'/></sasl-channel-binding>";
            }
        }
    } else {
        f += "<bind xmlns='";
        f += ns::bind;
        f += "'/><session xmlns='";
        f += ns::session;
        f += "'><optional/></session>";
        f += "<c xmlns='";
        f += ns::caps;
        f += "' hash='sha-1' node='";
        f += caps_node;
        f += "' ver='" + server_.disco().caps_ver() + "'/>";
        if (server_.config().sm_enabled) {
            f += "<sm xmlns='";
            f += ns::sm;
            f += "'/>";
        }
        std::vector<xml::Element> extra;
        server_.hooks().stream_features.run(extra);
        for (const auto& e : extra) {
            xml::serialize(e, f, ns::client);
        }
    }
    f += "</stream:features>";
    send_raw(std::move(f));
}

void C2sSession::on_stanza(xml::Element stanza)
{
    if (closing_) {
        return;
    }
    if (bound_) {
        if (stanza.ns() == ns::csi) {
            return handle_csi(stanza);
        }
        if (stanza.ns() == ns::sm && server_.config().sm_enabled) {
            return handle_sm(stanza);
        }
        if (stanza.ns() != ns::client) {
            return fail({StreamCondition::invalid_namespace, "Stanzas must be in jabber:client"});
        }
        if (stanza.name() != "message" && stanza.name() != "presence" && stanza.name() != "iq") {
            return fail({StreamCondition::unsupported_stanza_type, {}});
        }
        ++metrics().stanzas_in[stanza.name() == "message"    ? Metrics::message
                               : stanza.name() == "presence" ? Metrics::presence
                                                             : Metrics::iq];
        const auto seq = server_.router().from_session(*this, std::move(stanza));
        if (sm_) {  // XEP-0198 §4: handled, acknowledged once durable
            sm_->received(seq, server_.router().gate().settled());
        }
        return;
    }
    handle_negotiation(stanza);
}

void C2sSession::handle_negotiation(xml::Element& stanza)
{
    if (!authenticated_ && stanza.is("starttls", ns::tls)) {
        if (!offers_starttls()) {
            return fail({StreamCondition::policy_violation, "TLS is already on"});
        }
        send_raw(element_text("proceed", ns::tls));
        starttls_ = true;
        parser_.pause();
        return;
    }
    if (!authenticated_ && stanza.ns() == ns::sasl) {
        return handle_sasl(stanza);
    }
    const bool secure = is_secure() || plaintext_allowed();
    if (!authenticated_ && secure && stanza.is("iq", ns::client) && server_.hooks().preauth_iq) {
        if (auto reply = server_.hooks().preauth_iq(domain_, stanza)) {
            return send(*reply);
        }
    }
    if (authenticated_ && stanza.ns() == ns::sm && server_.config().sm_enabled) {
        return handle_sm_unbound(stanza);
    }
    if (authenticated_ && stanza.is("iq", ns::client)) {
        const auto* bind = stanza.child("bind", ns::bind);
        if (stanza.attr("type") == "set" && bind) {
            return handle_bind(stanza);
        }
    }
    // RFC 6120 §6.4.1 / §7.2: nothing else before authentication and binding.
    fail({StreamCondition::not_authorized,
          authenticated_ ? "Bind a resource first" : "Authenticate first"});
}

void C2sSession::handle_sasl(xml::Element& stanza)
{
    if (!is_secure() && !plaintext_allowed()) {
        send_raw("<failure xmlns='" + std::string(ns::sasl) + "'><encryption-required/></failure>");
        return fail({StreamCondition::policy_violation, "Use STARTTLS first"});
    }
    SaslExchange::Step step;
    if (stanza.name() == "auth") {
        sasl_ =
            std::make_unique<SaslExchange>(domain_, sasl_channel(), [this](std::string_view node) {
                return server_.accounts().credentials(node, domain_);
            });
        step = sasl_->start(stanza.attr("mechanism"), stanza.text());
    } else if (stanza.name() == "response" && sasl_) {
        step = sasl_->step(stanza.text());
    } else if (stanza.name() == "abort") {
        sasl_.reset();
        step = {SaslExchange::Step::Kind::failure, {}, SaslFailure::aborted};
    } else {
        step = {SaslExchange::Step::Kind::failure, {}, SaslFailure::malformed_request};
    }
    using Kind = SaslExchange::Step::Kind;
    if (step.kind == Kind::challenge) {
        send_raw(element_text("challenge", ns::sasl, step.data));
        return;
    }
    if (step.kind == Kind::success) {
        ++metrics().logins;
        node_ = sasl_->node();
        sasl_.reset();
        authenticated_ = true;
        parser_.set_max_stanza_bytes(server_.config().limits.max_stanza_bytes);
        send_raw(element_text("success", ns::sasl, step.data));
        restart_ = true;  // RFC 6120 §6.4.6: the client opens a new stream
        parser_.pause();
        return;
    }
    sasl_.reset();
    if (step.failure != SaslFailure::aborted) {
        ++metrics().login_failures;
    }
    send_raw("<failure xmlns='" + std::string(ns::sasl) + "'><" +
             std::string(sasl_failure_name(step.failure)) + "/></failure>");
    if (step.failure != SaslFailure::aborted &&
        ++auth_failures_ >= server_.config().limits.max_auth_failures) {
        fail({StreamCondition::policy_violation, "Too many failed authentication attempts"});
    }
}

void C2sSession::handle_bind(xml::Element& iq)
{
    const auto* bind = iq.child("bind", ns::bind);
    auto reply_error = [&](StanzaError e) {
        if (auto r = error_reply(iq, e)) {
            send(*r);
        }
    };
    std::string resource = bind->child_text("resource", ns::bind);
    std::optional<std::string> prepared;
    if (resource.empty()) {
        prepared = "chorus-" + hex_encode(random_bytes(6));
    } else {
        prepared = resourceprep(resource);
    }
    auto full = prepared ? Jid::from_parts(node_, domain_, *prepared) : std::nullopt;
    if (!full) {
        return reply_error(StanzaError::bad_request("The resource is not allowed"));
    }
    const auto& existing = server_.sessions().account(full->bare_view());
    const bool replacing = server_.sessions().find(*full) != nullptr;
    if (!replacing && existing.size() >= static_cast<std::size_t>(
                                             server_.config().limits.max_sessions_per_account)) {
        return reply_error(StanzaError::resource_constraint("Too many sessions for this account"));
    }
    jid_ = std::move(*full);
    bound_ = true;
    mark_ = LivenessClock::now();  // from here silence, not negotiation, is timed
    xml::Element result("iq", std::string(ns::client));
    result.set_attr("type", "result").set_attr("id", iq.attr("id"));
    result.add_child("bind", std::string(ns::bind))
        .add_child("jid", std::string(ns::bind))
        .add_text(jid_.str());
    send(result);
    server_.router().session_bound(*this);
}

}  // namespace chorus::stream
