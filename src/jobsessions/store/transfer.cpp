// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/transfer.hpp"

#include "jobsessions/store/postgres/schema.hpp"
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/store/sqlite/event_steps.hpp"
#include "jobsessions/store/store.hpp"

#include <algorithm>
#include <cstdint>

namespace jobsessions::store {
namespace {

/// How a column is kept: SQLite has integers, text and blobs; PostgreSQL also booleans and bytea.
enum class Kind : std::uint8_t { Integer, Text, Flag, Bytes };

struct Column {
    const char* name;
    Kind kind;
};

struct Table {
    const char* name;
    /// The primary key: the conflict target on the PostgreSQL side.
    const char* key;
    std::vector<Column> columns;
    /// On a second copy, whether a row both hold takes the source's values (else the target's row stays).
    bool refresh;
    /// The order rows are read and written in.
    const char* order;
};

constexpr Kind kInt = Kind::Integer;
constexpr Kind kText = Kind::Text;
constexpr Kind kFlag = Kind::Flag;
constexpr Kind kBytes = Kind::Bytes;

/// Every table with data, parents before children. Sessions go newest usn first: a second copy moves a changed
/// session to its new usn before an older one takes the usn it leaves.
const std::vector<Table>& tables()
{
    static const std::vector<Table> all = {
        {"settings", "name", {{"name", kText}, {"value", kBytes}}, true, "name"},
        {"users",
         "id",
         {{"id", kInt},
          {"name", kText},
          {"role", kText},
          {"password_hash", kText},
          {"disabled", kFlag},
          {"created_at", kInt}},
         true,
         "id"},
        {"refresh_tokens",
         "token_hash",
         {{"token_hash", kBytes},
          {"login_id", kBytes},
          {"user_id", kInt},
          {"expires_at", kInt},
          {"used", kFlag},
          {"revoked", kFlag},
          {"created_at", kInt}},
         true,
         "token_hash"},
        {"sessions",
         "id",
         {{"id", kInt},
          {"type", kText},
          {"status", kText},
          {"start_time", kInt},
          {"stop_time", kInt},
          {"usn", kInt},
          {"created_by", kInt},
          {"policy_id", kText},
          {"policy_name", kText},
          {"protected_instances_count", kInt},
          {"policy_removed", kFlag},
          {"restore_reason", kText},
          {"restore_policy_name", kText},
          {"repository_id", kText},
          {"repository_name", kText},
          {"repository_removed", kFlag},
          {"retention_deleted_count", kInt}},
         true,
         "usn DESC"},
        {"log_entries",
         "session_id, seq",
         {{"session_id", kInt},
          {"seq", kInt},
          {"log_time", kInt},
          {"status", kText},
          {"message", kText},
          {"execution_start", kInt},
          {"execution_duration", kInt}},
         false,
         "session_id, seq"},
        {"idempotency_keys",
         "user_id, key",
         {{"user_id", kInt},
          {"key", kText},
          {"request_hash", kBytes},
          {"status_code", kInt},
          {"location", kText},
          {"body", kText},
          {"created_at", kInt}},
         false,
         "user_id, key"},
        {"policies",
         "id",
         {{"id", kText},
          {"name", kText},
          {"description", kText},
          {"session_type", kText},
          {"command", kText},
          {"working_directory", kText},
          {"environment", kText},
          {"schedule", kText},
          {"enabled", kFlag},
          {"timeout_seconds", kInt},
          {"stop_grace_seconds", kInt},
          {"warning_exit_codes", kText},
          {"retention_days", kInt},
          {"max_concurrent_runs", kInt},
          {"catch_up", kFlag},
          {"usn", kInt},
          {"created_at", kInt},
          {"last_tick", kInt}},
         true,
         "id"},
        {"policy_runs",
         "session_id",
         {{"session_id", kInt}, {"policy_id", kText}, {"pid", kInt}, {"process_start", kInt}},
         false,
         "session_id"},
        {"login_failures", "key", {{"key", kText}, {"failures", kInt}, {"last_failure", kInt}}, true, "key"},
        {"login_addresses", "key", {{"key", kText}, {"last_success", kInt}}, true, "key"},
        {"webhooks",
         "id",
         {{"id", kText},
          {"url", kText},
          {"description", kText},
          {"events", kText},
          {"types", kText},
          {"statuses", kText},
          {"policy_ids", kText},
          {"secret", kText},
          {"enabled", kFlag},
          {"usn", kInt},
          {"created_at", kInt},
          {"queued_through", kInt}},
         true,
         "id"},
        {"webhook_cursor", "id", {{"id", kInt}, {"after_usn", kInt}, {"seen_session_id", kInt}}, true, "id"},
        {"webhook_watch", "session_id", {{"session_id", kInt}, {"status", kText}}, true, "session_id"},
        {"webhook_events",
         "id",
         {{"id", kInt},
          {"session_id", kInt},
          {"event", kText},
          {"session_type", kText},
          {"session_status", kText},
          {"policy_id", kText},
          {"payload", kText},
          {"created_at", kInt}},
         false,
         "id"},
        {"webhook_deliveries",
         "id",
         {{"id", kInt},
          {"webhook_id", kText},
          {"event_id", kInt},
          {"session_id", kInt},
          {"created_at", kInt},
          {"state", kText},
          {"attempts", kInt},
          {"next_attempt_at", kInt}},
         true,
         "id"},
        {"webhook_attempts",
         "delivery_id, number",
         {{"delivery_id", kInt},
          {"number", kInt},
          {"time", kInt},
          {"status_code", kInt},
          {"error", kText},
          {"duration_ms", kInt}},
         false,
         "delivery_id, number"},
    };
    return all;
}

/// At most this many parameters in one INSERT (PostgreSQL takes 65,535).
constexpr std::size_t kMaxParams = 20'000;
constexpr std::size_t kMaxRows = 1'000;

/// One column of the current source row as a PostgreSQL text parameter.
postgres::Param value_of(const sqlite::Statement& row, int index, Kind kind)
{
    if (row.column_is_null(index)) {
        return std::nullopt;
    }
    switch (kind) {
    case Kind::Integer:
        return std::to_string(row.column_int64(index));
    case Kind::Flag:
        return postgres::flag(row.column_int64(index) != 0);
    case Kind::Bytes:
        return "\\x" + postgres::hex_of(row.column_blob(index));
    case Kind::Text:
        break;
    }
    return std::string(row.column_text(index));
}

/// The INSERT of `rows` rows of `table`, with what a row both hold becomes.
std::string insert_sql(const Table& table, std::size_t rows)
{
    std::string names;
    for (const auto& column : table.columns) {
        names += std::string(names.empty() ? "" : ", ") + column.name;
    }
    std::string sql = std::string("INSERT INTO ") + table.name + " (" + names + ") VALUES ";
    std::size_t param = 0;
    for (std::size_t r = 0; r < rows; ++r) {
        sql += r == 0 ? "(" : ", (";
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            sql += (c == 0 ? "$" : ", $") + std::to_string(++param);
        }
        sql += ")";
    }
    sql += std::string(" ON CONFLICT (") + table.key + ")";
    if (!table.refresh) {
        return sql + " DO NOTHING";
    }
    std::string updates;
    for (const auto& column : table.columns) {
        updates += std::string(updates.empty() ? "" : ", ") + column.name + " = EXCLUDED." + column.name;
    }
    return sql + " DO UPDATE SET " + updates;
}

/// Inserts rows of a table into PostgreSQL, as many in one statement as its parameters allow.
class BatchInsert {
public:
    BatchInsert(postgres::Connection& to, const Table& table)
        : to_(to)
        , table_(table)
        , per_statement_(std::clamp<std::size_t>(kMaxParams / table.columns.size(), 1, kMaxRows))
        , full_batch_(insert_sql(table, per_statement_))
    {
    }

    /// Adds one row (a parameter per column, in the table's order).
    Result<void> add(std::vector<postgres::Param> row)
    {
        std::move(row.begin(), row.end(), std::back_inserter(params_));
        ++added_;
        return params_.size() / table_.columns.size() == per_statement_ ? flush() : Result<void>{};
    }

    /// Inserts the rows added since the last statement.
    Result<void> flush()
    {
        const auto count = params_.size() / table_.columns.size();
        if (count == 0) {
            return {};
        }
        const auto sql = count == per_statement_ ? full_batch_ : insert_sql(table_, count);
        if (auto inserted = to_.exec(sql.c_str(), params_); !inserted) {
            return inserted.error();
        }
        params_.clear();
        return {};
    }

    [[nodiscard]] std::int64_t added() const { return added_; }

private:
    postgres::Connection& to_;
    const Table& table_;
    std::size_t per_statement_;
    std::string full_batch_;
    std::vector<postgres::Param> params_;
    std::int64_t added_ = 0;
};

/// Copies one table; returns how many rows the source has.
Result<std::int64_t> copy_table(sqlite::Connection& from, postgres::Connection& to, const Table& table)
{
    std::string names;
    for (const auto& column : table.columns) {
        names += std::string(names.empty() ? "" : ", ") + column.name;
    }
    auto rows = from.prepare_owned("SELECT " + names + " FROM " + table.name + " ORDER BY " + table.order);
    if (!rows) {
        return rows.error();
    }
    BatchInsert insert(to, table);
    for (;;) {
        auto more = rows->step();
        if (!more) {
            return more.error();
        }
        if (!*more) {
            break;
        }
        std::vector<postgres::Param> row;
        row.reserve(table.columns.size());
        for (std::size_t c = 0; c < table.columns.size(); ++c) {
            row.push_back(value_of(*rows, static_cast<int>(c), table.columns[c].kind));
        }
        if (auto added = insert.add(std::move(row)); !added) {
            return added.error();
        }
    }
    if (auto flushed = insert.flush(); !flushed) {
        return flushed.error();
    }
    return insert.added();
}

/// Copies the webhook events, which SQLite keeps a step to a row (sqlite/event_steps.hpp) and PostgreSQL an event
/// to a row (the columns of `table`); returns how many events the source has.
Result<std::int64_t> copy_webhook_events(sqlite::Connection& from, postgres::Connection& to, const Table& table)
{
    auto steps = from.prepare_owned("SELECT first_event_id, events FROM webhook_event_steps ORDER BY first_event_id");
    if (!steps) {
        return steps.error();
    }
    BatchInsert insert(to, table);
    for (;;) {
        auto more = steps->step();
        if (!more) {
            return more.error();
        }
        if (!*more) {
            break;
        }
        auto events = sqlite::read_event_step(*steps);
        if (!events) {
            return events.error();
        }
        for (const auto& e : *events) {
            // In the order of the webhook_events columns of tables().
            auto added = insert.add(
                {std::to_string(e.id), std::to_string(e.session_id), std::string(domain::to_string(e.event)),
                 std::string(domain::to_string(e.subject.type)), std::string(domain::to_string(e.subject.status)),
                 e.subject.policy_id, e.payload, std::to_string(e.created_at)});
            if (!added) {
                return added.error();
            }
        }
    }
    if (auto flushed = insert.flush(); !flushed) {
        return flushed.error();
    }
    return insert.added();
}

/// A single integer the source selects (0 when there is no row).
Result<std::int64_t> source_integer(sqlite::Connection& from, const std::string& sql)
{
    auto stmt = from.prepare_owned(sql);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return *row ? stmt->column_int64(0) : 0;
}

/// Moves the usn counter and the id sequences past the source's, so that what the servers write next follows.
Result<void> continue_counters(sqlite::Connection& from, postgres::Connection& to)
{
    auto usn = source_integer(from, "SELECT value FROM counters WHERE name = 'usn'");
    if (!usn) {
        return usn.error();
    }
    if (auto moved =
            to.exec("UPDATE counters SET value = greatest(value, $1) WHERE name = 'usn'", {postgres::param(*usn)});
        !moved) {
        return moved.error();
    }
    // The highest id each table ever gave: AUTOINCREMENT never gives one twice, even of a deleted row, and the
    // webhook events' ids are counted in the cursor's row.
    const std::pair<const char*, const char*> counters[] = {
        {"users", "SELECT seq FROM sqlite_sequence WHERE name = 'users'"},
        {"sessions", "SELECT seq FROM sqlite_sequence WHERE name = 'sessions'"},
        {"webhook_events", "SELECT last_event_id FROM webhook_cursor"},
        {"webhook_deliveries", "SELECT seq FROM sqlite_sequence WHERE name = 'webhook_deliveries'"},
    };
    for (const auto& [table, source_sql] : counters) {
        // Neither do the sequences afterwards.
        auto highest = source_integer(from, source_sql);
        if (!highest) {
            return highest.error();
        }
        std::string sql = "SELECT setval(pg_get_serial_sequence('";
        sql.append(table).append("', 'id'), greatest(coalesce((SELECT max(id) FROM ").append(table);
        sql.append("), 0), $1) + 1, false)");
        if (auto set = to.exec(sql.c_str(), {postgres::param(*highest)}); !set) {
            return set.error();
        }
    }
    return {};
}

} // namespace

Result<std::vector<TableCount>> copy_sqlite_to_postgres(const std::string& sqlite_path, const std::string& conninfo,
                                                        const std::function<void(const std::string&)>& progress)
{
    {
        // Brings the source's schema up to date (a store of an older version keeps its data in older columns).
        auto migrated = open_sqlite_store(StoreOptions{sqlite_path});
        if (!migrated) {
            return migrated.error();
        }
    }
    auto from = sqlite::Connection::open(sqlite_path, false);
    if (!from) {
        return from.error();
    }
    // One snapshot of the source for the whole copy.
    if (auto begun = (*from)->exec("BEGIN"); !begun) {
        return begun.error();
    }
    postgres::ConnectionPool pool(conninfo, 1);
    if (auto migrated = postgres::migrate(pool); !migrated) {
        return migrated.error();
    }
    std::vector<TableCount> counts;
    auto copied = pool.transaction([&](postgres::Connection& to) -> Result<void> {
        for (const auto& table : tables()) {
            if (progress) {
                progress(table.name);
            }
            auto rows = std::string_view(table.name) == "webhook_events" ? copy_webhook_events(**from, to, table)
                                                                         : copy_table(**from, to, table);
            if (!rows) {
                return rows.error();
            }
            counts.push_back(TableCount{table.name, *rows, 0});
        }
        if (auto continued = continue_counters(**from, to); !continued) {
            return continued.error();
        }
        // The kept counts of sessions, counted again from what the database holds now.
        if (auto recounted = postgres::recount_sessions(to); !recounted) {
            return recounted.error();
        }
        // Servers already on the database look at everything again.
        for (const char* payload : {postgres::kAnnounceAllSessions, postgres::kAnnouncePolicies}) {
            postgres::announce(to, payload);
        }
        return postgres::settle_transaction(to);
    });
    if (!copied) {
        return copied.error();
    }
    // What the database holds now, counted apart from the copy.
    auto db = pool.acquire();
    if (!db) {
        return db.error();
    }
    // As after any bulk load: statistics for the planner, and the pages marked all-visible, without which a page's
    // keys are not read from the index alone (postgres/schema.cpp) until autovacuum comes by.
    if (auto vacuumed = (*db)->exec("VACUUM (ANALYZE)"); !vacuumed) {
        return vacuumed.error();
    }
    for (auto& count : counts) {
        auto rows = (*db)->exec(("SELECT count(*) FROM " + count.table).c_str());
        if (!rows) {
            return rows.error();
        }
        count.target = rows->int64(0, 0);
    }
    return counts;
}

} // namespace jobsessions::store
