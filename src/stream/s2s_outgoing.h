// S2sOutgoing: a stream we open to another server for one (local, remote) domain pair
// (RFC 6120 §4, originating side of XEP-0220): resolve, connect, STARTTLS, dialback, then
// the manager sends stanzas over it. It also carries our <db:verify/> questions to the
// remote domain's authoritative server.
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "stanza/stanza_error.h"
#include "stream/s2s_stream.h"

namespace chorus::stream {

enum class VerifyOutcome { valid, invalid, error };
using VerifyCallback = std::function<void(VerifyOutcome)>;

class S2sOutgoing final : public S2sStream {
public:
    S2sOutgoing(Server& server, S2sManager& manager, std::string local, std::string remote);
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
    /// Sends a routed stanza over the authenticated link, kept until the socket took all
    /// of it; false when the link is closing (the caller bounces it).
    bool send(const xml::Element& stanza);
    /// Stanzas the socket never took (after the link closed), oldest first.
    std::deque<xml::Element> take_unwritten();
    std::size_t in_flight() const noexcept { return in_flight_.size(); }

private:
    boost::asio::awaitable<void> run();
    void on_stream_open(const xml::Element& header) override;
    void on_stanza(xml::Element stanza) override;
    void on_stream_close() override;
    void on_tls_ready() override;
    void on_closed() override;
    void on_written() override;
    void on_deadline() override;

    void start_dialback();
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
    std::deque<std::pair<std::uint64_t, xml::Element>> in_flight_;  // (end offset, stanza)
    bool dialback_started_ = false;
    bool authenticated_ = false;
    bool sasl_tried_ = false, sasl_succeeded_ = false;
    std::string auth_method_;
    StanzaError failure_ = StanzaError::remote_server_not_found();
};

}  // namespace chorus::stream
