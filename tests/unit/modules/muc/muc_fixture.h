// A started server with the MUC module, three accounts and helpers to make a room, for the
// MUC module tests (room configuration, requests, archive outcomes).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "../module_test_server.h"

namespace chorus::testing {

using FakeSession = router::testing::FakeSession;

inline std::size_t count(const FakeSession& s, std::string_view needle)
{
    std::size_t n = 0;
    for (const auto& b : s.sent) {
        n += b.find(needle) != std::string::npos;
    }
    return n;
}

inline constexpr std::string_view tea = "tea@conference.localhost";

inline std::string join_tea(std::string_view nick, std::string_view extra = "")
{
    return "<presence to='tea@conference.localhost/" + std::string(nick) +
           "'><x xmlns='http://jabber.org/protocol/muc'>" + std::string(extra) + "</x></presence>";
}

/// A submitted muc#roomconfig form with these <field/> elements.
inline std::string configure_tea(std::string_view fields, std::string_view id = "cfg")
{
    return "<iq type='set' id='" + std::string(id) +
           "' to='tea@conference.localhost'><query "
           "xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
           "type='submit'>" +
           std::string(fields) + "</x></query></iq>";
}

inline std::string field(std::string_view var, std::initializer_list<std::string_view> values)
{
    std::string f = "<field var='" + std::string(var) + "'>";
    for (auto v : values) {
        f += "<value>" + std::string(v) + "</value>";
    }
    return f + "</field>";
}

class MucFixture : public ::testing::Test {
protected:
    explicit MucFixture(Config config = {}) : t(std::move(config))
    {
        for (auto u : {"juliet", "romeo", "nurse"}) {
            t.add_account(std::string(u) + "@localhost");
        }
    }
    /// juliet/laptop creates tea (configured with `fields`) and stays as its owner.
    FakeSession& create_room(std::string_view fields = "")
    {
        auto& owner = t.bind("juliet@localhost/laptop", router::testing::legacy());
        t.send(owner, join_tea("Juliet"));
        EXPECT_EQ(count(owner, "code='201'"), 1u);
        t.send(owner, configure_tea(fields));
        EXPECT_EQ(count(owner, "id='cfg' type='result'") + count(owner, "type='result' id='cfg'"),
                  1u);
        owner.sent.clear();
        return owner;
    }
    ModuleTestServer t;
};

}  // namespace chorus::testing
