// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/session_counts.hpp"

#include <array>

namespace jobsessions::store::sqlite {
namespace {

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

// Every statement numbers its parameters alike and uses those its table has: ?1 day, ?2 type, ?3 status,
// ?4 created_by, ?5 policy id, ?6 policy name, ?7 the change.
struct CountTable {
    const char* add;
    const char* remove_empty;
    bool by_day;
    bool by_policy;
};

constexpr std::array<CountTable, 4> kCountTables{{
    {"INSERT INTO session_totals (type, status, created_by, n) VALUES (?2, ?3, ?4, ?7)"
     " ON CONFLICT DO UPDATE SET n = n + excluded.n",
     "DELETE FROM session_totals WHERE type = ?2 AND status = ?3 AND created_by = ?4 AND n <= 0", false, false},
    {"INSERT INTO session_day_counts (day, type, status, created_by, n) VALUES (?1, ?2, ?3, ?4, ?7)"
     " ON CONFLICT DO UPDATE SET n = n + excluded.n",
     "DELETE FROM session_day_counts WHERE day = ?1 AND type = ?2 AND status = ?3 AND created_by = ?4 AND n <= 0", true,
     false},
    {"INSERT INTO session_policy_totals (policy_id, policy_name, type, status, created_by, n)"
     " VALUES (?5, ?6, ?2, ?3, ?4, ?7) ON CONFLICT DO UPDATE SET n = n + excluded.n",
     "DELETE FROM session_policy_totals WHERE policy_id = ?5 AND policy_name = ?6 AND type = ?2 AND status = ?3"
     " AND created_by = ?4 AND n <= 0",
     false, true},
    {"INSERT INTO session_policy_day_counts (day, policy_id, policy_name, type, status, created_by, n)"
     " VALUES (?1, ?5, ?6, ?2, ?3, ?4, ?7) ON CONFLICT DO UPDATE SET n = n + excluded.n",
     "DELETE FROM session_policy_day_counts WHERE day = ?1 AND policy_id = ?5 AND policy_name = ?6 AND type = ?2"
     " AND status = ?3 AND created_by = ?4 AND n <= 0",
     true, true},
}};

void bind_row(Statement& stmt, const CountedAs& key, std::int64_t delta)
{
    stmt.bind(1, key.day);
    stmt.bind(2, std::string_view(key.type));
    stmt.bind(3, std::string_view(key.status));
    stmt.bind(4, key.created_by);
    stmt.bind(5, std::string_view(key.policy_id));
    stmt.bind(6, std::string_view(key.policy_name));
    stmt.bind(7, delta);
}

Result<void> run_row(Connection& db, const char* sql, const CountedAs& key, std::int64_t delta)
{
    auto stmt = db.prepare(sql);
    if (!stmt) {
        return stmt.error();
    }
    bind_row(*stmt, key, delta);
    return stmt->run();
}

// Days are counted in UTC, floored (a start before 1970 belongs to the day it falls in).
std::int64_t day_of(std::int64_t start_time)
{
    return start_time / kMicrosPerDay - (start_time < 0 && start_time % kMicrosPerDay != 0);
}

} // namespace

CountedAs counted_as(const domain::JobSession& session)
{
    CountedAs key;
    key.day = day_of(session.start_time);
    key.type = domain::to_string(session.type);
    key.status = domain::to_string(session.status);
    key.created_by = session.created_by;
    if (session.backup_info) {
        key.has_policy = true;
        key.policy_id = session.backup_info->policy_id;
        key.policy_name = session.backup_info->policy_name;
    }
    return key;
}

CountedAs counted_as(const Statement& row)
{
    CountedAs key;
    key.type = std::string(row.column_text(0));
    key.status = std::string(row.column_text(1));
    key.day = day_of(row.column_int64(2));
    key.created_by = row.column_int64(3);
    if (!row.column_is_null(4)) {
        key.has_policy = true;
        key.policy_id = std::string(row.column_text(4));
        key.policy_name = std::string(row.column_text(5));
    }
    return key;
}

void SessionCounts::begin_batch() noexcept
{
    write_.clear();
    batch_.clear();
}

void SessionCounts::count(CountedAs key, int delta)
{
    write_.emplace_back(std::move(key), delta);
}

void SessionCounts::end_write(bool kept)
{
    if (kept) {
        for (auto& [key, delta] : write_) {
            batch_[std::move(key)] += delta;
        }
    }
    write_.clear();
}

Result<void> SessionCounts::write_back(Connection& db)
{
    for (const auto& table : kCountTables) {
        // The rows of this table: keys that differ only in what it does not keep fold into one.
        std::map<CountedAs, std::int64_t> rows;
        for (const auto& [key, delta] : batch_) {
            if (table.by_policy && !key.has_policy) {
                continue;
            }
            CountedAs row = key;
            if (!table.by_day) {
                row.day = 0;
            }
            if (!table.by_policy) {
                row.has_policy = false;
                row.policy_id.clear();
                row.policy_name.clear();
            }
            rows[std::move(row)] += delta;
        }
        for (const auto& [row, delta] : rows) {
            if (delta == 0) {
                continue;
            }
            if (auto r = run_row(db, table.add, row, delta); !r) {
                return r;
            }
            if (delta < 0) {
                if (auto r = run_row(db, table.remove_empty, row, delta); !r) {
                    return r;
                }
            }
        }
    }
    batch_.clear();
    return {};
}

} // namespace jobsessions::store::sqlite
