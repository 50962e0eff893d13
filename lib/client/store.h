// Store: one device's local state in SQLite (a profile directory holds one): the account
// settings, the conversation by stanza-id, the MAM cursor and the XEP-0198 state, so that a
// restarted client resumes where it stopped.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "client/catchup.h"
#include "client/chat_message.h"

struct sqlite3;

namespace chorus::client {

/// Keys of the settings table the library reads and writes.
namespace keys {
inline constexpr std::string_view cursor = "mam.cursor";      // last stanza-id processed
inline constexpr std::string_view sm_id = "sm.id";            // XEP-0198 resumption id
inline constexpr std::string_view sm_h = "sm.h";              // stanzas handled on it
inline constexpr std::string_view bound_jid = "session.jid";  // the full JID of sm.id
}  // namespace keys

class Store {
public:
    /// Opens or creates the database at path (WAL; the file is made private to the user).
    static Result<std::unique_ptr<Store>, std::string> open(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    std::optional<std::string> get(std::string_view key) const;
    bool set(std::string_view key, std::string_view value);
    bool erase(std::string_view key);

    bool has_message(std::string_view stanza_id) const;
    /// One transaction: the batch's messages (a stanza-id already stored is skipped; an
    /// own pending message with the same origin-id is replaced by the archived one), then
    /// the cursor, then extra settings (the SM counter), so a crash never splits them.
    bool commit(const CommitBatch& batch,
                const std::vector<std::pair<std::string, std::string>>& settings = {});
    /// An own message sent but not yet seen back with its stanza-id.
    bool add_pending(const ChatMessage& message);
    /// The conversation (with one contact, or all), in the order it was committed;
    /// pending messages only when asked for.
    std::vector<ChatMessage> history(std::optional<std::string_view> peer,
                                     bool with_pending = false) const;
    std::size_t message_count() const;

private:
    explicit Store(sqlite3* db) : db_(db) {}
    bool exec(const char* sql) const;
    bool insert(const ChatMessage& m);
    sqlite3* db_;
};

}  // namespace chorus::client
