// Message archive storage interface (XEP-0313): append in batches, query with RSM paging.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::storage {

/// One archived message; id orders the archive (and is the stanza-id's value).
struct ArchivedMessage {
    std::int64_t id = 0;
    std::string owner;  // bare JID
    std::string with;   // the other party's bare JID
    std::int64_t stamp_us = 0;
    bool outgoing = false;
    std::string stanza;  // serialized in jabber:client, without our stanza-id
};

/// What append() stores; the views need to live only for the call.
struct ArchiveEntry {
    std::int64_t id = 0;
    std::string_view owner;  // bare JID
    std::string_view with;   // the other party's bare JID
    std::int64_t stamp_us = 0;
    bool outgoing = false;
    std::string_view stanza;  // serialized in jabber:client, without our stanza-id
};

struct ArchiveQuery {
    std::string owner;
    std::optional<std::string> with;
    std::optional<std::int64_t> start_us, end_us;     // inclusive
    std::optional<std::int64_t> after_id, before_id;  // exclusive
    std::vector<std::int64_t> ids;                    // when set: exactly these
    std::size_t max = 50;
    bool from_end = false;  // RSM <before/>: the page ending at the newest match
};

struct ArchivePage {
    std::vector<ArchivedMessage> items;  // chronological
    bool complete = false;  // the page reaches the end of the set in the paging direction
    std::size_t count = 0;  // matches of the whole query without paging (RSM <count/>)
    std::size_t first_index = 0;
};

enum class ArchiveDefault { always, never, roster };
struct ArchivePrefs {
    ArchiveDefault default_mode = ArchiveDefault::always;
    std::vector<std::string> always, never;  // bare JIDs
};

class Archive {
public:
    /// What commit() did: every entry appended with an id up to through_id is durable, or
    /// (committed == false) refused with its batch.
    struct CommitReport {
        std::int64_t through_id = 0;
        bool committed = false;
    };

    virtual ~Archive() = default;
    /// Queues a message for the batching writer; it is durable after the next group commit
    /// and visible to every query made after this call returns. Entries with the same
    /// stanza (one message in the sender's and the recipient's archive) may share storage.
    /// Ids must grow from one append to the next.
    virtual void append(const ArchiveEntry& entry) = 0;
    /// The group commit: makes every entry appended so far durable (per the configured
    /// durability) and returns the oldest report not returned yet (a query may have made a
    /// commit too): call it until nullopt. Called by the appending thread, once per turn of
    /// its event loop.
    virtual std::optional<CommitReport> commit() = 0;
    virtual ArchivePage query(const ArchiveQuery& q) = 0;
    virtual bool contains(std::string_view owner, std::int64_t id) = 0;
    /// The largest id ever stored (ids continue after it on restart).
    virtual std::int64_t max_id() = 0;
    /// Oldest and newest of an owner's archive (XEP-0313 metadata); nullopt when empty.
    virtual std::optional<std::pair<ArchivedMessage, ArchivedMessage>> bounds(
        std::string_view owner) = 0;
    virtual std::optional<ArchivePrefs> prefs(std::string_view owner) = 0;
    virtual void set_prefs(std::string_view owner, const ArchivePrefs& prefs) = 0;
    /// Waits until everything appended so far is in the queryable store (appending thread).
    virtual void flush() = 0;
    /// Messages appended but not yet committed: how far the writer is behind.
    virtual std::size_t backlog() = 0;
};

}  // namespace chorus::storage
