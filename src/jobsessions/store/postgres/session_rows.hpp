// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/store/postgres/connection.hpp"

// The columns of a session, in the order read_session reads them.
#define JOBSESSIONS_PG_SESSION_COLUMNS                                                                                 \
    "id, type, status, start_time, stop_time, usn, created_by, policy_id, policy_name, protected_instances_count, "    \
    "policy_removed, restore_reason, restore_policy_name, repository_id, repository_name, repository_removed, "        \
    "retention_deleted_count"

namespace jobsessions::store::postgres {

/// Row `r` of a result selecting JOBSESSIONS_PG_SESSION_COLUMNS as a session; Corrupt for an unknown type or status.
Result<domain::JobSession> read_session(const Rows& rows, int r);

} // namespace jobsessions::store::postgres
