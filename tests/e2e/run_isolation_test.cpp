// SPDX-License-Identifier: Apache-2.0
// What a policy's command can reach of the server: its descriptors, and whether it outlives the server.
#include "e2e/policy_runs_fixture.hpp"

#include <boost/json/serialize.hpp>
#include <sqlite3.h>

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <sys/syscall.h>

namespace jobsessions::test {
namespace {

/// True when the process `pid` ends within `timeout` (its pidfd becomes readable; no sleeping).
bool ends_within(pid_t pid, std::chrono::milliseconds timeout)
{
    const int watch = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (watch < 0) {
        return errno == ESRCH; // already gone
    }
    pollfd exited{watch, POLLIN, 0};
    const bool ended = ::poll(&exited, 1, static_cast<int>(timeout.count())) == 1;
    ::close(watch);
    return ended;
}

/// The open descriptors of a process with what they point to ("socket:[123]", "/dev/null", "pipe:[9]").
std::map<int, std::string> descriptors_of(pid_t pid)
{
    std::map<int, std::string> out;
    const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(entry.path(), ec);
        if (!ec) {
            out[std::stoi(entry.path().filename().string())] = target.string();
        }
    }
    return out;
}

/// The pid a run wrote to `path`.
pid_t read_pid(const std::string& path)
{
    pid_t pid = 0;
    std::ifstream(path) >> pid;
    return pid;
}

TEST_F(PolicyRuns, TheCommandSeesOnlyTheStandardDescriptors)
{
    start(true); // HTTPS, with this test's client connected while the command runs
    admin_token_.clear();
    const auto policy = define(R"("name":"fds","command":["ls","-l","/proc/self/fd"])");
    StreamReader pending(*server_, ""); // one more connection, its handshake not begun
    const auto id = start_run(policy);
    EXPECT_EQ(str(wait_final(id), "status"), "Success");
    // "lr-x------ 1 root root 64 Dec  4 07:31 0 -> /dev/null": each descriptor with what it points to, but the
    // one through which ls reads the directory itself.
    std::map<int, std::string> seen;
    for (const auto& line : messages(id)) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) {
            continue;
        }
        const auto number = line.rfind(' ', arrow - 1);
        const auto target = line.substr(arrow + 4);
        if (target.rfind("/proc/", 0) != 0) {
            seen[std::stoi(line.substr(number + 1, arrow - number - 1))] = target;
        }
    }
    ASSERT_EQ(seen.size(), 3U) << "the command saw more than 0, 1 and 2: "
                               << boost::json::serialize(
                                      client_->get("/api/v1/jobSessions/" + id + "/log", admin_token()).json());
    EXPECT_EQ(seen[0], "/dev/null");
    EXPECT_EQ(seen[1].rfind("pipe:", 0), 0U) << seen[1];
    EXPECT_EQ(seen[2], seen[1]);
}

TEST_F(PolicyRuns, EveryDescriptorOfTheServerIsCloseOnExec)
{
    // A run going on (its pipes, pidfd and eventfd), a follower of its log, a keep-alive client: the server has
    // sockets, pipes, SQLite's files and its lock file open.
    const auto policy = define(R"("name":"open","stopGraceSeconds":1,"command":["sh","-c","echo up; exec sleep 60"])");
    const auto id = start_run(policy);
    wait_for_output(id, "up");
    StreamReader follower(*server_, "GET /api/v1/jobSessions/" + id +
                                        "/log HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
                                        "Authorization: Bearer " +
                                        admin_token() + "\r\n\r\n");
    follower.read_until([](const std::string& got) { return got.find("event: log") != std::string::npos; },
                        std::chrono::seconds(30));
    const auto fds = descriptors_of(server_->pid());
    std::size_t sockets = 0;
    for (const auto& [fd, target] : fds) {
        if (fd <= 2) {
            continue;
        }
        sockets += target.rfind("socket:", 0) == 0 ? 1 : 0;
        std::ifstream info("/proc/" + std::to_string(server_->pid()) + "/fdinfo/" + std::to_string(fd));
        std::string key;
        std::string flags;
        while (info >> key && key != "flags:") {
            info.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
        }
        info >> flags;
        const auto bits = std::stoul(flags, nullptr, 8);
        EXPECT_NE(bits & 02000000U, 0U) << "descriptor " << fd << " (" << target << ") is not close-on-exec";
    }
    EXPECT_GE(sockets, 3U); // the listener and two connections at least
    EXPECT_EQ(client_->send_json("POST", "/api/v1/jobSessions/" + id + "/stop", "", admin_token()).status, 200);
    EXPECT_EQ(str(wait_final(id), "status"), "Canceled");
}

TEST_F(PolicyRuns, ADaemonizedLeftoverHoldsNothingOfTheServerAndARestartServes)
{
    // The command starts a process in a session of its own (out of the run's group, as daemons do) and exits.
    const std::string pid_file = dir_.file("daemon.pid");
    const auto policy = define(R"("name":"daemon",
        "command":["sh","-c","setsid sh -c 'echo $$ > )" +
                               pid_file +
                               R"(; exec sleep 60' </dev/null >/dev/null 2>&1 & )"
                               R"(while [ ! -s )" +
                               pid_file + R"( ]; do sleep 0.1; done"])");
    const auto id = start_run(policy);
    EXPECT_EQ(str(wait_final(id), "status"), "Success");
    const pid_t daemon = read_pid(pid_file);
    ASSERT_GT(daemon, 0);
    const auto fds = descriptors_of(daemon);
    EXPECT_EQ(fds.size(), 3U);
    for (const auto& [fd, target] : fds) {
        EXPECT_EQ(target, "/dev/null") << "the leftover holds descriptor " << fd;
    }

    // The server is killed and started again on the same port, the leftover still running.
    const auto port = server_->port();
    server_->kill9();
    start(false, {"--listen", "127.0.0.1:" + std::to_string(port)});
    admin_token_.clear();
    EXPECT_EQ(server_->port(), port);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, admin_token()).status, 200);
    EXPECT_FALSE(ends_within(daemon, std::chrono::milliseconds(0))); // it was out of reach, as documented
    ::kill(daemon, SIGKILL);
}

TEST_F(PolicyRuns, WhatARunLeavesInItsGroupDiesWithTheServer)
{
    // A background process in the run's own process group: PR_SET_PDEATHSIG reaches the shell only.
    const std::string pid_file = dir_.file("child.pid");
    const auto policy = define(R"("name":"group",
        "command":["sh","-c","sleep 300 & echo $! > )" +
                               pid_file + R"(; echo ready; wait"])");
    const auto id = start_run(policy);
    wait_for_output(id, "ready");
    const pid_t background = read_pid(pid_file);
    ASSERT_GT(background, 0);
    server_->kill9();
    EXPECT_TRUE(ends_within(background, std::chrono::seconds(30)));
    if (::kill(background, 0) == 0) {
        ::kill(background, SIGKILL);
    }
}

TEST_F(PolicyRuns, ASessionEndedByAClientStopsItsCommand)
{
    const std::string pid_file = dir_.file("run.pid");
    const auto policy = define(R"("name":"ended",
        "command":["sh","-c","echo $$ > )" +
                               pid_file + R"(; echo running; exec sleep 300"])");
    const auto id = start_run(policy);
    wait_for_output(id, "running");
    const pid_t command = read_pid(pid_file);
    ASSERT_GT(command, 0);
    const auto ended =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token());
    ASSERT_EQ(ended.status, 200) << ended.body;
    EXPECT_TRUE(ends_within(command, std::chrono::seconds(30)));
    // The session keeps what the client said, and its closed log got nothing more.
    const auto session = client_->get("/api/v1/jobSessions/" + id, admin_token()).json().as_object();
    EXPECT_EQ(str(session, "status"), "Success");
    EXPECT_EQ(messages(id).back(), "running");
    if (::kill(command, 0) == 0) {
        ::kill(command, SIGKILL);
    }
}

TEST_F(PolicyRuns, ARunThatCannotBeRecordedDoesNotStart)
{
    // The store refuses the record a restart would need to end the run (as a full disk would).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir() + "/jobsessions.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10'000);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TRIGGER refuse_runs BEFORE INSERT ON policy_runs "
                           "BEGIN SELECT RAISE(ABORT, 'no space left'); END",
                           nullptr, nullptr, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    sqlite3_close(db);

    const std::string marker = dir_.file("ran");
    const auto policy = define(R"("name":"unrecorded","command":["touch",")" + marker + R"("])");
    // The run is recorded before the start is answered, so the client learns that it did not start.
    const auto refused = client_->send_json("POST", "/api/v1/policies/" + policy + "/start", "", admin_token());
    EXPECT_EQ(refused.status, 503) << refused.body;
    // The session made for it says why.
    const auto listed = client_->get("/api/v1/jobSessions?PolicyId=" + policy, admin_token());
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto page = listed.json();
    const auto& results = page.at("results").as_array();
    ASSERT_EQ(results.size(), 1U) << listed.body;
    const auto id = str(results.front(), "id");
    EXPECT_EQ(str(wait_final(id), "status"), "Error");
    EXPECT_TRUE(contains(messages(id), "Not started: the server could not record the run"));
    EXPECT_FALSE(std::filesystem::exists(marker));
    EXPECT_NE(server_->stderr_text().find("cannot record the run, so it does not start"), std::string::npos);
}

} // namespace
} // namespace jobsessions::test
