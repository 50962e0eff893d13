// SqliteArchive: group-committed appends on a writer thread, paged queries on the reader.
#include "storage/sqlite/sqlite_archive.h"

#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <variant>

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view insert_sql =
    "INSERT OR IGNORE INTO archive (id, owner, with_jid, stamp, outgoing, stanza) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view columns = "id, owner, with_jid, stamp, outgoing, stanza";
// How long the writer lets a batch gather, and the batch size that commits at once. Every
// commit rewrites each index page it touched into the WAL, and with many owners nearly
// every row touches its own pages: 50 rows per commit cost ~30 us per row, 500 rows a
// fraction of that. Queries flush first, so nobody reads a stale archive.
constexpr auto gather_time = std::chrono::milliseconds(50);
// The writer's page cache: the index pages it appends to stay in memory.
constexpr std::string_view writer_cache = "PRAGMA cache_size=-16384";
constexpr std::size_t max_batch = 2048;

ArchivedMessage read_row(const Statement& s)
{
    ArchivedMessage m;
    m.id = s.column_int64(0);
    m.owner = s.column_text(1);
    m.with = s.column_text(2);
    m.stamp_us = s.column_int64(3);
    m.outgoing = s.column_int64(4) != 0;
    m.stanza = s.column_text(5);
    return m;
}

/// The WHERE clause of a query without paging, and its parameters in order.
struct Filter {
    std::string sql;
    std::vector<std::variant<std::string, std::int64_t>> params;
};

Filter make_filter(const ArchiveQuery& q)
{
    Filter f;
    f.sql = " WHERE owner = ?";
    f.params.emplace_back(q.owner);
    if (q.with) {
        f.sql += " AND with_jid = ?";
        f.params.emplace_back(*q.with);
    }
    if (q.start_us) {
        f.sql += " AND stamp >= ?";
        f.params.emplace_back(*q.start_us);
    }
    if (q.end_us) {
        f.sql += " AND stamp <= ?";
        f.params.emplace_back(*q.end_us);
    }
    if (!q.ids.empty()) {
        f.sql += " AND id IN (";
        for (std::size_t i = 0; i < q.ids.size(); ++i) {
            f.sql += i ? ",?" : "?";
            f.params.emplace_back(q.ids[i]);
        }
        f.sql += ')';
    }
    return f;
}

void bind_all(Statement& s, const Filter& f, int first = 1)
{
    int i = first;
    for (const auto& p : f.params) {
        if (std::holds_alternative<std::string>(p)) {
            s.bind(i++, std::string_view(std::get<std::string>(p)));
        } else {
            s.bind(i++, std::get<std::int64_t>(p));
        }
    }
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

std::int64_t count_where(Database& db, const std::string& where, const Filter& f,
                         std::optional<std::int64_t> below_id)
{
    std::string sql = "SELECT COUNT(*) FROM archive" + where;
    if (below_id) {
        sql += " AND id < ?";
    }
    auto s = db.prepare(sql);
    if (!s) {
        return 0;
    }
    bind_all(*s, f);
    if (below_id) {
        s->bind(static_cast<int>(f.params.size()) + 1, *below_id);
    }
    auto row = s->step();
    return row && *row ? s->column_int64(0) : 0;
}

}  // namespace

SqliteArchive::SqliteArchive(Database& reader, std::unique_ptr<Database> writer)
    : reader_(reader), writer_db_(std::move(writer)), writer_([this] { run_writer(); })
{
}

SqliteArchive::~SqliteArchive()
{
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    writer_.join();
}

void SqliteArchive::append(ArchivedMessage message)
{
    bool first;
    {
        std::lock_guard lock(mutex_);
        first = pending_.empty();
        pending_.push_back(std::move(message));
        ++appended_;
    }
    if (first) {  // the writer sleeps only on an empty queue: one wake-up per batch
        wake_.notify_one();
    }
}

void SqliteArchive::run_writer()
{
    // The writer may share a core with the I/O thread: a commit (or a WAL checkpoint) must
    // never delay delivery. SCHED_IDLE yields the moment the I/O thread wakes; a low nice
    // value alone lets the writer finish its time slice first (a millisecond or more).
    sched_param idle{};
    if (sched_setscheduler(0, SCHED_IDLE, &idle) != 0) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 19);
    }
    (void)writer_db_->exec(writer_cache);
    auto insert = writer_db_->prepare(insert_sql);
    if (!insert) {
        spdlog::error("archive writer: {}", insert.error().message);
        return;
    }
    std::vector<ArchivedMessage> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
            if (pending_.empty() && stopping_) {
                return;
            }
            // Let a batch gather: one commit per few milliseconds instead of one per message
            // when traffic is light, unless someone waits for it (flush) or it is large.
            wake_.wait_for(lock, gather_time, [&] {
                return stopping_ || flush_waiters_ > 0 || pending_.size() >= max_batch;
            });
            batch.swap(pending_);
        }
        // One transaction per batch: the group commit that lets archiving keep up with
        // fan-out without a sync per message.
        bool ok = writer_db_->exec("BEGIN IMMEDIATE").has_value();
        for (const auto& m : batch) {
            auto reset = insert->reset_on_exit();
            insert->bind(1, m.id)
                .bind(2, std::string_view(m.owner))
                .bind(3, std::string_view(m.with))
                .bind(4, m.stamp_us)
                .bind(5, std::int64_t{m.outgoing})
                .bind(6, std::string_view(m.stanza));
            if (auto r = insert->run(); !r) {
                spdlog::error("archive insert failed: {}", r.error().message);
                ok = false;
            }
        }
        if (auto r = writer_db_->exec("COMMIT"); !r) {
            spdlog::error("archive commit failed: {}", r.error().message);
            (void)writer_db_->exec("ROLLBACK");
            ok = false;
        }
        if (!ok) {
            spdlog::error("archive: a batch of {} messages was not fully stored", batch.size());
        }
        {
            std::lock_guard lock(mutex_);
            committed_count_ += batch.size();
        }
        committed_.notify_all();
        batch.clear();
    }
}

std::size_t SqliteArchive::backlog()
{
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(appended_ - committed_count_);
}

void SqliteArchive::flush()
{
    std::unique_lock lock(mutex_);
    const auto target = appended_;
    if (committed_count_ >= target) {
        return;
    }
    ++flush_waiters_;
    wake_.notify_one();
    committed_.wait(lock, [&] { return committed_count_ >= target; });
    --flush_waiters_;
}

ArchivePage SqliteArchive::query(const ArchiveQuery& q)
{
    flush();
    ArchivePage page;
    const Filter f = make_filter(q);
    page.count = static_cast<std::size_t>(count_where(reader_, f.sql, f, std::nullopt));
    std::string sql = std::string("SELECT ") + std::string(columns) + " FROM archive" + f.sql;
    const bool descending = q.before_id.has_value() || q.from_end;
    if (q.after_id) {
        sql += " AND id > ?";
    }
    if (q.before_id) {
        sql += " AND id < ?";
    }
    sql += descending ? " ORDER BY id DESC" : " ORDER BY id ASC";
    sql += " LIMIT ?";
    auto s = reader_.prepare(sql);
    if (!s) {
        spdlog::error("archive query: {}", s.error().message);
        page.complete = true;
        return page;
    }
    bind_all(*s, f);
    int next = static_cast<int>(f.params.size()) + 1;
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
        page.items.push_back(read_row(*s));
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
            static_cast<std::size_t>(count_where(reader_, f.sql, f, page.items.front().id));
    }
    return page;
}

bool SqliteArchive::contains(std::string_view owner, std::int64_t id)
{
    flush();
    auto s = reader_.prepare("SELECT 1 FROM archive WHERE owner = ?1 AND id = ?2");
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
    auto s = reader_.prepare("SELECT COALESCE(MAX(id), 0) FROM archive");
    if (!s) {
        return 0;
    }
    auto row = s->step();
    return row && *row ? s->column_int64(0) : 0;
}

std::optional<std::pair<ArchivedMessage, ArchivedMessage>> SqliteArchive::bounds(
    std::string_view owner)
{
    flush();
    auto one = [&](const char* order) -> std::optional<ArchivedMessage> {
        auto s =
            reader_.prepare(std::string("SELECT ") + std::string(columns) +
                            " FROM archive WHERE owner = ?1 ORDER BY id " + order + " LIMIT 1");
        if (!s) {
            return std::nullopt;
        }
        s->bind(1, owner);
        auto row = s->step();
        if (!row || !*row) {
            return std::nullopt;
        }
        return read_row(*s);
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
