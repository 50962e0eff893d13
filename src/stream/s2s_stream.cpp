// S2sStream: transport, parser and write queue shared by both directions of a link.
#include "stream/s2s_stream.h"

#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/cert_identity.h"
#include "server/server.h"
#include "stanza/namespaces.h"
#include "stream/s2s_dialback.h"
#include "stream/s2s_manager.h"
#include "xml/serializer.h"

namespace chorus::stream {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

xml::ParserLimits unauthenticated_limits(const Limits& l)
{
    // Before a domain is authenticated nobody answers for the memory: a dialback key and
    // the STARTTLS exchange are small (RFC 6120 §13.12, as on c2s).
    return {.max_stanza_bytes = std::min(l.max_stanza_bytes, l.max_stanza_bytes_unauthenticated),
            .max_depth = l.max_depth,
            .max_attributes = l.max_attributes};
}

int accept_any_certificate(int, X509_STORE_CTX*)
{
    return 1;  // ask for the peer's certificate; whether it is valid is checked by policy
}

StreamCondition condition_of(xml::ParseError e)
{
    switch (e) {
        case xml::ParseError::restricted_xml:
            return StreamCondition::restricted_xml;
        case xml::ParseError::policy_violation:
            return StreamCondition::policy_violation;
        case xml::ParseError::invalid_namespace:
            return StreamCondition::invalid_namespace;
        default:
            return StreamCondition::not_well_formed;
    }
}

}  // namespace

S2sStream::S2sStream(Server& server, S2sManager& manager, tcp::socket socket, bool initiating)
    : server_(server),
      manager_(manager),
      parser_(*this, unauthenticated_limits(server.config().limits)),
      socket_(std::move(socket)),
      initiating_(initiating),
      deadline_(server.io())
{
    note_peer_address();
}

void S2sStream::note_peer_address()
{
    boost::system::error_code ec;
    const auto peer = lowest_layer().remote_endpoint(ec);
    if (!ec) {
        peer_ip_ = peer.address().to_string();
        address_ = peer_ip_ + ":" + std::to_string(peer.port());
    }
}

S2sStream::~S2sStream() = default;

S2sStream::tcp::socket& S2sStream::lowest_layer()
{
    return tls_ ? tls_->next_layer() : socket_;
}

std::string S2sStream::header(std::string_view from, std::string_view to, std::string_view id,
                              bool version) const
{
    std::string out = "<?xml version='1.0'?><stream:stream xmlns='";
    out.append(ns::server).append("' xmlns:stream='").append(ns::streams);
    out.append("' xmlns:db='").append(ns::dialback).append("'");
    auto attr = [&](std::string_view name, std::string_view value) {
        if (!value.empty()) {
            out.append(" ").append(name).append("='");
            xml::escape_attr(value, out);
            out.append("'");
        }
    };
    attr("from", from);
    attr("to", to);
    attr("id", id);
    if (version) {
        out += " version='1.0'";
    }
    out += ">";
    return out;
}

std::uint64_t S2sStream::send_stanza(const xml::Element& stanza)
{
    // Routed stanzas are in jabber:client: written as the stream's default namespace, they
    // are read as jabber:server by the peer (RFC 6120 §4.8.3), with no xmlns to rewrite.
    std::string bytes;
    if (stanza.ns() == ns::dialback) {
        serialize_dialback(stanza, bytes);
    } else {
        xml::serialize(stanza, bytes, ns::client);
    }
    if (closed_ || closing_) {
        return 0;
    }
    send_raw(std::move(bytes));
    return closed_ ? 0 : queued_bytes_;
}

bool S2sStream::send_tracked(const xml::Element& stanza)
{
    const auto end = send_stanza(stanza);
    if (end == 0) {
        return false;
    }
    in_flight_.emplace_back(end, stanza);
    return true;
}

void S2sStream::accept_inbound(xml::Element stanza, const AuthenticatedPairs& pairs)
{
    if (auto error = check_inbound_stanza(
            stanza, pairs, [this](std::string_view d) { return manager_.hosts(d); })) {
        return fail(std::move(*error));
    }
    to_client_namespace(stanza);
    manager_.inbound(std::move(stanza));
}

std::deque<xml::Element> S2sStream::take_unwritten()
{
    std::deque<xml::Element> out;
    for (auto& [end, stanza] : in_flight_) {
        out.push_back(std::move(stanza));
    }
    in_flight_.clear();
    return out;
}

void S2sStream::send_raw(std::string bytes)
{
    if (closed_ || closing_) {
        return;
    }
    out_ += bytes;
    queued_bytes_ += bytes.size();
    if (out_.size() > server_.config().limits.write_high_watermark * 4) {
        // A peer that reads nothing cannot hold our memory (STYLE.md watermarks); what it
        // did not take is bounced by the link's owner.
        spdlog::info("s2s {}: peer not reading, link cut", address_);
        stalled_ = true;
        out_.clear();
        shut();
        return;
    }
    if (!writing_ && !tls_pending_) {
        writing_ = true;
        asio::co_spawn(server_.io(), write_loop(), asio::detached);
    }
}

asio::awaitable<void> S2sStream::write_loop()
{
    auto self = shared_from_this();
    while (!out_.empty() && !closed_) {
        std::string batch;
        batch.swap(out_);
        boost::system::error_code ec;
        if (tls_) {
            std::tie(ec, std::ignore) =
                co_await asio::async_write(*tls_, asio::buffer(batch), as_tuple(use_awaitable));
        } else {
            std::tie(ec, std::ignore) =
                co_await asio::async_write(socket_, asio::buffer(batch), as_tuple(use_awaitable));
        }
        if (ec) {
            shut();
            break;
        }
        written_bytes_ += batch.size();
        last_activity_ = Clock::now();
        while (!in_flight_.empty() && in_flight_.front().first <= written_bytes_) {
            in_flight_.pop_front();
        }
    }
    writing_ = false;
    if (closing_ && !closed_) {
        shut();
    }
}

void S2sStream::fail(StreamError error)
{
    if (closed_ || closing_) {
        return;
    }
    spdlog::info("s2s {} ({}): stream error {}: {}", address_, peer_domain_,
                 stream_condition_name(error.condition), error.text);
    if (!header_sent_) {
        header_sent_ = true;
        send_raw(header({}, {}, {}, true));
    }
    send_raw(serialize_stream_error(error) + "</stream:stream>");
    closing_ = true;
    if (!writing_) {
        shut();
    }
}

void S2sStream::close()
{
    if (closed_ || closing_) {
        return;
    }
    if (header_sent_) {
        send_raw("</stream:stream>");
    }
    closing_ = true;
    if (!writing_) {
        shut();
    }
}

void S2sStream::shut()
{
    if (closed_) {
        return;
    }
    closed_ = true;
    deadline_.cancel();
    boost::system::error_code ignored;
    lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    lowest_layer().close(ignored);
    if (!closed_reported_) {
        closed_reported_ = true;
        on_closed();
    }
}

void S2sStream::begin_tls(bool direct)
{
    tls_pending_ = true;
    direct_tls_ = direct;
    parser_.pause();
}

void S2sStream::restart_stream()
{
    restart_ = true;
    parser_.pause();
}

void S2sStream::allow_full_stanzas()
{
    parser_.set_max_stanza_bytes(server_.config().limits.max_stanza_bytes);
}

void S2sStream::arm_deadline(std::chrono::seconds after)
{
    deadline_.expires_after(after);
    deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (auto self = weak.lock(); self && !ec && !self->closed_) {
            self->on_deadline();
        }
    });
}

void S2sStream::disarm_deadline()
{
    deadline_.cancel();
}

asio::awaitable<bool> S2sStream::handshake()
{
    // The STARTTLS answer (<proceed/>) must be on the wire before the handshake starts.
    for (int i = 0; i < 500 && writing_ && !closed_; ++i) {
        asio::steady_timer t(server_.io(), std::chrono::milliseconds(10));
        co_await t.async_wait(as_tuple(use_awaitable));
    }
    if (closed_ || writing_) {
        co_return false;
    }
    auto& context = initiating_ ? manager_.client_tls() : manager_.server_tls();
    tls_ = std::make_unique<asio::ssl::stream<tcp::socket>>(std::move(socket_), context);
    SSL* ssl = tls_->native_handle();
    if (initiating_) {
        SSL_set_tlsext_host_name(ssl, peer_domain_.c_str());  // RFC 6120 §13.7.2.1
        if (direct_tls_) {
            static constexpr unsigned char alpn[] = "\x0bxmpp-server";  // XEP-0368 §3
            SSL_set_alpn_protos(ssl, alpn, sizeof alpn - 1);
        }
    } else {
        SSL_set_verify(ssl, SSL_VERIFY_PEER, accept_any_certificate);
    }
    auto [ec] = co_await tls_->async_handshake(
        initiating_ ? asio::ssl::stream_base::client : asio::ssl::stream_base::server,
        as_tuple(use_awaitable));
    if (ec) {
        spdlog::info("s2s {} ({}): TLS handshake failed: {}", address_, peer_domain_, ec.message());
        co_return false;
    }
    co_return true;
}

bool S2sStream::peer_certificate_valid_for(const std::string& domain) const
{
    if (!tls_) {
        return false;
    }
    SSL* ssl = tls_->native_handle();
    X509* cert = SSL_get0_peer_certificate(ssl);
    return cert != nullptr && SSL_get_verify_result(ssl) == X509_V_OK &&
           net::certificate_names_domain(cert, domain);
}

asio::awaitable<void> S2sStream::read_loop()
{
    auto self = shared_from_this();
    while (!closed_) {
        if (tls_pending_) {
            tls_pending_ = false;
            if (!co_await handshake()) {
                shut();
                break;
            }
            parser_.reset();
            on_tls_ready();
            if (!out_.empty() && !writing_ && !closed_) {
                writing_ = true;
                asio::co_spawn(server_.io(), write_loop(), asio::detached);
            }
            continue;
        }
        boost::system::error_code ec;
        std::size_t n = 0;
        if (tls_) {
            std::tie(ec, n) =
                co_await tls_->async_read_some(asio::buffer(read_buffer_), as_tuple(use_awaitable));
        } else {
            std::tie(ec, n) = co_await socket_.async_read_some(asio::buffer(read_buffer_),
                                                               as_tuple(use_awaitable));
        }
        if (ec) {
            shut();
            break;
        }
        last_activity_ = Clock::now();
        std::string_view data(read_buffer_.data(), n);
        while (!data.empty() && !closed_ && !closing_ && !tls_pending_) {
            data.remove_prefix(parser_.feed(data));
            if (parser_.error() != xml::ParseError::none) {
                fail({condition_of(parser_.error()), parser_.error_text()});
                break;
            }
            if (restart_) {  // after SASL success the rest is the next stream
                restart_ = false;
                parser_.reset();
            }
        }
    }
    if (!closed_reported_) {
        closed_reported_ = true;
        on_closed();
    }
}

}  // namespace chorus::stream
