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
    EXPECT_EQ(wrong.header("Allow"), "GET, HEAD, PATCH");
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

// The head of each answer in `raw` (several answers on one connection), in order. An answer's body must be exactly
// `body_sizes[i]` bytes long (0 for the answers to HEAD), so that the next answer starts right after it.
std::vector<std::string> heads_of(const std::string& raw, const std::vector<std::size_t>& body_sizes)
{
    std::vector<std::string> heads;
    std::size_t at = 0;
    for (const std::size_t body_size : body_sizes) {
        const auto end = raw.find("\r\n\r\n", at);
        if (raw.compare(at, 9, "HTTP/1.1 ") != 0 || end == std::string::npos) {
            ADD_FAILURE() << "no answer at byte " << at << " of:\n" << raw;
            return heads;
        }
        heads.push_back(raw.substr(at, end + 4 - at));
        at = end + 4 + body_size;
    }
    EXPECT_EQ(at, raw.size()) << "bytes after the last answer:\n" << raw.substr(std::min(at, raw.size()));
    return heads;
}

TEST_F(HttpLimits, HeadAnswersWhatGetWouldWithoutTheBody)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto got = client_->get("/api/v1/jobSessions/" + id, admin_token());
    ASSERT_EQ(got.status, 200);
    // The same Host as the client's: the links in a body are absolute, so its length depends on it.
    const std::string host = "Host: " + server_->host() + "\r\n";
    const std::string auth = "Authorization: Bearer " + admin_token() + "\r\n";
    const std::string about =
        "GET /api/v1/system/about HTTP/1.1\r\nHost: " + server_->host() + "\r\nConnection: close\r\n\r\n";
    const std::string about_body = client_->get("/api/v1/system/about").body;

    // A session: the same head as GET, Content-Length included; the connection goes on with the next request.
    auto raw = client_->raw("HEAD /api/v1/jobSessions/" + id + " HTTP/1.1\r\n" + host + auth + "\r\n" + about);
    auto heads = heads_of(raw, {0, about_body.size()});
    ASSERT_EQ(heads.size(), 2U);
    EXPECT_EQ(status_of(heads[0]), 200);
    EXPECT_NE(heads[0].find("Content-Length: " + std::to_string(got.body.size()) + "\r\n"), std::string::npos)
        << heads[0];
    EXPECT_NE(heads[0].find("Content-Type: application/json"), std::string::npos) << heads[0];
    EXPECT_EQ(status_of(heads[1]), 200);

    // A streamed list: its head (chunked), no chunk at all.
    raw = client_->raw("HEAD /api/v1/jobSessions?limit=-1 HTTP/1.1\r\n" + host + auth + "\r\n" + about);
    heads = heads_of(raw, {0, about_body.size()});
    ASSERT_EQ(heads.size(), 2U);
    EXPECT_EQ(status_of(heads[0]), 200);
    EXPECT_NE(heads[0].find("Transfer-Encoding: chunked\r\n"), std::string::npos) << heads[0];

    // Errors keep their status and drop their body too; a route without GET does not take HEAD.
    raw = client_->raw("HEAD /api/v1/jobSessions/999 HTTP/1.1\r\n" + host + auth + "\r\n" +
                       "HEAD /api/v1/jobSessions/export HTTP/1.1\r\n" + host + auth + "\r\n" + about);
    heads = heads_of(raw, {0, 0, about_body.size()});
    ASSERT_EQ(heads.size(), 3U);
    EXPECT_EQ(status_of(heads[0]), 404);
    EXPECT_NE(heads[0].find("application/problem+json"), std::string::npos) << heads[0];
    EXPECT_EQ(status_of(heads[1]), 405);
    EXPECT_NE(heads[1].find("Allow: POST\r\n"), std::string::npos) << heads[1];
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
