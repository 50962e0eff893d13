// FakeSession: a router::Session that records what it was sent, for routing tests.
#pragma once

#include <string>
#include <vector>

#include "router/session.h"
#include "stanza/stanza_bytes.h"

namespace chorus::router::testing {

class FakeSession final : public Session {
public:
    FakeSession(std::string full_jid, SessionFlags flags)
        : jid_(*Jid::parse(full_jid)), flags_(flags), id_(++counter())
    {
    }
    const Jid& jid() const noexcept override { return jid_; }
    SessionFlags& flags() noexcept override { return flags_; }
    void close_with(std::string e) override { closed_with = std::move(e); }
    std::uint64_t id() const noexcept override { return id_; }

    using Session::trim_held;

    std::vector<std::string> sent;
    std::string closed_with;

protected:
    void write_bytes(SharedBytes bytes) override { sent.push_back(*bytes); }

private:
    static std::uint64_t& counter()
    {
        static std::uint64_t c = 0;
        return c;
    }
    Jid jid_;
    SessionFlags flags_;
    std::uint64_t id_;
};

/// Flags shorthands: an IM-NG device, a legacy device with Carbons, a plain legacy device.
inline SessionFlags imng(int priority = 0)
{
    return {.imng = true, .carbons = false, .available = true, .interested = true, .priority = priority};
}
inline SessionFlags carbons(int priority = 0)
{
    return {.imng = false, .carbons = true, .available = true, .interested = true, .priority = priority};
}
inline SessionFlags legacy(int priority = 0, bool available = true)
{
    return {.imng = false, .carbons = false, .available = available, .interested = true,
            .priority = priority};
}

}  // namespace chorus::router::testing
