// Hooks: typed event chains with named phases through which modules see stanzas and sessions.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/check.h"
#include "jid/jid.h"
#include "modules/module.h"
#include "router/session.h"
#include "xml/element.h"

namespace chorus {

/// A chain of handlers of one signature, run by phase, then in registration order.
template <typename Signature>
class HookChain;

template <typename R, typename... Args>
class HookChain<R(Args...)> {
public:
    using Fn = std::function<R(Args...)>;
    std::uint64_t add(modules::Phase phase, Fn fn)
    {
        const auto token = ++next_token_;
        auto pos = std::find_if(entries_.begin(), entries_.end(),
                                [&](const Entry& e) { return e.phase > phase; });
        entries_.insert(pos, Entry{phase, std::move(fn), token});
        return token;
    }
    void remove(std::uint64_t token)
    {
        std::erase_if(entries_, [&](const Entry& e) { return e.token == token; });
    }
    bool empty() const noexcept { return entries_.empty(); }

    /// For Verdict chains: stops at the first stop. For void chains: runs all.
    R run(Args... args) const
    {
        if constexpr (std::is_same_v<R, modules::Verdict>) {
            for (const auto& e : entries_) {
                if (e.fn(args...) == modules::Verdict::stop) {
                    return modules::Verdict::stop;
                }
            }
            return modules::Verdict::pass;
        } else {
            for (const auto& e : entries_) {
                e.fn(args...);
            }
        }
    }

private:
    struct Entry {
        modules::Phase phase;
        Fn fn;
        std::uint64_t token;
    };
    std::vector<Entry> entries_;
    std::uint64_t next_token_ = 0;
};

/// Where an archived message sits in its owner's archive: its XEP-0359 stanza-id, unique
/// and stable. Held inline, as one is made for every archived message.
class ArchiveRef {
public:
    static constexpr std::size_t capacity = 40;
    /// seq: the entry's place in the archive's append order (CommitGate waits for it).
    ArchiveRef(std::string_view id, std::int64_t seq)
        : seq_(seq), size_(static_cast<std::uint8_t>(id.size()))
    {
        CHORUS_CHECK(id.size() <= capacity);
        std::copy(id.begin(), id.end(), chars_.begin());
    }
    std::string_view id() const noexcept { return {chars_.data(), size_}; }
    std::int64_t seq() const noexcept { return seq_; }

private:
    std::int64_t seq_;
    std::array<char, capacity> chars_;
    std::uint8_t size_;
};

/// Every hook the server offers. Modules add to them through their ModuleContext.
struct Hooks {
    using Session = router::Session;
    using Element = xml::Element;
    /// Any stanza a local session sends, before routing (blocking, rate limits).
    HookChain<modules::Verdict(Session&, Element&)> stanza_out;
    /// Any stanza for a local account (bare JID given) from another entity, before delivery.
    HookChain<modules::Verdict(const Jid&, Element&)> stanza_in;
    /// Presence sent by a local session (RFC 6121 §3, §4): the presence module owns it.
    HookChain<modules::Verdict(Session&, Element&)> presence_out;
    /// Presence for a local account or one of its resources.
    HookChain<modules::Verdict(const Jid&, Element&)> presence_in;
    HookChain<void(Session&)> session_bound;
    /// A result or error IQ for the server or an account: the answer to a request the
    /// server sent (pep's caps queries, XEP-0115); whoever sent the request recognises its id.
    HookChain<void(const Element& iq)> iq_response;
    /// A session ended (any reason); runs before it leaves the session table.
    HookChain<void(Session&)> session_closed;
    /// An account is about to be deleted with all its data, its sessions still open: modules
    /// finish the writes they queued for it and forget what they keep of it in memory.
    HookChain<void(const Jid& account)> account_deleting;
    /// The server is stopping, every stream still open: services say goodbye (a room's
    /// occupants get unavailable presence with XEP-0045 status 332) before streams close.
    HookChain<void()> server_stopping;
    /// A session sent its first available presence with this priority.
    HookChain<void(Session&)> initial_presence;
    /// Stream features after authentication (bind is added by the stream itself).
    HookChain<void(std::vector<Element>&)> stream_features;
    /// Stream features offered before authentication, next to the SASL mechanisms.
    HookChain<void(std::vector<Element>&)> preauth_features;
    /// Answers an IQ sent before authentication on a stream for `domain` (XEP-0077
    /// registration); nullopt: not handled, the stream demands authentication.
    std::function<std::optional<Element>(std::string_view domain, const Element& iq)> preauth_iq;

    /// Archives a message (serialized in jabber:client, without our stanza-id) in owner's
    /// archive; `with_bare` is the other party's bare JID. The entry is committed later: its
    /// copies go through the router's CommitGate. Returns the new stanza-id, or nullopt
    /// when the owner's preferences keep it out (legacy-only accounts; ROUTING.md "Archive rules").
    /// Set by the MAM module.
    std::function<std::optional<ArchiveRef>(const Jid& owner, std::string_view with_bare,
                                            std::string_view message, bool outgoing,
                                            bool reaches_imng)>
        archive;
    /// Stores a message for an account with no session to take it (XEP-0160); false when
    /// refused (quota), so the router bounces it. Set by the offline module.
    std::function<bool(const Jid& owner, const Element& message)> store_offline;
    /// Whether account `owner` has a device that enabled XEP-0409 IM-NG (it catches up from
    /// MAM, so a message archived for it is not lost when offline storage refuses it). Set
    /// by the IM-NG module.
    std::function<bool(const Jid& owner)> has_imng_device;
    /// Whether account `owner` (bare JID) blocks `from` (XEP-0191), for services that
    /// deliver without the stanza_in chain (a room's fan-out). Set by the blocking module.
    std::function<bool(std::string_view owner, const Jid& from)> blocks;
};

}  // namespace chorus
