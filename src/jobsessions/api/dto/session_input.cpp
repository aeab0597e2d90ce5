// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_input.hpp"

#include "jobsessions/api/ranges.hpp"

namespace jobsessions::api::dto {
namespace {

// A log line the runner splits at 64 KiB; agents get the same bound.
constexpr std::size_t kMaxMessageBytes = std::size_t{64} * 1024;
constexpr std::size_t kMaxNameBytes = 1024;

std::optional<service::AppendLogEntry> read_entry(FieldReader& reader, const boost::json::object& entry)
{
    service::AppendLogEntry e;
    auto status = reader.status(entry, "status", "status");
    auto message = reader.string(entry, "message", "message", kMaxMessageBytes);
    if (FieldReader::find(entry, "status") == nullptr) {
        reader.fail("status", "Is required.");
    }
    if (FieldReader::find(entry, "message") == nullptr) {
        reader.fail("message", "Is required.");
    }
    e.log_time = reader.timestamp(entry, "logTime", "logTime");
    e.execution_start_time = reader.timestamp(entry, "executionStartTime", "executionStartTime");
    e.execution_duration = reader.timespan(entry, "executionDuration", "executionDuration");
    if (!status || !message) {
        return std::nullopt;
    }
    e.status = *status;
    e.message = std::move(*message);
    return e;
}

} // namespace

SessionInfos read_session_infos(FieldReader& reader, const boost::json::object& body)
{
    SessionInfos infos;
    if (const auto* o = reader.object(body, "backupJobInfo", "backupJobInfo")) {
        domain::BackupJobInfo info;
        info.policy_id = reader.string(*o, "policyId", "backupJobInfo.policyId", kMaxNameBytes).value_or("");
        info.policy_name = reader.string(*o, "policyName", "backupJobInfo.policyName", kMaxNameBytes).value_or("");
        info.protected_instances_count =
            reader.integer(*o, "protectedInstancesCount", "backupJobInfo.protectedInstancesCount", 0, kMaxInfoCount)
                .value_or(0);
        info.policy_removed = reader.boolean(*o, "policyRemoved", "backupJobInfo.policyRemoved").value_or(false);
        infos.backup = std::move(info);
    }
    if (const auto* o = reader.object(body, "restoreJobInfo", "restoreJobInfo")) {
        domain::RestoreJobInfo info;
        info.reason = reader.string(*o, "reason", "restoreJobInfo.reason", kMaxNameBytes).value_or("");
        info.backup_policy_display_name =
            reader.string(*o, "backupPolicyDisplayName", "restoreJobInfo.backupPolicyDisplayName", kMaxNameBytes)
                .value_or("");
        infos.restore = std::move(info);
    }
    if (const auto* o = reader.object(body, "repositoryJobInfo", "repositoryJobInfo")) {
        domain::RepositoryJobInfo info;
        info.repository_id =
            reader.string(*o, "repositoryId", "repositoryJobInfo.repositoryId", kMaxNameBytes).value_or("");
        info.repository_name =
            reader.string(*o, "repositoryName", "repositoryJobInfo.repositoryName", kMaxNameBytes).value_or("");
        info.repository_removed =
            reader.boolean(*o, "repositoryRemoved", "repositoryJobInfo.repositoryRemoved").value_or(false);
        infos.repository = std::move(info);
    }
    if (const auto* o = reader.object(body, "retentionJobInfo", "retentionJobInfo")) {
        domain::RetentionJobInfo info;
        info.deleted_restore_points_count = reader
                                                .integer(*o, "deletedRestorePointsCount",
                                                         "retentionJobInfo.deletedRestorePointsCount", 0, kMaxInfoCount)
                                                .value_or(0);
        infos.retention = info;
    }
    return infos;
}

std::vector<service::AppendLogEntry> read_log_entries(FieldReader& reader, const boost::json::object& body)
{
    std::vector<service::AppendLogEntry> entries;
    const auto* log = FieldReader::find(body, "log");
    if (log == nullptr) {
        if (auto e = read_entry(reader, body)) {
            entries.push_back(std::move(*e));
        }
        return entries;
    }
    if (!log->is_array() || log->get_array().empty()) {
        reader.fail("log", "Must be a non-empty array of log entries.");
        return entries;
    }
    entries.reserve(log->get_array().size());
    std::size_t index = 0;
    for (const auto& item : log->get_array()) {
        auto at = reader.under("log[" + std::to_string(index++) + "]");
        if (!item.is_object()) {
            at.fail("", "Must be an object.");
            continue;
        }
        auto fields = at.under(".");
        if (auto e = read_entry(fields, item.get_object())) {
            entries.push_back(std::move(*e));
        }
    }
    return entries;
}

} // namespace jobsessions::api::dto
