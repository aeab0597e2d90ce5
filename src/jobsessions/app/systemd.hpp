// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace jobsessions::app {

/// systemd's notification protocol (sd_notify(3)), which is small enough to speak without libsystemd: one datagram
/// of NAME=VALUE lines to the Unix socket named by NOTIFY_SOCKET. Without that variable every call does nothing.
class SystemdNotifier {
public:
    /// Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, then removes them from the environment: a policy's
    /// command must never speak to systemd as the server. Call before any thread starts.
    static SystemdNotifier from_environment();

    SystemdNotifier() = default;
    ~SystemdNotifier();
    SystemdNotifier(SystemdNotifier&& other) noexcept;
    SystemdNotifier& operator=(SystemdNotifier&&) = delete;
    SystemdNotifier(const SystemdNotifier&) = delete;
    SystemdNotifier& operator=(const SystemdNotifier&) = delete;

    /// Sends `state` ("READY=1\nSTATUS=..."); a failure is logged once, as systemd would then stop the server.
    void notify(std::string_view state) const noexcept;

    /// How often systemd expects WATCHDOG=1 (WatchdogSec=), when it asked this process for it.
    [[nodiscard]] std::optional<std::chrono::microseconds> watchdog_interval() const noexcept
    {
        return watchdog_interval_;
    }

private:
    int socket_ = -1;
    std::string address_;
    std::optional<std::chrono::microseconds> watchdog_interval_;
    mutable bool failure_logged_ = false;
};

/// Sends WATCHDOG=1 at half systemd's interval for as long as `alive()` says the server works, so that a server
/// that hangs is restarted; nothing when systemd asked for no watchdog.
class WatchdogKeeper {
public:
    WatchdogKeeper(const SystemdNotifier& notifier, std::function<bool(std::chrono::microseconds)> alive);
    /// Stops sending.
    ~WatchdogKeeper();
    WatchdogKeeper(const WatchdogKeeper&) = delete;
    WatchdogKeeper& operator=(const WatchdogKeeper&) = delete;

private:
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

} // namespace jobsessions::app
