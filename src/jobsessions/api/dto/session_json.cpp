// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/api/dto/session_json.hpp"

#include "jobsessions/api/dto/json_text.hpp"
#include "jobsessions/util/strings.hpp"

#include <algorithm>

namespace jobsessions::api::dto {
namespace {

void append_bool(std::string& out, bool value)
{
    out.append(value ? "true" : "false");
}

void append_quoted_timestamp(std::string& out, util::Micros t)
{
    out.push_back('"');
    util::append_timestamp(out, t);
    out.push_back('"');
}

void append_quoted_timespan(std::string& out, util::Micros d)
{
    out.push_back('"');
    util::append_timespan(out, d);
    out.push_back('"');
}

} // namespace

void append_session(std::string& out, const domain::JobSession& s, const BaseUrl& base, util::Micros now)
{
    out.append(R"({"id":")");
    util::append_int(out, s.id);
    out.append(R"(","type":")");
    out.append(domain::to_string(s.type));
    out.append(R"(","localizedType":")");
    out.append(domain::localized_name(s.type));
    out.append(R"(","executionStartTime":)");
    append_quoted_timestamp(out, s.start_time);
    out.append(R"(,"executionStopTime":)");
    if (s.stop_time) {
        append_quoted_timestamp(out, *s.stop_time);
    } else {
        out.append("null");
    }
    out.append(R"(,"executionDuration":)");
    append_quoted_timespan(out, s.stop_time.value_or(std::max(now, s.start_time)) - s.start_time);
    out.append(R"(,"status":")");
    out.append(domain::to_string(s.status));
    out.append(R"(","usn":)");
    util::append_int(out, s.usn);
    if (s.backup_info) {
        out.append(R"(,"backupJobInfo":{"policyId":)");
        append_json_string(out, s.backup_info->policy_id);
        out.append(R"(,"policyName":)");
        append_json_string(out, s.backup_info->policy_name);
        out.append(R"(,"protectedInstancesCount":)");
        util::append_int(out, s.backup_info->protected_instances_count);
        out.append(R"(,"policyRemoved":)");
        append_bool(out, s.backup_info->policy_removed);
        out.push_back('}');
    }
    if (s.restore_info) {
        out.append(R"(,"restoreJobInfo":{"reason":)");
        append_json_string(out, s.restore_info->reason);
        out.append(R"(,"backupPolicyDisplayName":)");
        append_json_string(out, s.restore_info->backup_policy_display_name);
        out.push_back('}');
    }
    if (s.repository_info) {
        out.append(R"(,"repositoryJobInfo":{"repositoryId":)");
        append_json_string(out, s.repository_info->repository_id);
        out.append(R"(,"repositoryName":)");
        append_json_string(out, s.repository_info->repository_name);
        out.append(R"(,"repositoryRemoved":)");
        append_bool(out, s.repository_info->repository_removed);
        out.push_back('}');
    }
    if (s.retention_info) {
        out.append(R"(,"retentionJobInfo":{"deletedRestorePointsCount":)");
        util::append_int(out, s.retention_info->deleted_restore_points_count);
        out.push_back('}');
    }
    out.append(R"(,"_links":{"self":{"href":")");
    append_session_url(out, base, s.id);
    out.append(R"("},"log":{"href":")");
    append_session_url(out, base, s.id);
    out.append(R"(/log"}}})");
}

void append_session_url(std::string& out, const BaseUrl& base, std::int64_t id)
{
    base.append_to(out);
    out.append("/api/v1/jobSessions/");
    util::append_int(out, id);
}

void append_log_entry(std::string& out, const domain::LogEntry& e)
{
    out.append(R"({"logTime":)");
    append_quoted_timestamp(out, e.log_time);
    out.append(R"(,"status":")");
    out.append(domain::to_string(e.status));
    out.append(R"(","message":)");
    append_json_string(out, e.message);
    out.append(R"(,"executionStartTime":)");
    append_quoted_timestamp(out, e.execution_start_time);
    out.append(R"(,"executionDuration":)");
    append_quoted_timespan(out, e.execution_duration);
    out.push_back('}');
}

void append_log(std::string& out, std::int64_t session_id, const std::vector<domain::LogEntry>& entries)
{
    out.append(R"({"jobSessionId":")");
    util::append_int(out, session_id);
    out.append(R"(","log":[)");
    bool first = true;
    for (const auto& e : entries) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        append_log_entry(out, e);
    }
    out.append("]}");
}

} // namespace jobsessions::api::dto
