// S2sOutgoing: the originating side of a server-to-server stream (RFC 6120 §4-5, §13.7;
// XEP-0220 §2.1). SRV records (_xmpp-server._tcp) are not looked up yet: a static route or
// the domain's A/AAAA records on port 5269 (RFC 6120 §3.2.2's fallback).
#include "stream/s2s_outgoing.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/server.h"
#include "stanza/namespaces.h"
#include "stream/s2s_dialback.h"
#include "stream/s2s_manager.h"

namespace chorus::stream {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

S2sOutgoing::S2sOutgoing(Server& server, S2sManager& manager, std::string local, std::string remote)
    : S2sStream(server, manager, tcp::socket(server.io()), true),
      local_(std::move(local)),
      remote_(std::move(remote))
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
    std::string host = remote_;
    int port = 5269;  // RFC 6120 §3.2.2: the fallback without SRV records
    if (auto route = manager_.route_for(remote_)) {
        host = route->host;
        port = route->port;
    }
    tcp::resolver resolver(server_.io());
    auto [rec, endpoints] =
        co_await resolver.async_resolve(host, std::to_string(port), as_tuple(use_awaitable));
    if (closed()) {
        co_return;
    }
    if (rec) {
        give_up(StanzaError::remote_server_not_found("Cannot resolve " + remote_ + ": " +
                                                     rec.message()));
        co_return;
    }
    auto [cec, endpoint] =
        co_await asio::async_connect(lowest_layer(), endpoints, as_tuple(use_awaitable));
    if (closed()) {
        co_return;
    }
    if (cec) {
        give_up(StanzaError::remote_server_not_found("Cannot connect to " + remote_ + " (" + host +
                                                     ":" + std::to_string(port) +
                                                     "): " + cec.message()));
        co_return;
    }
    note_peer_address();
    spdlog::debug("s2s {} -> {}: connected to {}", local_, remote_, address());
    header_sent_ = true;
    send_raw(header(local_, remote_, {}, true));
    co_await read_loop();
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
        return start_dialback();
    }
    if (stanza.is("proceed", ns::tls)) {
        return begin_tls();
    }
    if (stanza.is("failure", ns::tls)) {
        return give_up(StanzaError::remote_server_not_found("The peer refused STARTTLS"));
    }
    if (stanza.is("result", ns::dialback)) {
        const auto type = stanza.attr("type");
        if (type == "valid" && stanza.attr("from") == remote_ && stanza.attr("to") == local_) {
            authenticated_ = true;
            disarm_deadline();
            allow_full_stanzas();
            spdlog::info("s2s {} -> {}: link up ({})", local_, remote_, address());
            manager_.link_ready(*this);
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
    // Stanzas come over the streams the peer opens to us (RFC 6120 §4.2: one direction).
    fail({StreamCondition::unsupported_stanza_type, "Stanzas go over the peer's own stream"});
}

void S2sOutgoing::on_tls_ready()
{
    if (server_.config().s2s_require_valid_certs && !peer_certificate_valid_for(remote_)) {
        return give_up(StanzaError::remote_server_not_found(
            remote_ + " has no valid certificate (s2s.require_valid_certs)"));
    }
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
    for (const auto& v : verifies_) {
        send_verify(v.id, v.key);
    }
}

void S2sOutgoing::verify(std::string id, std::string key, VerifyCallback done)
{
    if (closed()) {
        return done(VerifyOutcome::error);
    }
    if (dialback_started_) {
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
    auto verifies = std::move(verifies_);
    verifies_.clear();
    for (auto& v : verifies) {
        v.done(VerifyOutcome::error);
    }
    manager_.link_closed(*this);
}

}  // namespace chorus::stream
