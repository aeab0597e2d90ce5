// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/session.hpp"
#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace jobsessions::domain {

/// The ranges of a policy's numbers.
inline constexpr std::int64_t kMaxTimeoutSeconds = std::int64_t{366} * 24 * 3600; // a year and a day
inline constexpr std::int64_t kMaxStopGraceSeconds = 3600;
inline constexpr std::int64_t kMaxRetentionDays = 36'500; // a hundred years
inline constexpr std::int64_t kMaxConcurrentRuns = 100;

/// The newest session of a policy, as a policy's representation shows it.
struct PolicyLastRun {
    std::int64_t session_id = 0;
    SessionStatus status = SessionStatus::Running;
    util::Micros start_time = 0;
    std::optional<util::Micros> stop_time;
    bool operator==(const PolicyLastRun&) const = default;
};

/// A job the server runs itself: a command, when to run it, and how its runs become sessions.
struct Policy {
    /// A random UUID, given at creation; sessions carry it as backupJobInfo.policyId.
    std::string id;
    /// Unique without regard to case.
    std::string name;
    std::string description;
    SessionType session_type = SessionType::PolicyBackup;
    /// The program and its arguments; no shell unless the command itself runs one.
    std::vector<std::string> command;
    /// Where the command runs; empty: the server's data directory.
    std::string working_directory;
    /// The whole environment of the command (nothing is inherited from the server), in the order given.
    std::vector<std::pair<std::string, std::string>> environment;
    /// A cron schedule (see runner::CronSchedule); empty: started by hand only.
    std::string schedule;
    bool enabled = true;
    /// A run longer than this is stopped and ends as Error; none: no limit.
    std::optional<std::int64_t> timeout_seconds;
    /// How long a stopped run has between SIGTERM and SIGKILL.
    std::int64_t stop_grace_seconds = 30;
    /// Exit codes that end a run as Warning instead of Error.
    std::vector<int> warning_exit_codes;
    /// Sessions of this policy older than this many days are deleted by retention; none: the global default.
    std::optional<std::int64_t> retention_days;
    /// Runs of this policy at the same time; a tick that would exceed it is recorded as NeverExecuted.
    std::int64_t max_concurrent_runs = 1;
    /// Whether a tick missed while the server was down runs once when it starts again.
    bool catch_up = false;
    std::int64_t usn = 0;
    util::Micros created_at = 0;
    /// What the server tells of a policy beside its definition (not stored with it; see PolicyService): when its
    /// schedule next starts a run (none: disabled, no schedule, or nothing within eight years) and its newest
    /// session.
    std::optional<util::Micros> next_run;
    std::optional<PolicyLastRun> last_run;
};

/// One thing wrong with a policy: the field (as named in the API) and what is wrong with it.
struct PolicyProblem {
    std::string field;
    std::string message;
};

/// Everything wrong with a policy's definition (empty when it is valid); the schedule is checked by its parser.
std::vector<PolicyProblem> validate_policy(const Policy& policy);

/// What an environment value reads as for those who may not read it.
inline constexpr const char* kRedactedValue = "********";

/// Replaces every environment value with kRedactedValue, keeping the names: the values are often credentials
/// (`RESTIC_PASSWORD`), which only Administrators, who set them, may read back.
void redact_environment(Policy& policy);

} // namespace jobsessions::domain
