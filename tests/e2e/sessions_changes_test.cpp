// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <boost/json/parse.hpp>

#include <thread>

namespace jobsessions::test {
namespace {

using SessionsChanges = ServerTest;

TEST_F(SessionsChanges, ListsChangesInUsnOrderWithTheUsnToAskFromNext)
{
    const auto a = str(create(R"({"type":"PolicyBackup"})"), "id");
    create(R"({"type":"PolicySnapshot"})");
    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + a, R"({"status":"Success"})", admin_token()).status,
              200);
    const auto res = client_->get("/api/v1/jobSessions/changes?usn=0&limit=2", admin_token());
    ASSERT_EQ(res.status, 200);
    const auto body = res.json();
    EXPECT_EQ(body.at("usn").as_int64(), 3);
    EXPECT_EQ(body.at("hasMore").as_bool(), false);
    const auto& results = body.at("results").as_array();
    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(str(results[0], "id"), "2"); // session 1 changed again at usn 3
    EXPECT_EQ(str(results[1], "id"), "1");
    EXPECT_EQ(results[1].at("usn").as_int64(), 3);

    const auto page = client_->get("/api/v1/jobSessions/changes?USN=0&limit=1", admin_token()).json();
    EXPECT_EQ(page.at("hasMore").as_bool(), true);
    EXPECT_EQ(page.at("usn").as_int64(), 2);

    const auto none = client_->get("/api/v1/jobSessions/changes?usn=3", admin_token()).json();
    EXPECT_TRUE(none.at("results").as_array().empty());
    EXPECT_EQ(none.at("usn").as_int64(), 3);
}

TEST_F(SessionsChanges, LongPollIsWokenByTheWriteItself)
{
    create(R"({"type":"PolicyBackup"})");
    const auto token = admin_token();
    StreamReader poll(*server_, "GET /api/v1/jobSessions/changes?usn=1&wait=60 HTTP/1.1\r\nHost: x\r\n"
                                "Authorization: Bearer " +
                                    token + "\r\nConnection: close\r\n\r\n");
    // Nothing changed yet: the poll waits (well past the time a single request takes).
    poll.read_until([](const std::string& r) { return !r.empty(); }, std::chrono::milliseconds(500));
    EXPECT_TRUE(poll.received().empty());
    const auto started = std::chrono::steady_clock::now();
    create(R"({"type":"HealthCheck"})");
    poll.read_until([](const std::string&) { return false; }, std::chrono::seconds(30));
    const auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_LT(waited, std::chrono::seconds(30)); // answered by the write, not by the 60 s deadline
    EXPECT_EQ(poll.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
    const auto body = boost::json::parse(poll.received().substr(poll.received().find("\r\n\r\n") + 4));
    EXPECT_EQ(body.at("usn").as_int64(), 2);
    EXPECT_EQ(str(body.at("results").as_array().at(0), "type"), "HealthCheck");
}

TEST_F(SessionsChanges, LongPollAnswersEmptyWhenTheWaitIsOver)
{
    const auto res = client_->get("/api/v1/jobSessions/changes?usn=0&wait=1", admin_token());
    ASSERT_EQ(res.status, 200);
    EXPECT_TRUE(res.json().at("results").as_array().empty());
    EXPECT_EQ(client_->get("/api/v1/jobSessions/changes?wait=61", admin_token()).status, 400);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/changes?usn=-1", admin_token()).status, 400);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/changes?limit=0", admin_token()).status, 400);
}

} // namespace
} // namespace jobsessions::test
