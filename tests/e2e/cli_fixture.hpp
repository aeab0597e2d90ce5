// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "e2e/e2e_fixture.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fstream>
#include <sstream>

namespace jobsessions::test {

/// A real jobsessiond over HTTPS, and the jobsessions binary run with its own configuration directory.
class CliTest : public ServerTest {
protected:
    void SetUp() override { start(true); }

    /// Runs `jobsessions args...` with its own configuration directory (HOME and XDG_CONFIG_HOME in the test's
    /// folder) and `env` besides.
    ProcessResult cli(std::vector<std::string> args, const std::string& input = "",
                      std::vector<std::pair<std::string, std::string>> env = {})
    {
        args.insert(args.begin(), JOBSESSIONS_CLI_BINARY);
        env.emplace_back("HOME", dir_.file("home"));
        env.emplace_back("XDG_CONFIG_HOME", dir_.file("home/.config"));
        return run_program(args, input, env);
    }

    /// The SHA-256 fingerprint the server printed at start.
    std::string fingerprint() const
    {
        const auto err = server_->stderr_text();
        const auto at = err.find("fingerprint ");
        return at == std::string::npos ? std::string() : err.substr(at + 12, 95);
    }

    /// Signs in to `url` (the test server's when empty), trusting the test server's certificate.
    void log_in(const std::string& user = "admin", const std::string& password = kAdminPassword,
                const std::string& url = "")
    {
        std::vector<std::string> args{"login", url.empty() ? server_->url() : url, "--username", user,
                                      "--password-stdin"};
        if (server_->tls()) {
            args.insert(args.end(), {"--fingerprint", fingerprint()});
        }
        const auto result = cli(args, password + "\n");
        ASSERT_EQ(result.exit_code, 0) << result.err;
    }

    std::string config_path() const { return dir_.file("home/.config/jobsessions/config.json"); }

    boost::json::object read_config() const
    {
        std::ifstream in(config_path());
        std::stringstream text;
        text << in.rdbuf();
        return boost::json::parse(text.str()).as_object();
    }

    void write_config(const boost::json::object& config) const
    {
        std::ofstream(config_path()) << boost::json::serialize(config);
    }

    /// A finished session with fixed times.
    void create_finished(const std::string& status, const std::string& policy)
    {
        create(R"({"type":"PolicyBackup","status":")" + status +
               R"(","executionStartTime":"2026-11-30T22:00:00Z","executionStopTime":"2026-11-30T23:02:03.5Z",)"
               R"("backupJobInfo":{"policyId":"p1","policyName":")" +
               policy + R"("}})");
    }
};

} // namespace jobsessions::test
