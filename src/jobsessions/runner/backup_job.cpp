// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/backup_job.hpp"

#include "jobsessions/log/log.hpp"

#include <cstdio>

namespace jobsessions::runner {
namespace {

/// "12.3 MB": a size as people read it.
std::string megabytes(std::int64_t bytes)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

} // namespace

BackupJob::BackupJob(service::SessionService& sessions, service::BackupService& backups, const util::Clock& clock,
                     domain::CronSchedule schedule)
    : sessions_(sessions)
    , backups_(backups)
    , clock_(clock)
    , cron_(clock, std::move(schedule), nullptr, [this] {
        if (auto run = run_once(); !run) {
            log::warning("backup: " + run.error().for_log());
        }
    })
{
}

BackupJob::~BackupJob()
{
    stop();
}

void BackupJob::start()
{
    cron_.start();
}

void BackupJob::stop()
{
    cron_.stop();
}

service::Outcome<domain::JobSession> BackupJob::run_once()
{
    // The session is recorded once the backup is done, ended: a backup must not hold a running session of its
    // own, which a store restored from it would keep running for ever.
    service::CreateSession request;
    request.type = domain::SessionType::AutoBackup;
    request.start_time = clock_.now();
    auto status = domain::SessionStatus::Success;
    const auto say = [&](domain::SessionStatus said, std::string message) {
        status = said;
        request.log.push_back(service::logged_now(said, std::move(message)));
    };
    if (auto taken = backups_.back_up(*request.start_time); !taken) {
        say(domain::SessionStatus::Error, "Cannot back up the store: " + taken.error().message + ".");
        log::warning("backup: " + taken.error().for_log());
    } else {
        say(status, "Backed up " + std::to_string(taken->summary.sessions) + " session(s) and " +
                        std::to_string(taken->summary.log_entries) + " log entries to " + taken->file + " (" +
                        megabytes(taken->summary.bytes) + "), verified.");
        for (const auto& removed : taken->removed) {
            say(status, "Deleted the old backup " + removed + ".");
        }
        if (!taken->problem.empty()) {
            say(domain::SessionStatus::Warning, "But " + taken->problem + ".");
            log::warning("backup: " + taken->problem);
        }
    }
    request.status = status;
    request.stop_time = clock_.now();
    return sessions_.create(service::kSystem, request, nullptr);
}

} // namespace jobsessions::runner
