// S2sIncoming: a stream another server opened to us (RFC 6120 §4, receiving side of
// XEP-0220): STARTTLS, dialback results it asks us to check, dialback verifications it asks
// us (the authoritative server) to answer, then stanzas from the pairs it proved. When the
// initiator asked for bidirectionality (XEP-0288), our stanzas for those pairs go back over it.
#pragma once

#include <map>

#include "stream/s2s_rules.h"
#include "stream/s2s_stream.h"

namespace chorus::stream {

class S2sIncoming final : public S2sStream {
public:
    S2sIncoming(Server& server, S2sManager& manager, tcp::socket socket);
    void start();
    const AuthenticatedPairs& pairs() const noexcept { return pairs_; }
    /// How a (remote, local) pair was authenticated: "SASL EXTERNAL" or "dialback".
    std::string method_of(const std::pair<std::string, std::string>& pair) const
    {
        auto it = methods_.find(pair);
        return it == methods_.end() ? std::string() : it->second;
    }
    /// XEP-0288 §2.2: the stream may carry stanzas from local to remote (bidi, the pair
    /// (remote, local) proved, the stream open again after a SASL restart, not closing).
    bool carries(const std::string& local, const std::string& remote) const
    {
        return bidi_ && !restarting_ && !closing() && pairs_.contains({remote, local});
    }

private:
    boost::asio::awaitable<void> run();
    void on_stream_open(const xml::Element& header) override;
    void on_stanza(xml::Element stanza) override;
    void on_stream_close() override;
    void on_tls_ready() override {}
    void on_closed() override;
    void on_deadline() override;

    void send_features();
    bool external_possible() const;
    void handle_auth(const xml::Element& auth);
    void handle_result(const xml::Element& result);
    void handle_verify(const xml::Element& verify);
    void handle_stanza(xml::Element stanza);
    void handle_bidi();
    /// The pair was proved: on a bidi stream the manager may now route over it.
    void pair_ready(const std::string& remote, const std::string& local);

    AuthenticatedPairs pairs_;
    std::map<std::pair<std::string, std::string>, std::string> methods_;
    std::string local_;  // the header's 'to'
    bool version_1_ = false;
    bool bidi_offered_ = false;  // our features offered XEP-0288 on this connection
    bool restarting_ = false;    // SASL succeeded; the initiator's new header is due
};

}  // namespace chorus::stream
