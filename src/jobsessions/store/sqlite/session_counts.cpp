// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/session_counts.hpp"

#include "jobsessions/util/time.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace jobsessions::store::sqlite {
namespace {

using util::floor_div;
using util::kMicrosPerMinute;

constexpr std::int64_t kMinutesPerHour = util::kMicrosPerHour / kMicrosPerMinute;
constexpr std::int64_t kMinutesPerDay = util::kMicrosPerDay / kMicrosPerMinute;
constexpr std::int64_t kMinutesPerPeriod = kDaysPerPeriod * kMinutesPerDay;

// One aggregate table. Its statements number their parameters alike and use those the table has: ?1 the bucket
// (period, day, hour or minute number), ?2 type, ?3 status, ?4 created_by, ?5 policy id, ?6 policy name, ?7 the change.
struct CountTable {
    std::string add;
    std::string remove_empty;
    std::int64_t minutes_per_bucket; // 0: no time column
    bool by_policy;
};

CountTable count_table(const std::string& name, const char* bucket, std::int64_t minutes_per_bucket, bool by_policy)
{
    std::string keys;
    std::string values;
    std::string match;
    auto key = [&](const char* column, const char* param) {
        keys += std::string(keys.empty() ? "" : ", ") + column;
        values += std::string(values.empty() ? "" : ", ") + param;
        match += std::string(match.empty() ? "" : " AND ") + column + " = " + param;
    };
    if (bucket != nullptr) {
        key(bucket, "?1");
    }
    if (by_policy) {
        key("policy_id", "?5");
        key("policy_name", "?6");
    }
    key("type", "?2");
    key("status", "?3");
    key("created_by", "?4");
    return {"INSERT INTO " + name + " (" + keys + ", n) VALUES (" + values +
                ", ?7) ON CONFLICT DO UPDATE SET n = n + excluded.n",
            "DELETE FROM " + name + " WHERE " + match + " AND n <= 0", minutes_per_bucket, by_policy};
}

const std::vector<CountTable>& count_tables()
{
    static const std::vector<CountTable> tables{
        count_table("session_totals", nullptr, 0, false),
        count_table("session_period_counts", "period", kMinutesPerPeriod, false),
        count_table("session_day_counts", "day", kMinutesPerDay, false),
        count_table("session_hour_counts", "hour", kMinutesPerHour, false),
        count_table("session_minute_counts", "minute", 1, false),
        count_table("session_policy_totals", nullptr, 0, true),
        count_table("session_policy_period_counts", "period", kMinutesPerPeriod, true),
        count_table("session_policy_day_counts", "day", kMinutesPerDay, true),
        count_table("session_policy_hour_counts", "hour", kMinutesPerHour, true),
        count_table("session_policy_minute_counts", "minute", 1, true),
    };
    return tables;
}

void bind_row(Statement& stmt, const CountedAs& key, std::int64_t delta)
{
    stmt.bind(1, key.minute);
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

} // namespace

CountedAs counted_as(const domain::JobSession& session)
{
    CountedAs key;
    key.minute = floor_div(session.start_time, kMicrosPerMinute);
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
    key.minute = floor_div(row.column_int64(2), kMicrosPerMinute);
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
    write_changed_periods_.clear();
    batch_.clear();
    batch_changed_periods_.clear();
}

void SessionCounts::count(CountedAs key, int delta)
{
    write_.emplace_back(std::move(key), delta);
}

void SessionCounts::changed(util::Micros start_time)
{
    write_changed_periods_.push_back(floor_div(start_time, kMicrosPerMinute * kMinutesPerPeriod));
}

void SessionCounts::end_write(bool kept)
{
    if (kept) {
        for (auto& [key, delta] : write_) {
            batch_[std::move(key)] += delta;
        }
        batch_changed_periods_.insert(write_changed_periods_.begin(), write_changed_periods_.end());
    }
    write_.clear();
    write_changed_periods_.clear();
}

std::vector<std::int64_t> SessionCounts::periods() const
{
    std::vector<std::int64_t> periods;
    for (const auto& [key, delta] : batch_) { // in minute order: a period's keys are together
        const auto period = floor_div(key.minute, kMinutesPerPeriod);
        if (periods.empty() || periods.back() != period) {
            periods.push_back(period);
        }
    }
    if (!batch_changed_periods_.empty()) {
        periods.insert(periods.end(), batch_changed_periods_.begin(), batch_changed_periods_.end());
        std::sort(periods.begin(), periods.end());
        periods.erase(std::unique(periods.begin(), periods.end()), periods.end());
    }
    return periods;
}

Result<void> SessionCounts::write_back(Connection& db)
{
    for (const auto& table : count_tables()) {
        // The rows of this table: keys that differ only in what it does not keep fold into one.
        std::map<CountedAs, std::int64_t> rows;
        for (const auto& [key, delta] : batch_) {
            if (table.by_policy && !key.has_policy) {
                continue;
            }
            CountedAs row = key;
            // From here on `minute` holds the number of the table's bucket (period, day, hour or minute), bound as ?1.
            row.minute = table.minutes_per_bucket == 0 ? 0 : floor_div(key.minute, table.minutes_per_bucket);
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
            if (auto r = run_row(db, table.add.c_str(), row, delta); !r) {
                return r;
            }
            if (delta < 0) {
                if (auto r = run_row(db, table.remove_empty.c_str(), row, delta); !r) {
                    return r;
                }
            }
        }
    }
    batch_.clear();
    return {};
}

} // namespace jobsessions::store::sqlite
