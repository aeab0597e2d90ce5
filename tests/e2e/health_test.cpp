// SPDX-License-Identifier: Apache-2.0
// What a load balancer asks a server: whether it can serve, and which server it is.
#include "e2e/e2e_fixture.hpp"

#include <unistd.h>

#include <array>

namespace jobsessions::test {
namespace {

class Health : public ServerTest {};

TEST_F(Health, ReadyAnswersWithoutATokenWhileTheStoreAnswers)
{
    const auto res = client_->get("/health/ready");
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(res.body, R"({"status":"ready"})");
    // Any case, a query: the same answer; another health path: not found, as problem+json.
    EXPECT_EQ(client_->get("/HEALTH/Ready?probe=1").status, 200);
    const auto other = client_->get("/health/live");
    EXPECT_EQ(other.status, 404);
    EXPECT_EQ(other.header("Content-Type"), "application/problem+json; charset=utf-8");
    // Only GET.
    EXPECT_EQ(client_->send_json("POST", "/health/ready", "{}", admin_token()).status, 405);
}

TEST_F(Health, AnHttp10CheckWithoutHostIsAnsweredWhereNoLinkIsNeeded)
{
    // What haproxy's `option httpchk` sends by default.
    const auto ready = client_->raw("GET /health/ready HTTP/1.0\r\n\r\n");
    EXPECT_EQ(ready.substr(0, 15), "HTTP/1.1 200 OK") << ready;
    EXPECT_NE(ready.find(R"({"status":"ready"})"), std::string::npos) << ready;
    // A route whose answer holds links needs a Host to make them; HTTP/1.1 always needs one.
    const auto about = client_->raw("GET /api/v1/system/about HTTP/1.0\r\n\r\n");
    EXPECT_EQ(about.substr(0, 12), "HTTP/1.1 400") << about;
    EXPECT_NE(about.find("A valid Host header is required."), std::string::npos) << about;
    EXPECT_EQ(client_->raw("GET /health/ready HTTP/1.1\r\n\r\n").substr(0, 12), "HTTP/1.1 400");
}

TEST_F(Health, AboutNamesTheServerThatAnsweredAndItsStorage)
{
    std::array<char, 256> host{};
    ASSERT_EQ(::gethostname(host.data(), host.size() - 1), 0);
    auto about = client_->get("/api/v1/system/about").json().as_object();
    EXPECT_EQ(about.at("node").as_string(), host.data());
    EXPECT_EQ(about.at("storage").as_string(), "sqlite");

    start(false, {"--node-name", "backup-node-2"});
    about = client_->get("/api/v1/system/about").json().as_object();
    EXPECT_EQ(about.at("node").as_string(), "backup-node-2");
    start(false, {}, {{"JOBSESSIOND_NODE_NAME", "node.from-env_3"}});
    about = client_->get("/api/v1/system/about").json().as_object();
    EXPECT_EQ(about.at("node").as_string(), "node.from-env_3");
}

TEST(HealthCommandLine, ANodeNameMustBeAPlainName)
{
    for (const std::string& bad : std::vector<std::string>{"", "two words", "slash/ed", std::string(256, 'n')}) {
        const auto result = run_jobsessiond({"--http", "--listen", "127.0.0.1:0", "--node-name", bad});
        EXPECT_NE(result.exit_code, 0) << bad;
        EXPECT_NE(result.err.find("--node-name needs 1 to 255 letters, digits"), std::string::npos) << result.err;
    }
}

} // namespace
} // namespace jobsessions::test
