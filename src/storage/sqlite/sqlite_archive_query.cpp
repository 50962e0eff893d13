// SqliteArchive: paged queries, bounds and preferences, on the I/O thread's connection.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "storage/sqlite/sqlite_archive.h"

namespace chorus::storage::sqlite {
namespace {

// An item with its contact's JID and its stored stanza; every query selects these columns.
std::string select_items(bool by_contact)
{
    // With a contact, SQLite's planner would walk the owner's whole archive in id order and
    // filter; the contact index gives the same order over that contact's items alone.
    return std::string("SELECT i.id, w.jid, i.stamp, i.outgoing, b.stanza FROM archive_items i") +
           (by_contact ? " INDEXED BY archive_items_by_with" : "") +
           " JOIN archive_bodies b ON b.id = i.body JOIN archive_jids w ON w.id = i.with_jid";
}

ArchivedMessage read_row(const Statement& s, std::string_view owner)
{
    ArchivedMessage m;
    m.id = s.column_int64(0);
    m.owner = owner;
    m.with = s.column_text(1);
    m.stamp_us = s.column_int64(2);
    m.outgoing = s.column_int64(3) != 0;
    m.stanza = s.column_text(4);
    return m;
}

/// The WHERE clause of a query without paging, and its parameters in order.
struct Filter {
    std::string sql;
    std::vector<std::int64_t> params;
};

Filter make_filter(const ArchiveQuery& q, std::int64_t owner, std::optional<std::int64_t> with)
{
    Filter f;
    f.sql = " WHERE i.owner = ?";
    f.params.push_back(owner);
    if (with) {
        f.sql += " AND i.with_jid = ?";
        f.params.push_back(*with);
    }
    if (q.start_us) {
        f.sql += " AND i.stamp >= ?";
        f.params.push_back(*q.start_us);
    }
    if (q.end_us) {
        f.sql += " AND i.stamp <= ?";
        f.params.push_back(*q.end_us);
    }
    if (!q.ids.empty()) {
        f.sql += " AND i.id IN (";
        for (std::size_t i = 0; i < q.ids.size(); ++i) {
            f.sql += i ? ",?" : "?";
            f.params.push_back(q.ids[i]);
        }
        f.sql += ')';
    }
    return f;
}

int bind_all(Statement& s, const Filter& f)
{
    int i = 1;
    for (const auto p : f.params) {
        s.bind(i++, p);
    }
    return i;
}

std::int64_t count_where(Database& db, const Filter& f, std::optional<std::int64_t> below_id)
{
    std::string sql = "SELECT COUNT(*) FROM archive_items i" + f.sql;
    if (below_id) {
        sql += " AND i.id < ?";
    }
    auto s = db.prepare(sql);
    if (!s) {
        return 0;
    }
    const int next = bind_all(*s, f);
    if (below_id) {
        s->bind(next, *below_id);
    }
    auto row = s->step();
    return row && *row ? s->column_int64(0) : 0;
}

std::string join(const std::vector<std::string>& v)
{
    std::string out;
    for (const auto& s : v) {
        out += out.empty() ? "" : "\n";
        out += s;
    }
    return out;
}

std::vector<std::string> split(std::string_view s)
{
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto end = s.find('\n', start);
        if (end == std::string_view::npos) {
            end = s.size();
        }
        if (end > start) {
            out.emplace_back(s.substr(start, end - start));
        }
        start = end + 1;
    }
    return out;
}

}  // namespace

std::optional<std::int64_t> SqliteArchive::jid_key(std::string_view jid)
{
    auto s = reader_.prepare("SELECT id FROM archive_jids WHERE jid = ?1");
    if (!s) {
        spdlog::error("archive: {}", s.error().message);
        return std::nullopt;
    }
    s->bind(1, jid);
    auto row = s->step();
    if (!row || !*row) {
        return std::nullopt;
    }
    return s->column_int64(0);
}

ArchivePage SqliteArchive::query(const ArchiveQuery& q)
{
    flush();
    ArchivePage page;
    page.complete = true;
    const auto owner = jid_key(q.owner);
    std::optional<std::int64_t> with;
    if (q.with) {
        with = jid_key(*q.with);
    }
    if (!owner || (q.with && !with)) {
        return page;  // no item was ever stored for this owner or contact
    }
    const Filter f = make_filter(q, *owner, with);
    page.count = static_cast<std::size_t>(count_where(reader_, f, std::nullopt));
    std::string sql = select_items(with.has_value()) + f.sql;
    const bool descending = q.before_id.has_value() || q.from_end;
    if (q.after_id) {
        sql += " AND i.id > ?";
    }
    if (q.before_id) {
        sql += " AND i.id < ?";
    }
    sql += descending ? " ORDER BY i.id DESC" : " ORDER BY i.id ASC";
    sql += " LIMIT ?";
    auto s = reader_.prepare(sql);
    if (!s) {
        spdlog::error("archive query: {}", s.error().message);
        return page;
    }
    int next = bind_all(*s, f);
    if (q.after_id) {
        s->bind(next++, *q.after_id);
    }
    if (q.before_id) {
        s->bind(next++, *q.before_id);
    }
    s->bind(next, static_cast<std::int64_t>(q.max + 1));
    while (true) {
        auto row = s->step();
        if (!row || !*row) {
            break;
        }
        page.items.push_back(read_row(*s, q.owner));
    }
    page.complete = page.items.size() <= q.max;
    if (!page.complete) {
        page.items.pop_back();
    }
    if (descending) {
        std::reverse(page.items.begin(), page.items.end());
    }
    if (!page.items.empty()) {
        page.first_index = static_cast<std::size_t>(count_where(reader_, f, page.items.front().id));
    }
    return page;
}

bool SqliteArchive::contains(std::string_view owner, std::int64_t id)
{
    flush();
    auto s = reader_.prepare(
        "SELECT 1 FROM archive_items WHERE owner = (SELECT id FROM archive_jids WHERE jid = ?1) "
        "AND id = ?2");
    if (!s) {
        return false;
    }
    s->bind(1, owner).bind(2, id);
    auto row = s->step();
    return row && *row;
}

std::int64_t SqliteArchive::max_id()
{
    flush();
    // A body's id is the largest id of its items, so the newest body holds the newest id.
    auto s = reader_.prepare("SELECT COALESCE(MAX(id), 0) FROM archive_bodies");
    if (!s) {
        return 0;
    }
    auto row = s->step();
    // The journal's replayed entries count even while SQLite cannot take them yet.
    return std::max(replayed_max_id_, row && *row ? s->column_int64(0) : std::int64_t{0});
}

std::optional<std::pair<ArchivedMessage, ArchivedMessage>> SqliteArchive::bounds(
    std::string_view owner)
{
    flush();
    const auto key = jid_key(owner);
    if (!key) {
        return std::nullopt;
    }
    auto one = [&](const char* order) -> std::optional<ArchivedMessage> {
        auto s = reader_.prepare(select_items(false) + " WHERE i.owner = ?1 ORDER BY i.id " +
                                 order + " LIMIT 1");
        if (!s) {
            return std::nullopt;
        }
        s->bind(1, *key);
        auto row = s->step();
        if (!row || !*row) {
            return std::nullopt;
        }
        return read_row(*s, owner);
    };
    auto first = one("ASC");
    auto last = one("DESC");
    if (!first || !last) {
        return std::nullopt;
    }
    return std::make_pair(std::move(*first), std::move(*last));
}

std::optional<ArchivePrefs> SqliteArchive::prefs(std::string_view owner)
{
    auto s = reader_.prepare("SELECT default_mode, always, never FROM mam_prefs WHERE owner = ?1");
    if (!s) {
        return std::nullopt;
    }
    s->bind(1, owner);
    auto row = s->step();
    if (!row || !*row) {
        return std::nullopt;
    }
    ArchivePrefs p;
    const auto mode = s->column_text(0);
    p.default_mode = mode == "never"    ? ArchiveDefault::never
                     : mode == "roster" ? ArchiveDefault::roster
                                        : ArchiveDefault::always;
    p.always = split(s->column_text(1));
    p.never = split(s->column_text(2));
    return p;
}

void SqliteArchive::set_prefs(std::string_view owner, const ArchivePrefs& p)
{
    auto s = reader_.prepare(
        "INSERT INTO mam_prefs (owner, default_mode, always, never) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT(owner) DO UPDATE SET default_mode = ?2, always = ?3, never = ?4");
    if (!s) {
        return;
    }
    const char* mode = p.default_mode == ArchiveDefault::never    ? "never"
                       : p.default_mode == ArchiveDefault::roster ? "roster"
                                                                  : "always";
    const auto always = join(p.always);
    const auto never = join(p.never);
    s->bind(1, owner).bind(2, std::string_view(mode)).bind(3, always).bind(4, never);
    if (auto r = s->run(); !r) {
        spdlog::error("mam prefs: {}", r.error().message);
    }
}

}  // namespace chorus::storage::sqlite
