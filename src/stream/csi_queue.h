// CsiQueue: XEP-0352 Client State Indication on the server: while a client says it is
// inactive, what it does not need at once (presence updates, chat states) waits here and
// leaves, in order, with the next stanza that matters (a message with a body, an IQ, ...).
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "router/session.h"

namespace chorus::stream {

/// What an inactive client's stanza is to CSI.
enum class CsiKind {
    urgent,     // leaves at once, after everything held (order is kept)
    presence,   // held; a newer one from the same sender replaces it (XEP-0352 §6)
    chat_state  // held (XEP-0085 notifications without a body)
};

/// Classifies serialized stanza bytes as the session writes them (jabber:client, no prefix).
CsiKind csi_kind(std::string_view stanza) noexcept;

class CsiQueue {
public:
    /// Held stanzas beyond which the queue flushes anyway: a client that never comes back
    /// must not make the server hold without bound.
    static constexpr std::size_t max_held = 256;

    /// Holds bytes of a presence or chat state; false when they must be written now
    /// (urgent, or the queue is full): then take() what is held first.
    bool hold(router::SharedBytes& bytes);
    /// Everything held, oldest first; the queue is empty afterwards.
    std::vector<router::SharedBytes> take();
    bool empty() const noexcept { return held_.empty(); }
    std::size_t size() const noexcept { return held_.size(); }

private:
    std::vector<router::SharedBytes> held_;
};

}  // namespace chorus::stream
