// ChatMessage: one IM message of the conversation as the client keeps it (XEP-0359 ids).
#pragma once

#include <string>

namespace chorus::client {

/// A message of the account's conversation with one contact.
struct ChatMessage {
    std::string stanza_id;  // XEP-0359 <stanza-id by=own bare JID/>: the archive's id
    std::string origin_id;  // XEP-0359 <origin-id/> the sending client chose, if any
    std::string peer;       // the contact's bare JID
    std::string from;       // the full 'from' as received
    std::string to;
    std::string body;
    std::string stamp;      // XEP-0082 time: the archive's XEP-0203 delay, else local
    bool outgoing = false;  // sent by one of the account's own devices

    friend bool operator==(const ChatMessage&, const ChatMessage&) = default;
};

}  // namespace chorus::client
