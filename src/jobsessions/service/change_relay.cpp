// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/service/change_relay.hpp"

#include "jobsessions/log/log.hpp"
#include "jobsessions/util/thread_name.hpp"

#include <algorithm>
#include <utility>

namespace jobsessions::service {
namespace {

/// The most changes looked at one by one in a check; more wake every reader at once.
constexpr std::int64_t kMaxChangesTold = 1000;

} // namespace

ChangeRelay::ChangeRelay(ClusterService& cluster, SessionService& sessions,
                         std::function<void(std::int64_t)> session_changed, std::function<void()> policies_changed)
    : cluster_(cluster)
    , sessions_(sessions)
    , session_changed_(std::move(session_changed))
    , policies_changed_(std::move(policies_changed))
{
}

ChangeRelay::~ChangeRelay()
{
    stop();
}

Outcome<void> ChangeRelay::start()
{
    auto listener = cluster_.listen();
    if (!listener) {
        return listener.error();
    }
    listener_ = std::move(*listener);
    auto highest = sessions_.highest_usn();
    if (!highest) {
        return highest.error();
    }
    last_usn_ = *highest;
    last_check_ = std::chrono::steady_clock::now();
    thread_ = std::thread([this] { loop(); });
    return {};
}

void ChangeRelay::stop()
{
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    if (listener_) {
        listener_->interrupt();
    }
    if (thread_.joinable()) {
        thread_.join();
    }
}

void ChangeRelay::loop()
{
    util::name_this_thread("change-relay");
    bool failing = false;
    std::unique_lock lock(mutex_);
    while (!stop_) {
        lock.unlock();
        auto announced = listener_->wait(kCheckInterval);
        if (!announced) {
            if (!failing) {
                log::warning("cannot listen for the changes of other servers (looking every second instead): " +
                             announced.error().message);
                failing = true;
            }
        } else {
            if (failing) {
                log::info("listening for the changes of other servers again");
                failing = false;
            }
            for (const auto id : announced->sessions) {
                sessions_.hub().changed(id);
                if (session_changed_) {
                    session_changed_(id);
                }
            }
            if (announced->all_sessions) {
                sessions_.hub().changed_any();
            }
            if (announced->policies && policies_changed_) {
                policies_changed_();
            }
            if (announced->schema) {
                // A server upgraded the database: past this one's schema, this node answers 503 from now on, and
                // the cluster node, told by the service, steps out of scheduling at once.
                if (auto newer = cluster_.check_schema(); !newer) {
                    log::warning("cannot read the database's schema version after an upgrade was announced (read "
                                 "again at the next lease renewal): " +
                                 newer.error().for_log());
                }
            }
        }
        if (std::chrono::steady_clock::now() - last_check_ >= kCheckInterval) {
            check_changes();
        }
        lock.lock();
        if (failing && !stop_) {
            wake_.wait_for(lock, kCheckInterval, [this] { return stop_; });
        }
    }
}

void ChangeRelay::check_changes()
{
    last_check_ = std::chrono::steady_clock::now();
    auto highest = sessions_.highest_usn();
    if (!highest) {
        log::warning("cannot look for the changes of other servers: " + highest.error().for_log());
        return;
    }
    if (*highest <= last_usn_) {
        return;
    }
    if (*highest - last_usn_ > kMaxChangesTold) {
        last_usn_ = *highest;
        sessions_.hub().changed_any();
        return;
    }
    auto changed = sessions_.changes(kSystem, last_usn_, kMaxChangesTold);
    if (!changed) {
        log::warning("cannot read the changes of other servers: " + changed.error().for_log());
        return;
    }
    for (const auto& session : *changed) {
        sessions_.hub().changed(session.id);
        if (session_changed_) {
            session_changed_(session.id);
        }
    }
    // A policy's usn comes from the same counter: the highest may be no session's.
    last_usn_ = *highest;
}

} // namespace jobsessions::service
