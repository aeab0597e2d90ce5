// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/cron.hpp"
#include "jobsessions/runner/leadership.hpp"
#include "jobsessions/runner/runner.hpp"
#include "jobsessions/service/policy_service.hpp"
#include "jobsessions/util/clock.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace jobsessions::runner {

/// What the scheduler does about one policy at one moment.
struct TickPlan {
    /// Run now (Schedule or CatchUp), or nothing.
    std::optional<Trigger> run;
    /// The scheduled time this run stands for.
    util::Micros tick = 0;
    /// The last scheduled time handled after this plan (ran or passed over); store it.
    util::Micros handled = 0;
    /// Whether `handled` moved (then it must be stored before the run starts).
    bool moved = false;
    /// How many scheduled times were passed over without running.
    std::int64_t missed = 0;
    /// When to look again.
    std::optional<util::Micros> next;
};

/// How late a tick may be handled and still count as on time (the scheduler wakes at the tick itself; being
/// later than this means the server was not running, or the machine was asleep).
inline constexpr util::Micros kOnTimeTolerance = 30 * util::kMicrosPerSecond;

/// Decides, for a schedule whose last handled time is `last`, what to do at `now`: a tick due within the tolerance
/// runs; older ticks (missed while the server was down) are passed over, and the newest of them runs once when
/// `catch_up` is set. Pure, for tests with any clock.
TickPlan plan_tick(const domain::CronSchedule& schedule, util::Micros last, util::Micros now, bool catch_up);

/// Runs the enabled scheduled policies at their times. Policies are read on every pass, so a
/// change takes effect as soon as reload() wakes it. Thread-safe.
class Scheduler {
public:
    /// Without `leadership`, this server alone schedules; with it, only while it leads.
    Scheduler(service::PolicyService& policies, Runner& runner, const util::Clock& clock,
              const Leadership* leadership = nullptr);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    /// Starts the scheduling thread.
    void start();
    /// The policies changed (or the leadership): look at them again now.
    void reload();
    /// Stops the scheduling thread (runs going on are the runner's).
    void stop();

    /// One pass at `now`: starts what is due; returns when the next tick is.
    std::optional<util::Micros> pass(util::Micros now);

private:
    void loop();

    service::PolicyService& policies_;
    Runner& runner_;
    const util::Clock& clock_;
    const Leadership* leadership_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool reload_ = false;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace jobsessions::runner
