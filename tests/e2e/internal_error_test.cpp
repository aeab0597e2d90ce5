// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <sqlite3.h>

namespace jobsessions::test {
namespace {

using InternalError = ServerTest;

// Another program writes a row this server cannot read: the client gets a plain 500, the log gets the story.
TEST_F(InternalError, UnreadableDataIsA500WithoutInternals)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir() + "/jobsessions.db").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 10000);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE sessions SET type = 'NoSuchType'", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    const auto res = client_->get("/api/v1/jobSessions/" + id, admin_token());
    ASSERT_EQ(res.status, 500);
    EXPECT_EQ(res.header("Content-Type"), "application/problem+json; charset=utf-8");
    const auto body = res.json();
    EXPECT_EQ(str(body, "type"), "https://tools.ietf.org/html/rfc9110#section-15.6.1");
    EXPECT_EQ(str(body, "detail"), "An unexpected error occurred; the server log has the details.");
    EXPECT_EQ(res.body.find("NoSuchType"), std::string::npos);
    EXPECT_EQ(res.body.find("unknown type"), std::string::npos);
    const auto log = server_->stderr_text();
    const auto line = log.find("traceId=" + str(body, "traceId"));
    ASSERT_NE(line, std::string::npos) << log;
    EXPECT_NE(log.find("has an unknown type or status", line), std::string::npos) << log;
    // The server keeps serving.
    EXPECT_EQ(client_->get("/api/v1/system/about").status, 200);
}

} // namespace
} // namespace jobsessions::test
