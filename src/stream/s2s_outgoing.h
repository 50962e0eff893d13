// S2sOutgoing: a stream we open to another server for one (local, remote) domain pair
// (RFC 6120 §4, originating side of XEP-0220): resolve, connect, STARTTLS, dialback, then
// the manager sends stanzas over it. It also carries our <db:verify/> questions to the
// remote domain's authoritative server. With XEP-0288 (bidi) the peer's stanzas for the pair
// come back over it; a verification link (verify_only) carries only <db:verify/> questions.
#pragma once

#include <functional>
#include <vector>

#include "stanza/stanza_error.h"
#include "stream/s2s_stream.h"

namespace chorus::stream {

enum class VerifyOutcome { valid, invalid, error };
using VerifyCallback = std::function<void(VerifyOutcome)>;

class S2sOutgoing final : public S2sStream {
public:
    /// verify_only: the link only asks <db:verify/> questions and closes once they are
    /// answered, unless upgrade() makes it authenticate (stanzas wait for the pair).
    S2sOutgoing(Server& server, S2sManager& manager, std::string local, std::string remote,
                bool verify_only = false);
    void start();
    const std::string& local() const noexcept { return local_; }
    const std::string& remote() const noexcept { return remote_; }
    bool authenticated() const noexcept { return authenticated_; }
    /// "SASL EXTERNAL" or "dialback" once authenticated.
    const std::string& auth_method() const noexcept { return auth_method_; }
    /// Asks the remote (authoritative) server whether it made `key` for stream `id`.
    void verify(std::string id, std::string key, VerifyCallback done);
    /// Why the link ended (what queued stanzas are bounced with).
    const StanzaError& failure() const noexcept { return failure_; }
    bool verify_only() const noexcept { return verify_only_; }
    /// A verification link authenticates after all (it has answered its questions).
    void upgrade();

private:
    boost::asio::awaitable<void> run();
    void on_stream_open(const xml::Element& header) override;
    void on_stanza(xml::Element stanza) override;
    void on_stream_close() override;
    void on_tls_ready() override;
    void on_closed() override;
    void on_deadline() override;

    void authenticate();
    void request_bidi();
    void start_dialback();
    void open_for_verify();
    void handle_stanza(xml::Element stanza);
    static bool offers_external(const xml::Element& features);
    void link_up(std::string_view method);
    void send_verify(const std::string& id, const std::string& key);
    void give_up(StanzaError why);

    struct PendingVerify {
        std::string id, key;
        VerifyCallback done;
    };
    std::string local_, remote_;
    std::vector<PendingVerify> verifies_;
    bool verify_only_ = false;
    bool features_seen_ = false;  // the peer's features after TLS (or none: pre-1.0)
    bool peer_offers_bidi_ = false, peer_offers_external_ = false;
    bool verifies_open_ = false;  // <db:verify/> may be sent now
    bool dialback_started_ = false;
    bool authenticated_ = false;
    AuthenticatedPairs peer_pair_;  // (remote, local) once authenticated: what it may send us
    bool sasl_tried_ = false, sasl_succeeded_ = false;
    std::string auth_method_;
    StanzaError failure_ = StanzaError::remote_server_not_found();
};

}  // namespace chorus::stream
