// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <sodium.h>

#include <chrono>
#include <regex>
#include <thread>

namespace jobsessions::test {
namespace {

using TokenEndpoint = ServerTest;

const std::string kPassword = kAdminPassword;

void expect_grant(const HttpResponse& res, const std::string& username, const std::string& role)
{
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.header("Cache-Control"), "no-store");
    EXPECT_EQ(res.header("Content-Type"), "application/json; charset=utf-8");
    const auto body = res.json();
    EXPECT_FALSE(str(body, "access_token").empty());
    EXPECT_EQ(str(body, "token_type"), "bearer");
    EXPECT_FALSE(str(body, "refresh_token").empty());
    EXPECT_EQ(body.at("expires_in").as_int64(), 3600);
    const std::regex seven_digits(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z)");
    EXPECT_TRUE(std::regex_match(str(body, ".issued"), seven_digits)) << str(body, ".issued");
    EXPECT_TRUE(std::regex_match(str(body, ".expires"), seven_digits));
    EXPECT_FALSE(str(body, "userId").empty());
    EXPECT_EQ(str(body, "username"), username);
    EXPECT_EQ(str(body, "roleName"), role);
}

TEST_F(TokenEndpoint, AcceptsEveryPasswordBodyRealClientsSend)
{
    for (const std::string& form :
         {"Username=admin&Password=" + kPassword + "&refresh_token=&grant_type=Password&mfa_token=&mfa_code=",
          "grant_type=password&username=admin&password=" + kPassword,
          "username=admin&password=" + kPassword + "&rememberMe=false&grant_type=password",
          "Username=admin&Password=" + kPassword, "GRANT_TYPE=PASSWORD&USERNAME=ADMIN&PASSWORD=" + kPassword}) {
        SCOPED_TRACE(form);
        const auto res = client_->post_form("/api/oauth2/token", form);
        expect_grant(res, "admin", "Administrator");
        // The token works on the API.
        EXPECT_EQ(client_->get("/api/v1/jobSessions/1", str(res.json(), "access_token")).status, 404);
    }
}

TEST_F(TokenEndpoint, RefreshRotatesAndTheSpentTokenRevokesTheLogin)
{
    const auto first = client_->post_form("/api/oauth2/token", "username=admin&password=" + kPassword);
    ASSERT_EQ(first.status, 200);
    const auto refresh1 = str(first.json(), "refresh_token");
    const auto second = client_->post_form("/api/oauth2/token", "grant_type=Refresh_token&refresh_token=" + refresh1);
    expect_grant(second, "admin", "Administrator");
    const auto refresh2 = str(second.json(), "refresh_token");
    EXPECT_NE(refresh1, refresh2);

    const auto reused = client_->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh1);
    EXPECT_EQ(reused.status, 401);
    EXPECT_EQ(str(reused.json(), "error"), "invalid_grant");
    // Reuse means theft: the thief's fresh token dies with the login.
    const auto after = client_->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh2);
    EXPECT_EQ(after.status, 401);
}

TEST_F(TokenEndpoint, WrongPasswordAndUnknownUserGetTheSameAnswer)
{
    const auto wrong = client_->post_form("/api/oauth2/token", "username=admin&password=nope-nope");
    const auto unknown = client_->post_form("/api/oauth2/token", "username=ghost&password=" + kPassword);
    for (const auto* res : {&wrong, &unknown}) {
        EXPECT_EQ(res->status, 401);
        EXPECT_EQ(res->header("Content-Type"), "application/problem+json; charset=utf-8");
        EXPECT_EQ(str(res->json(), "error"), "invalid_grant");
        EXPECT_EQ(str(res->json(), "error_description"), "The user name or password is incorrect.");
        EXPECT_TRUE(res->has_header("WWW-Authenticate"));
    }
    // No internals, no echo of the password.
    EXPECT_EQ(wrong.body.find("nope-nope"), std::string::npos);
}

TEST_F(TokenEndpoint, MalformedRequestsAndUnsupportedGrantsAreBadRequests)
{
    const auto missing = client_->post_form("/api/oauth2/token", "username=admin");
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(str(missing.json(), "error"), "invalid_request");
    const auto no_refresh = client_->post_form("/api/oauth2/token", "grant_type=refresh_token");
    EXPECT_EQ(no_refresh.status, 400);
    EXPECT_EQ(str(no_refresh.json(), "error"), "invalid_request");
    const auto grant = client_->post_form("/api/oauth2/token", "grant_type=authorization_code&code=x");
    EXPECT_EQ(grant.status, 400);
    EXPECT_EQ(str(grant.json(), "error"), "unsupported_grant_type");
    const auto bad_escape = client_->post_form("/api/oauth2/token", "username=%zz");
    EXPECT_EQ(bad_escape.status, 400);
    const auto json = client_->request("POST", "/api/oauth2/token", R"({"username":"admin"})",
                                       {{"Content-Type", "application/json"}});
    EXPECT_EQ(json.status, 415);
}

TEST_F(TokenEndpoint, LogoutRevokesTheRefreshToken)
{
    const auto grant = client_->post_form("/api/oauth2/token", "username=admin&password=" + kPassword);
    ASSERT_EQ(grant.status, 200);
    const auto access = str(grant.json(), "access_token");
    const auto refresh = str(grant.json(), "refresh_token");
    const auto out = client_->request("DELETE", "/api/oauth2/token", "", {{"Authorization", "Bearer " + access}});
    EXPECT_EQ(out.status, 204);
    EXPECT_TRUE(out.body.empty());
    const auto after = client_->post_form("/api/oauth2/token", "grant_type=refresh_token&refresh_token=" + refresh);
    EXPECT_EQ(after.status, 401);
    EXPECT_EQ(client_->request("DELETE", "/api/oauth2/token").status, 401);
}

TEST_F(TokenEndpoint, RolesDecideWhatATokenMayDo)
{
    add_user(data_dir(), "viewer", "Viewer", "viewer-password");
    add_user(data_dir(), "operator", "Operator", "operator-password");
    add_user(data_dir(), "agent", "Agent", "agent-password");
    const auto viewer = login(*client_, "viewer", "viewer-password");
    const auto op = login(*client_, "operator", "operator-password");
    const auto agent = login(*client_, "agent", "agent-password");
    const std::string body = R"({"type":"PolicyBackup"})";
    const auto forbidden = client_->send_json("POST", "/api/v1/jobSessions", body, viewer);
    EXPECT_EQ(forbidden.status, 403);
    EXPECT_EQ(str(forbidden.json(), "title"), "Forbidden");
    EXPECT_EQ(client_->send_json("POST", "/api/v1/jobSessions", body, op).status, 403);
    const auto created = client_->send_json("POST", "/api/v1/jobSessions", body, agent);
    ASSERT_EQ(created.status, 201);
    const auto id = str(created.json(), "id");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, viewer).status, 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, op).status, 200);
    EXPECT_EQ(
        client_
            ->send_json("POST", "/api/v1/jobSessions/" + id + "/log", R"({"status":"Success","message":"hi"})", viewer)
            .status,
        403);
}

TEST_F(TokenEndpoint, DisabledUserIsLockedOutWithinSeconds)
{
    add_user(data_dir(), "temp", "Viewer", "temp-password");
    const auto token = login(*client_, "temp", "temp-password");
    ASSERT_EQ(client_->get("/api/v1/jobSessions/1", token).status, 404);
    const auto disabled = run_jobsessiond({"user", "disable", "temp", "--data-dir", data_dir()});
    ASSERT_EQ(disabled.exit_code, 0) << disabled.err;
    // The server reloads its user directory every two seconds; allow ten.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
        status = client_->get("/api/v1/jobSessions/1", token).status;
        if (status == 401) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(status, 401);
    EXPECT_EQ(client_->post_form("/api/oauth2/token", "username=temp&password=temp-password").status, 401);
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

/// Logins that come through a trusted proxy, so that each test can make them from any address it likes.
class LoginThrottling : public ServerTest {
protected:
    void SetUp() override { start(false, {"--trusted-proxy", "127.0.0.1", "--login-failures-per-user-address", "0"}); }

    HttpResponse log_in(const std::string& user, const std::string& password, const std::string& address)
    {
        return client_->request("POST", "/api/oauth2/token", "username=" + user + "&password=" + password,
                                {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Forwarded-For", address}});
    }
};

using Steady = std::chrono::steady_clock;

TEST_F(LoginThrottling, RepeatedFailuresAreSlowedDownThenToldWhenToTryAgain)
{
    const std::string attacker = "198.51.100.7";
    // Each failure holds its answer back until the next attempt may be made: 1 s, 2 s, then at most 2 s of 4.
    for (const auto held : {1, 2, 2}) {
        const auto started = Steady::now();
        const auto refused = log_in("admin", "guess", attacker);
        EXPECT_EQ(refused.status, 401) << refused.body;
        EXPECT_GE(Steady::now() - started, std::chrono::milliseconds(held * 1000 - 50));
    }
    // Asking again before the 4 s are up: a 429 at once, without checking the password, saying when.
    const auto started = Steady::now();
    const auto throttled = log_in("admin", kPassword, attacker);
    EXPECT_LT(Steady::now() - started, std::chrono::seconds(2));
    ASSERT_EQ(throttled.status, 429) << throttled.body;
    EXPECT_EQ(str(throttled.json(), "error"), "slow_down");
    EXPECT_EQ(str(throttled.json(), "title"), "Too Many Requests");
    const auto retry_after = std::stoi(throttled.header("Retry-After"));
    EXPECT_GE(retry_after, 1);
    EXPECT_LE(retry_after, 2);

    // Meanwhile the real admin, elsewhere, logs in at once: nobody can lock a user out from elsewhere. An unknown
    // user name from the attacker's address is treated as any other name.
    expect_grant(log_in("admin", kPassword, "203.0.113.9"), "admin", "Administrator");
    EXPECT_EQ(log_in("nobody", "guess", attacker).status, 401);

    // After the wait, the right password works, and counting starts over: two more mistakes are two 401s (held
    // 1 s and 2 s), where the old count would have made the second a 429.
    std::this_thread::sleep_for(std::chrono::seconds(retry_after)); // the client's own wait, as told
    expect_grant(log_in("admin", kPassword, attacker), "admin", "Administrator");
    EXPECT_EQ(log_in("admin", "typo", attacker).status, 401);
    EXPECT_EQ(log_in("admin", "typo", attacker).status, 401);

    // Each failure is in the log with the name and the address, for fail2ban; no password ever is.
    const auto log = server_->stderr_text();
    EXPECT_NE(log.find(" warning login failed for user 'admin' from 198.51.100.7\n"), std::string::npos) << log;
    EXPECT_NE(log.find(" warning login failed for user 'nobody' from 198.51.100.7\n"), std::string::npos);
    EXPECT_NE(log.find("POST /api/oauth2/token 429 client=198.51.100.7"), std::string::npos) << log;
    EXPECT_EQ(log.find("guess"), std::string::npos);
    EXPECT_EQ(log.find(kPassword), std::string::npos);
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

/// "Basic base64(id:secret)", as Prometheus' oauth2 client sends it.
std::string basic(const std::string& id_and_secret)
{
    std::string encoded(sodium_base64_ENCODED_LEN(id_and_secret.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(encoded.data(), encoded.size(), reinterpret_cast<const unsigned char*>(id_and_secret.data()),
                      id_and_secret.size(), sodium_base64_VARIANT_ORIGINAL);
    encoded.resize(encoded.size() - 1); // the terminating NUL
    return "Basic " + encoded;
}

TEST_F(TokenEndpoint, ClientCredentialsGiveAnAccessTokenAloneAsAScraperNeeds)
{
    // A password with ':', '%' and '+': form-encoded inside the Basic header, as RFC 6749 §2.3.1 has it.
    add_user(data_dir(), "prometheus", "Monitor", "p:ss%word+1");
    const Headers form{{"Content-Type", "application/x-www-form-urlencoded"}};
    auto with_basic = form;
    with_basic.emplace_back("Authorization", basic("prometheus:p%3Ass%25word%2B1"));
    const auto granted = client_->request("POST", "/api/oauth2/token", "grant_type=client_credentials", with_basic);
    ASSERT_EQ(granted.status, 200) << granted.body;
    const auto grant = granted.json();
    EXPECT_FALSE(grant.as_object().contains("refresh_token")) << granted.body;
    EXPECT_EQ(str(grant, "roleName"), "Monitor");
    EXPECT_EQ(grant.at("expires_in").as_int64(), 3600);
    EXPECT_EQ(client_->get("/metrics", str(grant, "access_token")).status, 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions", str(grant, "access_token")).status, 403);

    // In the form.
    const auto in_form = client_->post_form(
        "/api/oauth2/token", "grant_type=client_credentials&client_id=prometheus&client_secret=p%3Ass%25word%2B1");
    ASSERT_EQ(in_form.status, 200) << in_form.body;
    EXPECT_FALSE(in_form.json().as_object().contains("refresh_token"));

    // A wrong secret is the client's error; both ways at once, none, or a header that is not Basic's: a bad request.
    auto wrong = form;
    wrong.emplace_back("Authorization", basic("prometheus:guess"));
    const auto refused = client_->request("POST", "/api/oauth2/token", "grant_type=client_credentials", wrong);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(str(refused.json(), "error"), "invalid_client");
    const auto both =
        client_->request("POST", "/api/oauth2/token", "grant_type=client_credentials&client_id=prometheus", with_basic);
    EXPECT_EQ(both.status, 400);
    EXPECT_EQ(str(both.json(), "error"), "invalid_request");
    EXPECT_EQ(client_->post_form("/api/oauth2/token", "grant_type=client_credentials").status, 400);
    auto garbled = form;
    garbled.emplace_back("Authorization", "Basic !!!");
    EXPECT_EQ(client_->request("POST", "/api/oauth2/token", "grant_type=client_credentials", garbled).status, 400);
    EXPECT_EQ(server_->stderr_text().find("p:ss%word+1"), std::string::npos);
}

} // namespace
} // namespace jobsessions::test
