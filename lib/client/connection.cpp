// One client stream: transport, TLS trust, SASL, bind/resume (lib/client/connection.h).
#include "client/connection.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "base/encoding.h"
#include "client/sasl_client.h"
#include "stanza/namespaces.h"
#include "stanza/stanza_bytes.h"
#include "xml/serializer.h"

namespace chorus::client {
namespace {

constexpr auto use = asio::as_tuple(asio::use_awaitable);

ClientError err(ErrorKind k, std::string m)
{
    return ClientError{k, std::move(m)};
}

std::string stream_error_text(const xml::Element& e)
{
    const auto* cond = e.first_element();
    std::string out = "stream error: ";
    out += cond ? cond->name() : "unknown";
    if (auto t = e.child_text("text", ns::stream_errors); !t.empty()) {
        out += " (" + t + ")";
    }
    return out;
}

std::string cert_fingerprint(SSL* ssl)
{
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert == nullptr) {
        return {};
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    X509_digest(cert, EVP_sha256(), md, &len);
    X509_free(cert);
    return hex_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

bool is_stanza(const xml::Element& e)
{
    return e.ns() == ns::client &&
           (e.name() == "message" || e.name() == "presence" || e.name() == "iq");
}

}  // namespace

std::string_view error_kind_name(ErrorKind k) noexcept
{
    switch (k) {
        case ErrorKind::unknown_host:
            return "unknown-host";
        case ErrorKind::connect:
            return "connect";
        case ErrorKind::tls:
            return "tls";
        case ErrorKind::certificate:
            return "certificate";
        case ErrorKind::auth:
            return "auth";
        case ErrorKind::bind:
            return "bind";
        case ErrorKind::stream:
            return "stream";
        case ErrorKind::timeout:
            return "timeout";
        case ErrorKind::protocol:
            return "protocol";
        case ErrorKind::storage:
            return "storage";
        case ErrorKind::bad_input:
            return "bad-input";
    }
    return "error";
}

class Connection::Handler : public xml::StreamHandler {
public:
    explicit Handler(Connection& c) : c_(c) {}
    void on_stream_open(const xml::Element&) override {}
    void on_stanza(xml::Element stanza) override
    {
        const bool restart_point =
            (stanza.is("proceed", ns::tls) || stanza.is("success", ns::sasl));
        c_.pending_.push_back(std::move(stanza));
        if (restart_point) {
            c_.parser_->pause();  // the next bytes belong to a new stream (RFC 6120 §5.4.3.3)
        }
    }
    void on_stream_close() override { c_.stream_closed_ = true; }

private:
    Connection& c_;
};

Connection::Connection(asio::io_context& io)
    : io_(io),
      tls_ctx_(asio::ssl::context::tls_client),
      stream_(io, tls_ctx_),
      handler_(std::make_unique<Handler>(*this)),
      parser_(std::make_unique<xml::StreamParser>(*handler_,
                                                  xml::ParserLimits{.max_stanza_bytes = 1 << 20})),
      inbox_signal_(io),
      write_signal_(io),
      deadline_(io)
{
}

Connection::~Connection() = default;

asio::awaitable<std::size_t> Connection::read_some(char* buf, std::size_t n,
                                                   boost::system::error_code& ec)
{
    std::size_t got = 0;
    if (tls_) {
        std::tie(ec, got) = co_await stream_.async_read_some(asio::buffer(buf, n), use);
    } else {
        std::tie(ec, got) =
            co_await stream_.next_layer().async_read_some(asio::buffer(buf, n), use);
    }
    co_return got;
}

asio::awaitable<void> Connection::write_raw(std::string bytes)
{
    boost::system::error_code ec;
    if (tls_) {
        std::tie(ec, std::ignore) = co_await asio::async_write(stream_, asio::buffer(bytes), use);
    } else {
        std::tie(ec, std::ignore) =
            co_await asio::async_write(stream_.next_layer(), asio::buffer(bytes), use);
    }
    if (ec) {
        mark_closed("write: " + ec.message());
    }
}

asio::awaitable<Result<xml::Element, ClientError>> Connection::read_one()
{
    char buf[16384];
    for (int guard = 0; guard < 100000; ++guard) {
        if (!pending_.empty()) {
            auto e = std::move(pending_.front());
            pending_.pop_front();
            if (e.is("error", ns::streams)) {
                co_return unexpected(err(ErrorKind::stream, stream_error_text(e)));
            }
            co_return e;
        }
        if (parser_->error() != xml::ParseError::none) {
            co_return unexpected(
                err(ErrorKind::protocol, "server sent bad XML: " + parser_->error_text()));
        }
        if (stream_closed_ || closed_) {
            co_return unexpected(err(ErrorKind::stream, "the server closed the stream"));
        }
        boost::system::error_code ec;
        const auto n = co_await read_some(buf, sizeof buf, ec);
        if (ec) {
            co_return unexpected(err(deadline_.expiry() <= asio::steady_timer::clock_type::now()
                                         ? ErrorKind::timeout
                                         : ErrorKind::connect,
                                     "connection lost during negotiation: " + ec.message()));
        }
        parser_->feed(std::string_view(buf, n));
    }
    co_return unexpected(err(ErrorKind::protocol, "no stanza from the server"));
}

asio::awaitable<Result<void, ClientError>> Connection::connect_tcp(const Account& a)
{
    const std::string host = a.host.empty() ? a.jid.domain() : a.host;
    const auto port = a.port != 0 ? a.port : (a.direct_tls ? 5223 : 5222);
    asio::ip::tcp::resolver resolver(io_);
    auto [ec, results] = co_await resolver.async_resolve(host, std::to_string(port), use);
    if (ec) {
        co_return unexpected(
            err(ErrorKind::unknown_host, "unknown host " + host + ": " + ec.message()));
    }
    auto [cec, ep] = co_await asio::async_connect(stream_.next_layer(), results, use);
    if (cec) {
        co_return unexpected(
            err(ErrorKind::connect,
                "cannot connect to " + host + ":" + std::to_string(port) + ": " + cec.message()));
    }
    stream_.next_layer().set_option(asio::ip::tcp::no_delay(true));
    co_return Result<void, ClientError>{};
}

asio::awaitable<Result<void, ClientError>> Connection::handshake(const Account& a, Negotiated& n)
{
    SSL* ssl = stream_.native_handle();
    SSL_set_tlsext_host_name(ssl, domain_.c_str());
    SSL_set1_host(ssl, domain_.c_str());  // RFC 6125: the certificate names the XMPP domain
    tls_ctx_.set_default_verify_paths();
    stream_.set_verify_mode(asio::ssl::verify_none);  // judged below, to allow a pin
    auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::client, use);
    if (ec) {
        co_return unexpected(err(ErrorKind::tls, "TLS handshake failed: " + ec.message()));
    }
    tls_ = true;
    n.fingerprint = cert_fingerprint(ssl);
    if (!a.pinned_sha256.empty()) {
        if (n.fingerprint != a.pinned_sha256) {
            co_return unexpected(err(ErrorKind::certificate,
                                     "the server's certificate (SHA-256 " + n.fingerprint +
                                         ") is not the pinned one (" + a.pinned_sha256 + ")"));
        }
        n.certificate_trusted = true;
    } else if (const long v = SSL_get_verify_result(ssl); v == X509_V_OK) {
        n.certificate_trusted = true;
    } else if (!a.trust_on_first_use) {
        co_return unexpected(
            err(ErrorKind::certificate, std::string("the server's certificate is not trusted (") +
                                            X509_verify_cert_error_string(v) + "); SHA-256 " +
                                            n.fingerprint +
                                            "; to pin it, log in with --trust-on-first-use"));
    }
    co_return Result<void, ClientError>{};
}

asio::awaitable<Result<xml::Element, ClientError>> Connection::open_stream(const Account&)
{
    parser_->reset();
    stream_closed_ = false;
    std::string header =
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='";
    xml::escape_attr(domain_, header);
    header += "' version='1.0' xml:lang='en'>";
    co_await write_raw(std::move(header));
    auto features = co_await read_one();
    if (!features) {
        co_return features;
    }
    if (!features->is("features", ns::streams)) {
        co_return unexpected(err(ErrorKind::protocol, "expected <stream:features/>"));
    }
    co_return features;
}

asio::awaitable<void> Connection::reader()
{
    auto self = shared_from_this();  // the stream outlives its reader
    char buf[16384];
    while (!closed_) {
        boost::system::error_code ec;
        const auto n = co_await read_some(buf, sizeof buf, ec);
        if (ec) {
            mark_closed(ec == asio::error::eof ? "the server closed the connection"
                                               : "connection lost: " + ec.message());
            break;
        }
        parser_->feed(std::string_view(buf, n));
        while (!pending_.empty()) {
            auto e = std::move(pending_.front());
            pending_.pop_front();
            on_element(std::move(e));
        }
        if (parser_->error() != xml::ParseError::none) {
            mark_closed("the server sent bad XML: " + parser_->error_text());
        } else if (stream_closed_) {
            mark_closed("the server ended the stream");
        }
    }
}

asio::awaitable<void> Connection::writer()
{
    auto self = shared_from_this();
    while (!closed_) {
        if (out_.empty()) {
            write_signal_.expires_at(asio::steady_timer::time_point::max());
            co_await write_signal_.async_wait(use);
            continue;
        }
        writing_ = true;
        std::string bytes = std::move(out_);
        out_.clear();
        co_await write_raw(std::move(bytes));
        writing_ = false;
        inbox_signal_.cancel();  // close() waits for the queue to drain
    }
}

void Connection::on_element(xml::Element e)
{
    if (e.ns() == ns::sm) {
        if (e.name() == "r") {
            queue("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(in_h_) + "'/>");
        } else if (e.name() == "a") {
            out_acked_ = static_cast<std::uint32_t>(
                std::strtoul(std::string(e.attr("h")).c_str(), nullptr, 10));
            inbox_signal_.cancel();
        }
        return;
    }
    if (e.is("error", ns::streams)) {
        mark_closed(stream_error_text(e));
        return;
    }
    if (is_stanza(e)) {
        inbox_.push_back(std::move(e));
        inbox_signal_.cancel();
    }
}

asio::awaitable<std::optional<xml::Element>> Connection::next(std::chrono::milliseconds timeout)
{
    const auto deadline = asio::steady_timer::clock_type::now() + timeout;
    for (;;) {
        if (!inbox_.empty()) {
            auto e = std::move(inbox_.front());
            inbox_.pop_front();
            if (sm_) {
                ++in_h_;  // XEP-0198 §4: handled = taken by the application
            }
            co_return e;
        }
        if (closed_ || asio::steady_timer::clock_type::now() >= deadline) {
            co_return std::nullopt;
        }
        inbox_signal_.expires_at(deadline);
        co_await inbox_signal_.async_wait(use);
    }
}

void Connection::queue(std::string bytes)
{
    if (closed_) {
        return;
    }
    out_ += bytes;
    write_signal_.cancel();
}

void Connection::send(const xml::Element& stanza)
{
    if (sm_) {
        ++out_count_;
    }
    queue(serialize_stanza(stanza));
}

asio::awaitable<bool> Connection::wait_acked(std::chrono::milliseconds timeout)
{
    if (!sm_) {
        co_return !closed_;
    }
    queue("<r xmlns='urn:xmpp:sm:3'/>");
    const auto deadline = asio::steady_timer::clock_type::now() + timeout;
    while (out_acked_ != out_count_) {
        if (closed_ || asio::steady_timer::clock_type::now() >= deadline) {
            co_return false;
        }
        inbox_signal_.expires_at(deadline);
        co_await inbox_signal_.async_wait(use);
    }
    co_return true;
}

asio::awaitable<void> Connection::close()
{
    if (closed_) {
        co_return;
    }
    queue("</stream:stream>");
    const auto deadline = asio::steady_timer::clock_type::now() + std::chrono::seconds(3);
    while (!closed_ && asio::steady_timer::clock_type::now() < deadline) {
        inbox_signal_.expires_at(deadline);
        co_await inbox_signal_.async_wait(use);
    }
    mark_closed("closed");
}

void Connection::abort()
{
    mark_closed("aborted");
}

void Connection::mark_closed(std::string reason)
{
    if (!closed_) {
        closed_ = true;
        close_reason_ = std::move(reason);
    }
    inbox_signal_.cancel();
    write_signal_.cancel();
    deadline_.cancel();
    boost::system::error_code ignored;
    stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.next_layer().close(ignored);
}

}  // namespace chorus::client
