// PepModule: XEP-0163 Personal Eventing on every account's bare JID, over the pubsub engine,
// with what is stored on PEP: XEP-0049 private XML and XEP-0402/0411 bookmarks
// (private_storage.cpp), XEP-0084/0153 avatar hashes in presence.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "jid/jid.h"
#include "modules/module.h"
#include "modules/pep/caps.h"
#include "modules/pubsub/engine.h"
#include "modules/pubsub/pubsub_iq.h"
#include "storage/pubsub.h"
#include "storage/roster.h"
#include "storage/vcards.h"

namespace chorus {
class Server;
}

namespace chorus::modules::pep {

/// Outstanding caps queries at most; beyond it the oldest is forgotten (its entities keep
/// an empty notify set until their next presence).
inline constexpr std::size_t max_pending_caps_queries = 1024;

class PepModule {
public:
    explicit PepModule(Server& server);

    pubsub::Engine& engine() noexcept { return engine_; }

    /// <pubsub/> and <pubsub xmlns='#owner'/> addressed to an account.
    IqResult on_pubsub_iq(IqRequest& r, bool is_set);
    /// Sends the events and the last item an IQ outcome asks for.
    void deliver(const Jid& service, pubsub::IqOutcome& outcome);
    /// XEP-0163 §4.3: an event to explicit subscribers and to every entity whose presence
    /// the account has and whose caps ask for the node, each once, as a headline.
    void notify(const Jid& service, const pubsub::Event& event);

    // Presence tracking (pep_recipients.cpp)
    /// hooks.presence_in: an entity's presence reaches the account (its own resources too).
    Verdict on_presence_in(const Jid& to, xml::Element& presence);
    /// hooks.iq_response: a disco#info answer to a caps query.
    void on_iq_response(const xml::Element& iq);
    void on_account_deleting(const Jid& account);
    /// disco#items of an account: its nodes as the requester may see them.
    std::vector<xml::Element> account_items(const Jid& account, const Jid& requester);

    // XEP-0049 / XEP-0411 (private_storage.cpp)
    IqResult on_private_iq(IqRequest& r, bool is_set);
    /// hooks.stanza_out: a vCard set with a PHOTO publishes it as the XEP-0084 avatar (XEP-0398).
    Verdict on_stanza_out(router::Session& session, xml::Element& stanza);
    /// XEP-0398: the account's XEP-0084 avatar becomes its vCard PHOTO.
    void avatar_to_vcard(const Jid& owner);
    /// hooks.presence_out: XEP-0153 photo hash of the XEP-0084 avatar in the user's presence.
    Verdict on_presence_out(router::Session& session, xml::Element& presence);

private:
    struct Recipient {
        std::string ver;                          // caps ver ("" when the presence had none)
        std::shared_ptr<const NotifySet> notify;  // nullptr while the caps are asked for
    };
    struct PendingQuery {
        std::string ver;
        std::vector<std::pair<std::string, std::string>> waiting;  // (account, full JID)
    };

    pubsub::Relation relation(std::string_view service, const Jid& requester);
    /// XEP-0163 §4.3.3 / §6.1.7: the last item of every node the recipient's caps ask for.
    void send_last_items(const Jid& service, const Jid& to, const NotifySet& nodes);
    void send_last_item(const Jid& service, std::string_view node, const Jid& to);
    void send_event(const Jid& service, const std::string& to, const xml::Element& event);
    /// XEP-0411: the XEP-0048 <storage/> made of the XEP-0402 items.
    xml::Element legacy_bookmarks(const Jid& owner);
    std::optional<StanzaError> store_legacy_bookmarks(const Jid& owner,
                                                      const xml::Element& storage);
    void ask_caps(const std::string& account, const Jid& entity, const xml::Element& c);

    Server& server_;
    storage::Roster& roster_;
    storage::PrivateXml& private_;
    storage::Vcards& vcards_;
    pubsub::Engine engine_;
    CapsCache caps_;
    /// Per account: the full JIDs whose available presence it has, with their caps.
    std::unordered_map<std::string, std::map<std::string, Recipient, std::less<>>> recipients_;
    /// disco#info queries in flight, by IQ id.
    std::map<std::string, PendingQuery> pending_;
    std::unordered_map<std::string, std::string> pending_by_ver_;  // ver -> IQ id
};

}  // namespace chorus::modules::pep
