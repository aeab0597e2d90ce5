// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"
#include "support/webhook_receiver.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <regex>
#include <sstream>

namespace jobsessions::test {
namespace {

using Logs = ServerTest;

/// Every line of `text`, each parsed as one JSON object; fails the test on a line that is not.
std::vector<boost::json::object> json_lines(const std::string& text)
{
    std::vector<boost::json::object> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        boost::system::error_code ec;
        auto value = boost::json::parse(line, ec);
        EXPECT_FALSE(ec) << "not JSON: " << line;
        EXPECT_TRUE(!ec && value.is_object()) << "not an object: " << line;
        if (ec || !value.is_object()) {
            continue;
        }
        const auto& object = value.as_object();
        EXPECT_TRUE(object.contains("time") && std::regex_match(std::string(object.at("time").as_string()),
                                                                std::regex(R"(\d{4}-\d\d-\d\dT[\d:.]+Z)")))
            << line;
        EXPECT_TRUE(object.contains("level") && std::regex_match(std::string(object.at("level").as_string()),
                                                                 std::regex("debug|info|warning|error")))
            << line;
        EXPECT_TRUE(object.contains("message") && object.at("message").is_string()) << line;
        lines.push_back(object);
    }
    return lines;
}

/// The one line whose message is `message`; fails the test when there is none or more.
boost::json::object line_with(const std::vector<boost::json::object>& lines, const std::string& message)
{
    std::vector<boost::json::object> found;
    for (const auto& line : lines) {
        if (line.at("message").as_string() == message) {
            found.push_back(line);
        }
    }
    EXPECT_EQ(found.size(), 1U) << message;
    return found.empty() ? boost::json::object() : found.front();
}

TEST_F(Logs, JsonLinesNameEachRequestAndHoldNoSecret)
{
    start(false, {"--log-format", "json", "--access-log", "--webhooks-allow-private"});
    // Every secret a client sends or gets: a password, an access token, refresh tokens, a wrong password, webhook
    // secrets (one given, one made by the server), and the signatures made with them.
    const auto granted =
        client_->post_form("/api/oauth2/token", std::string("username=admin&password=") + kAdminPassword);
    ASSERT_EQ(granted.status, 200);
    const auto access_token = str(granted.json(), "access_token");
    const auto first_refresh = str(granted.json(), "refresh_token");
    const auto refreshed =
        client_->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + first_refresh);
    ASSERT_EQ(refreshed.status, 200);
    const auto second_refresh = str(refreshed.json(), "refresh_token");
    const auto missing = client_->get("/api/v1/jobSessions/424242", access_token);
    ASSERT_EQ(missing.status, 404);
    WebhookReceiver receiver;
    receiver.answer([](const ReceivedPost&, const std::vector<ReceivedPost>&) { return 500; });
    const std::string given_secret = "whsec_bG9ncy10ZXN0LXdlYmhvb2stc2VjcmV0LTMyYnl0ZXM=";
    const auto given = client_->send_json("POST", "/api/v1/webhooks",
                                          R"({"url":")" + receiver.url() +
                                              R"(","events":["sessionStarted"],"secret":")" + given_secret + R"("})",
                                          access_token);
    ASSERT_EQ(given.status, 201) << given.body;
    const auto made = client_->send_json(
        "POST", "/api/v1/webhooks", R"({"url":")" + receiver.url() + R"(","events":["sessionStarted"]})", access_token);
    ASSERT_EQ(made.status, 201) << made.body;
    const auto made_secret = str(made.json(), "secret");
    const auto created = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", access_token);
    ASSERT_EQ(created.status, 201) << created.body;
    // Both refused once: the log tells of the failures.
    ASSERT_TRUE(receiver.wait_until([](const auto& got) { return got.size() >= 2; }));
    // A user name chosen to pass for another address in a line that would not escape it.
    const std::string wrong_password = "not-the-password-7Q";
    const auto refused =
        client_->post_form("/api/oauth2/token", "username=eve%22%20client%3D10.0.0.1%0Ax&password=" + wrong_password);
    ASSERT_EQ(refused.status, 401);
    ASSERT_EQ(server_->terminate(), 0);

    const auto log = server_->stderr_text();
    const auto lines = json_lines(log);
    ASSERT_GE(lines.size(), 6U) << log;
    std::vector<std::string> secrets{std::string(kAdminPassword),
                                     access_token,
                                     first_refresh,
                                     second_refresh,
                                     wrong_password,
                                     given_secret,
                                     made_secret,
                                     given_secret.substr(6),
                                     made_secret.substr(6)};
    for (const auto& post : receiver.received()) {
        secrets.push_back(post.header("webhook-signature").substr(3));
    }
    for (const auto& secret : secrets) {
        EXPECT_EQ(log.find(secret), std::string::npos) << "a secret in the log: " << secret;
    }
    const auto refused_delivery = std::find_if(lines.begin(), lines.end(), [](const boost::json::object& line) {
        return line.at("message").as_string() == "webhook: a delivery was not accepted";
    });
    ASSERT_NE(refused_delivery, lines.end());
    EXPECT_EQ(refused_delivery->at("level").as_string(), "warning");
    EXPECT_EQ(refused_delivery->at("error").as_string(), "answered 500");

    const auto get = line_with(lines, "GET /api/v1/jobSessions/424242 404");
    EXPECT_EQ(get.at("level").as_string(), "info");
    EXPECT_EQ(get.at("method").as_string(), "GET");
    EXPECT_EQ(get.at("path").as_string(), "/api/v1/jobSessions/424242");
    EXPECT_EQ(get.at("route").as_string(), "/api/v1/jobSessions/{id}");
    EXPECT_EQ(get.at("status").as_int64(), 404);
    EXPECT_EQ(get.at("client").as_string(), "127.0.0.1");
    EXPECT_EQ(get.at("user").as_string(), "admin");
    EXPECT_GT(get.at("userId").as_int64(), 0);
    EXPECT_EQ(get.at("traceId").as_string(), str(missing.json(), "traceId"));
    EXPECT_GE(get.at("durationUs").as_int64(), 0);
    EXPECT_LT(get.at("durationUs").as_int64(), 60'000'000);

    const auto post = line_with(lines, "POST /api/v1/jobSessions 201");
    EXPECT_EQ(post.at("route").as_string(), "/api/v1/jobSessions");
    EXPECT_EQ(post.at("status").as_int64(), 201);

    // The token endpoint's lines have no user (no token was sent); the failed login is one line of its own, its
    // client and user named apart, the user exactly as sent.
    const auto failed_request = line_with(lines, "POST /api/oauth2/token 401");
    EXPECT_EQ(failed_request.at("route").as_string(), "/api/oauth2/token");
    EXPECT_FALSE(failed_request.contains("user"));
    const auto failed_login = line_with(lines, "login failed for user 'eve\" client=10.0.0.1?x' from 127.0.0.1");
    EXPECT_EQ(failed_login.at("level").as_string(), "warning");
    EXPECT_EQ(failed_login.at("client").as_string(), "127.0.0.1");
    EXPECT_EQ(failed_login.at("user").as_string(), "eve\" client=10.0.0.1\nx");

    // The README's failregex for JSON lines, <HOST> as an address: only the real one matches.
    const std::regex failregex(R"re("message":"login failed for user '.*' from ([0-9a-fA-F.:]+)")re");
    std::vector<std::string> hosts;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), failregex); it != std::sregex_iterator(); ++it) {
        hosts.push_back((*it)[1]);
    }
    EXPECT_EQ(hosts, std::vector<std::string>{"127.0.0.1"});

    line_with(lines, "received SIGTERM; shutting down");
    line_with(lines, "stopped");
}

TEST_F(Logs, TextLinesMatchTheDocumentedFail2banFilter)
{
    const auto refused = client_->post_form("/api/oauth2/token", "username=eve%27%20from%2010.0.0.1%0A&password=guess");
    ASSERT_EQ(refused.status, 401);
    const auto missing = client_->get("/api/v1/jobSessions/9", admin_token());
    ASSERT_EQ(missing.status, 404);
    const auto log = server_->stderr_text();
    // The README's failregex, <HOST> as fail2ban expands it: only the real address can match.
    const std::regex failregex(R"(^\S+ warning login failed for user '.*' from (\S+)$)");
    std::istringstream in(log);
    std::string line;
    std::vector<std::string> hosts;
    while (std::getline(in, line)) {
        std::smatch match;
        if (std::regex_match(line, match, failregex)) {
            hosts.push_back(match[1]);
        }
    }
    EXPECT_EQ(hosts, std::vector<std::string>{"127.0.0.1"}) << log;
    const auto trace_id = str(missing.json(), "traceId");
    const std::regex request_line(R"(\S+ info GET /api/v1/jobSessions/9 404 client=127\.0\.0\.1 user=admin traceId=)" +
                                  trace_id + R"( durationUs=\d+)");
    EXPECT_TRUE(std::regex_search(log, request_line)) << log;
}

TEST_F(Logs, AStartThatFailsSaysWhyInTheLogsFormat)
{
    const auto json = run_jobsessiond({"serve", "--log-format", "json", "--http", "--listen", "127.0.0.1:notaport",
                                       "--data-dir", data_dir() + "-other"});
    EXPECT_NE(json.exit_code, 0);
    const auto lines = json_lines(json.err);
    ASSERT_EQ(lines.size(), 1U) << json.err;
    EXPECT_EQ(lines[0].at("level").as_string(), "error");
    EXPECT_NE(std::string(lines[0].at("message").as_string()).find("--listen needs a port"), std::string::npos);

    const auto bad = run_jobsessiond({"serve", "--log-format", "xml"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_EQ(bad.err, "jobsessiond: --log-format needs text or json, not 'xml'\n");
}

} // namespace
} // namespace jobsessions::test
