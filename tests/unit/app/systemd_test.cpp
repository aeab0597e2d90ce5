// SPDX-License-Identifier: Apache-2.0
// The watchdog is kept only while the server says it works, and the notifier takes systemd's variables away.
#include "jobsessions/app/systemd.hpp"

#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>

namespace jobsessions::app {
namespace {

class Watchdog : public ::testing::Test {
protected:
    void SetUp() override
    {
        path_ = dir_.file("notify");
        socket_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un at{};
        at.sun_family = AF_UNIX;
        std::memcpy(at.sun_path, path_.data(), path_.size());
        ASSERT_EQ(::bind(socket_, reinterpret_cast<const sockaddr*>(&at), sizeof at), 0);
    }
    void TearDown() override { ::close(socket_); }

    /// The next message, or "" when none came within `timeout`.
    std::string next(std::chrono::milliseconds timeout) const
    {
        pollfd readable{socket_, POLLIN, 0};
        if (::poll(&readable, 1, static_cast<int>(timeout.count())) != 1) {
            return "";
        }
        char buffer[256];
        const auto n = ::recv(socket_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }

    /// Drops what has arrived so far.
    void drain() const
    {
        while (!next(std::chrono::milliseconds(0)).empty()) {
        }
    }

    test::TempDir dir_;
    std::string path_;
    int socket_ = -1;
};

TEST_F(Watchdog, PingsStopWhileTheServerIsStuckAndComeBackWhenItIsNot)
{
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "100000", 1); // a ping every 50 ms
    const auto notifier = SystemdNotifier::from_environment();
    // Taken away: a command of a policy never sees them.
    EXPECT_EQ(std::getenv("NOTIFY_SOCKET"), nullptr);
    EXPECT_EQ(std::getenv("WATCHDOG_USEC"), nullptr);
    ASSERT_EQ(notifier.watchdog_interval(), std::chrono::microseconds(100000));

    std::atomic<bool> alive{true};
    std::atomic<int> asked{0};
    WatchdogKeeper keeper(notifier, [&](std::chrono::microseconds interval) {
        EXPECT_EQ(interval, std::chrono::microseconds(100000));
        asked.fetch_add(1);
        return alive.load();
    });
    EXPECT_EQ(next(std::chrono::seconds(5)), "WATCHDOG=1");
    EXPECT_EQ(next(std::chrono::seconds(5)), "WATCHDOG=1");

    alive = false;
    // Once the keeper has asked after the change, nothing more comes: three intervals of silence.
    const auto seen = asked.load();
    while (asked.load() < seen + 2) {
        next(std::chrono::milliseconds(50));
    }
    drain();
    EXPECT_EQ(next(std::chrono::milliseconds(300)), "");

    alive = true;
    EXPECT_EQ(next(std::chrono::seconds(5)), "WATCHDOG=1");
}

TEST_F(Watchdog, NothingIsSentWithoutASocketOrForAnotherProcess)
{
    ::unsetenv("NOTIFY_SOCKET");
    ::setenv("WATCHDOG_USEC", "100000", 1);
    const auto without_socket = SystemdNotifier::from_environment();
    without_socket.notify("READY=1"); // does nothing, and does not fail
    EXPECT_FALSE(without_socket.watchdog_interval());

    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    ::setenv("WATCHDOG_USEC", "100000", 1);
    ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
    const auto other = SystemdNotifier::from_environment();
    EXPECT_EQ(std::getenv("WATCHDOG_PID"), nullptr);
    EXPECT_FALSE(other.watchdog_interval());
    other.notify("READY=1");
    EXPECT_EQ(next(std::chrono::seconds(5)), "READY=1");
}

} // namespace
} // namespace jobsessions::app
