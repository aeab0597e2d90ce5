// SPDX-License-Identifier: Apache-2.0
// The configuration file, through the real binary: what `jobsessiond config check` prints, which source wins, and
// that every mistake in the file is one line naming the file, the line and the key.
#include "e2e/e2e_fixture.hpp"

#include <fstream>
#include <sys/stat.h>

namespace jobsessions::test {
namespace {

class ConfigFile : public ::testing::Test {
protected:
    /// Writes the configuration file (mode 0600) and returns its path.
    std::string write(const std::string& text, mode_t mode = 0600)
    {
        auto path = dir_.file("jobsessiond.conf");
        std::ofstream(path) << text;
        ::chmod(path.c_str(), mode);
        return path;
    }

    /// `jobsessiond config check` with the file and more arguments.
    static ProcessResult check(const std::string& path, const std::vector<std::string>& args = {},
                               const std::vector<std::pair<std::string, std::string>>& env = {})
    {
        std::vector<std::string> all{"config", "check", "--config", path};
        all.insert(all.end(), args.begin(), args.end());
        return run_jobsessiond(all, "", env);
    }

    /// The one-line error `jobsessiond config check` gives for a file holding `text`.
    std::string error_for(const std::string& text)
    {
        const auto path = write(text);
        const auto result = check(path);
        EXPECT_EQ(result.exit_code, 2) << result.out;
        EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
        EXPECT_TRUE(result.out.empty()) << result.out;
        return result.err;
    }

    TempDir dir_;
};

TEST_F(ConfigFile, CheckPrintsEveryOptionWithWhereItsValueComesFrom)
{
    const auto result = run_jobsessiond({"config", "check"}, "", {{"JOBSESSIOND_CONFIG", "/dev/null"}});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("(file /dev/null)"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("\nlisten = \"0.0.0.0:8443\"  # default\n"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("\nretention-schedule = \"0 3 * * *\"  # default\n"), std::string::npos);
    EXPECT_NE(result.out.find("\n# tls-cert is not set  # default\n"), std::string::npos);
    EXPECT_NE(result.out.find("\nhttp = false  # default\n"), std::string::npos);
    EXPECT_NE(result.out.find("\ntrusted-proxy = []  # default\n"), std::string::npos);
}

TEST_F(ConfigFile, AFlagWinsOverTheEnvironmentWhichWinsOverTheFile)
{
    const auto path = write("# jobsessiond\n"
                            "listen = \"127.0.0.1:9443\"\n"
                            "threads = 3\n"
                            "retention-days = 30\n"
                            "http = true\n"
                            "trusted-proxy = [\"10.0.0.1\", \"10.0.0.2\"]\n"
                            "retention-schedule = \"CRON_TZ=Europe/Berlin 0 3 * * *\"\n");
    const auto result =
        check(path, {"--threads", "7"}, {{"JOBSESSIOND_THREADS", "5"}, {"JOBSESSIOND_RETENTION_DAYS", "45"}});
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto& out = result.out;
    EXPECT_NE(out.find("\nlisten = \"127.0.0.1:9443\"  # " + path + ":2: listen\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nthreads = 7  # --threads\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nretention-days = 45  # JOBSESSIOND_RETENTION_DAYS\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\nhttp = true  # " + path + ":5: http\n"), std::string::npos) << out;
    EXPECT_NE(out.find("\ntrusted-proxy = [\"10.0.0.1\", \"10.0.0.2\"]  # " + path + ":6: trusted-proxy\n"),
              std::string::npos)
        << out;
    EXPECT_NE(
        out.find("\nretention-schedule = \"CRON_TZ=Europe/Berlin 0 3 * * *\"  # " + path + ":7: retention-schedule\n"),
        std::string::npos)
        << out;
    EXPECT_NE(out.find("\nidle-timeout = 75  # default\n"), std::string::npos) << out;

    // The environment over the file when no flag names it.
    const auto env_only = check(path, {}, {{"JOBSESSIOND_THREADS", "5"}});
    EXPECT_NE(env_only.out.find("\nthreads = 5  # JOBSESSIOND_THREADS\n"), std::string::npos) << env_only.out;
    // What `config check` prints is itself a configuration file that gives the same configuration.
    const auto again_path = dir_.file("again.conf");
    std::ofstream(again_path) << result.out;
    const auto again = check(again_path);
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("\nthreads = 7  # " + again_path), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("\nretention-days = 45  # " + again_path), std::string::npos) << again.out;
}

TEST_F(ConfigFile, EveryMistakeIsOneLineNamingTheFileTheLineAndTheKey)
{
    const auto path = dir_.file("jobsessiond.conf");
    EXPECT_EQ(error_for("threads = 2\n\nbogus = 1\n"),
              "jobsessiond: " + path + ":3: bogus is not an option of jobsessiond (see --help)\n");
    EXPECT_EQ(error_for("threads = 0\n"),
              "jobsessiond: " + path + ":1: threads needs a whole number from 1 to 4096, not '0'\n");
    EXPECT_EQ(error_for("listen = \"127.0.0.1:1\"\nthreads = \"4\"\n"),
              "jobsessiond: " + path + ":2: threads needs a whole number (without quotes)\n");
    EXPECT_EQ(error_for("database-pool = 0\n"),
              "jobsessiond: " + path + ":1: database-pool needs a whole number from 1 to 1000, not '0'\n");
    EXPECT_EQ(error_for("http = \"yes\"\n"), "jobsessiond: " + path + ":1: http needs true or false\n");
    EXPECT_EQ(error_for("listen = 8443\n"), "jobsessiond: " + path + ":1: listen needs a string in quotes\n");
    EXPECT_EQ(error_for("trusted-proxy = [1, 2]\n"),
              "jobsessiond: " + path + ":1: trusted-proxy needs a list of strings\n");
    EXPECT_EQ(error_for("[server]\nthreads = 2\n"),
              "jobsessiond: " + path + ":1: server is not an option of jobsessiond (see --help)\n");
    EXPECT_EQ(error_for("\nretention-schedule = \"every day\"\n")
                  .rfind("jobsessiond: " + path + ":2: retention-schedule: a schedule has five fields", 0),
              0U);
    EXPECT_EQ(error_for("public-url = \"ftp://example.com\"\n"),
              "jobsessiond: " + path + ":1: public-url must start with http:// or https://, not 'ftp://example.com'\n");
    // Not TOML at all: the parser's own words, at the line.
    EXPECT_EQ(error_for("threads = 2\nlisten =\n").rfind("jobsessiond: " + path + ":2: ", 0), 0U);
    // A file named but missing.
    const auto missing = run_jobsessiond({"config", "check", "--config", dir_.file("missing.conf")});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.err.rfind("jobsessiond: " + dir_.file("missing.conf") + ": ", 0), 0U) << missing.err;
    // The server refuses to start on any of them, the same way.
    const auto serve = run_jobsessiond({"serve", "--config", write("threads = 0\n")});
    EXPECT_EQ(serve.exit_code, 2);
    EXPECT_EQ(serve.err, "jobsessiond: " + path + ":1: threads needs a whole number from 1 to 4096, not '0'\n");
}

TEST_F(ConfigFile, ADatabasePasswordStaysInAFileOthersCannotReadAndIsNeverPrinted)
{
    const std::string text = "database = \"postgresql://jobs:s3cret-pw@db.example.com/jobsessions\"\n";
    const auto readable = check(write(text, 0644));
    EXPECT_EQ(readable.exit_code, 2);
    EXPECT_NE(readable.err.find(":1: database holds a password, and other users may read"), std::string::npos)
        << readable.err;
    EXPECT_EQ(readable.err.find("s3cret-pw"), std::string::npos) << readable.err;

    const auto kept = check(write(text, 0640));
    ASSERT_EQ(kept.exit_code, 0) << kept.err;
    EXPECT_NE(kept.out.find("\ndatabase = \"postgresql://jobs:********@db.example.com/jobsessions\"  # "),
              std::string::npos)
        << kept.out;
    EXPECT_EQ(kept.out.find("s3cret-pw"), std::string::npos) << kept.out;
    const auto as_parameter =
        check(write("database = \"postgresql://db.example.com/jobsessions?user=jobs&password=s3cret-pw\"\n"));
    ASSERT_EQ(as_parameter.exit_code, 0) << as_parameter.err;
    EXPECT_EQ(as_parameter.out.find("s3cret-pw"), std::string::npos) << as_parameter.out;
}

TEST_F(ConfigFile, TheServerRunsWithWhatTheFileSays)
{
    const auto path = write("node-name = \"node-from-file\"\nidle-timeout = 5\n");
    ServerProcess server(ServerOptions{dir_.file("data"), false, {"--config", path}, {}});
    HttpClient client(server);
    const auto about = client.get("/api/v1/system/about").json().as_object();
    EXPECT_EQ(about.at("node").as_string(), "node-from-file");
    // JOBSESSIOND_CONFIG names it too.
    ServerProcess by_env(ServerOptions{dir_.file("data2"), false, {}, {{"JOBSESSIOND_CONFIG", path}}});
    HttpClient client2(by_env);
    EXPECT_EQ(client2.get("/api/v1/system/about").json().as_object().at("node").as_string(), "node-from-file");
}

} // namespace
} // namespace jobsessions::test
