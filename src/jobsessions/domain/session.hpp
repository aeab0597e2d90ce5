// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/util/time.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace jobsessions::domain {

/// The kind of work a session records. Enumerators are spelled like the wire values.
enum class SessionType : std::uint8_t {
    PolicyBackup,
    PolicySnapshot,
    PolicyArchive,
    ManualSnapshot,
    AutoBackup,
    RestoreVms,
    RestoreDisks,
    FileLevelRestore,
    HealthCheck,
    BackupRetention,
    BackupDeletion,
    SnapshotDeletion,
    ManualSnapshotDeletion,
    ObsoleteSnapshotRetention,
    InvalidSnapshotRetention,
    OrphanedSnapshotRetention,
    RepositoryCreation,
    RepositoryDeletion,
    RepositoryEdit,
};

/// Where a session stands. The last five are final.
enum class SessionStatus : std::uint8_t {
    Pending,
    Running,
    RunningWithWarning,
    RunningWithError,
    Canceling,
    Success,
    Warning,
    Error,
    Canceled,
    NeverExecuted,
};

/// The wire name of a type (`BackupRetention`).
std::string_view to_string(SessionType type) noexcept;
/// The display name of a type (`Backup Retention`).
std::string_view localized_name(SessionType type) noexcept;
/// Parses a type name without regard to case.
std::optional<SessionType> parse_session_type(std::string_view text) noexcept;
/// Every type, in declaration order.
std::span<const SessionType> all_session_types() noexcept;
/// Every type's wire name, comma-separated, for error messages.
std::string session_type_names();

/// The wire name of a status (`RunningWithWarning`).
std::string_view to_string(SessionStatus status) noexcept;
/// Parses a status name without regard to case.
std::optional<SessionStatus> parse_session_status(std::string_view text) noexcept;
/// Every status, in declaration order.
std::span<const SessionStatus> all_session_statuses() noexcept;
/// Every status's wire name, comma-separated, for error messages.
std::string session_status_names();
/// True for Success, Warning, Error, Canceled and NeverExecuted: such a session never changes again.
constexpr bool is_final(SessionStatus status) noexcept
{
    return status >= SessionStatus::Success;
}

/// `backupJobInfo`: the policy a backup ran for.
struct BackupJobInfo {
    std::string policy_id;
    std::string policy_name;
    std::int64_t protected_instances_count = 0;
    bool policy_removed = false;
    bool operator==(const BackupJobInfo&) const = default;
};

/// `restoreJobInfo`: why and from what a restore ran.
struct RestoreJobInfo {
    std::string reason;
    std::string backup_policy_display_name;
    bool operator==(const RestoreJobInfo&) const = default;
};

/// `repositoryJobInfo`: the repository a repository job worked on.
struct RepositoryJobInfo {
    std::string repository_id;
    std::string repository_name;
    bool repository_removed = false;
    bool operator==(const RepositoryJobInfo&) const = default;
};

/// `retentionJobInfo`: what a retention pass removed.
struct RetentionJobInfo {
    std::int64_t deleted_restore_points_count = 0;
    bool operator==(const RetentionJobInfo&) const = default;
};

/// One job session as stored.
struct JobSession {
    std::int64_t id = 0;
    SessionType type = SessionType::PolicyBackup;
    SessionStatus status = SessionStatus::Running;
    util::Micros start_time = 0;
    std::optional<util::Micros> stop_time;
    std::int64_t usn = 0;
    /// The user who created the session (an Agent may read and write only its own).
    std::int64_t created_by = 0;
    std::optional<BackupJobInfo> backup_info;
    std::optional<RestoreJobInfo> restore_info;
    std::optional<RepositoryJobInfo> repository_info;
    std::optional<RetentionJobInfo> retention_info;
    bool operator==(const JobSession&) const = default;
};

/// One line of a session's log.
struct LogEntry {
    std::int64_t session_id = 0;
    /// 1-based position in the session's log.
    std::int64_t sequence = 0;
    util::Micros log_time = 0;
    SessionStatus status = SessionStatus::Success;
    std::string message;
    util::Micros execution_start_time = 0;
    util::Micros execution_duration = 0;
    bool operator==(const LogEntry&) const = default;
};

} // namespace jobsessions::domain
