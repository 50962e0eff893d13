// S2sOutgoing: the originating side of a server-to-server stream (RFC 6120 §4-5, §13.7;
// XEP-0220 §2.1): a static route, else the SRV targets of _xmpps-server._tcp (direct TLS,
// XEP-0368) and _xmpp-server._tcp, else the domain's A/AAAA on 5269 (RFC 6120 §3.2).
#include "stream/s2s_outgoing.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/encoding.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stream/s2s_dialback.h"
#include "stream/s2s_manager.h"
#include "stream/s2s_rules.h"

namespace chorus::stream {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

S2sOutgoing::S2sOutgoing(Server& server, S2sManager& manager, std::string local, std::string remote,
                         bool verify_only)
    : S2sStream(server, manager, tcp::socket(server.io()), true),
      local_(std::move(local)),
      remote_(std::move(remote)),
      verify_only_(verify_only)
{
    peer_domain_ = remote_;
}

void S2sOutgoing::start()
{
    // Resolution, connection, TLS and dialback share one deadline.
    arm_deadline(std::chrono::seconds(server_.config().s2s_connect_timeout_s));
    asio::co_spawn(server_.io(), run(), asio::detached);
}

asio::awaitable<void> S2sOutgoing::run()
{
    auto self = shared_from_this();
    std::vector<net::S2sTarget> targets;
    if (auto route = manager_.route_for(remote_)) {
        targets.push_back({route->host, static_cast<std::uint16_t>(route->port), false});
    } else {
        targets = co_await manager_.targets_for(remote_);
        if (closed()) {
            co_return;
        }
        if (targets.empty()) {
            give_up(StanzaError::remote_server_not_found(remote_ + " offers no XMPP service"));
            co_return;
        }
    }
    std::string why;
    for (const auto& target : targets) {
        const auto where = target.host + ":" + std::to_string(target.port);
        tcp::resolver resolver(server_.io());
        auto [rec, endpoints] = co_await resolver.async_resolve(
            target.host, std::to_string(target.port), as_tuple(use_awaitable));
        if (closed()) {
            co_return;
        }
        if (rec) {
            why = "cannot resolve " + target.host + ": " + rec.message();
            continue;
        }
        auto [cec, endpoint] =
            co_await asio::async_connect(lowest_layer(), endpoints, as_tuple(use_awaitable));
        if (closed()) {
            co_return;
        }
        if (cec) {
            why = "cannot connect to " + where + ": " + cec.message();
            continue;
        }
        note_peer_address();
        spdlog::debug("s2s {} -> {}: connected to {}{}", local_, remote_, address(),
                      target.direct_tls ? " (direct TLS)" : "");
        if (target.direct_tls) {
            begin_tls(true);  // XEP-0368: the handshake first, then the stream header
        } else {
            header_sent_ = true;
            send_raw(header(local_, remote_, {}, true));
        }
        co_await read_loop();
        co_return;
    }
    give_up(StanzaError::remote_server_not_found("Cannot reach " + remote_ + ": " + why));
}

void S2sOutgoing::on_stream_open(const xml::Element& header)
{
    if (header.attr("xmlns") != ns::server) {
        return give_up(StanzaError::remote_server_not_found("The peer is not an XMPP server"));
    }
    stream_id_ = std::string(header.attr("id"));
    if (!header.attr("version").starts_with("1.")) {
        // A pre-RFC 6120 peer sends no features: dialback at once, if plaintext is allowed.
        if (server_.config().s2s_require_tls) {
            return give_up(
                StanzaError::remote_server_not_found("The peer does not offer STARTTLS"));
        }
        features_seen_ = true;
        if (verify_only_) {
            return open_for_verify();
        }
        start_dialback();
    }
}

void S2sOutgoing::on_stanza(xml::Element stanza)
{
    if (stanza.is("features", ns::streams)) {
        if (!encrypted() && stanza.child("starttls", ns::tls)) {
            send_raw("<starttls xmlns='" + std::string(ns::tls) + "'/>");
            return;
        }
        if (!encrypted() && server_.config().s2s_require_tls) {
            return give_up(
                StanzaError::remote_server_not_found("The peer does not offer STARTTLS"));
        }
        if (sasl_succeeded_) {
            return link_up("SASL EXTERNAL");  // the features of the restarted stream
        }
        features_seen_ = true;
        peer_offers_bidi_ = stanza.child("bidi", ns::bidi_feature) != nullptr;
        peer_offers_external_ = offers_external(stanza);
        if (verify_only_) {
            return open_for_verify();
        }
        return authenticate();
    }
    if (stanza.is("proceed", ns::tls)) {
        return begin_tls();
    }
    if (stanza.is("failure", ns::tls)) {
        return give_up(StanzaError::remote_server_not_found("The peer refused STARTTLS"));
    }
    if (stanza.is("success", ns::sasl) && sasl_tried_ && !sasl_succeeded_) {
        sasl_succeeded_ = true;
        send_raw(header(local_, remote_, {}, true));  // RFC 6120 §6.4.6: a new stream
        restart_stream();
        return;
    }
    if (stanza.is("failure", ns::sasl) && sasl_tried_ && !sasl_succeeded_) {
        spdlog::info("s2s {} -> {}: SASL EXTERNAL refused, trying dialback", local_, remote_);
        return start_dialback();
    }
    if (stanza.is("result", ns::dialback)) {
        if (!dialback_started_) {
            return;  // not an answer to a key of ours (a verification link sends none)
        }
        const auto type = stanza.attr("type");
        if (type == "valid" && stanza.attr("from") == remote_ && stanza.attr("to") == local_) {
            link_up("dialback");
        } else if (type == "invalid" || type == "error") {
            give_up(StanzaError::remote_server_not_found(remote_ + " refused our dialback key"));
        }
        return;
    }
    if (stanza.is("verify", ns::dialback)) {
        const auto id = stanza.attr("id");
        for (auto it = verifies_.begin(); it != verifies_.end(); ++it) {
            if (it->id == id) {
                auto done = std::move(it->done);
                verifies_.erase(it);
                done(stanza.attr("type") == "valid"     ? VerifyOutcome::valid
                     : stanza.attr("type") == "invalid" ? VerifyOutcome::invalid
                                                        : VerifyOutcome::error);
                if (verify_only_ && verifies_.empty() && !closing()) {
                    manager_.verifications_done(*this);
                }
                return;
            }
        }
        return;  // an answer nobody waits for any more
    }
    if (stanza.is("error", ns::streams)) {
        const auto* condition = stanza.child_in(ns::stream_errors);
        return give_up(StanzaError::remote_server_not_found(
            remote_ + " closed the link: " + (condition ? condition->name() : "stream error")));
    }
    if (bidi_ && stanza.ns() == ns::server &&
        (stanza.name() == "message" || stanza.name() == "presence" || stanza.name() == "iq")) {
        return handle_stanza(std::move(stanza));
    }
    // Without XEP-0288 stanzas come over the streams the peer opens to us (RFC 6120 §4.2).
    fail({StreamCondition::unsupported_stanza_type, "Stanzas go over the peer's own stream"});
}

void S2sOutgoing::handle_stanza(xml::Element stanza)
{
    accept_inbound(std::move(stanza), peer_pair_);
}

void S2sOutgoing::authenticate()
{
    request_bidi();
    if (encrypted() && !sasl_tried_ && peer_offers_external_) {
        // RFC 6120 §6.4, XEP-0178: the peer accepts our certificate for our domain.
        sasl_tried_ = true;
        xml::Element auth("auth", std::string(ns::sasl));
        auth.set_attr("mechanism", "EXTERNAL");
        auth.add_text(base64_encode(local_));
        send_stanza(auth);
        return;
    }
    start_dialback();
}

void S2sOutgoing::request_bidi()
{
    // XEP-0288 §2.2: before SASL or dialback, no answer expected.
    if (!bidi_ && peer_offers_bidi_ && server_.config().s2s_bidi) {
        bidi_ = true;
        send_raw("<bidi xmlns='" + std::string(ns::bidi) + "'/>");
    }
}

void S2sOutgoing::open_for_verify()
{
    // XEP-0220 §2.1.2: a connection of its own for the questions, no key of ours.
    verifies_open_ = true;
    for (const auto& v : verifies_) {
        send_verify(v.id, v.key);
    }
}

void S2sOutgoing::upgrade()
{
    if (!verify_only_ || closing()) {
        return;
    }
    verify_only_ = false;
    if (features_seen_) {
        authenticate();
    }
}

bool S2sOutgoing::offers_external(const xml::Element& features)
{
    const auto* mechanisms = features.child("mechanisms", ns::sasl);
    if (!mechanisms) {
        return false;
    }
    for (const auto& m : mechanisms->nodes()) {
        if (m.is("mechanism", ns::sasl) && m.text() == "EXTERNAL") {
            return true;
        }
    }
    return false;
}

void S2sOutgoing::link_up(std::string_view method)
{
    if (authenticated_) {
        return;
    }
    authenticated_ = true;
    // XEP-0288 §2.2: the peer sends only for the pair this link authenticated, reversed:
    // we reached remote_ ourselves, as dialback's authoritative check would.
    peer_pair_.emplace(remote_, local_);
    auth_method_ = method;
    disarm_deadline();
    allow_full_stanzas();
    spdlog::info("s2s {} -> {}: link up ({}, TLS {}, {}{})", local_, remote_, address(), tls_mode(),
                 method, bidi_ ? ", bidi" : "");
    if (!verifies_open_) {  // after SASL EXTERNAL: questions waiting for the link go now
        open_for_verify();
    }
    manager_.link_ready(*this);
}

void S2sOutgoing::on_tls_ready()
{
    if (server_.config().s2s_require_valid_certs && !peer_certificate_valid_for(remote_)) {
        return give_up(StanzaError::remote_server_not_found(
            remote_ + " has no valid certificate (s2s.require_valid_certs)"));
    }
    header_sent_ = true;
    send_raw(header(local_, remote_, {}, true));  // RFC 6120 §5.4.3.3: a new stream
}

void S2sOutgoing::start_dialback()
{
    if (dialback_started_) {
        return;
    }
    dialback_started_ = true;
    xml::Element result("result", std::string(ns::dialback));
    result.set_attr("from", local_).set_attr("to", remote_);
    result.add_text(dialback_key(manager_.secret(), remote_, local_, stream_id_));
    send_stanza(result);
    if (!verifies_open_) {
        open_for_verify();
    }
}

void S2sOutgoing::verify(std::string id, std::string key, VerifyCallback done)
{
    if (closed()) {
        return done(VerifyOutcome::error);
    }
    if (verifies_open_) {
        send_verify(id, key);
    }
    verifies_.push_back({std::move(id), std::move(key), std::move(done)});
}

void S2sOutgoing::send_verify(const std::string& id, const std::string& key)
{
    xml::Element verify("verify", std::string(ns::dialback));
    verify.set_attr("from", local_).set_attr("to", remote_).set_attr("id", id);
    verify.add_text(key);
    send_stanza(verify);
}

void S2sOutgoing::give_up(StanzaError why)
{
    spdlog::info("s2s {} -> {}: {}", local_, remote_, why.text);
    failure_ = std::move(why);
    close();
}

void S2sOutgoing::on_deadline()
{
    if (!authenticated_) {
        give_up(StanzaError::remote_server_timeout(remote_ + " did not answer in time"));
    }
}

void S2sOutgoing::on_stream_close()
{
    close();
}

void S2sOutgoing::on_closed()
{
    if (authenticated_ && in_flight() > 0) {
        failure_ = stalled()
                       ? StanzaError::remote_server_timeout(remote_ + " stopped reading")
                       : StanzaError::remote_server_not_found("The link to " + remote_ + " closed");
    }
    auto verifies = std::move(verifies_);
    verifies_.clear();
    for (auto& v : verifies) {
        v.done(VerifyOutcome::error);
    }
    manager_.link_closed(*this);
}

}  // namespace chorus::stream
