// S2sIncoming: the receiving side of a server-to-server stream (RFC 6120 §4-5, XEP-0220).
#include "stream/s2s_incoming.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/encoding.h"
#include "jid/jid.h"
#include "router/router.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_error.h"
#include "stream/s2s_dialback.h"
#include "stream/s2s_manager.h"

namespace chorus::stream {

namespace asio = boost::asio;

namespace {

/// <db:result/> or <db:verify/> answering `request`, from us to the peer.
xml::Element dialback_answer(const xml::Element& request, std::string_view type)
{
    xml::Element answer(request.name(), std::string(ns::dialback));
    answer.set_attr("from", request.attr("to")).set_attr("to", request.attr("from"));
    if (request.has_attr("id")) {
        answer.set_attr("id", request.attr("id"));
    }
    answer.set_attr("type", type);
    return answer;
}

xml::Element dialback_error(const xml::Element& request, StanzaError error)
{
    auto answer = dialback_answer(request, "error");
    answer.add_child(error.to_element());  // XEP-0220 §2.4: the reason, as a stanza error
    return answer;
}

bool is_domain(std::string_view text)
{
    const auto jid = Jid::parse(text);
    return jid && jid->node().empty() && !jid->is_full() && jid->domain() == text;
}

}  // namespace

S2sIncoming::S2sIncoming(Server& server, S2sManager& manager, tcp::socket socket)
    : S2sStream(server, manager, std::move(socket), false)
{
}

void S2sIncoming::start()
{
    arm_deadline(std::chrono::seconds(server_.config().negotiation_timeout_s));
    asio::co_spawn(server_.io(), run(), asio::detached);
}

asio::awaitable<void> S2sIncoming::run()
{
    auto self = shared_from_this();
    // XEP-0368 on the same port: a TLS ClientHello (record type 22) instead of a header.
    auto [ec] = co_await lowest_layer().async_wait(tcp::socket::wait_read,
                                                   asio::as_tuple(asio::use_awaitable));
    unsigned char first = 0;
    if (!ec && !closed() &&
        lowest_layer().receive(asio::buffer(&first, 1), tcp::socket::message_peek, ec) == 1 &&
        first == 0x16) {
        begin_tls(true);
    }
    co_await read_loop();
}

void S2sIncoming::on_deadline()
{
    if (pairs_.empty()) {  // RFC 6120 §4.9.3.4: nothing authenticated in time
        fail({StreamCondition::connection_timeout, "No domain was authenticated in time"});
    }
}

void S2sIncoming::on_stream_open(const xml::Element& header)
{
    const auto to = header.attr("to");
    version_1_ = header.attr("version").starts_with("1.");
    stream_id_ = new_stream_id();
    header_sent_ = true;
    send_raw(this->header(to, header.attr("from"), stream_id_, version_1_));
    if (header.attr("xmlns") != ns::server) {
        return fail({StreamCondition::invalid_namespace, "An s2s stream is in jabber:server"});
    }
    if (!to.empty() && !manager_.hosts(to)) {  // RFC 6120 §4.9.3.6
        return fail({StreamCondition::host_unknown, "This server does not host that domain"});
    }
    if (restarting_) {  // RFC 6120 §6.4.6: the restarted stream; our stanzas may follow now
        restarting_ = false;
        if (version_1_) {
            send_features();
        }
        for (const auto& [remote, local] : pairs_) {
            pair_ready(remote, local);
        }
        return;
    }
    peer_domain_ = header.attr("from");
    local_ = to;
    if (version_1_) {
        send_features();
    }
}

void S2sIncoming::send_features()
{
    const bool tls_required = server_.config().s2s_require_tls;
    std::string features = "<stream:features>";
    if (!encrypted()) {
        features += "<starttls xmlns='";
        features.append(ns::tls).append(tls_required ? "'><required/></starttls>" : "'/>");
    }
    if (external_possible()) {
        features.append("<mechanisms xmlns='")
            .append(ns::sasl)
            .append("'><mechanism>EXTERNAL</mechanism></mechanisms>");
    }
    if (encrypted() || !tls_required) {
        features.append("<dialback xmlns='")
            .append(ns::dialback_feature)
            .append("'><errors/></dialback>");
        if (server_.config().s2s_bidi && pairs_.empty()) {
            // XEP-0288 §2.1: where authentication can happen (Prosody offers it there too)
            bidi_offered_ = true;
            features.append("<bidi xmlns='").append(ns::bidi_feature).append("'/>");
        }
    }
    send_raw(features + "</stream:features>");
}

void S2sIncoming::on_stanza(xml::Element stanza)
{
    if (stanza.is("starttls", ns::tls)) {
        if (encrypted()) {
            return fail({StreamCondition::policy_violation, "TLS is already in place"});
        }
        send_raw("<proceed xmlns='" + std::string(ns::tls) + "'/>");
        begin_tls();
        return;
    }
    if (!encrypted() && server_.config().s2s_require_tls) {
        // Prosody's s2s_require_encryption: nothing but STARTTLS before TLS
        return fail({StreamCondition::policy_violation, "STARTTLS is required first"});
    }
    if (stanza.is("bidi", ns::bidi)) {
        return handle_bidi();
    }
    if (stanza.is("auth", ns::sasl)) {
        return handle_auth(stanza);
    }
    if (stanza.is("result", ns::dialback)) {
        return handle_result(stanza);
    }
    if (stanza.is("verify", ns::dialback)) {
        return handle_verify(stanza);
    }
    if (stanza.ns() == ns::server &&
        (stanza.name() == "message" || stanza.name() == "presence" || stanza.name() == "iq")) {
        return handle_stanza(std::move(stanza));
    }
    fail({StreamCondition::unsupported_stanza_type, {}});
}

bool S2sIncoming::external_possible() const
{
    // XEP-0178: the certificate chains to a root we trust and names the header's 'from'.
    return encrypted() && is_domain(peer_domain_) && !local_.empty() &&
           !pairs_.contains({peer_domain_, local_}) && peer_certificate_valid_for(peer_domain_);
}

void S2sIncoming::handle_auth(const xml::Element& auth)
{
    auto failure = [this](std::string_view condition) {
        send_raw("<failure xmlns='" + std::string(ns::sasl) + "'><" + std::string(condition) +
                 "/></failure>");
    };
    if (auth.attr("mechanism") != "EXTERNAL") {
        return failure("invalid-mechanism");
    }
    if (!external_possible()) {
        return failure("not-authorized");
    }
    const auto text = auth.text();
    std::string authzid;
    if (!text.empty() && text != "=") {
        auto decoded = base64_decode(text);
        if (!decoded) {
            return failure("incorrect-encoding");
        }
        authzid = std::move(*decoded);
    }
    if (!authzid.empty() && authzid != peer_domain_) {  // RFC 6120 §6.4.6: only its own
        return failure("invalid-authzid");
    }
    pairs_.emplace(peer_domain_, local_);
    methods_[{peer_domain_, local_}] = "SASL EXTERNAL";
    allow_full_stanzas();
    disarm_deadline();
    spdlog::info("s2s {}: {} authenticated by SASL EXTERNAL for {}", address(), peer_domain_,
                 local_);
    send_raw("<success xmlns='" + std::string(ns::sasl) + "'/>");
    restarting_ = true;
    restart_stream();  // RFC 6120 §6.4.6: the initiator opens a new stream
}

void S2sIncoming::handle_bidi()
{
    if (auto error = check_bidi_request(bidi_offered_, !pairs_.empty())) {
        return fail(std::move(*error));
    }
    bidi_ = true;  // XEP-0288 §2.2: no answer; it holds for the pairs proved from now on
}

void S2sIncoming::pair_ready(const std::string& remote, const std::string& local)
{
    if (carries(local, remote)) {
        manager_.bidi_ready(*this, local, remote);
    }
}

void S2sIncoming::handle_result(const xml::Element& result)
{
    const std::string from(result.attr("from"));
    const std::string to(result.attr("to"));
    if (!is_domain(from) || !is_domain(to)) {
        return fail({StreamCondition::improper_addressing, "db:result needs 'from' and 'to'"});
    }
    if (!manager_.hosts(to)) {
        send_stanza(dialback_error(result, StanzaError::item_not_found("Not a domain of ours")));
        return;
    }
    if (server_.config().s2s_require_valid_certs && !peer_certificate_valid_for(from)) {
        // RFC 6120 §13.7.2: the policy wants a certificate valid for the peer's domain
        spdlog::info("s2s {}: {} has no valid certificate; refused (s2s.require_valid_certs)",
                     address(), from);
        send_stanza(dialback_error(result, StanzaError::not_authorized("A valid certificate for " +
                                                                       from + " is required")));
        return;
    }
    auto request = result;  // answered once the authoritative server has spoken
    // XEP-0288: on a bidi stream the verification link only verifies, so the pair ends up
    // with this one connection.
    manager_.verify(to, from, stream_id_, std::string(result.text()), bidi_,
                    [weak = weak_from_this(), request](VerifyOutcome outcome) {
                        auto base = weak.lock();
                        if (!base || base->closed()) {
                            return;
                        }
                        auto& self = static_cast<S2sIncoming&>(*base);
                        switch (outcome) {
                            case VerifyOutcome::valid:
                                self.pairs_.emplace(request.attr("from"), request.attr("to"));
                                self.methods_[{std::string(request.attr("from")),
                                               std::string(request.attr("to"))}] = "dialback";
                                self.allow_full_stanzas();
                                self.disarm_deadline();
                                spdlog::info("s2s {}: {} authenticated by dialback for {}",
                                             self.address(), request.attr("from"),
                                             request.attr("to"));
                                self.send_stanza(dialback_answer(request, "valid"));
                                self.pair_ready(std::string(request.attr("from")),
                                                std::string(request.attr("to")));
                                break;
                            case VerifyOutcome::invalid:
                                self.send_stanza(dialback_answer(request, "invalid"));
                                self.close();  // XEP-0220 §2.1.3: the key was forged
                                break;
                            case VerifyOutcome::error:
                                self.send_stanza(dialback_error(
                                    request, StanzaError::remote_server_not_found(
                                                 "The authoritative server was not reached")));
                                break;
                        }
                    });
}

void S2sIncoming::handle_verify(const xml::Element& verify)
{
    // We are the authoritative server: the key was made here (or forged).
    const std::string from(verify.attr("from"));
    const std::string to(verify.attr("to"));
    const auto id = verify.attr("id");
    if (!is_domain(from) || !is_domain(to) || id.empty()) {
        return fail({StreamCondition::improper_addressing, "db:verify needs from, to and id"});
    }
    if (!manager_.hosts(to)) {
        send_stanza(dialback_error(verify, StanzaError::item_not_found("Not a domain of ours")));
        return;
    }
    const auto expected = dialback_key(manager_.secret(), from, to, id);
    const bool valid = dialback_key_matches(expected, verify.text());
    send_stanza(dialback_answer(verify, valid ? "valid" : "invalid"));
}

void S2sIncoming::handle_stanza(xml::Element stanza)
{
    accept_inbound(std::move(stanza), pairs_);
}

void S2sIncoming::on_stream_close()
{
    close();
}

void S2sIncoming::on_closed()
{
    manager_.incoming_closed(*this);
}

}  // namespace chorus::stream
