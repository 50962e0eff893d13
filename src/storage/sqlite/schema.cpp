// The SQLite schema as an ordered list of migrations, applied by Database (database.cpp).
#include "storage/sqlite/database.h"

namespace chorus::storage::sqlite {
namespace {

// PRAGMA user_version counts the entries applied. To change the schema, append one string;
// never edit or reorder an entry that has shipped, as existing databases already ran it.
constexpr std::string_view migrations[] = {
    // 1: accounts with SCRAM-SHA-1 and SCRAM-SHA-256 secrets (RFC 5802, RFC 7677).
    R"sql(
CREATE TABLE accounts (
    node TEXT NOT NULL,
    domain TEXT NOT NULL,
    sha1_salt BLOB NOT NULL,
    sha1_iter INTEGER NOT NULL,
    sha1_stored BLOB NOT NULL,
    sha1_server BLOB NOT NULL,
    sha256_salt BLOB NOT NULL,
    sha256_iter INTEGER NOT NULL,
    sha256_stored BLOB NOT NULL,
    sha256_server BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (node, domain)
) WITHOUT ROWID;
)sql",
    // 2: rosters (RFC 6121 §2-3); groups newline-separated with '\' escapes
    // (sqlite_roster.cpp); request_only rows hold an inbound request only (§3.1.3);
    // versions per owner (§2.6).
    R"sql(
CREATE TABLE roster_items (
    owner TEXT NOT NULL,
    contact TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    subscription TEXT NOT NULL DEFAULT 'none',
    ask_out INTEGER NOT NULL DEFAULT 0,
    pending_in INTEGER NOT NULL DEFAULT 0,
    approved INTEGER NOT NULL DEFAULT 0,
    request_only INTEGER NOT NULL DEFAULT 0,
    groups TEXT NOT NULL DEFAULT '',
    pending_stanza TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (owner, contact)
) WITHOUT ROWID;
CREATE TABLE roster_versions (
    owner TEXT PRIMARY KEY,
    version INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 3: offline messages (XEP-0160), oldest first per owner; stamp in microseconds since
    // the epoch, indexed so expiry (offline_max_age_days) need not scan every queue.
    R"sql(
CREATE TABLE offline_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    stamp INTEGER NOT NULL,
    stanza TEXT NOT NULL
);
CREATE INDEX offline_by_owner ON offline_messages (owner, id);
CREATE INDEX offline_by_stamp ON offline_messages (stamp);
)sql",
    // 4: block lists (XEP-0191), vCards (XEP-0054), last activity (XEP-0012; stamp in
    // microseconds since the epoch).
    R"sql(
CREATE TABLE blocklist (
    owner TEXT NOT NULL,
    jid TEXT NOT NULL,
    PRIMARY KEY (owner, jid)
) WITHOUT ROWID;
CREATE TABLE vcards (
    owner TEXT PRIMARY KEY,
    vcard TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE last_activity (
    owner TEXT PRIMARY KEY,
    stamp INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
)sql",
    // 5: message archive (XEP-0313): id is the stanza-id's number, in time order.
    R"sql(
CREATE TABLE archive (
    id INTEGER PRIMARY KEY,
    owner TEXT NOT NULL,
    with_jid TEXT NOT NULL,
    stamp INTEGER NOT NULL,
    outgoing INTEGER NOT NULL,
    stanza TEXT NOT NULL
);
CREATE INDEX archive_by_owner ON archive (owner, id);
CREATE INDEX archive_by_with ON archive (owner, with_jid, id);
CREATE TABLE mam_prefs (
    owner TEXT PRIMARY KEY,
    default_mode TEXT NOT NULL,
    always TEXT NOT NULL DEFAULT '',
    never TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
)sql",
    // 6: the archive keyed by integers and clustered by owner; one body per message, shared
    // by the sender's and the recipient's items. A body's id is its newest item's id.
    R"sql(
CREATE TABLE archive_jids (
    id INTEGER PRIMARY KEY,
    jid TEXT NOT NULL UNIQUE
);
CREATE TABLE archive_bodies (
    id INTEGER PRIMARY KEY,
    stanza TEXT NOT NULL
);
CREATE TABLE archive_items (
    owner INTEGER NOT NULL,
    id INTEGER NOT NULL,
    with_jid INTEGER NOT NULL,
    stamp INTEGER NOT NULL,
    outgoing INTEGER NOT NULL,
    body INTEGER NOT NULL,
    PRIMARY KEY (owner, id)
) WITHOUT ROWID;
INSERT INTO archive_jids (jid) SELECT owner FROM archive UNION SELECT with_jid FROM archive;
INSERT INTO archive_bodies (id, stanza) SELECT id, stanza FROM archive;
INSERT INTO archive_items (owner, id, with_jid, stamp, outgoing, body)
    SELECT o.id, a.id, w.id, a.stamp, a.outgoing, a.id FROM archive a
    JOIN archive_jids o ON o.jid = a.owner JOIN archive_jids w ON w.jid = a.with_jid;
DROP TABLE archive;
CREATE INDEX archive_items_by_with ON archive_items (owner, with_jid, id);
)sql",
    // 7: accounts with an IM-NG device (XEP-0409), which catch up from MAM when offline.
    R"sql(
CREATE TABLE imng_accounts (
    owner TEXT PRIMARY KEY
) WITHOUT ROWID;
)sql",
    // 8: publish-subscribe (XEP-0060) per service (an account's bare JID for PEP, or a pubsub
    // component's domain): node configuration serialized by the engine; items ordered by seq
    // (newest highest); XEP-0049 private XML per owner and namespace.
    R"sql(
CREATE TABLE pubsub_nodes (
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (service, node)
) WITHOUT ROWID;
CREATE TABLE pubsub_items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    item_id TEXT NOT NULL,
    publisher TEXT NOT NULL,
    stamp INTEGER NOT NULL,
    payload TEXT NOT NULL,
    UNIQUE (service, node, item_id)
);
CREATE INDEX pubsub_items_by_node ON pubsub_items (service, node, seq);
CREATE TABLE pubsub_affiliations (
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    jid TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    PRIMARY KEY (service, node, jid)
) WITHOUT ROWID;
CREATE TABLE pubsub_subscriptions (
    service TEXT NOT NULL,
    node TEXT NOT NULL,
    jid TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (service, node, jid)
) WITHOUT ROWID;
CREATE TABLE private_xml (
    owner TEXT NOT NULL,
    ns TEXT NOT NULL,
    element TEXT NOT NULL,
    PRIMARY KEY (owner, ns)
) WITHOUT ROWID;
)sql",
    // 9: persistent group chat rooms (XEP-0045) with their affiliations and registered
    // nicks; the room archive lives in the archive tables with the room as owner.
    R"sql(
CREATE TABLE muc_rooms (
    jid TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    config TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    subject_nick TEXT NOT NULL DEFAULT '',
    creator TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX muc_rooms_by_service ON muc_rooms (service, jid);
CREATE INDEX muc_rooms_by_creator ON muc_rooms (creator);
CREATE TABLE muc_affiliations (
    room TEXT NOT NULL,
    jid TEXT NOT NULL,
    affiliation TEXT NOT NULL,
    nick TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (room, jid)
) WITHOUT ROWID;
)sql",
};

}  // namespace

std::span<const std::string_view> schema_migrations() noexcept
{
    return migrations;
}

}  // namespace chorus::storage::sqlite
