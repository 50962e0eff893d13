// Session: what the router and modules see of a bound client session (c2s or a test fake).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "jid/jid.h"
#include "xml/element.h"

namespace chorus::router {

/// Serialized stanza bytes shared by every recipient of one fan-out.
using SharedBytes = std::shared_ptr<const std::string>;

/// Per-session routing flags (ROUTING.md "Terms").
struct SessionFlags {
    bool imng = false;          // sent <enable xmlns='urn:xmpp:im-ng:0'/>
    bool carbons = false;       // XEP-0280 enabled
    bool available = false;     // sent initial presence (RFC 6121 §4.2)
    bool interested = false;    // requested the roster (RFC 6121 §2.1.3)
    int priority = 0;           // of the last broadcast presence
};

/// A bound session. Lives on the I/O thread; never touched from elsewhere.
class Session {
public:
    virtual ~Session() = default;
    /// The bound full JID.
    virtual const Jid& jid() const noexcept = 0;
    virtual SessionFlags& flags() noexcept = 0;
    const SessionFlags& flags() const noexcept { return const_cast<Session*>(this)->flags(); }
    bool imng() const noexcept { return flags().imng; }
    /// Queues bytes of one stanza (already serialized in the jabber:client namespace).
    virtual void send_bytes(SharedBytes bytes) = 0;
    /// Serializes and queues one stanza.
    virtual void send(const xml::Element& stanza) = 0;
    /// Ends the stream with a stream error (e.g. <conflict/> when replaced).
    virtual void close_with(std::string serialized_stream_error) = 0;
    /// Monotonic per-process id: distinguishes a replaced session from its successor.
    virtual std::uint64_t id() const noexcept = 0;
};

}  // namespace chorus::router
