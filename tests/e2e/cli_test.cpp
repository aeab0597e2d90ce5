// SPDX-License-Identifier: Apache-2.0
// The jobsessions command-line client, run as a user runs it, against the real server.
#include "e2e/cli_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <future>
#include <sstream>
#include <sys/stat.h>

namespace jobsessions::test {
namespace {

using Cli = CliTest;

TEST_F(Cli, LoginTrustsASelfSignedServerOnlyByItsFingerprint)
{
    // No terminal to ask on: refused, and told the fingerprint and how to pass it.
    const auto untrusted = cli({"login", server_->url(), "-u", "admin", "--password-stdin"}, "x\n");
    EXPECT_EQ(untrusted.exit_code, 1);
    EXPECT_NE(untrusted.err.find("is not trusted: its SHA-256 fingerprint is " + fingerprint()), std::string::npos)
        << untrusted.err;
    EXPECT_NE(untrusted.err.find("--fingerprint"), std::string::npos);

    // A wrong fingerprint: refused before any password is sent.
    std::string wrong = fingerprint();
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    const auto mismatch =
        cli({"login", server_->url(), "-u", "admin", "--password-stdin", "--fingerprint", wrong}, "x\n");
    EXPECT_EQ(mismatch.exit_code, 1);
    EXPECT_NE(mismatch.err.find("is not the one trusted"), std::string::npos) << mismatch.err;

    // The server's own: signed in, and the configuration readable by its owner alone.
    const auto ok = cli({"login", server_->url(), "-u", "admin", "--password-stdin", "--fingerprint", fingerprint()},
                        std::string(kAdminPassword) + "\n");
    ASSERT_EQ(ok.exit_code, 0) << ok.err;
    EXPECT_EQ(ok.err, "Signed in to " + server_->url() + " as admin (Administrator).\n");
    struct stat file {};
    ASSERT_EQ(::stat(config_path().c_str(), &file), 0);
    EXPECT_EQ(file.st_mode & 0777U, 0600U);
    struct stat folder {};
    ASSERT_EQ(::stat(dir_.file("home/.config/jobsessions").c_str(), &folder), 0);
    EXPECT_EQ(folder.st_mode & 0777U, 0700U);
    // The password is kept nowhere.
    std::ifstream in(config_path());
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str().find(kAdminPassword), std::string::npos);

    // Later commands trust the same certificate and no other.
    EXPECT_EQ(cli({"about", "-o", "json"}).exit_code, 0);
    const auto pinned_elsewhere = cli({"sessions", "list", "--fingerprint", wrong});
    EXPECT_EQ(pinned_elsewhere.exit_code, 1);

    // --insecure works, and says what it does.
    const auto insecure = cli({"about", "--insecure", "--server", server_->url()});
    EXPECT_EQ(insecure.exit_code, 0) << insecure.err;
    EXPECT_NE(insecure.err.find("not checked"), std::string::npos);
}

TEST_F(Cli, AWrongPasswordOrNoLoginExits4)
{
    const auto wrong = cli({"login", server_->url(), "-u", "admin", "--password-stdin", "--fingerprint", fingerprint()},
                           "not-the-password\n");
    EXPECT_EQ(wrong.exit_code, 4);
    EXPECT_NE(wrong.err.find("not signed in: "), std::string::npos) << wrong.err;
    EXPECT_NE(wrong.err.find("(trace 00-"), std::string::npos) << wrong.err;

    const auto none = cli({"sessions", "list"});
    EXPECT_EQ(none.exit_code, 4);
    EXPECT_EQ(none.err, "jobsessions: no server: run jobsessions login URL, or set JOBSESSIONS_SERVER\n");
}

TEST_F(Cli, OutputFormats)
{
    create_finished("Success", "Nightly VMs");
    create_finished("Error", R"(SQL, \"prod\")");
    log_in();
    const auto run = [&](const std::string& format) {
        const auto result = cli({"sessions", "list", "--utc", "-o", format});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return result.out;
    };
    // Not a terminal: no colour, no footer.
    EXPECT_EQ(run("table"), "ID  TYPE          STATUS   POLICY       STARTED               DURATION\n"
                            "2   PolicyBackup  Error    SQL, \"prod\"  2026-11-30 22:00:00Z  1h 2m\n"
                            "1   PolicyBackup  Success  Nightly VMs  2026-11-30 22:00:00Z  1h 2m\n");
    EXPECT_EQ(run("wide"),
              "ID  TYPE          STATUS   POLICY       STARTED               STOPPED               DURATION  USN\n"
              "2   PolicyBackup  Error    SQL, \"prod\"  2026-11-30 22:00:00Z  2026-11-30 23:02:03Z  1h 2m     2\n"
              "1   PolicyBackup  Success  Nightly VMs  2026-11-30 22:00:00Z  2026-11-30 23:02:03Z  1h 2m     1\n");
    EXPECT_EQ(run("tsv"), "2\tPolicyBackup\tError\tSQL, \"prod\"\t2026-11-30T22:00:00.000000Z\t"
                          "2026-11-30T23:02:03.500000Z\t01:02:03.5000000\t2\n"
                          "1\tPolicyBackup\tSuccess\tNightly VMs\t2026-11-30T22:00:00.000000Z\t"
                          "2026-11-30T23:02:03.500000Z\t01:02:03.5000000\t1\n");
    EXPECT_EQ(run("csv"), "ID,TYPE,STATUS,POLICY,STARTED,STOPPED,DURATION,USN\n"
                          "2,PolicyBackup,Error,\"SQL, \"\"prod\"\"\",2026-11-30T22:00:00.000000Z,"
                          "2026-11-30T23:02:03.500000Z,01:02:03.5000000,2\n"
                          "1,PolicyBackup,Success,Nightly VMs,2026-11-30T22:00:00.000000Z,"
                          "2026-11-30T23:02:03.500000Z,01:02:03.5000000,1\n");
    // JSON is the API's answer unchanged; jsonl one session a line.
    const auto api = client_->get("/api/v1/jobSessions", admin_token());
    EXPECT_EQ(run("json"), api.body + "\n");
    const auto lines = run("jsonl");
    const auto results = api.json().at("results").as_array();
    EXPECT_EQ(lines, boost::json::serialize(results[0]) + "\n" + boost::json::serialize(results[1]) + "\n");
    const auto yaml = cli({"sessions", "get", "1", "-o", "yaml"}).out;
    EXPECT_EQ(
        yaml.substr(0, yaml.find("_links")),
        "id: \"1\"\ntype: PolicyBackup\nlocalizedType: Policy Backup\n"
        "executionStartTime: \"2026-11-30T22:00:00.000000Z\"\nexecutionStopTime: \"2026-11-30T23:02:03.500000Z\"\n"
        "executionDuration: \"01:02:03.5000000\"\nstatus: Success\nusn: 1\nbackupJobInfo:\n  policyId: p1\n"
        "  policyName: Nightly VMs\n  protectedInstancesCount: 0\n  policyRemoved: false\n");
    // Filters go to the API as they are.
    const auto errors = cli({"sessions", "list", "--status", "Error,Warning", "-o", "tsv"});
    EXPECT_EQ(errors.out.substr(0, 2), "2\t");
    EXPECT_EQ(std::count(errors.out.begin(), errors.out.end(), '\n'), 1);
}

TEST_F(Cli, ListAllStreamsEveryMatch)
{
    for (int i = 0; i < 1'100; ++i) {
        const auto res = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"HealthCheck"})", admin_token());
        ASSERT_EQ(res.status, 201);
    }
    log_in();
    const auto all = cli({"sessions", "list", "--all", "-o", "tsv"});
    ASSERT_EQ(all.exit_code, 0) << all.err;
    EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 1'100);
    EXPECT_EQ(all.out.substr(0, 5), "1100\t");
    const auto json = cli({"sessions", "list", "--all", "-o", "json"});
    EXPECT_EQ(boost::json::parse(json.out).as_array().size(), 1'100U);
    const auto page = cli({"sessions", "list", "--limit", "5", "--offset", "1095", "-o", "tsv"});
    EXPECT_EQ(std::count(page.out.begin(), page.out.end(), '\n'), 5);
    EXPECT_EQ(page.out.substr(0, 2), "5\t");
}

TEST_F(Cli, LogsInEveryFormat)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto appended = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                             R"({"log":[{"status":"Success","message":"copied a"},)"
                                             R"({"status":"Warning","message":"slow\tdisk, \"sdb\""}]})",
                                             admin_token());
    ASSERT_EQ(appended.status, 201);
    log_in();
    const auto tsv = cli({"sessions", "log", id, "-o", "tsv"});
    ASSERT_EQ(tsv.exit_code, 0) << tsv.err;
    const auto api = client_->get("/api/v1/jobSessions/" + id + "/log", admin_token());
    const auto entries = api.json().at("log").as_array();
    EXPECT_EQ(tsv.out, str(entries[0], "logTime") + "\tSuccess\tcopied a\n" + str(entries[1], "logTime") +
                           "\tWarning\tslow disk, \"sdb\"\n");
    EXPECT_EQ(cli({"sessions", "log", id, "-o", "json"}).out, api.body + "\n");
    const auto second = cli({"sessions", "log", id, "--offset", "1", "-o", "jsonl"});
    EXPECT_EQ(second.out, boost::json::serialize(entries[1]) + "\n");
}

TEST_F(Cli, ErrorsSayWhatIsWrongWithTheirExitCode)
{
    log_in();
    const auto missing = cli({"sessions", "get", "99"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err.substr(0, 52), "jobsessions: Job session '99' was not found. (trace ");
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1);
    const auto invalid = cli({"sessions", "list", "--status", "Bogus"});
    EXPECT_EQ(invalid.exit_code, 1);
    EXPECT_NE(invalid.err.find("Status: 'Bogus' is not a session status"), std::string::npos) << invalid.err;
    EXPECT_EQ(cli({"sessions", "list", "--limit", "0"}).exit_code, 2);
    EXPECT_EQ(cli({"sessions"}).exit_code, 2);
    EXPECT_EQ(cli({"sessions", "list", "-o", "xml"}).exit_code, 2);
    const auto help = cli({"sessions", "list", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("Examples:"), std::string::npos);
}

// Twenty invocations started together with an expired access token: one refreshes, the others wait for it and
// take its token; none presents a spent refresh token, so the login survives.
TEST_F(Cli, ParallelInvocationsShareOneRefresh)
{
    log_in();
    auto config = read_config();
    auto& profile = config["profiles"].as_object()["default"].as_object();
    const std::string refresh_token(profile["refreshToken"].as_string());
    profile["accessTokenExpiresAt"] = 0;
    write_config(config);

    std::vector<std::future<ProcessResult>> runs;
    for (int i = 0; i < 20; ++i) {
        runs.push_back(std::async(std::launch::async, [this] { return cli({"sessions", "list", "-o", "json"}); }));
    }
    for (auto& run : runs) {
        const auto result = run.get();
        EXPECT_EQ(result.exit_code, 0) << result.err;
    }
    const auto after = read_config();
    EXPECT_NE(after.at("profiles").at("default").at("refreshToken").as_string(), refresh_token);
    EXPECT_EQ(cli({"sessions", "list"}).exit_code, 0);
}

TEST_F(Cli, LogoutRevokesTheLogin)
{
    log_in();
    const std::string refresh_token(read_config().at("profiles").at("default").at("refreshToken").as_string());
    const auto out = cli({"logout"});
    ASSERT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.err, "Signed out of " + server_->url() + ".\n");
    // The refresh token no longer works anywhere it was copied to.
    const auto refresh =
        client_->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh_token);
    EXPECT_EQ(refresh.status, 401);
    EXPECT_EQ(cli({"sessions", "list"}).exit_code, 4);
}

TEST_F(Cli, EnvironmentAndProfiles)
{
    create_finished("Success", "Nightly VMs");
    log_in();
    // JOBSESSIONS_TOKEN: a token given by the environment, used as it is.
    const auto viewer = login_new_user("viewer", "Viewer");
    const auto by_env = cli({"sessions", "list", "-o", "tsv"}, "", {{"JOBSESSIONS_TOKEN", viewer}});
    EXPECT_EQ(by_env.exit_code, 0) << by_env.err;
    const auto bad_env = cli({"sessions", "list"}, "", {{"JOBSESSIONS_TOKEN", "not-a-token"}});
    EXPECT_EQ(bad_env.exit_code, 4);

    // A second profile for a second server; the first stays the default.
    ServerProcess other(ServerOptions{dir_.file("other"), false, {}, {}});
    add_user(dir_.file("other"), "ops", "Operator", "ops-password-1");
    const auto lab =
        cli({"--profile", "lab", "login", other.url(), "-u", "ops", "--password-stdin"}, "ops-password-1\n");
    ASSERT_EQ(lab.exit_code, 0) << lab.err;
    EXPECT_EQ(lab.err, "Signed in to " + other.url() + " as ops (Operator), profile lab.\n");
    EXPECT_EQ(cli({"sessions", "list", "-o", "tsv"}).out.substr(0, 2), "1\t");
    EXPECT_EQ(cli({"sessions", "list", "-o", "tsv", "--profile", "lab"}).out, "");
    EXPECT_EQ(cli({"sessions", "list", "-o", "tsv"}, "", {{"JOBSESSIONS_PROFILE", "lab"}}).out, "");
    const auto unknown = cli({"sessions", "list", "--profile", "nope"});
    EXPECT_EQ(unknown.exit_code, 4);
    EXPECT_NE(unknown.err.find("profile nope"), std::string::npos) << unknown.err;
}

TEST_F(Cli, WatchPrintsSessionsAsTheyChange)
{
    log_in();
    create_finished("Success", "Nightly VMs");
    create(R"({"type":"HealthCheck"})");
    // From usn 0: both sessions at once, then it waits for more until stopped (timeout ends it here).
    const auto watched =
        run_program({"/usr/bin/timeout", "3", JOBSESSIONS_CLI_BINARY, "sessions", "watch", "--usn", "0", "-o", "tsv"},
                    "", {{"HOME", dir_.file("home")}, {"XDG_CONFIG_HOME", dir_.file("home/.config")}});
    EXPECT_EQ(watched.exit_code, 124) << watched.err; // still watching when timeout stopped it
    std::istringstream lines(watched.out);
    std::string first;
    std::string second;
    std::getline(lines, first);
    std::getline(lines, second);
    EXPECT_EQ(first.substr(0, 23), "1\tPolicyBackup\tSuccess\t");
    EXPECT_EQ(second.substr(0, 14), "2\tHealthCheck\t");
}

TEST_F(Cli, PoliciesGetShowsOnePolicy)
{
    log_in();
    const auto created =
        client_->send_json("POST", "/api/v1/policies",
                           R"({"name":"nightly","command":["/bin/true"],"schedule":"0 1 * * *"})", admin_token());
    ASSERT_EQ(created.status, 201) << created.body;
    const auto id = str(created.json(), "id");
    const auto json = cli({"policies", "get", id, "-o", "json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.out, client_->get("/api/v1/policies/" + id, admin_token()).body + "\n");
    const auto tsv = cli({"policies", "get", id, "-o", "tsv"});
    EXPECT_EQ(tsv.out, "nightly\ttrue\t0 1 * * *\t\t" +
                           str(client_->get("/api/v1/policies/" + id, admin_token()).json(), "nextRunUtc") + "\t" + id +
                           "\n");
    EXPECT_EQ(cli({"policies", "get", "no-such-policy"}).exit_code, 1);
}

TEST_F(Cli, ExportWritesTheServersFileWholeOrNotAtAll)
{
    create_finished("Success", "Nightly VMs");
    create_finished("Error", "SQL");
    log_in();
    const auto api = client_->request("POST", "/api/v1/jobSessions/export?Status=Error", "",
                                      {{"Authorization", "Bearer " + admin_token()}, {"Accept", "text/csv"}});
    ASSERT_EQ(api.status, 200);
    const auto csv = cli({"sessions", "export", "--status", "Error"});
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    EXPECT_EQ(csv.out, api.body);
    EXPECT_EQ(csv.err, ""); // no progress line when stderr is not a terminal

    const auto file = dir_.file("sessions.json");
    const auto json = cli({"sessions", "export", "--format", "json", "-O", file});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(boost::json::parse(text.str()).as_array().size(), 2U);
    EXPECT_FALSE(std::ifstream(file + ".part").good());

    // A refused export leaves no file behind.
    const auto refused = cli({"sessions", "export", "--status", "Bogus", "-O", dir_.file("bad.csv")});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_FALSE(std::ifstream(dir_.file("bad.csv")).good());
    EXPECT_FALSE(std::ifstream(dir_.file("bad.csv.part")).good());
}

TEST_F(Cli, BashCompletesCommandsOptionsAndValues)
{
    const auto script = cli({"completion", "bash"});
    ASSERT_EQ(script.exit_code, 0);
    const auto path = dir_.file("completion.bash");
    std::ofstream(path) << script.out;
    const auto complete = [&](const std::string& words, int index) {
        const auto result =
            run_program({"/bin/bash", "-c",
                         "source " + path + "; COMP_WORDS=(" + words + "); COMP_CWORD=" + std::to_string(index) +
                             "; _jobsessions; echo ${COMPREPLY[@]}"});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        return result.out;
    };
    EXPECT_EQ(complete("jobsessions s", 1), "sessions\n");
    EXPECT_EQ(complete("jobsessions sessions l", 2), "list log\n");
    EXPECT_EQ(complete("jobsessions -o json policies st", 4), "start\n");
    EXPECT_EQ(complete("jobsessions -o j", 2), "json jsonl\n");
    EXPECT_EQ(complete("jobsessions sessions list --status Cancel", 4), "Canceling Canceled\n");
    EXPECT_EQ(complete("jobsessions sessions log 42 --f", 4), "--follow --fingerprint\n");
    EXPECT_EQ(cli({"completion", "fish"}).exit_code, 2);
}

} // namespace
} // namespace jobsessions::test
