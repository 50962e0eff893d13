// Client: an IM-NG device (ROUTING.md "Client side"): IM-NG right after bind when offered,
// never Carbons on that session; IM to bare JIDs; the marker only for device data; a MAM
// catch-up after the stored cursor on every (re)connect, merged with live messages by
// stanza-id (CatchUp). Without IM-NG on the server: Carbons + MAM, and it says so.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "client/account.h"
#include "client/catchup.h"
#include "client/connection.h"
#include "client/store.h"

namespace chorus::client {

enum class Mode { imng, fallback };

/// One connected resource of the account, as this device sees it.
struct Device {
    std::string jid;
    bool self = false;
    std::optional<bool> imng;  // from its disco#info (nullopt: it did not say)
};

struct ConnectOptions {
    bool presence = false;  // send initial presence (RFC 6121 §4.2)
    int priority = 0;
};

class Client {
public:
    using Duration = std::chrono::milliseconds;
    Client(asio::io_context& io, Store& store, Account account);

    /// Connects (resuming the stored XEP-0198 session when it still exists), sets up the
    /// routing mode and catches up from MAM.
    asio::awaitable<Result<void, ClientError>> connect(ConnectOptions options);
    /// Asks the archive for everything after the cursor (ROUTING.md "Client side").
    asio::awaitable<Result<void, ClientError>> catch_up();
    /// Sends an IM to to's bare JID and waits until the archive's copy (with its stanza-id)
    /// is stored: the reflection under IM-NG, a MAM catch-up in fallback mode.
    asio::awaitable<Result<ChatMessage, ClientError>> send_chat(const Jid& to, std::string body);
    /// Device-to-device data: a marked message to one full JID (XEP-0409 §4.2).
    void send_device_data(const Jid& to, std::string body);
    /// Handles live traffic for up to `d`; an error when the connection is lost.
    asio::awaitable<Result<void, ClientError>> run_for(Duration d);
    /// RFC 6121 §2.1.3: the roster (bare JID -> subscription), empty when refused.
    asio::awaitable<std::map<std::string, std::string>> roster();
    /// RFC 6121 §2.3 + §3.1: adds a contact and asks for their presence.
    asio::awaitable<Result<void, ClientError>> add_contact(const Jid& contact);
    /// The account's connected resources that are available, with their IM-NG flag.
    asio::awaitable<std::vector<Device>> devices();
    asio::awaitable<void> close();
    /// Drops the connection without ending the stream (the server keeps it for resumption).
    void abort();

    /// connect(), run, and on loss reconnect with exponential back-off (1 s .. 60 s, with
    /// jitter) until `until`; stops on errors a retry cannot fix (auth, certificate).
    asio::awaitable<Result<void, ClientError>> watch(ConnectOptions options,
                                                     std::chrono::steady_clock::time_point until,
                                                     std::function<bool()> stop);

    Mode mode() const noexcept { return mode_; }
    const std::string& mode_reason() const noexcept { return mode_reason_; }
    const Negotiated& negotiated() const noexcept { return negotiated_; }
    bool connected() const noexcept { return conn_ && !conn_->closed(); }
    /// Called for each message committed to the store (new to this device).
    std::function<void(const ChatMessage&)> on_message;
    /// Called for device-to-device data (never stored as IM).
    std::function<void(const xml::Element&)> on_device_data;
    /// Progress notes for people ("resumed", "fallback: ...").
    std::function<void(const std::string&)> on_note;

private:
    asio::awaitable<std::optional<xml::Element>> request(xml::Element iq, Duration timeout);
    asio::awaitable<bool> pump(Duration timeout);  // one stanza; false when closed
    asio::awaitable<Result<void, ClientError>> setup_routing();
    void dispatch(xml::Element stanza);
    void on_iq(const xml::Element& iq);
    void commit(CommitBatch batch);
    void note(const std::string& text);
    std::string next_id();

    asio::io_context& io_;
    Store& store_;
    Account account_;
    std::shared_ptr<Connection> conn_;
    Negotiated negotiated_;
    CatchUp catchup_;
    Mode mode_ = Mode::fallback;
    std::string mode_reason_;
    std::map<std::string, std::optional<xml::Element>> waiting_;  // iq id -> answer
    std::string query_id_;
    std::vector<ChatMessage> page_;
    std::map<std::string, bool> presences_;  // own full JID -> available
    std::string awaited_origin_;
    std::optional<ChatMessage> awaited_;
    bool resync_ = false;
    bool presence_sent_ = false;
    unsigned counter_ = 0;
};

}  // namespace chorus::client
