// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/domain/cron.hpp"
#include "jobsessions/runner/leadership.hpp"
#include "jobsessions/util/clock.hpp"

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace jobsessions::runner {

/// Runs a job of the server's own (retention, backups) at the times of a cron schedule, on a thread of its own;
/// of several servers sharing a database, only on the one that leads at that time.
class CronThread {
public:
    /// `run` is called at each scheduled time; with `leadership`, only while this server leads.
    CronThread(const util::Clock& clock, domain::CronSchedule schedule, const Leadership* leadership,
               std::function<void()> run);
    /// Stops.
    ~CronThread();
    CronThread(const CronThread&) = delete;
    CronThread& operator=(const CronThread&) = delete;

    /// Starts the thread.
    void start();
    /// Stops it, after the run going on (which should look at stopping()).
    void stop();
    /// True once stop() was called: a long run ends early.
    [[nodiscard]] bool stopping();

private:
    void loop();

    const util::Clock& clock_;
    domain::CronSchedule schedule_;
    const Leadership* leadership_;
    std::function<void()> run_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace jobsessions::runner
