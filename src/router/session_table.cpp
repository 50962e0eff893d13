// SessionTable: add/replace/remove bound sessions.
#include "router/session_table.h"

#include <algorithm>

namespace chorus::router {
namespace {
const std::vector<Session*> no_sessions;
}

Session* SessionTable::add(Session& s)
{
    auto& list = accounts_[std::string(s.jid().bare_view())];
    for (auto& existing : list) {
        if (existing->jid() == s.jid()) {
            Session* replaced = existing;
            existing = &s;
            return replaced;
        }
    }
    list.push_back(&s);
    ++count_;
    return nullptr;
}

void SessionTable::remove(const Session& s)
{
    auto it = accounts_.find(s.jid().bare_view());
    if (it == accounts_.end()) {
        return;
    }
    auto& list = it->second;
    auto pos = std::find(list.begin(), list.end(), &s);
    if (pos == list.end()) {
        return;
    }
    list.erase(pos);
    --count_;
    if (list.empty()) {
        accounts_.erase(it);
    }
}

const std::vector<Session*>& SessionTable::account(std::string_view bare) const
{
    auto it = accounts_.find(bare);
    return it == accounts_.end() ? no_sessions : it->second;
}

Session* SessionTable::find(const Jid& full) const
{
    for (Session* s : account(full.bare_view())) {
        if (s->jid() == full) {
            return s;
        }
    }
    return nullptr;
}

std::vector<Session*> SessionTable::all() const
{
    std::vector<Session*> out;
    out.reserve(count_);
    for (const auto& [bare, list] : accounts_) {
        out.insert(out.end(), list.begin(), list.end());
    }
    return out;
}

}  // namespace chorus::router
