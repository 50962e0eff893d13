// Presence subscription state machine of RFC 6121 Appendix A (and §3.4 pre-approval), as a
// pure function: a state and a subscription stanza in, the new state and what to do out.
#pragma once

#include <cstdint>
#include <string_view>

#include "storage/roster.h"

namespace chorus::modules::roster {

/// The nine states of RFC 6121 Appendix A.1, from the user's side of one contact.
enum class SubState : std::uint8_t {
    none,         // "None"
    none_out,     // "None + Pending Out"
    none_in,      // "None + Pending In"
    none_out_in,  // "None + Pending Out/In"
    to,           // "To"
    to_in,        // "To + Pending In"
    from,         // "From"
    from_out,     // "From + Pending Out"
    both,         // "Both"
};

/// A subscription-related presence type (RFC 6121 §3).
enum class SubType : std::uint8_t { subscribe, subscribed, unsubscribe, unsubscribed };

/// Outbound: the user's session sent it (Appendix A.2). Inbound: the contact sent it to the
/// user (Appendix A.3).
enum class Direction : std::uint8_t { outbound, inbound };

/// A state with the pre-approval flag of §3.4 (only meaningful without 'from').
struct SubscriptionState {
    SubState state = SubState::none;
    bool approved = false;
    friend bool operator==(const SubscriptionState&, const SubscriptionState&) = default;
};

/// What the server does with one subscription stanza.
struct Transition {
    SubscriptionState next;
    /// Outbound: route the stanza to the contact. Inbound: deliver it to the user's
    /// available resources (or keep it for their next login, for a subscribe).
    bool forward = false;
    /// The roster item as a client sees it (subscription, ask, approved) changed: push it.
    bool push = false;
    /// Inbound subscribe answered by the server on the user's behalf with 'subscribed'
    /// (already subscribed, A.3.1; or pre-approved, §3.4).
    bool auto_subscribed = false;
    /// The user's current presence goes to the contact, who just got (or reconfirmed) a
    /// subscription to it (§3.1.5, §3.4).
    bool send_presence = false;
    /// The contact lost its subscription to the user: unavailable presence from each of the
    /// user's available resources goes to the contact (§3.2.2, §3.3.3).
    bool send_unavailable = false;
    friend bool operator==(const Transition&, const Transition&) = default;
};

/// Appendix A for one stanza. `preapproval` says whether the server supports §3.4.
Transition apply(Direction direction, SubType type, SubscriptionState current,
                 bool preapproval = true) noexcept;

/// The stored item's state (subscription, ask_out, pending_in, approved) and back.
SubscriptionState state_of(const storage::RosterItem& item) noexcept;
void set_state(storage::RosterItem& item, SubscriptionState state) noexcept;

/// Whether the user has a subscription to the contact's presence ("to" or "both") and the
/// contact to the user's ("from" or "both").
bool has_to(SubState s) noexcept;
bool has_from(SubState s) noexcept;

/// 'subscribe' -> SubType::subscribe, ...; false for any other presence type.
bool parse_sub_type(std::string_view type, SubType& out) noexcept;
std::string_view sub_type_name(SubType type) noexcept;

}  // namespace chorus::modules::roster
