// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/service/cluster_service.hpp"
#include "jobsessions/service/session_service.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace jobsessions::service {

/// Brings the changes that other servers sharing the database commit to this server's waiting readers (log
/// followers, change-feed long polls) and to its scheduler. Woken by the database's announcements, and looking
/// for changes by usn at least every second, so that one announcement lost does not leave a reader waiting.
class ChangeRelay {
public:
    /// `session_changed` is told each session another server (or this one) announced; `policies_changed`, that
    /// policies changed.
    ChangeRelay(ClusterService& cluster, SessionService& sessions, std::function<void(std::int64_t)> session_changed,
                std::function<void()> policies_changed);
    ~ChangeRelay();
    ChangeRelay(const ChangeRelay&) = delete;
    ChangeRelay& operator=(const ChangeRelay&) = delete;

    /// Starts relaying; a listener that cannot be made is an error.
    Outcome<void> start();
    /// Stops relaying (at once: a wait going on is interrupted).
    void stop();

    /// At least this often the relay looks for changes by usn.
    static constexpr std::chrono::milliseconds kCheckInterval{1000};

private:
    void loop();
    /// Tells the readers of the sessions changed after the last usn seen.
    void check_changes();

    ClusterService& cluster_;
    SessionService& sessions_;
    std::function<void(std::int64_t)> session_changed_;
    std::function<void()> policies_changed_;
    std::unique_ptr<store::ChangeListener> listener_;
    std::int64_t last_usn_ = 0;
    std::chrono::steady_clock::time_point last_check_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace jobsessions::service
