// SPDX-License-Identifier: Apache-2.0
// Every number of every body and query has a range, checked where the request is read: a 400 names the member.
#include "e2e/policy_runs_fixture.hpp"

#include <sqlite3.h>

namespace jobsessions::test {
namespace {

/// The messages a 400 has for `field`, or "" when it names no such field.
std::string field_error(const HttpResponse& res, const std::string& field)
{
    if (res.status != 400) {
        return "status " + std::to_string(res.status) + ": " + res.body;
    }
    const auto body = res.json();
    const auto* messages = body.at("errors").as_object().if_contains(field);
    return messages == nullptr ? "" : std::string(messages->as_array().at(0).as_string());
}

using InputRanges = ServerTest;

constexpr const char* kHuge = "9223372036854775807"; // INT64_MAX
constexpr const char* kBeyond = "9007199254740992";  // 2^53: one past the largest exact JSON integer
constexpr const char* kLargest = "9007199254740991"; // 2^53 - 1

TEST_F(PolicyRuns, PolicyNumbersOutOfRangeAreRefusedNamingTheMember)
{
    const auto post = [&](const std::string& members) {
        return client_->send_json("POST", "/api/v1/policies", R"({"name":"n","command":["true"],)" + members + "}",
                                  admin_token());
    };
    EXPECT_EQ(field_error(post(R"("retentionDays":1000000000000)"), "retentionDays"),
              "Must be a whole number from 1 to 36500.");
    EXPECT_EQ(field_error(post(R"("timeoutSeconds":1000000000000000000)"), "timeoutSeconds"),
              "Must be a whole number from 1 to 31622400.");
    EXPECT_EQ(field_error(post(R"("timeoutSeconds":18446744073709551615)"), "timeoutSeconds"),
              "Must be a whole number from 1 to 31622400.");
    EXPECT_EQ(field_error(post(R"("stopGraceSeconds":3601)"), "stopGraceSeconds"),
              "Must be a whole number from 0 to 3600.");
    EXPECT_EQ(field_error(post(R"("stopGraceSeconds":-1)"), "stopGraceSeconds"),
              "Must be a whole number from 0 to 3600.");
    EXPECT_EQ(field_error(post(R"("maxConcurrentRuns":101)"), "maxConcurrentRuns"),
              "Must be a whole number from 1 to 100.");
    EXPECT_EQ(field_error(post(R"("maxConcurrentRuns":1.5)"), "maxConcurrentRuns"),
              "Must be a whole number from 1 to 100.");
    EXPECT_EQ(field_error(post(R"("retentionDays":"30")"), "retentionDays"), "Must be a whole number from 1 to 36500.");
    EXPECT_EQ(field_error(post(R"("warningExitCodes":[256])"), "warningExitCodes"),
              "Must be an array of exit codes from 1 to 255.");
    // Nothing was made by any of them.
    EXPECT_EQ(client_->get("/api/v1/policies", admin_token()).json().at("totalCount").as_int64(), 0);

    // The largest of each range is taken, and a run under the longest timeout is not timed out at once.
    const auto id = define(
        R"("name":"edges","command":["true"],"timeoutSeconds":31622400,"stopGraceSeconds":3600,"retentionDays":36500,"maxConcurrentRuns":100)");
    EXPECT_EQ(str(wait_final(start_run(id)), "status"), "Success");
}

TEST_F(PolicyRuns, AStoredRetentionBeyondItsRangeDeletesNothingRecent)
{
    // An older server stored a policy with retentionDays of 10^12, and a session of that policy finished now.
    const auto id = define(R"("name":"old","command":["true"],"retentionDays":5)");
    const auto run = start_run(id);
    EXPECT_EQ(str(wait_final(run), "status"), "Success");
    ASSERT_EQ(server_->terminate(), 0);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((data_dir() + "/jobsessions.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE policies SET retention_days = 1000000000000", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    start(false, {"--retention-schedule", "* * * * *"});
    admin_token_.clear();
    // The job's own session ends; the run it was asked to judge is still there.
    std::string job;
    for (int round = 0; round < 100 && job.empty(); ++round) {
        const auto list = client_->get("/api/v1/jobSessions?Types=BackupRetention&Status=Success", admin_token());
        if (!list.json().at("results").as_array().empty()) {
            job = str(list.json().at("results").at(0), "id");
            break;
        }
        wait_for_change();
    }
    ASSERT_FALSE(job.empty()) << "the retention job did not run";
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + run, admin_token()).status, 200);
    EXPECT_TRUE(contains(messages(job), "Policy 'old': deleted 0 session(s)"));
}

TEST_F(InputRanges, SessionNumbersOutOfRangeAreRefusedNamingTheMember)
{
    const auto post = [&](const std::string& body) {
        return client_->send_json("POST", "/api/v1/jobSessions", body, admin_token());
    };
    EXPECT_EQ(field_error(post(R"({"backupJobInfo":{"protectedInstancesCount":2147483648}})"),
                          "backupJobInfo.protectedInstancesCount"),
              "Must be a whole number from 0 to 2147483647.");
    EXPECT_EQ(field_error(post(R"({"backupJobInfo":{"protectedInstancesCount":-1}})"),
                          "backupJobInfo.protectedInstancesCount"),
              "Must be a whole number from 0 to 2147483647.");
    EXPECT_EQ(field_error(post(R"({"type":"BackupRetention","retentionJobInfo":{"deletedRestorePointsCount":1e3}})"),
                          "retentionJobInfo.deletedRestorePointsCount"),
              "Must be a whole number from 0 to 2147483647.");
    const auto largest = post(R"({"type":"PolicyBackup","backupJobInfo":{"protectedInstancesCount":2147483647}})");
    ASSERT_EQ(largest.status, 201) << largest.body;
    EXPECT_EQ(largest.json().at("backupJobInfo").at("protectedInstancesCount").as_int64(), 2147483647);
    EXPECT_EQ(client_->get("/api/v1/jobSessions?limit=0", admin_token()).json().at("totalCount").as_int64(), 1);
}

TEST_F(InputRanges, QueryNumbersOutOfRangeAreRefusedNamingTheParameter)
{
    const auto get = [&](const std::string& target) { return client_->get(target, admin_token()); };
    EXPECT_EQ(field_error(get(std::string("/api/v1/jobSessions?offset=") + kHuge), "offset"),
              std::string("'") + kHuge + "' is not a whole number from 0 to " + kLargest + ".");
    EXPECT_NE(field_error(get(std::string("/api/v1/jobSessions?offset=") + kBeyond), "offset"), "");
    EXPECT_NE(field_error(get("/api/v1/jobSessions?limit=1001"), "limit"), "");
    EXPECT_NE(field_error(get("/api/v1/jobSessions?limit=-2"), "limit"), "");
    EXPECT_NE(field_error(get(std::string("/api/v1/jobSessions?Usn=") + kBeyond), "Usn"), "");
    EXPECT_NE(field_error(get("/api/v1/jobSessions?offset=1e3"), "offset"), "");
    EXPECT_NE(field_error(get(std::string("/api/v1/jobSessions/changes?usn=") + kHuge), "usn"), "");
    EXPECT_NE(field_error(get("/api/v1/jobSessions/changes?wait=61"), "wait"), "");
    EXPECT_NE(field_error(get("/api/v1/jobSessions/changes?limit=0"), "limit"), "");

    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    EXPECT_NE(field_error(get("/api/v1/jobSessions/" + id + "/log?offset=" + kBeyond), "offset"), "");
    EXPECT_NE(field_error(get("/api/v1/jobSessions/" + id + "/log?limit=100000"), "limit"), "");
    const auto follow = client_->request(
        "GET", "/api/v1/jobSessions/" + id + "/log", "",
        {{"Authorization", "Bearer " + admin_token()}, {"Accept", "text/event-stream"}, {"Last-Event-ID", kHuge}});
    EXPECT_NE(field_error(follow, "Last-Event-ID"), "");
    const auto exported = client_->send_json("POST", "/api/v1/jobSessions/export",
                                             std::string(R"({"usn":)") + kBeyond + "}", admin_token());
    EXPECT_EQ(field_error(exported, "usn"), std::string("Must be a whole number from 0 to ") + kLargest + ".");
}

TEST_F(InputRanges, PagingLinksStayWithinTheListAtAnyOffset)
{
    for (int i = 0; i < 5; ++i) {
        create(R"({"type":"PolicyBackup","status":"Success"})");
    }
    const auto page = [&](const std::string& query) {
        const auto res = client_->get("/api/v1/jobSessions" + query, admin_token());
        EXPECT_EQ(res.status, 200) << query << ' ' << res.body;
        return res.json().at("_links").as_object();
    };
    const auto href = [&](const boost::json::object& links, const char* name) {
        return std::string(links.at(name).at("href").as_string());
    };
    // The largest offset: no next, and prev is the last page that has sessions.
    const auto far = page(std::string("?offset=") + kLargest + "&limit=2");
    EXPECT_FALSE(far.contains("next"));
    EXPECT_EQ(href(far, "prev"), server_->url() + "/api/v1/jobSessions?offset=3&limit=2");
    EXPECT_EQ(href(far, "self"), server_->url() + "/api/v1/jobSessions?offset=" + kLargest + "&limit=2");
    // A page ending exactly at the total has no next; one before it has.
    EXPECT_FALSE(page("?offset=3&limit=2").contains("next"));
    EXPECT_EQ(href(page("?offset=1&limit=2"), "next"), server_->url() + "/api/v1/jobSessions?offset=3&limit=2");
    EXPECT_EQ(href(page("?offset=1&limit=2"), "prev"), server_->url() + "/api/v1/jobSessions?offset=0&limit=2");
}

TEST_F(InputRanges, AChangeFeedAskedFromAheadOfTheStoreIsToldTheHighestAtOnce)
{
    create(R"({"type":"PolicyBackup"})");
    create(R"({"type":"PolicyBackup"})");
    // Even with a long wait: the writes to come take usns the client has passed, so waiting would never end.
    const auto res = client_->get("/api/v1/jobSessions/changes?usn=1000&wait=60", admin_token());
    ASSERT_EQ(res.status, 200);
    EXPECT_EQ(res.body, R"({"usn":2,"hasMore":false,"results":[]})");
    // From there, the next write wakes it as usual.
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    const auto next = client_->get("/api/v1/jobSessions/changes?usn=2&wait=60", admin_token()).json();
    EXPECT_EQ(next.at("usn").as_int64(), 3);
    EXPECT_EQ(str(next.at("results").at(0), "id"), id);
}

} // namespace
} // namespace jobsessions::test
