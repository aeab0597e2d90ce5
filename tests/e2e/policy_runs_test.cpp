// SPDX-License-Identifier: Apache-2.0
// Runs of policies: real child processes started by the real server, their output as the log, how they end.
#include "e2e/policy_runs_fixture.hpp"

#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <sys/syscall.h>

namespace jobsessions::test {
namespace {

TEST_F(PolicyRuns, ASuccessfulRunRecordsItsOutputLineByLine)
{
    const auto policy = define(R"("name":"hello","sessionType":"PolicySnapshot",
        "command":["sh","-c","echo one; echo two >&2; printf 'no newline'"])");
    const auto id = start_run(policy);
    const auto session = wait_final(id);
    EXPECT_EQ(str(session, "status"), "Success");
    EXPECT_EQ(str(session, "type"), "PolicySnapshot");
    EXPECT_TRUE(session.at("executionStopTime").is_string());
    EXPECT_EQ(str(session.at("backupJobInfo"), "policyId"), policy);
    EXPECT_EQ(str(session.at("backupJobInfo"), "policyName"), "hello");
    EXPECT_FALSE(session.at("backupJobInfo").at("policyRemoved").as_bool());
    const auto log = messages(id);
    ASSERT_EQ(log.size(), 5U);
    EXPECT_EQ(log[0], "Started by request: sh -c 'echo one; echo two >&2; printf '\\''no newline'\\'''");
    EXPECT_EQ(log[1], "one");
    EXPECT_EQ(log[2], "two");
    EXPECT_EQ(log[3], "no newline");
    EXPECT_EQ(log[4], "Exited with code 0.");
    // The session is found by its policy.
    const auto list = client_->get("/api/v1/jobSessions?PolicyId=" + policy, admin_token());
    EXPECT_EQ(list.json().at("totalCount").as_int64(), 1);
}

TEST_F(PolicyRuns, ExitCodesAndSignalsDecideTheStatus)
{
    const auto warns = define(R"("name":"w","command":["sh","-c","exit 3"],"warningExitCodes":[3,4])");
    const auto fails = define(R"("name":"e","command":["sh","-c","exit 5"],"warningExitCodes":[3,4])");
    const auto killed = define(R"("name":"k","command":["sh","-c","kill -KILL $$"])");
    const auto warning_run = start_run(warns);
    const auto error_run = start_run(fails);
    const auto signal_run = start_run(killed);
    EXPECT_EQ(str(wait_final(warning_run), "status"), "Warning");
    EXPECT_EQ(messages(warning_run).back(), "Exited with code 3.");
    EXPECT_EQ(str(wait_final(error_run), "status"), "Error");
    EXPECT_EQ(messages(error_run).back(), "Exited with code 5.");
    EXPECT_EQ(str(wait_final(signal_run), "status"), "Error");
    EXPECT_EQ(messages(signal_run).back(), "Killed by SIGKILL (9).");
    const auto last = client_->get("/api/v1/jobSessions/" + signal_run + "/log", admin_token());
    EXPECT_EQ(str(last.json().at("log").as_array().back(), "status"), "Error");
}

TEST_F(PolicyRuns, ACommandThatCannotRunEndsAsErrorSayingWhy)
{
    const auto missing = define(R"("name":"m","command":["/nonexistent/backup-tool","--all"])");
    const auto id = start_run(missing);
    EXPECT_EQ(str(wait_final(id), "status"), "Error");
    EXPECT_EQ(messages(id).back(), "Cannot run '/nonexistent/backup-tool': No such file or directory.");
    const auto nowhere = define(R"("name":"d","command":["true"],"workingDirectory":"/nonexistent/dir")");
    const auto id2 = start_run(nowhere);
    EXPECT_EQ(str(wait_final(id2), "status"), "Error");
    EXPECT_EQ(messages(id2).back(),
              "Cannot enter the working directory '/nonexistent/dir': No such file or directory.");
}

TEST_F(PolicyRuns, TheCommandGetsOnlyThePolicysEnvironmentAndDirectory)
{
    const auto policy = define(R"("name":"env","workingDirectory":"/tmp",
        "environment":{"PATH":"/usr/bin:/bin","TARGET":"/backup/x"},
        "command":["sh","-c","echo target=$TARGET; echo home=${HOME:-unset}; pwd; read line || echo stdin-closed"])");
    const auto id = start_run(policy);
    EXPECT_EQ(str(wait_final(id), "status"), "Success");
    const auto log = messages(id);
    EXPECT_TRUE(contains(log, "target=/backup/x"));
    EXPECT_TRUE(contains(log, "home=unset"));
    EXPECT_TRUE(contains(log, "/tmp"));
    EXPECT_TRUE(contains(log, "stdin-closed"));
}

TEST_F(PolicyRuns, StopSendsSigtermAndTheRunEndsCanceled)
{
    const auto policy = define(
        R"("name":"long","command":["sh","-c","trap 'echo got TERM; exit 143' TERM; echo started; while :; do sleep 1; done"],"stopGraceSeconds":20)");
    const auto id = start_run(policy);
    wait_for_output(id, "started");
    const auto stopped = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/stop", "", admin_token());
    EXPECT_EQ(stopped.status, 200);
    const auto session = wait_final(id);
    EXPECT_EQ(str(session, "status"), "Canceled");
    const auto log = messages(id);
    EXPECT_TRUE(contains(log, "Stopping by request; sent SIGTERM, SIGKILL follows in 20 s."));
    EXPECT_TRUE(contains(log, "got TERM"));
    EXPECT_EQ(log.back(), "Exited with code 143. Canceled by request.");
}

TEST_F(PolicyRuns, ATimeoutEndsTheRunAsErrorAfterTheGrace)
{
    // The command ignores SIGTERM, so SIGKILL after the grace period ends it.
    const auto policy = define(R"("name":"slow","timeoutSeconds":1,"stopGraceSeconds":1,
        "command":["sh","-c","trap '' TERM; echo waiting; sleep 60"])");
    const auto id = start_run(policy);
    const auto session = wait_final(id);
    EXPECT_EQ(str(session, "status"), "Error");
    const auto log = messages(id);
    EXPECT_TRUE(contains(log, "Timed out after 1 s; sent SIGTERM, SIGKILL follows in 1 s."));
    EXPECT_EQ(log.back(), "Killed by SIGKILL (9). The run timed out.");
}

TEST_F(PolicyRuns, AFloodOfOutputIsKeptWholeAndLongLinesAreSplit)
{
    // 20,000 lines as fast as the shell writes them, then one line of 200,000 bytes: split into entries of 64 KiB.
    const auto policy = define(R"("name":"flood",
        "command":["sh","-c","seq 1 20000; head -c 200000 /dev/zero | tr '\\0' x; echo"])");
    const auto id = start_run(policy);
    EXPECT_EQ(str(wait_final(id), "status"), "Success");
    const auto log = messages(id);
    ASSERT_EQ(log.size(), 1U + 20000U + 4U + 1U);
    for (int i = 1; i <= 20000; ++i) {
        ASSERT_EQ(log[static_cast<std::size_t>(i)], std::to_string(i));
    }
    EXPECT_EQ(log[20001], std::string(65536, 'x'));
    EXPECT_EQ(log[20002], std::string(65536, 'x'));
    EXPECT_EQ(log[20003], std::string(65536, 'x'));
    EXPECT_EQ(log[20004], std::string(200000 - 3 * 65536, 'x'));
    EXPECT_EQ(log.back(), "Exited with code 0.");
}

TEST_F(PolicyRuns, ALineOfExactlyTheLimitIsOneEntryAndNoCharacterIsSplit)
{
    // 65,536 bytes and a newline, the same with CRLF, then 65,535 x and a 2-byte character: split after the x's.
    const auto policy = define(R"("name":"edge",
        "command":["sh","-c","head -c 65536 /dev/zero | tr '\\0' x; echo; head -c 65536 /dev/zero | tr '\\0' y; printf '\\r\\n'; head -c 65535 /dev/zero | tr '\\0' z; printf '\\303\\251\\n'; echo after"])");
    const auto id = start_run(policy);
    EXPECT_EQ(str(wait_final(id), "status"), "Success");
    const auto log = messages(id);
    ASSERT_EQ(log.size(), 1U + 5U + 1U);
    EXPECT_EQ(log[1], std::string(65536, 'x'));
    EXPECT_EQ(log[2], std::string(65536, 'y'));
    EXPECT_EQ(log[3], std::string(65535, 'z'));
    EXPECT_EQ(log[4], "\xC3\xA9"); // é, whole
    EXPECT_EQ(log[5], "after");
}

TEST_F(PolicyRuns, OverlappingStartsAreRefusedAndForcedDeleteStopsRuns)
{
    const auto policy =
        define(R"("name":"busy","stopGraceSeconds":1,"command":["sh","-c","echo busy; exec sleep 60"])");
    const auto id = start_run(policy);
    wait_for_output(id, "busy");
    const auto second = client_->send_json("POST", "/api/v1/policies/" + policy + "/start", "", admin_token());
    EXPECT_EQ(second.status, 409);
    EXPECT_NE(second.body.find("already has 1 run(s) going on (maxConcurrentRuns)"), std::string::npos);

    const auto auth = Headers{{"Authorization", "Bearer " + admin_token()}};
    const auto refused = client_->request("DELETE", "/api/v1/policies/" + policy, "", auth);
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(client_->get("/api/v1/policies/" + policy, admin_token()).status, 200);
    EXPECT_EQ(client_->request("DELETE", "/api/v1/policies/" + policy + "?force=true", "", auth).status, 204);
    const auto session = wait_final(id);
    EXPECT_EQ(str(session, "status"), "Canceled");
    EXPECT_TRUE(session.at("backupJobInfo").at("policyRemoved").as_bool());
    EXPECT_EQ(messages(id).back(), "Killed by SIGTERM (15). Canceled: the policy was deleted.");
}

TEST_F(PolicyRuns, ShutdownStopsRunsAndRecordsThem)
{
    const auto policy = define(R"("name":"s","stopGraceSeconds":1,"command":["sh","-c","echo up; exec sleep 60"])");
    const auto id = start_run(policy);
    wait_for_output(id, "up");
    EXPECT_EQ(server_->terminate(), 0);
    start();
    admin_token_.clear();
    const auto session = client_->get("/api/v1/jobSessions/" + id, admin_token()).json().as_object();
    EXPECT_EQ(str(session, "status"), "Canceled");
    EXPECT_EQ(messages(id).back(), "Killed by SIGTERM (15). Canceled: the server shut down.");
}

TEST_F(PolicyRuns, ARunCutShortByAServerCrashIsEndedAtTheNextStart)
{
    const std::string pid_file = dir_.file("child.pid");
    const auto policy =
        define(R"("name":"crash","command":["sh","-c","echo $$ > )" + pid_file + R"(; echo running; exec sleep 300"])");
    const auto id = start_run(policy);
    wait_for_output(id, "running");
    pid_t child = 0;
    std::ifstream(pid_file) >> child;
    ASSERT_GT(child, 0);
    const int watch = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    ASSERT_GE(watch, 0);

    server_->kill9();
    // The child does not outlive the server: its pidfd becomes readable when it exits.
    pollfd exited{watch, POLLIN, 0};
    EXPECT_EQ(::poll(&exited, 1, 30'000), 1);
    ::close(watch);

    start();
    admin_token_.clear();
    const auto session = client_->get("/api/v1/jobSessions/" + id, admin_token()).json().as_object();
    EXPECT_EQ(str(session, "status"), "Error");
    EXPECT_TRUE(session.at("executionStopTime").is_string());
    EXPECT_EQ(messages(id).back(), "The server stopped during this run; the run was ended when it started again.");
    // Later runs of the policy work as before.
    EXPECT_EQ(client_->get("/api/v1/policies/" + policy, admin_token()).status, 200);
}

} // namespace
} // namespace jobsessions::test
