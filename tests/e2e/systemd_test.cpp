// SPDX-License-Identifier: Apache-2.0
// The server under systemd: the notification protocol on a test socket, and the unit as systemd reads it.
#include "e2e/policy_runs_fixture.hpp"

#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>

namespace jobsessions::test {
namespace {

/// A datagram socket standing for systemd's notification socket: a path, or an abstract name ("@...").
class NotifySocket {
public:
    explicit NotifySocket(const std::string& address)
        : address_(address)
    {
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un at{};
        at.sun_family = AF_UNIX;
        std::memcpy(at.sun_path, address.data(), address.size());
        if (address[0] == '@') {
            at.sun_path[0] = '\0';
        }
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<const sockaddr*>(&at), length) != 0) {
            throw std::runtime_error("cannot bind the notification socket");
        }
    }
    ~NotifySocket() { ::close(fd_); }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;

    /// The next message, or "" when none came within `timeout`.
    std::string next(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const
    {
        pollfd readable{fd_, POLLIN, 0};
        if (::poll(&readable, 1, static_cast<int>(timeout.count())) != 1) {
            return "";
        }
        char buffer[4096];
        const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
    }

    [[nodiscard]] const std::string& address() const { return address_; }

private:
    std::string address_;
    int fd_ = -1;
};

using Systemd = PolicyRuns;

TEST_F(Systemd, ReadyOnceItServesTheWatchdogFromItsLoopsAndStoppingAtTheEnd)
{
    const NotifySocket systemd(dir_.file("notify"));
    // A watchdog of 400 ms: a ping every 200 ms.
    start(false, {}, {{"NOTIFY_SOCKET", systemd.address()}, {"WATCHDOG_USEC", "400000"}});
    EXPECT_EQ(systemd.next(), "READY=1\nSTATUS=listening on http://127.0.0.1:" + std::to_string(server_->port()));
    EXPECT_EQ(client_->get("/health/ready").status, 200); // ready means it serves
    for (int ping = 0; ping < 3; ++ping) {
        EXPECT_EQ(systemd.next(), "WATCHDOG=1");
    }
    // The variables were the server's alone: a policy's command sees none of them.
    const auto id = start_run(define(R"("name":"env","command":["/usr/bin/env"],"environment":{"KEPT":"yes"})"));
    EXPECT_EQ(str(wait_final(id), "status"), "Success");
    const auto output = messages(id);
    std::string log_text;
    for (const auto& line : output) {
        log_text += line + "\n";
    }
    EXPECT_NE(log_text.find("KEPT=yes"), std::string::npos) << log_text;
    EXPECT_EQ(log_text.find("NOTIFY_SOCKET"), std::string::npos) << log_text;
    EXPECT_EQ(log_text.find("WATCHDOG_"), std::string::npos) << log_text;

    ASSERT_EQ(::kill(server_->pid(), SIGTERM), 0);
    std::string message;
    do {
        message = systemd.next();
    } while (message == "WATCHDOG=1");
    EXPECT_EQ(message, "STOPPING=1\nSTATUS=shutting down");
    EXPECT_EQ(server_->terminate(), 0);
}

TEST_F(Systemd, AnAbstractSocketAndNoWatchdogForAnotherProcess)
{
    const NotifySocket systemd("@jobsessions-test-" + std::to_string(::getpid()));
    // WATCHDOG_PID names another process: the watchdog is not this server's to keep.
    start(false, {}, {{"NOTIFY_SOCKET", systemd.address()}, {"WATCHDOG_USEC", "200000"}, {"WATCHDOG_PID", "1"}});
    EXPECT_EQ(systemd.next().rfind("READY=1\n", 0), 0U);
    // Ten intervals without a ping; then the stop is the next message.
    EXPECT_EQ(systemd.next(std::chrono::seconds(2)), "");
    EXPECT_EQ(server_->terminate(), 0);
    EXPECT_EQ(systemd.next(), "STOPPING=1\nSTATUS=shutting down");
}

TEST_F(Systemd, TheUnitVerifiesAndItsSandboxIsStrict)
{
    // The unit as shipped, but for where the binary is (systemd checks that ExecStart's program exists).
    std::ifstream shipped(std::string(JOBSESSIONS_DIST_DIR) + "/jobsessiond.service");
    std::stringstream text;
    text << shipped.rdbuf();
    auto unit = text.str();
    ASSERT_NE(unit.find("ExecStart=/usr/bin/jobsessiond "), std::string::npos);
    unit.replace(unit.find("/usr/bin/jobsessiond"), std::strlen("/usr/bin/jobsessiond"), JOBSESSIOND_BINARY);
    const auto path = dir_.file("jobsessiond.service");
    std::ofstream(path) << unit;
    const auto verified = run_program({"/usr/bin/systemd-analyze", "verify", "--man=no", path});
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_EQ(verified.err, "");
    const auto security = run_program({"/usr/bin/systemd-analyze", "security", "--offline=true", path});
    EXPECT_EQ(security.exit_code, 0) << security.err;
    // "→ Overall exposure level for jobsessiond.service: 1.3 OK 🙂": 2.0 or less, on systemd's scale of 10.
    const auto at = security.out.find("Overall exposure level for jobsessiond.service: ");
    ASSERT_NE(at, std::string::npos) << security.out;
    const auto level =
        std::stod(security.out.substr(at + std::strlen("Overall exposure level for jobsessiond.service: ")));
    EXPECT_LE(level, 2.0) << security.out;
    for (const auto& setting : {"Type=notify", "WatchdogSec=", "User=jobsessions", "StateDirectory=jobsessions",
                                "ProtectSystem=strict", "NoNewPrivileges=yes", "SystemCallFilter=@system-service"}) {
        EXPECT_NE(unit.find(setting), std::string::npos) << setting;
    }
}

} // namespace
} // namespace jobsessions::test
