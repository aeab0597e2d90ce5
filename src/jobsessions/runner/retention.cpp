// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/retention.hpp"

#include "jobsessions/log/log.hpp"

#include <algorithm>

namespace jobsessions::runner {
namespace {

using util::kMicrosPerDay;

} // namespace

RetentionJob::RetentionJob(service::SessionService& sessions, service::PolicyService& policies,
                           service::RetentionService& retention, const util::Clock& clock, RetentionConfig config,
                           const Leadership* leadership)
    : sessions_(sessions)
    , policies_(policies)
    , retention_(retention)
    , clock_(clock)
    , config_(std::move(config))
    , cron_(clock, config_.schedule, leadership, [this] {
        if (auto run = run_once(); !run) {
            log::warning("retention: " + run.error().message);
        }
    })
{
}

RetentionJob::~RetentionJob()
{
    stop();
}

void RetentionJob::start()
{
    cron_.start();
}

void RetentionJob::stop()
{
    cron_.stop();
}

service::Outcome<domain::JobSession> RetentionJob::run_once()
{
    service::CreateSession request;
    request.type = domain::SessionType::BackupRetention;
    request.status = domain::SessionStatus::Running;
    auto session = sessions_.create(service::kSystem, request, nullptr);
    if (!session) {
        return session;
    }
    const auto id = session->id;
    const auto say = [&](domain::SessionStatus status, const std::string& message) {
        if (auto said = sessions_.append_message(service::kSystem, id, status, message); !said) {
            log::warning("retention: cannot log '" + message + "' in session " + std::to_string(id) + ": " +
                         said.error().for_log());
        }
    };

    // Deletes batch after batch until a short one; false when the store failed or the job is stopping.
    std::int64_t total_sessions = 0;
    std::int64_t total_entries = 0;
    bool failed = false;
    const auto sweep = [&](const std::optional<std::string>& policy_id, const std::string& what, std::int64_t days) {
        // Bounded, so that no stored number (policies written before their ranges were checked) overflows this.
        const auto before = clock_.now() - std::clamp<std::int64_t>(days, 1, domain::kMaxRetentionDays) * kMicrosPerDay;
        store::RetentionBatch swept;
        while (!cron_.stopping()) {
            auto batch = retention_.delete_old_sessions(policy_id, before, config_.batch);
            if (!batch) {
                say(domain::SessionStatus::Error, what + ": cannot delete old sessions: the store is unavailable.");
                log::warning("retention: " + batch.error().for_log());
                failed = true;
                break;
            }
            swept.sessions += batch->sessions;
            swept.log_entries += batch->log_entries;
            if (batch->sessions < config_.batch) {
                break;
            }
        }
        total_sessions += swept.sessions;
        total_entries += swept.log_entries;
        say(domain::SessionStatus::Success, what + ": deleted " + std::to_string(swept.sessions) + " session(s) and " +
                                                std::to_string(swept.log_entries) + " log entries older than " +
                                                std::to_string(days) + " day(s).");
    };

    auto policies = policies_.definitions();
    if (!policies) {
        say(domain::SessionStatus::Error, "Cannot read the policies: the store is unavailable.");
        failed = true;
    } else {
        for (const auto& policy : *policies) {
            if (policy.retention_days) {
                sweep(policy.id, "Policy '" + policy.name + "'", *policy.retention_days);
            }
        }
        sweep(std::nullopt, "Sessions without a policy retention", config_.default_days);
    }
    // Housekeeping that is not about sessions: expired logins and idempotency records older than a day.
    const auto now = clock_.now();
    if (auto removed = retention_.delete_expired_records(now); !removed) {
        log::warning("retention: cannot remove expired tokens and idempotency records: " + removed.error().for_log());
    } else if (*removed > 0) {
        log::info("retention: removed " + std::to_string(*removed) + " expired tokens and idempotency records");
    }
    say(failed ? domain::SessionStatus::Error : domain::SessionStatus::Success,
        "Deleted " + std::to_string(total_sessions) + " session(s) and " + std::to_string(total_entries) +
            " log entries in all.");
    domain::SessionChange change;
    change.status = failed ? domain::SessionStatus::Error : domain::SessionStatus::Success;
    change.retention_info = domain::RetentionJobInfo{total_sessions};
    return sessions_.change(service::kSystem, id, change, nullptr);
}

} // namespace jobsessions::runner
