// SessionTable: the bound sessions of every local account, by bare JID.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "router/session.h"

namespace chorus::router {

/// Bare JID -> that account's sessions, in bind order. Single-threaded (one I/O thread).
class SessionTable {
public:
    /// Adds a bound session; returns the session it replaces (same full JID), if any.
    Session* add(Session& s);
    /// Removes s if it is still the one bound to its JID.
    void remove(const Session& s);
    /// The sessions of an account (empty span when none).
    const std::vector<Session*>& account(std::string_view bare) const;
    Session* find(const Jid& full) const;
    std::size_t size() const noexcept { return count_; }
    /// Every session (for shutdown).
    std::vector<Session*> all() const;

    /// Heterogeneous string hash (lookups by string_view without a copy).
    struct StringHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept
        {
            return std::hash<std::string_view>{}(s);
        }
    };

private:
    std::unordered_map<std::string, std::vector<Session*>, StringHash, std::equal_to<>> accounts_;
    std::size_t count_ = 0;
};

}  // namespace chorus::router
