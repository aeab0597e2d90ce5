// SPDX-License-Identifier: Apache-2.0
// jobsessions following logs, waiting for sessions and managing policies, against the real server.
#include "e2e/cli_fixture.hpp"
#include "support/tcp_relay.hpp"

#include <future>

namespace jobsessions::test {
namespace {

using CliFollow = CliTest;

// Over plain HTTP, so that a relay between the client and the server can drop the connection.
class CliOverADroppingNetwork : public CliTest {
protected:
    void SetUp() override { start(false); }
};

void append_lines(HttpClient& client, const std::string& token, const std::string& id, int first, int count)
{
    std::string body = R"({"log":[)";
    for (int i = first; i < first + count; ++i) {
        body +=
            (i > first ? "," : "") + std::string(R"({"status":"Success","message":"line )") + std::to_string(i) + "\"}";
    }
    body += "]}";
    const auto res = client.send_json("POST", "/api/v1/jobSessions/" + id + "/log", body, token);
    ASSERT_EQ(res.status, 201) << res.body;
}

TEST_F(CliOverADroppingNetwork, FollowResumesAfterADroppedConnectionWithoutLosingOrRepeatingALine)
{
    TcpRelay relay(server_->port());
    const std::string via_relay = "http://127.0.0.1:" + std::to_string(relay.port());
    log_in("admin", kAdminPassword, via_relay);
    const auto id = str(create(R"({"type":"PolicyBackup","status":"Running"})"), "id");
    append_lines(*client_, admin_token(), id, 1, 1'000);

    auto follow = std::async(std::launch::async, [&] {
        return cli({"sessions", "log", id, "--follow", "--exit-status", "-o", "tsv"});
    });
    // Cut while the first lines are on their way: mid-event, as a real network drops.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (relay.bytes_to_clients() < 40'000 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    relay.cut();
    append_lines(*client_, admin_token(), id, 1'001, 1'000);
    const auto finished =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Warning"})", admin_token());
    ASSERT_EQ(finished.status, 200);

    const auto result = follow.get();
    EXPECT_EQ(result.exit_code, 0) << result.err; // Warning is a success for --exit-status
    EXPECT_NE(result.err.find("reconnecting"), std::string::npos) << result.err;
    std::istringstream lines(result.out);
    std::string line;
    int expected = 1;
    while (std::getline(lines, line)) {
        ASSERT_EQ(line.substr(line.find('\t')), "\tSuccess\tline " + std::to_string(expected)) << line;
        ++expected;
    }
    EXPECT_EQ(expected, 2'001);
}

TEST_F(CliFollow, FollowPrintsAppendedLinesAndExitsWithTheOutcome)
{
    log_in();
    const auto id = str(create(R"({"type":"PolicyBackup","status":"Running"})"), "id");
    append_lines(*client_, admin_token(), id, 1, 2);
    auto follow = std::async(std::launch::async, [&] {
        return cli({"sessions", "log", id, "--follow", "--exit-status", "-o", "jsonl"});
    });
    auto wait = std::async(std::launch::async, [&] {
        return cli({"sessions", "wait", id, "--exit-status", "-o", "tsv"});
    });
    append_lines(*client_, admin_token(), id, 3, 1);
    const auto failed =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Error"})", admin_token());
    ASSERT_EQ(failed.status, 200);

    const auto followed = follow.get();
    EXPECT_EQ(followed.exit_code, 5) << followed.err;
    EXPECT_EQ(followed.err, "jobsessions: session " + id + " ended Error\n");
    EXPECT_EQ(std::count(followed.out.begin(), followed.out.end(), '\n'), 3);
    EXPECT_NE(followed.out.find(R"("message":"line 3")"), std::string::npos);
    const auto waited = wait.get();
    EXPECT_EQ(waited.exit_code, 5) << waited.err;
    const std::string row_start = id + "\tPolicyBackup\tError\t";
    EXPECT_EQ(waited.out.substr(0, row_start.size()), row_start);

    // Without --exit-status, the outcome is not the exit code.
    EXPECT_EQ(cli({"sessions", "wait", id}).exit_code, 0);
    EXPECT_EQ(cli({"sessions", "log", id, "--follow"}).exit_code, 0);
}

TEST_F(CliFollow, WaitGivesUpAfterItsTimeoutWithExit3)
{
    log_in();
    const auto id = str(create(R"({"type":"PolicyBackup","status":"Running"})"), "id");
    const auto waited = cli({"sessions", "wait", id, "--timeout", "1s"});
    EXPECT_EQ(waited.exit_code, 3);
    EXPECT_EQ(waited.err, "jobsessions: session " + id + " is still Running after 1s\n");
    EXPECT_EQ(cli({"sessions", "wait", id, "--timeout", "soon"}).exit_code, 2);
}

TEST_F(CliFollow, StopAsksARunningSessionToStop)
{
    log_in();
    const auto id = str(create(R"({"type":"PolicyBackup","status":"Running"})"), "id");
    const auto viewer = login_new_user("viewer", "Viewer");
    const auto refused = cli({"sessions", "stop", id}, "", {{"JOBSESSIONS_TOKEN", viewer}});
    EXPECT_EQ(refused.exit_code, 4);
    const auto stopped = cli({"sessions", "stop", id});
    EXPECT_EQ(stopped.exit_code, 0) << stopped.err;
    EXPECT_EQ(stopped.err, "Asked session " + id + " to stop; it is Canceling.\n");
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/" + id, admin_token()).json(), "status"), "Canceling");
}

TEST_F(CliFollow, PoliciesFromCreateToDelete)
{
    log_in();
    const auto file = dir_.file("policy.json");
    std::ofstream(file) << R"({"name":"hello","command":["/bin/sh","-c","echo one; echo two; exit 3"],)"
                           R"("environment":{"PATH":"/usr/bin:/bin"},"schedule":"0 1 * * *"})";
    const auto created = cli({"policies", "create", "-f", file, "-o", "json"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    const auto policy = str(boost::json::parse(created.out), "id");
    EXPECT_EQ(cli({"policies", "create", "-f", file}).exit_code, 1); // the name is taken

    // Run now and follow: the command's lines, and its failure as exit 5.
    const auto run = cli({"policies", "start", policy, "--follow", "--exit-status", "-o", "tsv"});
    EXPECT_EQ(run.exit_code, 5) << run.err;
    EXPECT_NE(run.out.find("\tSuccess\tone\n"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("\tError\tExited with code 3.\n"), std::string::npos) << run.out;

    EXPECT_EQ(cli({"policies", "disable", policy}).exit_code, 0);
    EXPECT_EQ(client_->get("/api/v1/policies/" + policy, admin_token()).json().at("enabled"), false);
    EXPECT_EQ(cli({"policies", "enable", policy}).exit_code, 0);
    EXPECT_EQ(client_->get("/api/v1/policies/" + policy, admin_token()).json().at("enabled"), true);

    // apply replaces the policy of the same name, and creates one that is not there.
    std::ofstream(file) << R"({"name":"HELLO","command":["/bin/true"],"environment":{"PATH":"/usr/bin:/bin"}})";
    const auto replaced = cli({"policies", "apply", "-f", file, "-o", "json"});
    ASSERT_EQ(replaced.exit_code, 0) << replaced.err;
    EXPECT_EQ(replaced.err, "Replaced policy HELLO.\n");
    EXPECT_EQ(str(boost::json::parse(replaced.out), "id"), policy);
    std::ofstream(file) << R"({"name":"other","command":["/bin/true"]})";
    EXPECT_EQ(cli({"policies", "apply", "-f", file}).err.substr(0, 22), "Created policy other.\n");
    EXPECT_EQ(cli({"policies", "list", "-o", "tsv"}).out.find("hello"), std::string::npos);

    const auto started = cli({"policies", "start", policy});
    EXPECT_EQ(started.exit_code, 0) << started.err;
    EXPECT_EQ(cli({"sessions", "wait", started.out.substr(0, started.out.size() - 1), "--exit-status"}).exit_code, 0);
    EXPECT_EQ(cli({"policies", "delete", policy}).exit_code, 0);
    EXPECT_EQ(client_->get("/api/v1/policies/" + policy, admin_token()).status, 404);
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

using CliRun = CliTest;

/// The log of session `id` as its messages.
std::vector<std::string> messages_of(HttpClient& client, const std::string& token, const std::string& id)
{
    std::vector<std::string> out;
    for (int offset = 0;; offset += 10'000) {
        const auto page =
            client.get("/api/v1/jobSessions/" + id + "/log?limit=10000&offset=" + std::to_string(offset), token);
        const auto log = page.json().at("log").as_array();
        for (const auto& entry : log) {
            out.emplace_back(entry.at("message").as_string());
        }
        if (log.size() < 10'000) {
            return out;
        }
    }
}

TEST_F(CliRun, ACommandBecomesASessionWithItsOutputAndOutcome)
{
    log_in();
    const auto warned = cli({"run", "--policy-name", "home-folder", "--warning-exit-codes", "1,2", "--", "/bin/sh",
                             "-c", "echo one; echo two >&2; exit 2"});
    EXPECT_EQ(warned.exit_code, 2) << warned.err; // the command's own exit code
    EXPECT_EQ(warned.out, "one\ntwo\n");          // its output passes through
    EXPECT_EQ(warned.err, "jobsessions: session 1\njobsessions: session 1 ended Warning\n");
    const auto session = client_->get("/api/v1/jobSessions/1", admin_token()).json();
    EXPECT_EQ(str(session, "status"), "Warning");
    EXPECT_EQ(session.at("backupJobInfo").at("policyName").as_string(), "home-folder");
    EXPECT_EQ(messages_of(*client_, admin_token(), "1"),
              (std::vector<std::string>{"one", "two", "Exited with code 2."}));
    const auto last = client_->get("/api/v1/jobSessions/1/log?offset=2", admin_token()).json().at("log").at(0);
    EXPECT_EQ(str(last, "status"), "Warning"); // the line that says how it ended has the outcome's status

    EXPECT_EQ(cli({"run", "--", "/bin/true"}).exit_code, 0);
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/2", admin_token()).json(), "status"), "Success");
    EXPECT_EQ(cli({"run", "--type", "HealthCheck", "--", "/bin/sh", "-c", "exit 3"}).exit_code, 3);
    const auto failed = client_->get("/api/v1/jobSessions/3", admin_token()).json();
    EXPECT_EQ(str(failed, "status"), "Error");
    EXPECT_EQ(str(failed, "type"), "HealthCheck");

    const auto killed = cli({"run", "--", "/bin/sh", "-c", "kill -9 $$"});
    EXPECT_EQ(killed.exit_code, 137);
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/4", admin_token()).json(), "status"), "Error");
    EXPECT_EQ(messages_of(*client_, admin_token(), "4").back(), "Killed by signal Killed.");

    const auto missing = cli({"run", "--", "/no/such/command"});
    EXPECT_EQ(missing.exit_code, 127);
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/5", admin_token()).json(), "status"), "Error");
    EXPECT_EQ(cli({"run"}).exit_code, 2);
}

TEST_F(CliRun, AHundredThousandLinesArriveInOrder)
{
    log_in();
    const auto run = cli({"run", "--", "/usr/bin/seq", "1", "100000"});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const auto log = messages_of(*client_, admin_token(), "1");
    ASSERT_EQ(log.size(), 100'001U);
    for (std::size_t i = 0; i < 100'000; ++i) {
        ASSERT_EQ(log[i], std::to_string(i + 1));
    }
    EXPECT_EQ(log.back(), "Exited with code 0.");
}

TEST_F(CliRun, AStopFromTheServerStopsTheCommand)
{
    log_in();
    auto run = std::async(std::launch::async, [&] {
        return cli({"run", "--", "/bin/sh", "-c", "echo started; exec sleep 60"});
    });
    // The session exists once the change feed shows it.
    while (client_->get("/api/v1/jobSessions/1", admin_token()).status != 200) {
        wait_for_change();
    }
    const auto stop =
        client_->request("POST", "/api/v1/jobSessions/1/stop", "", {{"Authorization", "Bearer " + admin_token()}});
    ASSERT_EQ(stop.status, 200) << stop.body;
    const auto result = run.get();
    EXPECT_EQ(result.exit_code, 5) << result.err;
    EXPECT_NE(result.err.find("stopped from the server"), std::string::npos) << result.err;
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/1", admin_token()).json(), "status"), "Canceled");
    EXPECT_EQ(messages_of(*client_, admin_token(), "1").back(),
              "Stopped by request from the server; Killed by signal Terminated.");
}

TEST_F(CliRun, CreateAppendFinishStepByStep)
{
    log_in();
    const auto created = cli({"sessions", "create", "--policy-name", "nightly-db", "--idempotency-key", "k1"});
    ASSERT_EQ(created.exit_code, 0) << created.err;
    EXPECT_EQ(created.out, "1\n");
    // A retry creates nothing; the same key for another session is refused.
    EXPECT_EQ(cli({"sessions", "create", "--policy-name", "nightly-db", "--idempotency-key", "k1"}).out, "1\n");
    EXPECT_EQ(cli({"sessions", "create", "--idempotency-key", "k1"}).exit_code, 1);

    EXPECT_EQ(cli({"sessions", "append", "1", "dumping", "copying"}).exit_code, 0);
    EXPECT_EQ(cli({"sessions", "append", "1", "-", "--status", "Warning"}, "slow disk\nretried\n").exit_code, 0);
    EXPECT_EQ(messages_of(*client_, admin_token(), "1"),
              (std::vector<std::string>{"dumping", "copying", "slow disk", "retried"}));
    const auto stop =
        client_->request("POST", "/api/v1/jobSessions/1/stop", "", {{"Authorization", "Bearer " + admin_token()}});
    ASSERT_EQ(stop.status, 200);
    const auto told = cli({"sessions", "append", "1", "cleaning up"});
    EXPECT_EQ(told.exit_code, 0);
    EXPECT_EQ(told.err, "jobsessions: session 1 was asked to stop (Canceling)\n");

    const auto finished = cli({"sessions", "finish", "1", "--status", "Canceled", "-o", "tsv"});
    ASSERT_EQ(finished.exit_code, 0) << finished.err;
    EXPECT_EQ(finished.out.substr(0, 24), "1\tPolicyBackup\tCanceled\t");
    EXPECT_EQ(cli({"sessions", "finish", "1", "--status", "Running"}).exit_code, 2);
    const auto again = cli({"sessions", "finish", "1", "--status", "Success"});
    EXPECT_EQ(again.exit_code, 1); // a finished session does not change
    EXPECT_NE(again.err.find("(trace 00-"), std::string::npos) << again.err;
}

using CliRunAcrossARestart = CliOverADroppingNetwork;

// The server restarts while the command writes: what could not be sent waits and goes once the server is back,
// each batch once (its Idempotency-Key answers a retry that the server had already stored).
TEST_F(CliRunAcrossARestart, NothingIsLostOrRepeated)
{
    TcpRelay relay(server_->port());
    log_in("admin", kAdminPassword, "http://127.0.0.1:" + std::to_string(relay.port()));
    const auto script = "for i in $(seq 1 5000); do echo line $i; done; sleep 2; "
                        "for i in $(seq 5001 10000); do echo line $i; done";
    const auto uploaded_before = relay.bytes_to_server();
    auto run = std::async(std::launch::async, [&] { return cli({"run", "--", "/bin/sh", "-c", script}); });
    // Restarted once some of the first 5,000 lines have gone up, while the command writes or sleeps.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (relay.bytes_to_server() < uploaded_before + 50'000 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    relay.pause(true);
    relay.cut();
    server_->terminate();
    start(false); // the same data directory, a new port
    relay.retarget(server_->port());
    relay.pause(false);

    const auto result = run.get();
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto log = messages_of(*client_, admin_token(), "1");
    ASSERT_EQ(log.size(), 10'001U);
    for (std::size_t i = 0; i < 10'000; ++i) {
        ASSERT_EQ(log[i], "line " + std::to_string(i + 1));
    }
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/1", admin_token()).json(), "status"), "Success");
}

} // namespace
} // namespace jobsessions::test
