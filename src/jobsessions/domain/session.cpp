// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/domain/session.hpp"

#include "jobsessions/util/strings.hpp"

#include <array>

namespace jobsessions::domain {
namespace {

struct TypeName {
    SessionType type;
    std::string_view wire;
    std::string_view localized;
};

// Order matches the enum, so an enumerator indexes its own row.
constexpr std::array<TypeName, 19> kTypeNames{{
    {SessionType::PolicyBackup, "PolicyBackup", "Policy Backup"},
    {SessionType::PolicySnapshot, "PolicySnapshot", "Policy Snapshot"},
    {SessionType::PolicyArchive, "PolicyArchive", "Policy Archive"},
    {SessionType::ManualSnapshot, "ManualSnapshot", "Manual Snapshot"},
    {SessionType::AutoBackup, "AutoBackup", "Auto Backup"},
    {SessionType::RestoreVms, "RestoreVms", "Restore VMs"},
    {SessionType::RestoreDisks, "RestoreDisks", "Restore Disks"},
    {SessionType::FileLevelRestore, "FileLevelRestore", "File-Level Restore"},
    {SessionType::HealthCheck, "HealthCheck", "Health Check"},
    {SessionType::BackupRetention, "BackupRetention", "Backup Retention"},
    {SessionType::BackupDeletion, "BackupDeletion", "Backup Deletion"},
    {SessionType::SnapshotDeletion, "SnapshotDeletion", "Snapshot Deletion"},
    {SessionType::ManualSnapshotDeletion, "ManualSnapshotDeletion", "Manual Snapshot Deletion"},
    {SessionType::ObsoleteSnapshotRetention, "ObsoleteSnapshotRetention", "Obsolete Snapshot Retention"},
    // The compatible API really labels this type "Deletion".
    {SessionType::InvalidSnapshotRetention, "InvalidSnapshotRetention", "Invalid Snapshot Deletion"},
    {SessionType::OrphanedSnapshotRetention, "OrphanedSnapshotRetention", "Orphaned Snapshot Retention"},
    {SessionType::RepositoryCreation, "RepositoryCreation", "Repository Creation"},
    {SessionType::RepositoryDeletion, "RepositoryDeletion", "Repository Deletion"},
    {SessionType::RepositoryEdit, "RepositoryEdit", "Repository Edit"},
}};

constexpr std::array<SessionType, 19> kTypes = [] {
    std::array<SessionType, 19> types{};
    for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
        types[i] = kTypeNames[i].type;
    }
    return types;
}();

constexpr std::array<std::string_view, 10> kStatusNames{
    "Pending", "Running", "RunningWithWarning", "RunningWithError", "Canceling", "Success",
    "Warning", "Error",   "Canceled",           "NeverExecuted",
};

constexpr std::array<SessionStatus, 10> kStatuses{
    SessionStatus::Pending,          SessionStatus::Running,   SessionStatus::RunningWithWarning,
    SessionStatus::RunningWithError, SessionStatus::Canceling, SessionStatus::Success,
    SessionStatus::Warning,          SessionStatus::Error,     SessionStatus::Canceled,
    SessionStatus::NeverExecuted,
};

static_assert([] {
    for (std::size_t i = 0; i < kTypeNames.size(); ++i) {
        if (static_cast<std::size_t>(kTypeNames[i].type) != i) {
            return false;
        }
    }
    return true;
}());

} // namespace

std::string_view to_string(SessionType type) noexcept
{
    return kTypeNames[static_cast<std::size_t>(type)].wire;
}

std::string_view localized_name(SessionType type) noexcept
{
    return kTypeNames[static_cast<std::size_t>(type)].localized;
}

std::optional<SessionType> parse_session_type(std::string_view text) noexcept
{
    for (const auto& row : kTypeNames) {
        if (util::iequals(row.wire, text)) {
            return row.type;
        }
    }
    return std::nullopt;
}

std::span<const SessionType> all_session_types() noexcept
{
    return kTypes;
}

std::string_view to_string(SessionStatus status) noexcept
{
    return kStatusNames[static_cast<std::size_t>(status)];
}

std::optional<SessionStatus> parse_session_status(std::string_view text) noexcept
{
    for (std::size_t i = 0; i < kStatusNames.size(); ++i) {
        if (util::iequals(kStatusNames[i], text)) {
            return kStatuses[i];
        }
    }
    return std::nullopt;
}

std::span<const SessionStatus> all_session_statuses() noexcept
{
    return kStatuses;
}

std::string session_type_names()
{
    std::string names;
    for (const auto& row : kTypeNames) {
        names += names.empty() ? "" : ", ";
        names += row.wire;
    }
    return names;
}

std::string session_status_names()
{
    std::string names;
    for (const auto name : kStatusNames) {
        names += names.empty() ? "" : ", ";
        names += name;
    }
    return names;
}

} // namespace jobsessions::domain
