// SqliteRoster: roster items and per-owner roster versions (RFC 6121 §2, §2.6) in SQLite.
#include "storage/sqlite/sqlite_roster.h"

#include <sqlite3.h>

#include <spdlog/spdlog.h>

#include "base/encoding.h"
#include "storage/sqlite/prepared.h"

namespace chorus::storage::sqlite {
namespace {

constexpr std::string_view columns =
    "contact, name, subscription, ask_out, pending_in, approved, request_only, groups, "
    "pending_stanza";
const std::string select_all_sql = std::string("SELECT ") + std::string(columns) +
                                   " FROM roster_items WHERE owner = ?1 ORDER BY contact";
const std::string select_one_sql = std::string("SELECT ") + std::string(columns) +
                                   " FROM roster_items WHERE owner = ?1 AND contact = ?2";
const std::string upsert_sql = std::string("INSERT OR REPLACE INTO roster_items (owner, ") +
                               std::string(columns) +
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr std::string_view delete_sql =
    "DELETE FROM roster_items WHERE owner = ?1 AND contact = ?2";
constexpr std::string_view bump_sql =
    "INSERT INTO roster_versions (owner, version) VALUES (?1, 1) "
    "ON CONFLICT (owner) DO UPDATE SET version = version + 1 RETURNING version";
constexpr std::string_view select_version_sql =
    "SELECT version FROM roster_versions WHERE owner = ?1";

std::string_view subscription_text(Subscription s) noexcept
{
    switch (s) {
        case Subscription::to:
            return "to";
        case Subscription::from:
            return "from";
        case Subscription::both:
            return "both";
        case Subscription::none:
        case Subscription::remove:
            break;  // 'remove' is a request, never a stored state
    }
    return "none";
}

Subscription subscription_value(std::string_view text) noexcept
{
    if (text == "to") {
        return Subscription::to;
    }
    if (text == "from") {
        return Subscription::from;
    }
    if (text == "both") {
        return Subscription::both;
    }
    return Subscription::none;
}

RosterItem read_item(const Statement& stmt)
{
    RosterItem item;
    item.contact = std::string(stmt.column_text(0));
    item.name = std::string(stmt.column_text(1));
    item.subscription = subscription_value(stmt.column_text(2));
    item.ask_out = stmt.column_int64(3) != 0;
    item.pending_in = stmt.column_int64(4) != 0;
    item.approved = stmt.column_int64(5) != 0;
    item.request_only = stmt.column_int64(6) != 0;
    item.groups = decode_groups(stmt.column_text(7));
    item.pending_stanza = std::string(stmt.column_text(8));
    return item;
}

}  // namespace

std::string encode_groups(const std::vector<std::string>& groups)
{
    std::string out;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (i != 0) {
            out += '\n';
        }
        append_escaped_line(groups[i], out);
    }
    return out;
}

std::vector<std::string> decode_groups(std::string_view text)
{
    std::vector<std::string> out;
    if (text.empty()) {
        return out;
    }
    out.emplace_back();
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\n') {
            out.emplace_back();
        } else if (c == '\\' && i + 1 < text.size()) {
            out.back() += text[++i] == 'n' ? '\n' : text[i];
        } else {
            out.back() += c;
        }
    }
    return out;
}

SqliteRoster::SqliteRoster(Database& db)
    : db_(db),
      begin_(prepare_or_abort(db, "BEGIN IMMEDIATE")),
      commit_(prepare_or_abort(db, "COMMIT")),
      rollback_(prepare_or_abort(db, "ROLLBACK")),
      select_all_(prepare_or_abort(db, select_all_sql)),
      select_one_(prepare_or_abort(db, select_one_sql)),
      upsert_(prepare_or_abort(db, upsert_sql)),
      delete_(prepare_or_abort(db, delete_sql)),
      bump_(prepare_or_abort(db, bump_sql)),
      select_version_(prepare_or_abort(db, select_version_sql))
{
}

std::vector<RosterItem> SqliteRoster::items(std::string_view owner)
{
    auto guard = select_all_.reset_on_exit();
    select_all_.bind(1, owner);
    std::vector<RosterItem> out;
    for (;;) {
        auto row = select_all_.step();
        if (!row) {
            spdlog::error("sqlite: reading the roster of {}: {}", owner, row.error().message);
            break;
        }
        if (!*row) {
            break;
        }
        out.push_back(read_item(select_all_));
    }
    return out;
}

std::optional<RosterItem> SqliteRoster::item(std::string_view owner, std::string_view contact)
{
    auto guard = select_one_.reset_on_exit();
    select_one_.bind(1, owner).bind(2, contact);
    auto row = select_one_.step();
    if (!row) {
        spdlog::error("sqlite: reading {} in the roster of {}: {}", contact, owner,
                      row.error().message);
        return std::nullopt;
    }
    if (!*row) {
        return std::nullopt;
    }
    return read_item(select_one_);
}

template <typename Change>
Result<std::uint64_t, StorageError> SqliteRoster::write(std::string_view owner, Change&& change)
{
    {
        auto guard = begin_.reset_on_exit();
        if (auto r = begin_.run(); !r) {
            return unexpected(r.error());
        }
    }
    auto fail = [this](StorageError e) -> Result<std::uint64_t, StorageError> {
        auto guard = rollback_.reset_on_exit();
        (void)rollback_.run();
        return unexpected(std::move(e));
    };
    if (auto r = change(); !r) {
        return fail(r.error());
    }
    std::uint64_t version = 0;
    {
        auto guard = bump_.reset_on_exit();
        bump_.bind(1, owner);
        auto row = bump_.step();
        if (!row) {
            return fail(row.error());
        }
        if (!*row) {
            return fail(StorageError{StorageError::Code::backend, "version bump returned no row"});
        }
        version = static_cast<std::uint64_t>(bump_.column_int64(0));
        // RETURNING rows are produced before the write completes: finish the statement.
        while (true) {
            auto more = bump_.step();
            if (!more) {
                return fail(more.error());
            }
            if (!*more) {
                break;
            }
        }
    }
    auto guard = commit_.reset_on_exit();
    if (auto r = commit_.run(); !r) {
        return fail(r.error());
    }
    return version;
}

Result<std::uint64_t, StorageError> SqliteRoster::put(std::string_view owner,
                                                      const RosterItem& item)
{
    return write(owner, [&]() -> Result<void, StorageError> {
        auto guard = upsert_.reset_on_exit();
        const auto groups = encode_groups(item.groups);
        upsert_.bind(1, owner)
            .bind(2, item.contact)
            .bind(3, item.name)
            .bind(4, subscription_text(item.subscription))
            .bind(5, std::int64_t{item.ask_out})
            .bind(6, std::int64_t{item.pending_in})
            .bind(7, std::int64_t{item.approved})
            .bind(8, std::int64_t{item.request_only})
            .bind(9, groups)
            .bind(10, item.pending_stanza);
        return upsert_.run();
    });
}

Result<std::uint64_t, StorageError> SqliteRoster::remove(std::string_view owner,
                                                         std::string_view contact)
{
    return write(owner, [&]() -> Result<void, StorageError> {
        auto guard = delete_.reset_on_exit();
        delete_.bind(1, owner).bind(2, contact);
        if (auto r = delete_.run(); !r) {
            return r;
        }
        if (sqlite3_changes(db_.handle()) == 0) {
            return unexpected(StorageError{
                StorageError::Code::not_found,
                std::string(contact) + " is not in the roster of " + std::string(owner)});
        }
        return {};
    });
}

std::uint64_t SqliteRoster::version(std::string_view owner)
{
    auto guard = select_version_.reset_on_exit();
    select_version_.bind(1, owner);
    auto row = select_version_.step();
    if (!row) {
        spdlog::error("sqlite: reading the roster version of {}: {}", owner, row.error().message);
        return 0;
    }
    return *row ? static_cast<std::uint64_t>(select_version_.column_int64(0)) : 0;
}

}  // namespace chorus::storage::sqlite
