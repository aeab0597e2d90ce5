// SPDX-License-Identifier: Apache-2.0
// How a request's framing is read (RFC 9112): what cannot be framed surely is refused and ends the connection, so
// no body is ever taken for a request of its own.
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

using RequestFraming = ServerTest;

/// The answers in a raw response stream: their status lines, in order.
std::vector<std::string> status_lines(const std::string& raw)
{
    std::vector<std::string> lines;
    for (auto at = raw.find("HTTP/1."); at != std::string::npos; at = raw.find("HTTP/1.", at + 1)) {
        if (at == 0 || raw.compare(at - 2, 2, "\r\n") == 0 || raw.compare(at - 1, 1, "}") == 0) {
            lines.push_back(raw.substr(at, raw.find("\r\n", at) - at));
        }
    }
    return lines;
}

TEST_F(RequestFraming, ACodingOtherThanChunkedIs501AndTheBodyIsNeverARequest)
{
    // The body is a whole request of its own: a server that took the body as absent would answer it too.
    const std::string smuggled = "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const std::string coding : {"xchunked", "identity", "chunked, identity", "gzip, chunked", "gzip", "deflate"}) {
        const auto raw =
            client_->raw("POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                         "Transfer-Encoding: " +
                         coding + "\r\n\r\n" + smuggled);
        EXPECT_EQ(status_lines(raw), std::vector<std::string>{"HTTP/1.1 501 Not Implemented"}) << coding << '\n' << raw;
        EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << raw;
        EXPECT_NE(raw.find(R"("detail":"The request's Transfer-Encoding has a coding the server does not implement; )"
                           R"(only chunked is.")"),
                  std::string::npos)
            << raw;
    }
}

TEST_F(RequestFraming, FramingThatCannotBeReadSurelyIs400AndEndsTheConnection)
{
    const std::string smuggled = "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const std::string head : {
             "POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
             "POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
             "POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
             "POST /api/v1/jobSessions HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
             "POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
             "POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nContent-Length: +5\r\n\r\n",
         }) {
        const auto raw = client_->raw(head + smuggled);
        ASSERT_EQ(status_lines(raw).size(), 1U) << head << '\n' << raw;
        EXPECT_EQ(status_lines(raw)[0], "HTTP/1.1 400 Bad Request") << raw;
        EXPECT_NE(raw.find("Connection: close\r\n"), std::string::npos) << raw;
    }
}

TEST_F(RequestFraming, ChunkedBodiesAreReadAndTheNextRequestFollows)
{
    const std::string body = R"({"type":"PolicyBackup"})";
    const auto raw =
        client_->raw("POST /api/v1/jobSessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Authorization: Bearer " +
                     admin_token() + "\r\nTransfer-Encoding: Chunked\r\n\r\n5\r\n" + body.substr(0, 5) + "\r\n" +
                     [&] {
                         char size[8];
                         std::snprintf(size, sizeof size, "%zx", body.size() - 5);
                         return std::string(size);
                     }() +
                     "\r\n" + body.substr(5) +
                     "\r\n0\r\n\r\nGET /api/v1/system/about HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_lines(raw), (std::vector<std::string>{"HTTP/1.1 201 Created", "HTTP/1.1 200 OK"})) << raw;
}

TEST_F(RequestFraming, AbsoluteFormTargetsAreServedWithTheirAuthorityAsHost)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto raw = client_->raw("GET http://backup.example:8443/api/v1/jobSessions/" + id +
                                  " HTTP/1.1\r\nHost: ignored.example\r\nAuthorization: Bearer " + admin_token() +
                                  "\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(status_lines(raw), std::vector<std::string>{"HTTP/1.1 200 OK"}) << raw;
    EXPECT_NE(raw.find(R"("self":{"href":"http://backup.example:8443/api/v1/jobSessions/)" + id + "\"}"),
              std::string::npos)
        << raw;
    // The scheme is case-insensitive, a query follows the path, and no path means "/" (the web console).
    EXPECT_EQ(status_lines(client_->raw("GET HTTP://x/api/v1/system/about?a=1 HTTP/1.1\r\nConnection: close\r\n\r\n")),
              std::vector<std::string>{"HTTP/1.1 200 OK"});
    const auto root = client_->raw("GET http://x HTTP/1.1\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(status_lines(root), std::vector<std::string>{"HTTP/1.1 200 OK"}) << root;
    EXPECT_NE(root.find("<title>jobsessions</title>"), std::string::npos) << root;
    // User information in the authority is refused, and ends the connection.
    const auto userinfo = client_->raw("GET http://admin:secret@x/api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n"
                                       "GET /api/v1/system/about HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(status_lines(userinfo), std::vector<std::string>{"HTTP/1.1 400 Bad Request"}) << userinfo;
    EXPECT_EQ(userinfo.find("secret"), std::string::npos) << userinfo;
}

} // namespace
} // namespace jobsessions::test
