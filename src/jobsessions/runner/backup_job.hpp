// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/cron.hpp"
#include "jobsessions/runner/cron_thread.hpp"
#include "jobsessions/service/backup_service.hpp"
#include "jobsessions/service/session_service.hpp"
#include "jobsessions/util/clock.hpp"

namespace jobsessions::runner {

/// The built-in job that backs the store up on a schedule (--backup-schedule). Each run is recorded, once done, as
/// an AutoBackup session whose log names the file, what it holds and the old backups deleted.
class BackupJob {
public:
    BackupJob(service::SessionService& sessions, service::BackupService& backups, const util::Clock& clock,
              domain::CronSchedule schedule);
    ~BackupJob();
    BackupJob(const BackupJob&) = delete;
    BackupJob& operator=(const BackupJob&) = delete;

    /// Starts the thread that runs the job at its scheduled times.
    void start();
    /// Stops it (a backup going on finishes first).
    void stop();

    /// One run now; returns its session.
    service::Outcome<domain::JobSession> run_once();

private:
    service::SessionService& sessions_;
    service::BackupService& backups_;
    const util::Clock& clock_;
    CronThread cron_;
};

} // namespace jobsessions::runner
