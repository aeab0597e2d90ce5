// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/store/sqlite/connection.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace jobsessions::store::sqlite {

/// The coarsest time bucket of the aggregate tables: 32 days, numbered from the epoch like days.
inline constexpr std::int64_t kDaysPerPeriod = 32;

/// What a session is counted under in the aggregate tables (overall, per period, day, hour and minute of its
/// start, each also per policy). Sessions without a policy are left out of the policy tables.
struct CountedAs {
    /// The minute the session started in (UTC minutes since 1970, floored); the period, day and hour follow from it.
    std::int64_t minute = 0;
    std::string type;
    std::string status;
    std::int64_t created_by = 0;
    bool has_policy = false;
    std::string policy_id;
    std::string policy_name;

    friend bool operator<(const CountedAs& a, const CountedAs& b) noexcept
    {
        return std::tie(a.minute, a.type, a.status, a.created_by, a.has_policy, a.policy_id, a.policy_name) <
               std::tie(b.minute, b.type, b.status, b.created_by, b.has_policy, b.policy_id, b.policy_name);
    }
};

/// The key of a session.
CountedAs counted_as(const domain::JobSession& session);

/// The columns a row's key is read from, for statements that select or return them.
inline constexpr const char* kCountedColumns = "type, status, start_time, created_by, policy_id, policy_name";
/// The key of a row whose first columns are kCountedColumns.
CountedAs counted_as(const Statement& row);

/// Keeps the aggregate tables that give a list its totalCount without counting sessions. The writes of a batch
/// add and take away sessions here, in memory; before the batch commits, the net change of each row is written
/// once — a batch of a thousand creations of one kind in one minute costs eight upserts instead of eight thousand. A
/// write rolled back to its savepoint takes its counts with it. Writer thread only.
class SessionCounts {
public:
    /// Forgets what an earlier batch counted (written or rolled back with it).
    void begin_batch() noexcept;
    /// Counts a session in (+1) or out (-1) for the write now running.
    void count(CountedAs key, int delta);
    /// The write now running changes a session that started at `start_time` without changing its counts.
    void changed(util::Micros start_time);
    /// The writes under the savepoint now ending are done: their counts join the batch if they are kept, and go
    /// if they were rolled back.
    void end_write(bool kept);
    /// Writes the batch's net changes into the aggregate tables (inside the batch's transaction); rows that
    /// reach zero are removed.
    Result<void> write_back(Connection& db);
    /// The 32-day periods whose sessions the batch changes (counted or not), ascending.
    [[nodiscard]] std::vector<std::int64_t> periods() const;

private:
    std::vector<std::pair<CountedAs, int>> write_;
    std::vector<std::int64_t> write_changed_periods_;
    std::map<CountedAs, std::int64_t> batch_;
    std::set<std::int64_t> batch_changed_periods_;
};

} // namespace jobsessions::store::sqlite
