// SPDX-License-Identifier: Apache-2.0
// The policy part of the SQLite store.
#include "jobsessions/store/policy_columns.hpp"
#include "jobsessions/store/sqlite/sqlite_store.hpp"

#include <sqlite3.h>

namespace jobsessions::store::sqlite {
namespace {

using domain::Policy;

constexpr const char* kSelectPolicies =
    "SELECT id, name, description, session_type, command, working_directory, environment, schedule, enabled,"
    " timeout_seconds, stop_grace_seconds, warning_exit_codes, retention_days, max_concurrent_runs, catch_up, usn,"
    " created_at FROM policies ORDER BY name COLLATE NOCASE";
constexpr const char* kSelectPolicy =
    "SELECT id, name, description, session_type, command, working_directory, environment, schedule, enabled,"
    " timeout_seconds, stop_grace_seconds, warning_exit_codes, retention_days, max_concurrent_runs, catch_up, usn,"
    " created_at FROM policies WHERE id = ?1";
constexpr const char* kInsertPolicy =
    "INSERT INTO policies (id, name, description, session_type, command, working_directory, environment, schedule,"
    " enabled, timeout_seconds, stop_grace_seconds, warning_exit_codes, retention_days, max_concurrent_runs,"
    " catch_up, usn, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
constexpr const char* kUpdatePolicy =
    "UPDATE policies SET name = ?2, description = ?3, session_type = ?4, command = ?5, working_directory = ?6,"
    " environment = ?7, schedule = ?8, enabled = ?9, timeout_seconds = ?10, stop_grace_seconds = ?11,"
    " warning_exit_codes = ?12, retention_days = ?13, max_concurrent_runs = ?14, catch_up = ?15, usn = ?16"
    " WHERE id = ?1";
constexpr const char* kDeletePolicy = "DELETE FROM policies WHERE id = ?1";
constexpr const char* kSelectPolicySessions =
    "SELECT id FROM sessions INDEXED BY sessions_by_policy WHERE policy_id = ?1 AND policy_removed = 0";
// Returns the start time, for the periods whose sessions change (SessionCounts::changed).
constexpr const char* kMarkPolicyRemoved =
    "UPDATE sessions SET policy_removed = 1, usn = ?2 WHERE id = ?1 RETURNING start_time";
constexpr const char* kSelectLastTick = "SELECT last_tick FROM policies WHERE id = ?1";
constexpr const char* kUpdateLastTick = "UPDATE policies SET last_tick = ?2 WHERE id = ?1";
constexpr const char* kAdvanceLastTick =
    "UPDATE policies SET last_tick = ?2 WHERE id = ?1 AND last_tick IS ?3 RETURNING 1";
constexpr const char* kPolicyExists = "SELECT 1 FROM policies WHERE id = ?1";
constexpr const char* kInsertRun =
    "INSERT OR REPLACE INTO policy_runs (session_id, policy_id, pid, process_start) VALUES (?1, ?2, ?3, ?4)";
// One statement in the one writer: the count and the insert see the same runs.
constexpr const char* kClaimRun =
    "INSERT INTO policy_runs (session_id, policy_id, pid, process_start) SELECT ?1, ?2, ?3, ?4"
    " WHERE (SELECT count(*) FROM policy_runs WHERE policy_id = ?2) < ?5 RETURNING 1";
constexpr const char* kDeleteRun = "DELETE FROM policy_runs WHERE session_id = ?1";
constexpr const char* kSelectOldPolicySessions =
    "SELECT id FROM sessions INDEXED BY sessions_by_policy"
    " WHERE policy_id = ?1 AND start_time < ?2 AND stop_time IS NOT NULL ORDER BY start_time, id LIMIT ?3";
constexpr const char* kSelectOldOtherSessions =
    "SELECT id FROM sessions INDEXED BY sessions_by_start"
    " WHERE start_time < ?1 AND stop_time IS NOT NULL"
    " AND (policy_id IS NULL OR policy_id NOT IN (SELECT id FROM policies WHERE retention_days IS NOT NULL))"
    " ORDER BY start_time, id LIMIT ?2";
constexpr const char* kCountLogEntries = "SELECT count(*) FROM log_entries WHERE session_id = ?1";
// Returns what the session was counted under, for SessionCounts.
const std::string kDeleteSession = std::string("DELETE FROM sessions WHERE id = ?1 RETURNING ") + kCountedColumns;
constexpr const char* kSelectRuns =
    "SELECT session_id, policy_id, pid, process_start FROM policy_runs ORDER BY session_id";

// Binds ?1..?4 in the column order of kInsertRun and kClaimRun.
void bind_run(Statement& stmt, const PolicyRun& run)
{
    stmt.bind(1, run.session_id);
    stmt.bind(2, std::string_view(run.policy_id));
    stmt.bind(3, run.pid);
    stmt.bind(4, run.process_start);
}

// Binds ?1..?17 in the column order of kInsertPolicy (kUpdatePolicy uses the first sixteen).
void bind_policy(Statement& stmt, const Policy& p)
{
    stmt.bind(1, std::string_view(p.id));
    stmt.bind(2, std::string_view(p.name));
    stmt.bind(3, std::string_view(p.description));
    stmt.bind(4, domain::to_string(p.session_type));
    stmt.bind(5, std::string_view(encode_words(p.command)));
    stmt.bind(6, std::string_view(p.working_directory));
    stmt.bind(7, std::string_view(encode_environment(p.environment)));
    stmt.bind(8, std::string_view(p.schedule));
    stmt.bind(9, std::int64_t{p.enabled ? 1 : 0});
    stmt.bind(10, p.timeout_seconds);
    stmt.bind(11, p.stop_grace_seconds);
    stmt.bind(12, std::string_view(encode_exit_codes(p.warning_exit_codes)));
    stmt.bind(13, p.retention_days);
    stmt.bind(14, p.max_concurrent_runs);
    stmt.bind(15, std::int64_t{p.catch_up ? 1 : 0});
    stmt.bind(16, p.usn);
}

Result<Policy> read_policy(const Statement& row)
{
    Policy p;
    p.id = std::string(row.column_text(0));
    const auto corrupt = [&] { return StoreError{StoreErrc::Corrupt, "policy " + p.id + " cannot be read"}; };
    p.name = std::string(row.column_text(1));
    p.description = std::string(row.column_text(2));
    const auto type = domain::parse_session_type(row.column_text(3));
    if (!type) {
        return corrupt();
    }
    p.session_type = *type;
    auto command = decode_words(row.column_text(4));
    auto environment = decode_environment(row.column_text(6));
    auto codes = decode_exit_codes(row.column_text(11));
    if (!command || !environment || !codes) {
        return corrupt();
    }
    p.command = std::move(*command);
    p.working_directory = std::string(row.column_text(5));
    p.environment = std::move(*environment);
    p.schedule = std::string(row.column_text(7));
    p.enabled = row.column_int64(8) != 0;
    p.timeout_seconds = row.column_optional_int64(9);
    p.stop_grace_seconds = row.column_int64(10);
    p.warning_exit_codes = std::move(*codes);
    p.retention_days = row.column_optional_int64(12);
    p.max_concurrent_runs = row.column_int64(13);
    p.catch_up = row.column_int64(14) != 0;
    p.usn = row.column_int64(15);
    p.created_at = row.column_int64(16);
    return p;
}

Result<std::int64_t> read_id(const Statement& row)
{
    return row.column_int64(0);
}

} // namespace

Result<std::vector<Policy>> SqliteStore::list_policies()
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectPolicies);
    if (!stmt) {
        return stmt.error();
    }
    return read_rows<Policy>(*stmt, read_policy);
}

Result<Policy> SqliteStore::get_policy(const std::string& id)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return select_one(**db, kSelectPolicy, std::string_view(id), "policy not found", read_policy);
}

Result<Policy> SqliteStore::create_policy(const Policy& policy)
{
    return write<Policy>([&](Connection& db) -> Result<Policy> {
        auto usn = usn_.next(db);
        if (!usn) {
            return usn.error();
        }
        Policy created = policy;
        created.usn = *usn;
        auto stmt = db.prepare(kInsertPolicy);
        if (!stmt) {
            return stmt.error();
        }
        bind_policy(*stmt, created);
        stmt->bind(17, created.created_at);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        return created;
    });
}

Result<Policy> SqliteStore::update_policy(const Policy& policy)
{
    return write<Policy>([&](Connection& db) -> Result<Policy> {
        auto usn = usn_.next(db);
        if (!usn) {
            return usn.error();
        }
        Policy updated = policy;
        updated.usn = *usn;
        auto stmt = db.prepare(kUpdatePolicy);
        if (!stmt) {
            return stmt.error();
        }
        bind_policy(*stmt, updated);
        if (auto r = stmt->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "policy not found"};
        }
        return updated;
    });
}

Result<std::vector<std::int64_t>> SqliteStore::delete_policy(const std::string& id)
{
    return write<std::vector<std::int64_t>>([&](Connection& db) -> Result<std::vector<std::int64_t>> {
        auto remove = db.prepare(kDeletePolicy);
        if (!remove) {
            return remove.error();
        }
        remove->bind(1, std::string_view(id));
        if (auto r = remove->run(); !r) {
            return r.error();
        }
        if (sqlite3_changes(db.handle()) == 0) {
            return StoreError{StoreErrc::NotFound, "policy not found"};
        }
        auto select = db.prepare(kSelectPolicySessions);
        if (!select) {
            return select.error();
        }
        select->bind(1, std::string_view(id));
        auto sessions = read_rows<std::int64_t>(*select, read_id);
        if (!sessions) {
            return sessions.error();
        }
        auto mark = db.prepare(kMarkPolicyRemoved);
        if (!mark) {
            return mark.error();
        }
        for (const auto session_id : *sessions) {
            auto usn = usn_.next(db);
            if (!usn) {
                return usn.error();
            }
            mark->bind(1, session_id);
            mark->bind(2, *usn);
            auto marked = mark->step();
            if (!marked) {
                return marked.error();
            }
            if (*marked) {
                counts_.changed(mark->column_int64(0));
            }
            mark->reset();
        }
        return sessions;
    });
}

Result<std::optional<util::Micros>> SqliteStore::policy_last_tick(const std::string& id)
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    return select_one(
        **db, kSelectLastTick, std::string_view(id), "policy not found",
        [](const Statement& row) -> Result<std::optional<util::Micros>> { return row.column_optional_int64(0); });
}

Result<void> SqliteStore::set_policy_last_tick(const std::string& id, util::Micros tick)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kUpdateLastTick);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, std::string_view(id));
        stmt->bind(2, tick);
        return stmt->run();
    });
}

Result<bool> SqliteStore::advance_policy_tick(const std::string& id, std::optional<util::Micros> expected,
                                              util::Micros tick)
{
    return write<bool>([&](Connection& db) -> Result<bool> {
        auto stmt = db.prepare(kAdvanceLastTick);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, std::string_view(id));
        stmt->bind(2, tick);
        stmt->bind(3, expected);
        auto moved = stmt->step();
        if (!moved || *moved) {
            return moved;
        }
        auto exists = db.prepare(kPolicyExists);
        if (!exists) {
            return exists.error();
        }
        exists->bind(1, std::string_view(id));
        auto found = exists->step();
        if (!found) {
            return found.error();
        }
        if (!*found) {
            return StoreError{StoreErrc::NotFound, "policy not found"};
        }
        return false;
    });
}

Result<bool> SqliteStore::claim_policy_run(const PolicyRun& run, std::int64_t max_runs)
{
    return write<bool>([&](Connection& db) -> Result<bool> {
        auto stmt = db.prepare(kClaimRun);
        if (!stmt) {
            return stmt.error();
        }
        bind_run(*stmt, run);
        stmt->bind(5, max_runs);
        return stmt->step();
    });
}

Result<void> SqliteStore::insert_policy_run(const PolicyRun& run)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kInsertRun);
        if (!stmt) {
            return stmt.error();
        }
        bind_run(*stmt, run);
        return stmt->run();
    });
}

Result<void> SqliteStore::remove_policy_run(std::int64_t session_id)
{
    return write<void>([&](Connection& db) -> Result<void> {
        auto stmt = db.prepare(kDeleteRun);
        if (!stmt) {
            return stmt.error();
        }
        stmt->bind(1, session_id);
        return stmt->run();
    });
}

Result<std::vector<PolicyRun>> SqliteStore::list_policy_runs()
{
    auto db = reader();
    if (!db) {
        return db.error();
    }
    auto stmt = (*db)->prepare(kSelectRuns);
    if (!stmt) {
        return stmt.error();
    }
    return read_rows<PolicyRun>(*stmt, [](const Statement& row) -> Result<PolicyRun> {
        return PolicyRun{
            row.column_int64(0), std::string(row.column_text(1)), row.column_int64(2), row.column_int64(3), {}};
    });
}

Result<RetentionBatch> SqliteStore::delete_old_sessions(const std::optional<std::string>& policy_id,
                                                        util::Micros before, std::int64_t max_sessions)
{
    return write<RetentionBatch>([&](Connection& db) -> Result<RetentionBatch> {
        auto select = db.prepare(policy_id ? kSelectOldPolicySessions : kSelectOldOtherSessions);
        if (!select) {
            return select.error();
        }
        int index = 1;
        if (policy_id) {
            select->bind(index++, std::string_view(*policy_id));
        }
        select->bind(index++, before);
        select->bind(index, max_sessions);
        auto ids = read_rows<std::int64_t>(*select, read_id);
        if (!ids) {
            return ids.error();
        }
        RetentionBatch batch;
        auto count = db.prepare(kCountLogEntries);
        auto remove = db.prepare(kDeleteSession.c_str());
        if (!count) {
            return count.error();
        }
        if (!remove) {
            return remove.error();
        }
        for (const auto id : *ids) {
            count->bind(1, id);
            auto row = count->step();
            if (!row) {
                return row.error();
            }
            batch.log_entries += count->column_int64(0);
            count->reset();
            // The log goes with the session (ON DELETE CASCADE).
            remove->bind(1, id);
            auto removed = remove->step();
            if (!removed) {
                return removed.error();
            }
            if (*removed) {
                counts_.count(counted_as(*remove), -1);
            }
            remove->reset();
            ++batch.sessions;
        }
        return batch;
    });
}

} // namespace jobsessions::store::sqlite
