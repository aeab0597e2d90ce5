// SPDX-License-Identifier: Apache-2.0
#include "jobsessions/store/sqlite/connection.hpp"

#include "e2e/e2e_fixture.hpp"

#include <atomic>
#include <regex>
#include <thread>

namespace jobsessions::test {
namespace {

using SessionGet = ServerTest;

TEST_F(SessionGet, SeedSessionIsByteForByteTheContractsOverHttps)
{
    start(true);
    // Bring the store to id 39 and usn 275, the contract's example, through the ingest API alone.
    for (int i = 1; i <= 38; ++i) {
        create(R"({"type":"PolicyBackup","backupJobInfo":{"policyId":"p","policyName":"n"}})");
    }
    for (int usn = 39; usn < 275; ++usn) {
        const auto res = client_->send_json(
            "PATCH", "/api/v1/jobSessions/1",
            R"({"backupJobInfo":{"protectedInstancesCount":)" + std::to_string(usn) + "}}", admin_token());
        ASSERT_EQ(res.status, 200) << res.body;
    }
    const auto created = create(R"({"type":"BackupRetention","status":"Success",)"
                                R"("executionStartTime":"2020-02-05T11:07:10.002679Z",)"
                                R"("executionStopTime":"2020-02-05T11:09:57.775353Z"})");
    ASSERT_EQ(str(created, "id"), "39");

    const auto res =
        client_->request("GET", "/api/v1/jobSessions/39", "", {{"Authorization", "Bearer " + admin_token()}});
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.header("Content-Type"), "application/json; charset=utf-8");
    EXPECT_EQ(res.header("Content-Length"), std::to_string(res.body.size()));
    std::string expected = read_file(JOBSESSIONS_GOLDEN_DIR "/session_39.json");
    // The links carry the host the request was sent to.
    for (auto at = expected.find("abc.example.com"); at != std::string::npos; at = expected.find("abc.example.com")) {
        expected.replace(at, 15, server_->host());
    }
    EXPECT_EQ(res.body, expected);
}

TEST_F(SessionGet, PublicUrlOverridesTheRequestHost)
{
    start(false, {"--public-url", "https://abc.example.com/"});
    const auto created = create(R"({"type":"BackupRetention"})");
    const auto res = client_->get("/api/v1/jobSessions/" + str(created, "id"), admin_token());
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(str(res.json().at("_links").at("self"), "href"),
              "https://abc.example.com/api/v1/jobSessions/" + str(created, "id"));
}

TEST_F(SessionGet, UnknownAndNonNumericIdsAreNotFoundProblems)
{
    for (const std::string id : {"12", "abc", "-1", "1.0", "99999999999999999999"}) {
        const auto res = client_->get("/api/v1/jobSessions/" + id, admin_token());
        EXPECT_EQ(res.status, 404) << id;
        EXPECT_EQ(res.header("Content-Type"), "application/problem+json; charset=utf-8");
        const auto body = res.json();
        EXPECT_EQ(str(body, "type"), "https://tools.ietf.org/html/rfc9110#section-15.5.5");
        EXPECT_EQ(str(body, "title"), "Not Found");
        EXPECT_EQ(body.at("status").as_int64(), 404);
        EXPECT_EQ(str(body, "detail"), "Job session '" + id + "' was not found.");
        EXPECT_EQ(str(body, "instance"), "/api/v1/jobSessions/" + id);
        EXPECT_TRUE(std::regex_match(str(body, "traceId"), std::regex("00-[0-9a-f]{32}-[0-9a-f]{16}-00")));
    }
}

TEST_F(SessionGet, AnswersAreValidUtf8WhateverBytesTheRequestHad)
{
    // boost::json::parse refuses malformed UTF-8, so each body that parses is valid; a bad byte reads as U+FFFD.
    const std::string replacement = "\xEF\xBF\xBD";
    const auto path = client_->get("/api/v1/jobSessions/%ff%C3", admin_token());
    ASSERT_EQ(path.status, 404);
    EXPECT_EQ(str(path.json(), "detail"), "Job session '" + replacement + replacement + "' was not found.");
    const auto status = client_->get("/api/v1/jobSessions?Status=%ff", admin_token());
    ASSERT_EQ(status.status, 400);
    EXPECT_EQ(status.json().at("errors").at("Status").as_array()[0].as_string().find("'" + replacement + "'"), 0U)
        << status.body;
    const auto type = client_->get("/api/v1/jobSessions?Types=Policy%e2%82Backup&FromUtc=%80", admin_token());
    ASSERT_EQ(type.status, 400);
    EXPECT_NO_THROW(type.json());
    // Refusals name the client's address in the log.
    EXPECT_EQ(client_->raw("GET /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n").substr(0, 12),
              "HTTP/1.1 501");
    EXPECT_NE(server_->stderr_text().find("GET /x 501 client=127.0.0.1"), std::string::npos) << server_->stderr_text();
}

TEST_F(SessionGet, TraceIdOfAnErrorIsInTheServerLog)
{
    const auto res = client_->get("/api/v1/jobSessions/777", admin_token());
    ASSERT_EQ(res.status, 404);
    const auto trace_id = str(res.json(), "traceId");
    EXPECT_NE(server_->stderr_text().find("traceId=" + trace_id), std::string::npos);
}

TEST_F(SessionGet, MissingOrBadTokenIsUnauthorizedWithABearerChallenge)
{
    const auto none = client_->get("/api/v1/jobSessions/1");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
    EXPECT_EQ(str(none.json(), "title"), "Unauthorized");
    const auto bad = client_->get("/api/v1/jobSessions/1", "not-a-token");
    EXPECT_EQ(bad.status, 401);
    EXPECT_EQ(bad.header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
    const auto basic = client_->request("GET", "/api/v1/jobSessions/1", "", {{"Authorization", "Basic YTpi"}});
    EXPECT_EQ(basic.status, 401);
}

TEST_F(SessionGet, LowerCaseBearerWorks)
{
    const auto created = create(R"({"type":"PolicyBackup"})");
    const auto res = client_->request("GET", "/api/v1/jobSessions/" + str(created, "id"), "",
                                      {{"Authorization", "bearer " + admin_token()}});
    EXPECT_EQ(res.status, 200);
}

TEST_F(SessionGet, RunningSessionHasNoStopTimeAndItsDurationGrows)
{
    const auto created = create(R"({"type":"PolicyBackup","executionStartTime":"2020-01-01T00:00:00Z"})");
    EXPECT_TRUE(created.at("executionStopTime").is_null());
    EXPECT_EQ(str(created, "status"), "Running");
    const auto duration = str(created, "executionDuration");
    EXPECT_TRUE(std::regex_match(duration, std::regex(R"(\d+\.\d\d:\d\d:\d\d\.\d{7})"))) << duration;
}

TEST_F(SessionGet, PathMatchesWithoutRegardToCaseAndWithATrailingSlash)
{
    const auto created = create(R"({"type":"PolicyBackup"})");
    EXPECT_EQ(client_->get("/API/V1/JOBSESSIONS/" + str(created, "id"), admin_token()).status, 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + str(created, "id") + "/", admin_token()).status, 200);
}

TEST_F(SessionGet, AgentReadsOnlyTheSessionsItCreated)
{
    const auto t1 = login_new_user("agent1", "Agent");
    const auto t2 = login_new_user("agent2", "Agent");
    const auto res = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", t1);
    ASSERT_EQ(res.status, 201);
    const auto id = str(res.json(), "id");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, t1).status, 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, t2).status, 404);
    EXPECT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", t2).status, 404);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, admin_token()).status, 200);
}

TEST_F(SessionGet, EveryAcknowledgedWriteIsReadBackOnAnyConnection)
{
    const std::string token = admin_token();
    const auto busy = create(R"({"type":"HealthCheck"})");
    // Readers keep the server's I/O threads answering many reads at once while the writers write.
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int r = 0; r < 4; ++r) {
        threads.emplace_back([&] {
            HttpClient c(*server_);
            while (!stop.load()) {
                if (c.get("/api/v1/jobSessions/" + str(busy, "id"), token).status != 200) {
                    ++failures;
                }
            }
        });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&] {
            HttpClient write(*server_);
            HttpClient read(*server_);
            for (int i = 0; i < 40; ++i) {
                const auto created =
                    write.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token);
                if (created.status != 201) {
                    ++failures;
                    continue;
                }
                const auto id = str(created.json(), "id");
                const auto changed =
                    write.send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", token);
                const auto got = read.get("/api/v1/jobSessions/" + id, token);
                if (changed.status != 200 || got.status != 200 || str(got.json(), "status") != "Success") {
                    ADD_FAILURE() << "session " << id << ": " << got.status << " " << got.body;
                    ++failures;
                }
            }
        });
    }
    for (auto& w : writers) {
        w.join();
    }
    stop = true;
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

TEST_F(SessionGet, AnIdleServerLeavesTheDatabaseLogFreeToCheckpoint)
{
    // What an online backup of the data directory with sqlite3 needs: no read transaction held between requests.
    const auto created = create(R"({"type":"PolicyBackup"})");
    for (int i = 0; i < 20; ++i) {
        ASSERT_EQ(client_->get("/api/v1/jobSessions/" + str(created, "id"), admin_token()).status, 200);
    }
    auto db = store::sqlite::Connection::open(data_dir() + "/jobsessions.db", false);
    ASSERT_TRUE(db);
    // Waits up to ten seconds for readers, then reports busy.
    ASSERT_TRUE((*db)->exec("PRAGMA busy_timeout = 10000"));
    auto checkpoint = (*db)->prepare_owned("PRAGMA wal_checkpoint(TRUNCATE)");
    ASSERT_TRUE(checkpoint);
    auto row = checkpoint->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(checkpoint->column_int64(0), 0) << "a reader kept the log from being reset";
}

} // namespace
} // namespace jobsessions::test

namespace jobsessions::test {
namespace {

TEST(SessionLinks, ForwardedHeadersCountOnlyFromTrustedProxies)
{
    TempDir dir;
    ServerProcess trusting(ServerOptions{dir.file("a"), false, {"--trusted-proxy", "127.0.0.1"}, {}});
    ServerProcess wary(ServerOptions{dir.file("b"), false, {}, {}});
    for (auto* server : {&trusting, &wary}) {
        HttpClient client(*server);
        const auto token = login(client, "admin", kAdminPassword);
        ASSERT_EQ(client.send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", token).status, 201);
        const auto res = client.request("GET", "/api/v1/jobSessions/1", "",
                                        {{"Authorization", "Bearer " + token},
                                         {"X-Forwarded-Proto", "https"},
                                         {"X-Forwarded-Host", "backup.example.com"}});
        ASSERT_EQ(res.status, 200);
        const auto href = str(res.json().at("_links").at("self"), "href");
        if (server == &trusting) {
            EXPECT_EQ(href, "https://backup.example.com/api/v1/jobSessions/1");
        } else {
            EXPECT_EQ(href, server->url() + "/api/v1/jobSessions/1");
        }
    }
}

} // namespace
} // namespace jobsessions::test
