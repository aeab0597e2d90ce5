// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

using HttpLimits = ServerTest;

int status_of(const std::string& raw_response)
{
    if (raw_response.size() < 12) {
        return 0;
    }
    return std::stoi(raw_response.substr(9, 3));
}

TEST_F(HttpLimits, HeaderOneBytePastTheLimitIs431AndAtTheLimitIsServed)
{
    // The limit covers the request line and all fields: 32 KiB.
    const std::string start = "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    const std::string end = "\r\nConnection: close\r\n\r\n";
    const std::size_t limit = 32 * 1024;
    const std::string fits(limit - start.size() - end.size(), 'a');
    EXPECT_EQ(status_of(client_->raw(start + fits + end)), 200);
    const auto over = client_->raw(start + fits + "a" + end);
    EXPECT_EQ(status_of(over), 431);
    EXPECT_NE(over.find("application/problem+json"), std::string::npos);
    EXPECT_NE(over.find("\"traceId\""), std::string::npos);
}

TEST_F(HttpLimits, BodyOverOneMebibyteIs413AndChangesNothing)
{
    const std::string padding(1024 * 1024, ' ');
    const std::string body = R"({"type":"PolicyBackup"})";
    const auto over = client_->send_json("POST", "/api/v1/jobSessions", body + padding, admin_token());
    EXPECT_EQ(over.status, 413);
    EXPECT_EQ(str(over.json(), "title"), "Payload Too Large");
    const auto at_limit =
        client_->send_json("POST", "/api/v1/jobSessions", body + padding.substr(body.size()), admin_token());
    EXPECT_EQ(at_limit.status, 201);
    EXPECT_EQ(str(at_limit.json(), "id"), "1");
}

TEST_F(HttpLimits, MalformedRequestIs400)
{
    const auto res = client_->raw("GET /api/v1/system/about HTTP/1.1\r\nHost x\r\n\r\n");
    EXPECT_EQ(status_of(res), 400);
    EXPECT_NE(res.find("application/problem+json"), std::string::npos);
}

TEST_F(HttpLimits, UnknownPathIs404AndWrongMethodIs405WithAllow)
{
    const auto missing = client_->get("/api/v1/nothing/here", admin_token());
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(str(missing.json(), "title"), "Not Found");
    const auto wrong = client_->request("DELETE", "/api/v1/jobSessions/1");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.header("Allow"), "GET, PATCH");
    EXPECT_EQ(str(wrong.json(), "title"), "Method Not Allowed");
}

TEST_F(HttpLimits, KeepAliveServesManyRequestsOnOneConnectionIncludingPipelined)
{
    const std::string about = "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n";
    const auto res =
        client_->raw(about + about + "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    std::size_t count = 0;
    for (auto at = res.find("HTTP/1.1 200 OK"); at != std::string::npos; at = res.find("HTTP/1.1 200 OK", at + 1)) {
        ++count;
    }
    EXPECT_EQ(count, 3U);
}

TEST_F(HttpLimits, MissingHostIsABadRequest)
{
    const auto res = client_->raw("GET /api/v1/system/about HTTP/1.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_of(res), 400);
}

TEST_F(HttpLimits, AboutAnswersWithoutAToken)
{
    const auto res = client_->get("/api/v1/system/about");
    ASSERT_EQ(res.status, 200);
    const auto body = res.json();
    EXPECT_EQ(str(body, "serverVersion"), "0.1.0");
    EXPECT_EQ(body.at("apiVersions").as_array(), boost::json::array({"v1"}));
}

} // namespace
} // namespace jobsessions::test
