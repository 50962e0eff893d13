// What an arriving <message/> means to an IM-NG client: ROUTING.md "Client side" and the
// XEP-0409 Security Considerations (a full-JID message with the marker is not IM).
#pragma once

#include <optional>
#include <string>

#include "client/chat_message.h"
#include "jid/jid.h"
#include "xml/element.h"

namespace chorus::client {

enum class MessageKind {
    im,           // part of the conversation: keep it (by its stanza-id)
    device_data,  // addressed to this device with the marker: device-to-device, never IM
    mam_result,   // a XEP-0313 <result/> from the own archive; the page it belongs to
    carbon,       // a XEP-0280 copy (fallback mode only), unwrapped
    transient,    // chat states and the like: nothing to keep
    error,        // type='error': an answer to something we sent
    ignored,      // spoofed wrappers, groupchat, foreign stanza-ids ...
};

/// One arriving message, classified; message is set for im, mam_result and carbon.
struct Classified {
    MessageKind kind = MessageKind::ignored;
    std::optional<ChatMessage> message;
    std::string queryid;  // mam_result: the query it answers
};

/// Classifies message (a <message/> stanza) as received by the session bound to self.
Classified classify_message(const xml::Element& message, const Jid& self);

/// The IM content of a plain (unwrapped) message: body, ids, direction. stanza_id is only
/// taken from a <stanza-id by=own bare JID/> (XEP-0359 §4: others may be forged).
std::optional<ChatMessage> read_chat(const xml::Element& message, const Jid& self);

/// A full-JID message carrying <im-ng xmlns='urn:xmpp:im-ng:0'/> (XEP-0409 §6, ROUTING.md R4).
bool is_device_data(const xml::Element& message);

}  // namespace chorus::client
