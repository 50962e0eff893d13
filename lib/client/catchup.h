// CatchUp: the merge of live messages and MAM pages on every (re)connect (ROUTING.md
// "Client side"): every archived message is committed exactly once, by stanza-id, and the
// stored cursor only moves past a page once the page has been processed.
#pragma once

#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "client/chat_message.h"

namespace chorus::client {

/// What the caller stores, in one transaction: the messages in this order, then the cursor.
struct CommitBatch {
    std::vector<ChatMessage> messages;
    std::optional<std::string> cursor;  // the new "last stanza-id processed", if it moved
    bool resync = false;                // a live message had no stanza-id: ask the archive again
};

/// Pure state machine; no I/O. A catch-up starts with begin() after (re)binding, takes the
/// pages the caller fetched with after-id = cursor, and ends with finish() (or abort() when
/// the connection is lost). Live messages arriving meanwhile are held and deduplicated.
class CatchUp {
public:
    /// Whether a stanza-id is already in the caller's store.
    using Known = std::function<bool(std::string_view stanza_id)>;
    explicit CatchUp(Known known) : known_(std::move(known)) {}

    void begin();
    bool active() const noexcept { return active_; }
    /// A live IM message. While active it waits (at most once per stanza-id); otherwise it
    /// is committed unless known, and becomes the cursor.
    CommitBatch on_live(ChatMessage message);
    /// One processed MAM page, results in archive order; last_id is the page's RSM <last/>
    /// (the cursor afterwards, even when every result was already known).
    CommitBatch on_page(std::vector<ChatMessage> results, std::string_view last_id);
    /// The last page (<fin complete='true'/>) was processed: the held live messages that no
    /// page contained are newer than the archive's answer and follow it in arrival order.
    CommitBatch finish();
    /// The connection was lost mid catch-up: held messages are dropped (the archive has
    /// them; the next catch-up starts again from the stored cursor).
    void abort();
    std::size_t held() const noexcept { return held_.size(); }

private:
    bool take(const ChatMessage& m);  // not known and not committed yet: note it

    Known known_;
    bool active_ = false;
    std::deque<ChatMessage> held_;
    std::unordered_set<std::string> held_ids_;
    std::unordered_set<std::string> committed_;  // this catch-up and after, until begin()
};

}  // namespace chorus::client
