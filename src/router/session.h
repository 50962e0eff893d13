// Session: what the router and modules see of a bound client session (c2s or a test fake).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jid/jid.h"
#include "xml/element.h"

namespace chorus::router {

/// Serialized stanza bytes shared by every recipient of one fan-out.
using SharedBytes = std::shared_ptr<const std::string>;

/// Per-session routing flags (ROUTING.md "Terms").
struct SessionFlags {
    bool imng = false;        // sent <enable xmlns='urn:xmpp:im-ng:0'/>
    bool carbons = false;     // XEP-0280 enabled
    bool available = false;   // sent initial presence (RFC 6121 §4.2)
    bool interested = false;  // requested the roster (RFC 6121 §2.1.3)
    int priority = 0;         // of the last broadcast presence
};

class CommitGate;

/// A bound session. Lives on the I/O thread; never touched from elsewhere.
class Session {
public:
    Session() = default;
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;
    virtual ~Session();
    /// The bound full JID.
    virtual const Jid& jid() const noexcept = 0;
    virtual SessionFlags& flags() noexcept = 0;
    const SessionFlags& flags() const noexcept { return const_cast<Session*>(this)->flags(); }
    bool imng() const noexcept { return flags().imng; }
    /// Queues bytes of one stanza (already serialized in the jabber:client namespace): at
    /// once, or behind copies held for the archive, so a session's stanzas leave in the
    /// order they were routed (RFC 6120 §10.1).
    void send_bytes(SharedBytes bytes);
    /// Queues a copy carrying archive entry `id`'s stanza-id: it leaves once the entry is
    /// committed and never if its batch was lost (DESIGN.md "archive before delivery").
    void send_bytes_after(CommitGate& gate, std::int64_t id, SharedBytes bytes);
    /// Serializes and queues one stanza.
    void send(const xml::Element& stanza);
    /// Queues stream-level bytes (not a stanza: XEP-0198 does not count them) behind the
    /// held copies; with an id, they also wait for that archive entry, and leave even if its
    /// batch was lost (an <a/> answers for stanzas handled either way).
    void send_control(SharedBytes bytes, CommitGate* gate = nullptr, std::int64_t id = 0);
    /// Takes over the held copies of `from` (XEP-0198 resumption: this session continues
    /// it), after the ones held here.
    void take_held(Session& from);
    /// Copies waiting for the archive, and their bytes (they count as unsent data).
    std::size_t held() const noexcept { return held_ ? held_->size() - held_head_ : 0; }
    std::size_t held_bytes() const noexcept { return held_bytes_; }
    /// Ends the stream with a stream error (e.g. <conflict/> when replaced).
    virtual void close_with(std::string serialized_stream_error) = 0;
    /// Monotonic per-process id: distinguishes a replaced session from its successor.
    virtual std::uint64_t id() const noexcept = 0;

protected:
    /// Puts bytes on the wire queue (the session's own order is already decided).
    virtual void write_bytes(SharedBytes bytes) = 0;
    /// Puts stream-level bytes on the wire queue (send_control); as a stanza by default.
    virtual void write_control(SharedBytes bytes) { write_bytes(std::move(bytes)); }
    /// Frees the held queue's buffer when nothing waits (idle sessions keep no buffer).
    void trim_held() noexcept;
    /// Drops every held copy (a session cut off for unread data).
    void drop_held() noexcept;
    /// held_bytes() grew or shrank: a session applies its write limits (backpressure).
    virtual void held_changed() {}

private:
    friend class CommitGate;
    /// Writes the held copies the gate has settled, in order; true when none is left.
    bool release_held();

    struct Held {
        std::int64_t id;  // 0: not archived, only queued behind the ones before it
        SharedBytes bytes;
        bool control = false;  // send_control: written even if the entry was lost
    };
    void hold(CommitGate& gate, Held h);
    CommitGate* gate_ = nullptr;  // set while copies are held
    std::unique_ptr<std::vector<Held>> held_;
    std::size_t held_head_ = 0;
    std::size_t held_bytes_ = 0;
};

}  // namespace chorus::router
