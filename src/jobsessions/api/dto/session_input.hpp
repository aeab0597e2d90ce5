// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/json_input.hpp"
#include "jobsessions/domain/session.hpp"
#include "jobsessions/service/session_service.hpp"

#include <optional>
#include <vector>

namespace jobsessions::api::dto {

/// The type-specific info objects of a request body (contract §4); each absent one stays nullopt.
struct SessionInfos {
    std::optional<domain::BackupJobInfo> backup;
    std::optional<domain::RestoreJobInfo> restore;
    std::optional<domain::RepositoryJobInfo> repository;
    std::optional<domain::RetentionJobInfo> retention;

    /// Moves the info objects into a create or change request (anything with the four `*_info` members).
    template <class Target> void move_into(Target& target)
    {
        target.backup_info = std::move(backup);
        target.restore_info = std::move(restore);
        target.repository_info = std::move(repository);
        target.retention_info = retention;
    }
};

/// Reads `backupJobInfo`, `restoreJobInfo`, `repositoryJobInfo` and `retentionJobInfo`.
SessionInfos read_session_infos(FieldReader& reader, const boost::json::object& body);

/// Reads a log append body: one entry, or `{"log":[...]}` with at least one.
std::vector<service::AppendLogEntry> read_log_entries(FieldReader& reader, const boost::json::object& body);

} // namespace jobsessions::api::dto
