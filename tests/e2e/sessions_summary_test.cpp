// SPDX-License-Identifier: Apache-2.0
// GET /api/v1/jobSessions/summary: counts by status under the list's filters, as an overview shows them.
#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

using SessionsSummary = ServerTest;

TEST_F(SessionsSummary, CountsByStatusUnderTheListsFilters)
{
    create(R"({"type":"PolicyBackup","status":"Success","executionStartTime":"2026-01-10T01:00:00Z",)"
           R"("executionStopTime":"2026-01-10T01:10:00Z","backupJobInfo":{"policyId":"p1","policyName":"nightly"}})");
    create(R"({"type":"PolicyBackup","status":"Error","executionStartTime":"2026-01-11T01:00:00Z",)"
           R"("executionStopTime":"2026-01-11T01:05:00Z","backupJobInfo":{"policyId":"p1","policyName":"nightly"}})");
    create(R"({"type":"PolicySnapshot","status":"Success","executionStartTime":"2026-01-11T02:00:00Z",)"
           R"("executionStopTime":"2026-01-11T02:01:00Z"})");
    // Started long before any window below, still running.
    create(R"({"type":"PolicyBackup","status":"Running","executionStartTime":"2025-06-01T00:00:00Z",)"
           R"("backupJobInfo":{"policyId":"p1","policyName":"nightly"}})");

    const auto all = client_->get("/api/v1/jobSessions/summary", admin_token());
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(all.header("Content-Type"), "application/json; charset=utf-8");
    const auto body = all.json();
    EXPECT_EQ(body.at("totalCount").as_int64(), 4);
    const auto& counts = body.at("statusCounts").as_object();
    EXPECT_EQ(counts.size(), 10U); // every status, zeros included
    EXPECT_EQ(counts.at("Success").as_int64(), 2);
    EXPECT_EQ(counts.at("Error").as_int64(), 1);
    EXPECT_EQ(counts.at("Running").as_int64(), 1);
    EXPECT_EQ(counts.at("Warning").as_int64(), 0);
    EXPECT_EQ(body.at("runningNow").as_int64(), 1);

    // A time window counts the sessions started in it; what runs now is counted whenever it started.
    const auto window =
        client_->get("/api/v1/jobSessions/summary?FromUtc=2026-01-11T00:00:00Z&ToUtc=2026-01-12T00:00:00Z&PolicyId=p1",
                     admin_token());
    ASSERT_EQ(window.status, 200) << window.body;
    EXPECT_EQ(window.json().at("totalCount").as_int64(), 1);
    EXPECT_EQ(window.json().at("statusCounts").at("Error").as_int64(), 1);
    EXPECT_EQ(window.json().at("statusCounts").at("Success").as_int64(), 0);
    EXPECT_EQ(window.json().at("runningNow").as_int64(), 1);

    // Asked statuses only; names without regard to case, as in the list.
    const auto asked =
        client_->get("/api/v1/jobSessions/summary?status=Success,Warning&types=PolicySnapshot", admin_token());
    ASSERT_EQ(asked.status, 200) << asked.body;
    EXPECT_EQ(asked.json().at("statusCounts").as_object().size(), 2U);
    EXPECT_EQ(asked.json().at("statusCounts").at("Success").as_int64(), 1);
    EXPECT_EQ(asked.json().at("totalCount").as_int64(), 1);
    EXPECT_EQ(asked.json().at("runningNow").as_int64(), 0);
}

TEST_F(SessionsSummary, BadFiltersAreNamedAndAgentsCountTheirOwn)
{
    create(R"({"type":"PolicyBackup","status":"Success"})");
    const auto bad = client_->get("/api/v1/jobSessions/summary?Status=Fine&FromUtc=yesterday", admin_token());
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.header("Content-Type"), "application/problem+json; charset=utf-8");
    EXPECT_TRUE(bad.json().at("errors").as_object().contains("Status")) << bad.body;
    EXPECT_TRUE(bad.json().at("errors").as_object().contains("FromUtc")) << bad.body;

    const auto agent = login_new_user("agent", "Agent");
    EXPECT_EQ(client_->get("/api/v1/jobSessions/summary", agent).json().at("totalCount").as_int64(), 0);
    ASSERT_EQ(client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", agent).status, 201);
    const auto own = client_->get("/api/v1/jobSessions/summary", agent).json();
    EXPECT_EQ(own.at("totalCount").as_int64(), 1);
    EXPECT_EQ(own.at("runningNow").as_int64(), 1);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/summary").status, 401);
}

} // namespace
} // namespace jobsessions::test
