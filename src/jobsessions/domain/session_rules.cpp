// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/session_rules.hpp"

#include <algorithm>

namespace jobsessions::domain {

ChangeOutcome apply_change(JobSession& session, const SessionChange& change, util::Micros now)
{
    if (is_final(session.status)) {
        return {false, ChangeRefusal::AlreadyFinal};
    }
    JobSession next = session;
    if (change.status) {
        // A stop request wins over an agent's progress report until the agent says how the work ended.
        const bool keep_canceling = session.status == SessionStatus::Canceling && !is_final(*change.status);
        if (!keep_canceling) {
            next.status = *change.status;
        }
    }
    if (change.stop_time) {
        if (!is_final(next.status)) {
            return {false, ChangeRefusal::StopTimeWithoutFinalStatus};
        }
        next.stop_time = change.stop_time;
    } else if (is_final(next.status)) {
        next.stop_time = std::max(now, next.start_time);
    }
    if (next.stop_time && *next.stop_time < next.start_time) {
        return {false, ChangeRefusal::StopBeforeStart};
    }
    if (change.backup_info) {
        next.backup_info = change.backup_info;
    }
    if (change.restore_info) {
        next.restore_info = change.restore_info;
    }
    if (change.repository_info) {
        next.repository_info = change.repository_info;
    }
    if (change.retention_info) {
        next.retention_info = change.retention_info;
    }
    const bool changed = !(next == session);
    session = std::move(next);
    return {changed, std::nullopt};
}

} // namespace jobsessions::domain
