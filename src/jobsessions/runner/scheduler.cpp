// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/scheduler.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <algorithm>
#include <chrono>

namespace jobsessions::runner {
namespace {

/// The scheduler looks again at least this often, so that a clock change is noticed.
constexpr auto kLongestSleep = std::chrono::seconds(60);
/// A server that does not lead looks again this often (and when told it leads now).
constexpr auto kFollowerSleep = std::chrono::seconds(5);
/// A server down for longer than this passes over the rest of the missed ticks without counting them one by one.
constexpr int kMaxMissedCounted = 100000;
/// When the store failed, the scheduler tries again this much later.
constexpr util::Micros kRetryAfterFailure = 5 * util::kMicrosPerSecond;

} // namespace

TickPlan plan_tick(const domain::CronSchedule& schedule, util::Micros last, util::Micros now, bool catch_up)
{
    TickPlan plan;
    plan.handled = last;
    auto due = schedule.next_after(last);
    std::optional<util::Micros> newest_missed;
    int counted = 0;
    while (due && *due <= now) {
        plan.moved = true;
        plan.handled = *due;
        if (now - *due <= kOnTimeTolerance) {
            plan.run = Trigger::Schedule;
            plan.tick = *due;
        } else {
            newest_missed = *due;
            ++plan.missed;
        }
        if (++counted >= kMaxMissedCounted) {
            plan.handled = now;
            break;
        }
        due = schedule.next_after(plan.handled);
    }
    if (!plan.run && newest_missed && catch_up) {
        plan.run = Trigger::CatchUp;
        plan.tick = *newest_missed;
        --plan.missed;
    }
    plan.next = schedule.next_after(plan.handled);
    return plan;
}

Scheduler::Scheduler(service::PolicyService& policies, Runner& runner, const util::Clock& clock,
                     const Leadership* leadership)
    : policies_(policies)
    , runner_(runner)
    , clock_(clock)
    , leadership_(leadership)
{
}

Scheduler::~Scheduler()
{
    stop();
}

void Scheduler::start()
{
    thread_ = std::thread([this] { loop(); });
}

void Scheduler::reload()
{
    {
        std::lock_guard lock(mutex_);
        reload_ = true;
    }
    wake_.notify_all();
}

void Scheduler::stop()
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

std::optional<util::Micros> Scheduler::pass(util::Micros now)
{
    auto policies = policies_.definitions();
    if (!policies) {
        log::warning("scheduler: cannot read policies: " + policies.error().for_log());
        return now + kRetryAfterFailure;
    }
    std::optional<util::Micros> earliest;
    for (const auto& policy : *policies) {
        if (!policy.enabled || policy.schedule.empty()) {
            continue;
        }
        auto parsed = domain::CronSchedule::parse(policy.schedule);
        if (std::holds_alternative<std::string>(parsed)) {
            continue; // refused at definition; a schedule stored before a parser change is left alone
        }
        const auto& schedule = std::get<domain::CronSchedule>(parsed);
        auto last = policies_.last_tick(policy.id);
        if (!last) {
            if (last.error().code != service::DomainErrc::NotFound) { // else deleted meanwhile
                log::warning("scheduler: cannot read the last tick of policy " + policy.name + ": " +
                             last.error().for_log());
                earliest = earliest ? std::min(*earliest, now + kRetryAfterFailure) : now + kRetryAfterFailure;
            }
            continue;
        }
        // A policy never scheduled before counts from its creation.
        const auto plan = plan_tick(schedule, last->value_or(policy.created_at), now, policy.catch_up);
        if (plan.moved) {
            auto advanced = policies_.advance_tick(policy.id, *last, plan.handled);
            if (!advanced) {
                log::warning("scheduler: cannot record the tick of policy " + policy.name + ": " +
                             advanced.error().for_log());
                continue; // never run a tick that is not recorded: it would run again after a restart
            }
            if (!*advanced) {
                // Another server's scheduler handled it (it led before this one): it runs what is due.
                reload();
                continue;
            }
        }
        if (plan.missed > 0) {
            log::info("scheduler: policy " + policy.name + " missed " + std::to_string(plan.missed) +
                      " scheduled run(s) while the server was not running");
        }
        if (plan.run) {
            const auto going = runner_.active_runs(policy.id);
            if (!going) {
                log::warning("scheduler: cannot count the runs of " + policy.name +
                             " going on, so it does not run: " + going.error().for_log());
            } else if (*going >= static_cast<std::size_t>(policy.max_concurrent_runs)) {
                if (auto skipped = runner_.record_skipped(policy, plan.tick); !skipped) {
                    log::warning("scheduler: cannot record a skipped run of " + policy.name + ": " +
                                 skipped.error().for_log());
                }
            } else if (auto started = runner_.start(policy, *plan.run); !started) {
                log::warning("scheduler: cannot start " + policy.name + ": " + started.error().for_log());
            }
        }
        if (plan.next) {
            earliest = earliest ? std::min(*earliest, *plan.next) : *plan.next;
        }
    }
    return earliest;
}

void Scheduler::loop()
{
    util::name_this_thread("scheduler");
    std::unique_lock lock(mutex_);
    while (!stop_) {
        reload_ = false;
        if (leadership_ != nullptr && !leadership_->leads()) {
            // Another server schedules; this one looks again when it may have become the leader.
            wake_.wait_for(lock, kFollowerSleep, [this] { return stop_ || reload_; });
            continue;
        }
        lock.unlock();
        const auto now = clock_.now();
        const auto next = pass(now);
        lock.lock();
        auto sleep = std::chrono::duration_cast<std::chrono::microseconds>(kLongestSleep);
        if (next) {
            sleep = std::min(sleep, std::chrono::microseconds(std::max<util::Micros>(*next - now, 0)));
        }
        wake_.wait_for(lock, sleep, [this] { return stop_ || reload_; });
    }
}

} // namespace jobsessions::runner
