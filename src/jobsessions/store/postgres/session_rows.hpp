// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/store/postgres/connection.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

// The columns of a session, in the order read_session reads them.
#define JOBSESSIONS_PG_SESSION_COLUMNS                                                                                 \
    "id, type, status, start_time, stop_time, usn, created_by, policy_id, policy_name, protected_instances_count, "    \
    "policy_removed, restore_reason, restore_policy_name, repository_id, repository_name, repository_removed, "        \
    "retention_deleted_count"

// The columns of a log entry, in the order read_log_entry reads them.
#define JOBSESSIONS_PG_LOG_COLUMNS "seq, log_time, status, message, execution_start, execution_duration"

namespace jobsessions::store::postgres {

/// How many columns JOBSESSIONS_PG_SESSION_COLUMNS names: the index of the first column after them.
inline constexpr int kSessionColumnCount = [] {
    const std::string_view columns = JOBSESSIONS_PG_SESSION_COLUMNS;
    return static_cast<int>(std::count(columns.begin(), columns.end(), ',')) + 1;
}();

/// Row `r` of a result selecting JOBSESSIONS_PG_SESSION_COLUMNS as a session; Corrupt for an unknown type or status.
Result<domain::JobSession> read_session(const Rows& rows, int r);

/// The log entry of session `session_id` in row `r` of a result selecting JOBSESSIONS_PG_LOG_COLUMNS from column
/// `first` on; Corrupt for an unknown status.
Result<domain::LogEntry> read_log_entry(const Rows& rows, int r, int first, std::int64_t session_id);

} // namespace jobsessions::store::postgres
