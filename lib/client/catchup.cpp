// The catch-up merge (ROUTING.md "Client side": no gap, no duplicate).
#include "client/catchup.h"

namespace chorus::client {

void CatchUp::begin()
{
    active_ = true;
    held_.clear();
    held_ids_.clear();
    committed_.clear();
}

bool CatchUp::take(const ChatMessage& m)
{
    if (committed_.contains(m.stanza_id) || (known_ && known_(m.stanza_id))) {
        return false;
    }
    committed_.insert(m.stanza_id);
    return true;
}

CommitBatch CatchUp::on_live(ChatMessage message)
{
    CommitBatch out;
    if (message.stanza_id.empty()) {
        // Not from the own archive (a server without XEP-0359 here, or a sent carbon):
        // the archive's copy, with its id, is what gets kept.
        out.resync = true;
        return out;
    }
    if (active_) {
        if (held_ids_.insert(message.stanza_id).second) {
            held_.push_back(std::move(message));
        }
        return out;
    }
    if (take(message)) {
        out.cursor = message.stanza_id;
        out.messages.push_back(std::move(message));
    }
    return out;
}

CommitBatch CatchUp::on_page(std::vector<ChatMessage> results, std::string_view last_id)
{
    CommitBatch out;
    for (auto& m : results) {
        if (!m.stanza_id.empty() && take(m)) {
            out.messages.push_back(std::move(m));
        }
    }
    if (!last_id.empty()) {
        out.cursor = std::string(last_id);
    }
    return out;
}

CommitBatch CatchUp::finish()
{
    CommitBatch out;
    for (auto& m : held_) {
        if (take(m)) {
            out.cursor = m.stanza_id;
            out.messages.push_back(std::move(m));
        }
    }
    held_.clear();
    held_ids_.clear();
    active_ = false;
    return out;
}

void CatchUp::abort()
{
    held_.clear();
    held_ids_.clear();
    active_ = false;
}

}  // namespace chorus::client
