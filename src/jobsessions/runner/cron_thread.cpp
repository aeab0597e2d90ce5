// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/runner/cron_thread.hpp"

#include "jobsessions/util/thread_name.hpp"

#include <algorithm>
#include <chrono>

namespace jobsessions::runner {
namespace {

/// The thread looks at the clock at least this often, so that a clock change is noticed.
constexpr auto kLongestSleep = std::chrono::seconds(60);

} // namespace

CronThread::CronThread(const util::Clock& clock, domain::CronSchedule schedule, const Leadership* leadership,
                       std::function<void()> run)
    : clock_(clock)
    , schedule_(std::move(schedule))
    , leadership_(leadership)
    , run_(std::move(run))
{
}

CronThread::~CronThread()
{
    stop();
}

void CronThread::start()
{
    thread_ = std::thread([this] { loop(); });
}

void CronThread::stop()
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

bool CronThread::stopping()
{
    std::lock_guard lock(mutex_);
    return stop_;
}

void CronThread::loop()
{
    util::name_this_thread("cron-job");
    auto next = schedule_.next_after(clock_.now());
    std::unique_lock lock(mutex_);
    while (!stop_) {
        const auto now = clock_.now();
        if (next && *next <= now) {
            lock.unlock();
            if (leadership_ == nullptr || leadership_->leads()) {
                run_();
            }
            next = schedule_.next_after(clock_.now());
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

} // namespace jobsessions::runner
