// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/retention.hpp"

#include "jobsessions/log/log.hpp"

#include <algorithm>
#include <chrono>

namespace jobsessions::runner {
namespace {

using util::kMicrosPerDay;
/// The job looks at the clock at least this often, so that a clock change is noticed.
constexpr auto kLongestSleep = std::chrono::seconds(60);

} // namespace

RetentionJob::RetentionJob(service::SessionService& sessions, service::PolicyService& policies,
                           service::RetentionService& retention, const util::Clock& clock, RetentionConfig config,
                           const Leadership* leadership)
    : sessions_(sessions)
    , policies_(policies)
    , retention_(retention)
    , clock_(clock)
    , config_(std::move(config))
    , leadership_(leadership)
{
}

RetentionJob::~RetentionJob()
{
    stop();
}

void RetentionJob::start()
{
    thread_ = std::thread([this] { loop(); });
}

void RetentionJob::stop()
{
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

bool RetentionJob::stopping()
{
    std::lock_guard lock(mutex_);
    return stop_;
}

void RetentionJob::loop()
{
    auto next = config_.schedule.next_after(clock_.now());
    std::unique_lock lock(mutex_);
    while (!stop_) {
        const auto now = clock_.now();
        if (next && *next <= now) {
            lock.unlock();
            // Of several servers sharing the database, the one that leads runs it.
            if (leadership_ == nullptr || leadership_->leads()) {
                if (auto run = run_once(); !run) {
                    log::warning("retention: " + run.error().message);
                }
            }
            next = config_.schedule.next_after(clock_.now());
            lock.lock();
            continue;
        }
        auto sleep = std::chrono::duration_cast<std::chrono::microseconds>(kLongestSleep);
        if (next) {
            sleep = std::min(sleep, std::chrono::microseconds(*next - now));
        }
        wake_.wait_for(lock, sleep, [this] { return stop_; });
    }
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
        while (!stopping()) {
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
