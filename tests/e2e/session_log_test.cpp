// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

using SessionLog = ServerTest;

TEST_F(SessionLog, AppendedEntriesComeBackInTheV1ShapeOldestFirst)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto one = client_->send_json(
        "POST", "/api/v1/jobSessions/" + id + "/log",
        R"({"status":"Success","message":"Backup plan creation has finished",)"
        R"("logTime":"2020-02-05T11:09:57.775353Z","executionStartTime":"2020-02-05T11:07:23.925669Z",)"
        R"("executionDuration":"00:02:33.8496840"})",
        admin_token());
    ASSERT_EQ(one.status, 201) << one.body;
    EXPECT_EQ(one.json().at("firstSequence").as_int64(), 1);
    EXPECT_EQ(str(one.json(), "sessionStatus"), "Running");
    const auto batch = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                          R"({"log":[{"status":"Warning","message":"slow \"disk\""},)"
                                          R"({"status":"Success","message":"done","logTime":"2020-02-05T12:00:00Z"}]})",
                                          admin_token());
    ASSERT_EQ(batch.status, 201) << batch.body;
    EXPECT_EQ(batch.json().at("firstSequence").as_int64(), 2);
    EXPECT_EQ(batch.json().at("lastSequence").as_int64(), 3);

    const auto log = client_->get("/api/v1/jobSessions/" + id + "/log", admin_token());
    ASSERT_EQ(log.status, 200);
    const std::string first_entry =
        R"({"logTime":"2020-02-05T11:09:57.775353Z","status":"Success","message":"Backup plan creation has finished",)"
        R"("executionStartTime":"2020-02-05T11:07:23.925669Z","executionDuration":"00:02:33.8496840"})";
    const std::string expected_start = R"({"jobSessionId":")" + id + R"(","log":[)" + first_entry + ",";
    EXPECT_EQ(log.body.substr(0, expected_start.size()), expected_start);
    const auto entries = log.json().at("log").as_array();
    ASSERT_EQ(entries.size(), 3U);
    EXPECT_EQ(str(entries[1], "message"), "slow \"disk\"");
    // Without times, an entry starts when it is logged and takes no time.
    EXPECT_EQ(str(entries[1], "executionStartTime"), str(entries[1], "logTime"));
    EXPECT_EQ(str(entries[1], "executionDuration"), "00:00:00.0000000");
    EXPECT_EQ(str(entries[2], "logTime"), "2020-02-05T12:00:00.000000Z");
}

TEST_F(SessionLog, EmptyLogIsAnEmptyList)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto log = client_->get("/api/v1/jobSessions/" + id + "/log", admin_token());
    ASSERT_EQ(log.status, 200);
    EXPECT_EQ(log.body, R"({"jobSessionId":")" + id + R"(","log":[]})");
}

// A log longer than one batch, asked for without a limit, is streamed (chunked) and comes whole and in order;
// from an offset it starts after that many entries; with a limit it is a plain page.
TEST_F(SessionLog, WholeLongLogIsStreamedCompleteAndInOrder)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    constexpr int kEntries = 2'500;
    for (int first = 0; first < kEntries; first += 500) {
        std::string body = R"({"log":[)";
        for (int i = first; i < first + 500; ++i) {
            body += (i > first ? "," : "") + std::string(R"({"status":"Success","message":"line )") +
                    std::to_string(i + 1) + "\"}";
        }
        body += "]}";
        const auto appended = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log", body, admin_token());
        ASSERT_EQ(appended.status, 201) << appended.body;
    }
    const auto messages = [](const HttpResponse& res) {
        std::vector<std::string> out;
        const auto doc = res.json();
        for (const auto& e : doc.at("log").as_array()) {
            out.emplace_back(str(e, "message"));
        }
        return out;
    };
    const auto whole = client_->get("/api/v1/jobSessions/" + id + "/log", admin_token());
    ASSERT_EQ(whole.status, 200);
    EXPECT_EQ(whole.header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(str(whole.json(), "jobSessionId"), id);
    const auto all = messages(whole);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(kEntries));
    for (int i = 0; i < kEntries; ++i) {
        ASSERT_EQ(all[static_cast<std::size_t>(i)], "line " + std::to_string(i + 1));
    }
    const auto rest = messages(client_->get("/api/v1/jobSessions/" + id + "/log?offset=1200", admin_token()));
    ASSERT_EQ(rest.size(), static_cast<std::size_t>(kEntries - 1200));
    EXPECT_EQ(rest.front(), "line 1201");
    EXPECT_EQ(rest.back(), "line 2500");
    const auto page = client_->get("/api/v1/jobSessions/" + id + "/log?offset=1998&limit=5", admin_token());
    EXPECT_FALSE(page.has_header("Transfer-Encoding"));
    EXPECT_EQ(messages(page),
              (std::vector<std::string>{"line 1999", "line 2000", "line 2001", "line 2002", "line 2003"}));
}

// A page of many megabytes does not fit in the socket's send buffer: the server writes what it takes at once and the
// rest as the client reads, and the client gets every byte in order.
TEST_F(SessionLog, APageLargerThanTheSocketBufferArrivesWhole)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    constexpr int kEntries = 10'000; // the largest page: some 11 MB, past the most a socket buffers (4 MB)
    const std::string padding(1'000, 'x');
    for (int first = 0; first < kEntries; first += 500) {
        std::string body = R"({"log":[)";
        for (int i = first; i < first + 500; ++i) {
            body += (i > first ? "," : "") + std::string(R"({"status":"Success","message":"line )") +
                    std::to_string(i + 1) + " " + padding + "\"}";
        }
        body += "]}";
        const auto appended = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log", body, admin_token());
        ASSERT_EQ(appended.status, 201) << appended.body;
    }
    const auto page =
        client_->get("/api/v1/jobSessions/" + id + "/log?limit=" + std::to_string(kEntries), admin_token());
    ASSERT_EQ(page.status, 200);
    EXPECT_FALSE(page.has_header("Transfer-Encoding"));
    EXPECT_GT(page.body.size(), std::size_t{10'000'000});
    const auto log = page.json().at("log").as_array();
    ASSERT_EQ(log.size(), static_cast<std::size_t>(kEntries));
    for (int i = 0; i < kEntries; ++i) {
        ASSERT_EQ(str(log[static_cast<std::size_t>(i)], "message"), "line " + std::to_string(i + 1) + " " + padding);
    }
}

TEST_F(SessionLog, InvalidEntriesAreNamedAndNothingIsAppended)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto res = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                        R"({"log":[{"status":"Success","message":"ok"},{"status":"Bogus"},)"
                                        R"({"status":"Error","message":"x","executionDuration":"forever"},7]})",
                                        admin_token());
    ASSERT_EQ(res.status, 400);
    const auto body = res.json();
    const auto& errors = body.at("errors").as_object();
    EXPECT_TRUE(errors.contains("log[1].status"));
    EXPECT_TRUE(errors.contains("log[1].message"));
    EXPECT_TRUE(errors.contains("log[2].executionDuration"));
    EXPECT_TRUE(errors.contains("log[3]"));
    EXPECT_EQ(errors.size(), 4U);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id + "/log", admin_token()).json().at("log").as_array().size(), 0U);
}

TEST_F(SessionLog, FinishedSessionsLogIsClosed)
{
    const auto id = str(create(R"({"type":"PolicyBackup","status":"Success"})"), "id");
    const auto res = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                        R"({"status":"Success","message":"late"})", admin_token());
    EXPECT_EQ(res.status, 409);
}

TEST_F(SessionLog, AnAgentReadsTheLogsOfItsOwnSessionsOnly)
{
    const auto agent1 = login_new_user("agent1", "Agent");
    const auto agent2 = login_new_user("agent2", "Agent");
    const auto created = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", agent1);
    ASSERT_EQ(created.status, 201) << created.body;
    const auto path = "/api/v1/jobSessions/" + str(created.json(), "id") + "/log";
    ASSERT_EQ(client_->send_json("POST", path, R"({"status":"Success","message":"Reading the configuration"})", agent1)
                  .status,
              201);
    const auto own = client_->get(path, agent1);
    ASSERT_EQ(own.status, 200) << own.body;
    EXPECT_EQ(own.json().at("log").as_array().size(), 1U);
    const auto other = client_->get(path, agent2);
    EXPECT_EQ(other.status, 404) << other.body;
    EXPECT_EQ(other.body.find("Reading the configuration"), std::string::npos);
    EXPECT_EQ(client_->get(path, admin_token()).status, 200);
}

TEST_F(SessionLog, LogOfAMissingSessionIsNotFound)
{
    EXPECT_EQ(client_->get("/api/v1/jobSessions/5/log", admin_token()).status, 404);
    EXPECT_EQ(
        client_->send_json("POST", "/api/v1/jobSessions/5/log", R"({"status":"Success","message":"x"})", admin_token())
            .status,
        404);
}

TEST_F(SessionLog, RetriedAppendWithTheSameKeyAppendsOnce)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const Headers key{{"Idempotency-Key", "log-1"}};
    const std::string body = R"({"status":"Success","message":"once"})";
    const auto first = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log", body, admin_token(), key);
    const auto retry = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log", body, admin_token(), key);
    ASSERT_EQ(first.status, 201);
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(retry.body, first.body);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id + "/log", admin_token()).json().at("log").as_array().size(), 1U);
}

} // namespace
} // namespace jobsessions::test
