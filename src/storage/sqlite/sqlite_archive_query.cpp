// SqliteArchive: paged queries, bounds and preferences, on the I/O thread's connection.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

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
    bool by_contact = false;  // walk the contact index (id order over one contact's items)
};

Filter make_filter(const ArchiveQuery& q, std::int64_t owner, std::optional<std::int64_t> with)
{
    Filter f;
    f.sql = " WHERE i.owner = ?";
    f.params.push_back(owner);
    if (with) {
        f.by_contact = true;
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

// Counting walks every row it counts (an exact count of 60,000 items took 5 ms of the I/O
// thread). Past this many rows, RSM's count and index are estimated, as XEP-0059 §2.1 allows
// ("MAY be approximate").
constexpr std::int64_t exact_count_limit = 2000;

std::string from_items(const Filter& f)
{
    return std::string(" FROM archive_items i") +
           (f.by_contact ? " INDEXED BY archive_items_by_with" : "") + f.sql;
}

/// f's rows (and `extra`, one more id condition with `bound`), counted up to limit + 1.
std::int64_t count_capped(Database& db, const Filter& f, std::string_view extra,
                          std::optional<std::int64_t> bound, std::int64_t limit)
{
    auto s = db.prepare("SELECT COUNT(*) FROM (SELECT 1" + from_items(f) + std::string(extra) +
                        " LIMIT ?)");
    if (!s) {
        return 0;
    }
    int next = bind_all(*s, f);
    if (bound) {
        s->bind(next++, *bound);
    }
    s->bind(next, limit + 1);
    auto row = s->step();
    return row && *row ? s->column_int64(0) : 0;
}

/// The id of f's row `offset` rows from the newest (descending) or the oldest end.
std::optional<std::int64_t> id_at(Database& db, const Filter& f, bool descending,
                                  std::int64_t offset)
{
    auto s = db.prepare("SELECT i.id" + from_items(f) + " ORDER BY i.id " +
                        (descending ? "DESC" : "ASC") + " LIMIT 1 OFFSET ?");
    if (!s) {
        return std::nullopt;
    }
    s->bind(bind_all(*s, f), offset);
    auto row = s->step();
    return row && *row ? std::optional(s->column_int64(0)) : std::nullopt;
}

/// RSM's count of a query: exact up to exact_count_limit rows, else estimated.
struct ResultSize {
    std::int64_t count = 0;
    bool exact = true;
    std::int64_t oldest = 0, newest = 0;  // ids at the ends, when estimated
};

ResultSize result_size(Database& db, const Filter& f)
{
    ResultSize size{count_capped(db, f, "", std::nullopt, exact_count_limit)};
    if (size.count <= exact_count_limit) {
        return size;
    }
    // Ids grow with time over every owner, so an owner's rows spread over its id range
    // about as densely as its newest exact_count_limit rows do.
    size.exact = false;
    const auto newest = id_at(db, f, true, 0);
    const auto oldest = id_at(db, f, false, 0);
    const auto kth = id_at(db, f, true, exact_count_limit);
    if (newest && oldest && kth && *newest > *kth) {
        const double per_id =
            static_cast<double>(exact_count_limit) / static_cast<double>(*newest - *kth);
        const auto spread = std::llround(per_id * static_cast<double>(*newest - *oldest));
        size.count = std::max(size.count, static_cast<std::int64_t>(spread) + 1);
        size.oldest = *oldest;
        size.newest = *newest;
    }
    return size;
}

/// RSM's index of the row with id `first`: counted from the nearer end when that end is
/// within exact_count_limit rows, else placed by the id density.
std::int64_t index_of(Database& db, const Filter& f, const ResultSize& size, std::int64_t first)
{
    if (size.exact) {
        return count_capped(db, f, " AND i.id < ?", first, exact_count_limit);
    }
    const auto newer = count_capped(db, f, " AND i.id >= ?", first, exact_count_limit);
    if (newer <= exact_count_limit) {
        return std::max<std::int64_t>(0, size.count - newer);
    }
    const auto older = count_capped(db, f, " AND i.id < ?", first, exact_count_limit);
    if (older <= exact_count_limit || size.newest <= size.oldest) {
        return older;
    }
    const double at =
        static_cast<double>(first - size.oldest) / static_cast<double>(size.newest - size.oldest);
    const std::int64_t lowest = exact_count_limit + 1;
    const std::int64_t highest = std::max(lowest, size.count - exact_count_limit - 1);
    return std::clamp<std::int64_t>(std::llround(at * static_cast<double>(size.count)), lowest,
                                    highest);
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
    const auto size = result_size(reader_, f);
    page.count = static_cast<std::size_t>(size.count);
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
        page.first_index =
            static_cast<std::size_t>(index_of(reader_, f, size, page.items.front().id));
        // An estimate never contradicts what the page shows.
        page.count = std::max(page.count, page.first_index + page.items.size());
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
