// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

class SessionFollow : public ServerTest {
protected:
    std::string follow_request(const std::string& id, const std::string& extra = "")
    {
        return "GET /api/v1/jobSessions/" + id + "/log HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n" +
               "Authorization: Bearer " + admin_token() + "\r\n" + extra + "\r\n";
    }

    void append(const std::string& id, const std::string& message)
    {
        const auto res = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                            R"({"status":"Success","message":")" + message + R"("})", admin_token());
        ASSERT_EQ(res.status, 201) << res.body;
    }

    static std::size_t count(const std::string& text, const std::string& what)
    {
        std::size_t n = 0;
        for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
            ++n;
        }
        return n;
    }
};

TEST_F(SessionFollow, EntriesArriveAsTheyAreAppendedAndTheStreamEndsAfterTheFinalStatus)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    append(id, "before");
    StreamReader follower(*server_, follow_request(id));
    follower.read_until([](const std::string& r) { return r.find("before") != std::string::npos; },
                        std::chrono::seconds(10));
    EXPECT_EQ(follower.received().rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
    EXPECT_NE(follower.received().find("Content-Type: text/event-stream"), std::string::npos);
    EXPECT_NE(follower.received().find("event: status"), std::string::npos);
    EXPECT_NE(follower.received().find("id: 1\nevent: log\ndata: {\"logTime\":"), std::string::npos);

    append(id, "while following");
    follower.read_until([](const std::string& r) { return r.find("while following") != std::string::npos; },
                        std::chrono::seconds(10));
    EXPECT_NE(follower.received().find("id: 2\nevent: log"), std::string::npos);

    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Warning"})", admin_token()).status,
              200);
    follower.read_until([](const std::string& r) { return r.find("0\r\n\r\n") != std::string::npos; },
                        std::chrono::seconds(10));
    const auto body = dechunk(follower.received());
    EXPECT_NE(body.find(R"("status":"Warning")"), std::string::npos) << body;
    // The final status comes after every entry, and then the stream ends.
    EXPECT_GT(body.rfind("event: status"), body.rfind("event: log"));
    EXPECT_EQ(body.substr(body.size() - 2), "\n\n");
}

TEST_F(SessionFollow, TheStatusComesFirstWhateverTheBacklogAndTheFinalStatusLast)
{
    // 1,200 entries: more than the follower sends in one batch.
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    std::string batch = R"({"log":[)";
    for (int i = 0; i < 1200; ++i) {
        batch +=
            std::string(i > 0 ? "," : "") + R"({"status":"Success","message":"line )" + std::to_string(i) + R"("})";
    }
    ASSERT_EQ(client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log", batch + "]}", admin_token()).status,
              201);
    StreamReader running(*server_, follow_request(id));
    running.read_until([](const std::string& r) { return r.find("line 1199") != std::string::npos; },
                       std::chrono::seconds(10));
    const auto live = dechunk(running.received());
    EXPECT_EQ(live.find("event: "), live.find("event: status")) << live.substr(0, 300);
    EXPECT_LT(live.find("event: status"), live.find("event: log"));

    // Followed once it has ended: the session first, its log, and the final status last.
    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token()).status,
              200);
    StreamReader ended(*server_, follow_request(id));
    ended.read_until([](const std::string& r) { return r.find("0\r\n\r\n") != std::string::npos; },
                     std::chrono::seconds(10));
    const auto body = dechunk(ended.received());
    EXPECT_EQ(body.find("event: "), body.find("event: status"));
    EXPECT_EQ(count(body, "event: log"), 1200U);
    EXPECT_EQ(count(body, "event: status"), 2U);
    EXPECT_GT(body.rfind("event: status"), body.rfind("event: log"));
    EXPECT_NE(body.find(R"("status":"Success")", body.rfind("event: status")), std::string::npos);
}

TEST_F(SessionFollow, LastEventIdResumesAfterThatEntry)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    for (const char* m : {"one", "two", "three"}) {
        append(id, m);
    }
    ASSERT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token()).status,
              200);
    StreamReader follower(*server_, follow_request(id, "Last-Event-ID: 2\r\n"));
    follower.read_until([](const std::string& r) { return r.find("\r\n0\r\n\r\n") != std::string::npos; },
                        std::chrono::seconds(10));
    EXPECT_NE(follower.received().find("\r\n0\r\n\r\n"), std::string::npos);
    const auto body = dechunk(follower.received());
    EXPECT_EQ(body.find("\"one\""), std::string::npos);
    EXPECT_EQ(body.find("\"two\""), std::string::npos);
    EXPECT_NE(body.find("id: 3\nevent: log"), std::string::npos);
    // The session first, then the entry, then its final status again as the last event.
    EXPECT_EQ(count(body, "event: status"), 2U);
    EXPECT_LT(body.find("event: status"), body.find("id: 3\nevent: log"));
    EXPECT_GT(body.rfind("event: status"), body.find("id: 3\nevent: log"));
}

TEST_F(SessionFollow, QuietStreamGetsHeartbeats)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    StreamReader follower(*server_, follow_request(id));
    follower.read_until([](const std::string& r) { return r.find(": heartbeat") != std::string::npos; },
                        std::chrono::seconds(25));
    EXPECT_NE(follower.received().find(": heartbeat\n\n"), std::string::npos);
}

TEST_F(SessionFollow, UnknownSessionIsNotFoundAndBadResumeIdIsRefused)
{
    StreamReader missing(*server_, follow_request("404"));
    missing.read_until([](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; },
                       std::chrono::seconds(10));
    EXPECT_EQ(missing.received().rfind("HTTP/1.1 404", 0), 0U);
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    StreamReader bad(*server_, follow_request(id, "Last-Event-ID: abc\r\n"));
    bad.read_until([](const std::string& r) { return r.find("\r\n\r\n") != std::string::npos; },
                   std::chrono::seconds(10));
    EXPECT_EQ(bad.received().rfind("HTTP/1.1 400", 0), 0U);
}

TEST_F(SessionFollow, ServerShutdownEndsTheStream)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    StreamReader follower(*server_, follow_request(id));
    follower.read_until([](const std::string& r) { return r.find("event: status") != std::string::npos; },
                        std::chrono::seconds(10));
    EXPECT_EQ(server_->terminate(), 0);
    follower.read_until([](const std::string&) { return false; }, std::chrono::seconds(10));
    EXPECT_TRUE(follower.closed());
}

TEST_F(SessionFollow, LogPagesWithOffsetAndLimit)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    for (const char* m : {"a", "b", "c", "d"}) {
        append(id, m);
    }
    const auto page = client_->get("/api/v1/jobSessions/" + id + "/log?offset=1&limit=2", admin_token());
    ASSERT_EQ(page.status, 200);
    const auto entries = page.json().at("log").as_array();
    ASSERT_EQ(entries.size(), 2U);
    EXPECT_EQ(str(entries[0], "message"), "b");
    EXPECT_EQ(str(entries[1], "message"), "c");
    EXPECT_TRUE(client_->get("/api/v1/jobSessions/" + id + "/log?offset=10", admin_token())
                    .json()
                    .at("log")
                    .as_array()
                    .empty());
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id + "/log?limit=-5", admin_token()).status, 400);
}

} // namespace
} // namespace jobsessions::test
