// Who may ask for an account's last activity (XEP-0012 §4): pure, for the table test.
#pragma once

#include <optional>

#include "storage/roster.h"

namespace chorus::modules::last {

/// True when the requester may learn when the account was last online: it is the account
/// itself, or the account's roster item for it shares the account's presence with it
/// (subscription from or both, RFC 6121 §3), as presence itself would.
constexpr bool may_see_last_activity(bool own_account,
                                     const std::optional<storage::RosterItem>& item) noexcept
{
    if (own_account) {
        return true;
    }
    return item && (item->subscription == storage::Subscription::from ||
                    item->subscription == storage::Subscription::both);
}

}  // namespace chorus::modules::last
