// Stream negotiation of a client Connection: STARTTLS, SASL, bind or resume, SM enable
// (RFC 6120 §5-7, XEP-0198 §3-5).
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/encoding.h"
#include "client/connection.h"
#include "client/sasl_client.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::client {
namespace {

constexpr auto negotiation_timeout = std::chrono::seconds(30);

ClientError err(ErrorKind k, std::string m)
{
    return ClientError{k, std::move(m)};
}

std::string sasl_failure_text(const xml::Element& failure)
{
    const auto* cond = failure.first_element();
    const std::string name = cond ? cond->name() : "failure";
    if (name == "not-authorized") {
        return "wrong password or unknown account (not-authorized)";
    }
    const auto text = failure.child_text("text", ns::sasl);
    return "authentication failed: " + name + (text.empty() ? "" : ": " + text);
}

ChannelBinding channel_binding(SSL* ssl)
{
    ChannelBinding cb;
    if (SSL_version(ssl) >= TLS1_3_VERSION) {
        static constexpr char label[] = "EXPORTER-Channel-Binding";  // RFC 9266
        unsigned char out[32];
        if (SSL_export_keying_material(ssl, out, sizeof out, label, sizeof label - 1, nullptr, 0,
                                       0) == 1) {
            cb.tls_exporter.assign(reinterpret_cast<const char*>(out), sizeof out);
        }
    } else {
        unsigned char fin[64];
        // RFC 5929 §3.1: the first Finished of the latest handshake (ours unless resumed).
        const std::size_t n = SSL_session_reused(ssl) ? SSL_get_peer_finished(ssl, fin, sizeof fin)
                                                      : SSL_get_finished(ssl, fin, sizeof fin);
        cb.tls_unique.assign(reinterpret_cast<const char*>(fin), std::min(n, sizeof fin));
    }
    return cb;
}

}  // namespace

asio::awaitable<Result<void, ClientError>> Connection::authenticate(const Account& a,
                                                                    const xml::Element& features,
                                                                    Negotiated& n)
{
    std::vector<std::string> offered;
    if (const auto* mechs = features.child("mechanisms", ns::sasl)) {
        for (const auto& m : mechs->nodes()) {
            if (m.is("mechanism", ns::sasl)) {
                offered.push_back(m.text());
            }
        }
    }
    SaslClient sasl(a.jid.node(), a.password,
                    tls_ ? channel_binding(stream_.native_handle()) : ChannelBinding{});
    const auto mech = sasl.choose(offered);
    if (!mech) {
        co_return unexpected(err(ErrorKind::auth,
                                 "the server offers no SASL mechanism we "
                                 "support (want SCRAM-SHA-256 or SCRAM-SHA-1)"));
    }
    n.mechanism = *mech;
    const auto initial = sasl.start(*mech);
    if (!initial) {
        co_return unexpected(err(ErrorKind::auth, "cannot start " + *mech));
    }
    // Named, not a temporary in the co_await (GCC 12 PR 100611 destroys those twice).
    std::string auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + *mech + "'>" +
                       *initial + "</auth>";
    co_await write_raw(std::move(auth));
    for (int round = 0; round < 10; ++round) {
        auto e = co_await read_one();
        if (!e) {
            co_return unexpected(e.error());
        }
        if (e->is("challenge", ns::sasl)) {
            const auto reply = sasl.step(e->text());
            if (!reply) {
                co_return unexpected(
                    err(ErrorKind::auth, "the server's SASL challenge is invalid"));
            }
            std::string response =
                "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + *reply + "</response>";
            co_await write_raw(std::move(response));
        } else if (e->is("success", ns::sasl)) {
            if (!sasl.finish(e->text())) {
                co_return unexpected(err(ErrorKind::auth,
                                         "the server did not prove it knows "
                                         "the password (SCRAM signature)"));
            }
            co_return Result<void, ClientError>{};
        } else if (e->is("failure", ns::sasl)) {
            co_return unexpected(err(ErrorKind::auth, sasl_failure_text(*e)));
        } else {
            co_return unexpected(
                err(ErrorKind::protocol, "unexpected <" + e->name() + "/> during SASL"));
        }
    }
    co_return unexpected(err(ErrorKind::auth, "SASL did not finish"));
}

asio::awaitable<Result<void, ClientError>> Connection::bind(const Account& a, Negotiated& n)
{
    std::string iq = "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>";
    if (!a.jid.resource().empty()) {
        iq += "<resource>";
        xml::escape_text(a.jid.resource(), iq);
        iq += "</resource>";
    }
    iq += "</bind></iq>";
    co_await write_raw(std::move(iq));
    for (int i = 0; i < 20; ++i) {
        auto e = co_await read_one();
        if (!e) {
            co_return unexpected(e.error());
        }
        if (!e->is("iq", ns::client) || e->attr("id") != "bind1") {
            continue;
        }
        if (e->attr("type") != "result") {
            const auto* error = e->child("error", ns::client);
            const auto* cond = error ? error->child_in(ns::stanza_errors) : nullptr;
            co_return unexpected(err(
                ErrorKind::bind, "resource binding refused: " + (cond ? cond->name() : "error")));
        }
        const auto* b = e->child("bind", ns::bind);
        const auto jid = Jid::parse(b ? b->child_text("jid", ns::bind) : "");
        if (!jid || !jid->is_full()) {
            co_return unexpected(err(ErrorKind::bind, "the server bound no full JID"));
        }
        n.jid = *jid;
        co_return Result<void, ClientError>{};
    }
    co_return unexpected(err(ErrorKind::bind, "no answer to resource binding"));
}

asio::awaitable<Result<Negotiated, ClientError>> Connection::open(const Account& a,
                                                                  std::optional<SmResume> resume)
{
    Negotiated n;
    domain_ = a.jid.domain();
    deadline_.expires_after(negotiation_timeout);
    deadline_.async_wait([self = weak_from_this()](boost::system::error_code ec) {
        if (auto c = self.lock(); c && !ec && !c->running_) {
            boost::system::error_code ignored;
            c->stream_.next_layer().close(ignored);  // RFC 6120 has no bound; we do
        }
    });
    auto fail = [this](ClientError e) -> Result<Negotiated, ClientError> {
        deadline_.cancel();
        mark_closed(e.message);
        return unexpected(std::move(e));
    };
    if (auto r = co_await connect_tcp(a); !r) {
        co_return fail(r.error());
    }
    if (a.direct_tls) {
        if (auto r = co_await handshake(a, n); !r) {
            co_return fail(r.error());
        }
    }
    auto features = co_await open_stream(a);
    if (!features) {
        co_return fail(features.error());
    }
    if (!tls_) {
        if (features->child("starttls", ns::tls) == nullptr) {
            co_return fail(err(ErrorKind::tls,
                               "the server does not offer STARTTLS; refusing "
                               "to send the password in clear"));
        }
        std::string starttls = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
        co_await write_raw(std::move(starttls));
        auto proceed = co_await read_one();
        if (!proceed || !proceed->is("proceed", ns::tls)) {
            co_return fail(err(ErrorKind::tls, "the server refused STARTTLS"));
        }
        if (auto r = co_await handshake(a, n); !r) {
            co_return fail(r.error());
        }
        features = co_await open_stream(a);
        if (!features) {
            co_return fail(features.error());
        }
    }
    if (auto r = co_await authenticate(a, *features, n); !r) {
        co_return fail(r.error());
    }
    features = co_await open_stream(a);
    if (!features) {
        co_return fail(features.error());
    }
    for (const auto& f : features->nodes()) {
        if (!f.is_text()) {
            n.stream_features.push_back(f.ns());
        }
    }
    const bool has_sm = features->child("sm", ns::sm) != nullptr;
    if (has_sm && resume && !resume->id.empty()) {
        std::string r =
            "<resume xmlns='urn:xmpp:sm:3' h='" + std::to_string(resume->h) + "' previd='";
        xml::escape_attr(resume->id, r);
        r += "'/>";
        co_await write_raw(std::move(r));
        auto answer = co_await read_one();
        if (!answer) {
            co_return fail(answer.error());
        }
        if (answer->is("resumed", ns::sm)) {
            const auto jid = Jid::parse(resume->jid);
            n.jid = jid ? *jid : a.jid;
            n.resumed = true;
            n.sm = sm_ = true;
            n.sm_id = resume->id;
            in_h_ = resume->h;
            // Stanzas an earlier process sent and the server did not count are gone with it.
            out_count_ = out_acked_ = static_cast<std::uint32_t>(
                std::strtoul(std::string(answer->attr("h")).c_str(), nullptr, 10));
        }  // <failed/>: the session expired; bind a new one
    }
    if (!n.resumed) {
        if (auto r = co_await bind(a, n); !r) {
            co_return fail(r.error());
        }
        if (has_sm) {
            std::string enable = "<enable xmlns='urn:xmpp:sm:3' resume='true'/>";
            co_await write_raw(std::move(enable));
            auto answer = co_await read_one();
            if (!answer) {
                co_return fail(answer.error());
            }
            if (answer->is("enabled", ns::sm)) {
                n.sm = sm_ = true;
                n.sm_id = std::string(answer->attr("id"));
                in_h_ = out_count_ = out_acked_ = 0;
            }
        }
    }
    deadline_.cancel();
    running_ = true;
    auto self = shared_from_this();
    asio::co_spawn(
        io_, [self] { return self->reader(); }, asio::detached);
    asio::co_spawn(
        io_, [self] { return self->writer(); }, asio::detached);
    while (!pending_.empty()) {  // anything that came with the last negotiation answer
        auto e = std::move(pending_.front());
        pending_.pop_front();
        on_element(std::move(e));
    }
    co_return n;
}

}  // namespace chorus::client
