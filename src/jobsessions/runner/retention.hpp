// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/cron.hpp"
#include "jobsessions/runner/cron_thread.hpp"
#include "jobsessions/runner/leadership.hpp"
#include "jobsessions/service/outcome.hpp"
#include "jobsessions/service/policy_service.hpp"
#include "jobsessions/service/retention_service.hpp"
#include "jobsessions/service/session_service.hpp"
#include "jobsessions/util/clock.hpp"

#include <cstdint>

namespace jobsessions::runner {

/// Settings of the retention job.
struct RetentionConfig {
    /// When it runs.
    domain::CronSchedule schedule;
    /// The age at which sessions that no policy's retentionDays covers are deleted.
    std::int64_t default_days = 90;
    /// Sessions deleted per write, so that readers and writers are never held up for long.
    std::int64_t batch = 200;
};

/// The built-in daily job that deletes old sessions and their logs. Each run is itself a BackupRetention session
/// whose log says what it deleted per policy and whose retentionJobInfo counts the sessions deleted.
class RetentionJob {
public:
    /// With `leadership`, a scheduled run happens only on the server that leads then.
    RetentionJob(service::SessionService& sessions, service::PolicyService& policies,
                 service::RetentionService& retention, const util::Clock& clock, RetentionConfig config,
                 const Leadership* leadership = nullptr);
    ~RetentionJob();
    RetentionJob(const RetentionJob&) = delete;
    RetentionJob& operator=(const RetentionJob&) = delete;

    /// Starts the thread that runs the job at its scheduled times.
    void start();
    /// Stops it (a run going on finishes its current batch first).
    void stop();

    /// One run now; returns its session.
    service::Outcome<domain::JobSession> run_once();

private:
    service::SessionService& sessions_;
    service::PolicyService& policies_;
    service::RetentionService& retention_;
    const util::Clock& clock_;
    RetentionConfig config_;
    CronThread cron_;
};

} // namespace jobsessions::runner
