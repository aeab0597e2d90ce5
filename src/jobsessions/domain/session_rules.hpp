// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"

#include <optional>
#include <string>

namespace jobsessions::domain {

/// A change an agent asks for (PATCH); absent members stay as they are.
struct SessionChange {
    std::optional<SessionStatus> status;
    std::optional<util::Micros> stop_time;
    std::optional<BackupJobInfo> backup_info;
    std::optional<RestoreJobInfo> restore_info;
    std::optional<RepositoryJobInfo> repository_info;
    std::optional<RetentionJobInfo> retention_info;
};

/// Why a change was refused.
enum class ChangeRefusal : std::uint8_t {
    /// The session is final and never changes again (409).
    AlreadyFinal,
    /// The stop time lies before the start time (400, `executionStopTime`).
    StopBeforeStart,
    /// A stop time was given but the session does not end (400, `executionStopTime`).
    StopTimeWithoutFinalStatus,
};

/// Applies `change` to `session` following the status rules of the contract: a final session refuses every
/// change; a session being canceled stays `Canceling` until it reports a final status; a final status without a
/// stop time stops at `now`. Returns true when the session changed, or the reason it refused.
struct ChangeOutcome {
    bool changed = false;
    std::optional<ChangeRefusal> refusal;
};
ChangeOutcome apply_change(JobSession& session, const SessionChange& change, util::Micros now);

} // namespace jobsessions::domain
