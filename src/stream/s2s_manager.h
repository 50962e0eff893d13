// S2sManager: the server's federation (RFC 6120 §10.4, §13): one outgoing link per
// (local, remote) domain pair with the stanzas waiting for it, the incoming streams (which
// carry our stanzas too when the peer asked for XEP-0288 bidi), and dialback verification
// between them (XEP-0220).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "net/dns_resolver.h"
#include "server/remote_routes.h"
#include "stanza/stanza_error.h"
#include "stream/s2s_incoming.h"
#include "stream/s2s_outgoing.h"

namespace chorus::stream {

/// One line of `chorusctl s2s`.
struct S2sLinkInfo {
    std::string direction;  // "out" or "in"
    std::string local, remote, address;
    bool authenticated = false;
    std::size_t queued = 0;
    std::string tls;    // "direct", "starttls" or "none"
    std::string auth;   // "SASL EXTERNAL", "dialback" or empty
    bool bidi = false;  // XEP-0288: the connection carries stanzas both ways
};

class S2sManager final : public RemoteRoutes {
public:
    S2sManager(Server& server, boost::asio::ssl::context& server_tls,
               boost::asio::ssl::context& client_tls);
    ~S2sManager() override;

    // RemoteRoutes
    void send(const xml::Element& stanza, const Jid& to) override;

    /// A connection accepted on the s2s listener (refused past s2s.max_incoming).
    void accept(boost::asio::ip::tcp::socket socket);
    /// A stanza from an authenticated pair, checked and in jabber:client.
    void inbound(xml::Element stanza);
    /// Asks remote's authoritative server about a key it sent us on stream `id`; for a bidi
    /// stream a new link to it only verifies (XEP-0288: the asking stream serves the pair).
    void verify(const std::string& local, const std::string& remote, std::string id,
                std::string key, bool for_bidi, VerifyCallback done);

    void link_ready(S2sOutgoing& link);
    /// A verification link answered its questions: it closes, or authenticates when
    /// stanzas wait for its pair.
    void verifications_done(S2sOutgoing& link);
    /// A bidi incoming stream proved (remote, local): it carries local's stanzas to remote
    /// while no outgoing link for the pair is up (XEP-0288 §2.2).
    void bidi_ready(S2sIncoming& stream, const std::string& local, const std::string& remote);
    void link_closed(S2sOutgoing& link);
    void incoming_closed(S2sIncoming& stream);
    /// Closes every link (the server is stopping).
    void close_all();
    std::vector<S2sLinkInfo> links() const;

    /// A domain of this server or of one of its components (we answer for its keys).
    bool hosts(std::string_view domain) const;
    const std::string& secret() const noexcept { return secret_; }
    std::optional<S2sRoute> route_for(std::string_view domain) const;
    /// Where to connect for a domain without a static route: its SRV targets (direct TLS
    /// and STARTTLS ones ordered together), else the domain on 5269; empty: no service.
    boost::asio::awaitable<std::vector<net::S2sTarget>> targets_for(std::string domain);
    boost::asio::ssl::context& server_tls() noexcept { return server_tls_; }
    boost::asio::ssl::context& client_tls() noexcept { return client_tls_; }

private:
    struct Link {
        std::shared_ptr<S2sOutgoing> stream;
        std::deque<xml::Element> queue;  // waiting for the link to authenticate
    };
    using Pair = std::pair<std::string, std::string>;  // (local, remote)
    Link& link_for(const std::string& local, const std::string& remote, bool verify_only = false);
    /// Sends over an authenticated stream; what it refuses (closing) is bounced.
    void send_or_bounce(S2sStream& stream, const xml::Element& stanza, const std::string& remote);
    /// Answers a stanza that cannot reach its remote recipient (never an error).
    void bounce(const xml::Element& stanza, const StanzaError& why);
    void sweep();

    Server& server_;
    boost::asio::ssl::context& server_tls_;
    boost::asio::ssl::context& client_tls_;
    std::string secret_;
    std::map<std::string, S2sRoute, std::less<>> routes_;
    net::DnsResolver resolver_;
    std::map<Pair, Link> links_;
    std::vector<std::shared_ptr<S2sIncoming>> incoming_;
    std::map<Pair, std::shared_ptr<S2sIncoming>> bidi_;  // incoming streams serving a pair
    boost::asio::steady_timer sweeper_;
    bool stopping_ = false;
};

}  // namespace chorus::stream
