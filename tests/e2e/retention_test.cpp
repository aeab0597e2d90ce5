// SPDX-License-Identifier: Apache-2.0
// The built-in retention job, run by the real server on a short schedule.
#include "jobsessions/util/time.hpp"

#include "e2e/e2e_fixture.hpp"

namespace jobsessions::test {
namespace {

class Retention : public ServerTest {
protected:
    // The data is made with the job at its default time (03:00), then the server is started again with the job
    // every minute, so that its first run sees all of it.
    void run_retention_every_minute()
    {
        ASSERT_EQ(server_->terminate(), 0);
        start(false, {"--retention-schedule", "* * * * *", "--retention-days", "30"});
        admin_token_.clear();
    }

    /// A finished session that started `days_ago` days ago, of `policy_id` (when not empty), with `entries` log
    /// entries. Returns its id.
    std::string old_session(double days_ago, const std::string& policy_id, int entries, bool finish = true)
    {
        const auto start_time = util::now_micros() - static_cast<util::Micros>(days_ago * 86400e6);
        std::string body =
            R"({"type":"PolicyBackup","executionStartTime":")" + util::format_timestamp(start_time) + '"';
        if (!policy_id.empty()) {
            body += R"(,"backupJobInfo":{"policyId":")" + policy_id + R"(","policyName":"p"})";
        }
        const auto id = str(create(body + "}"), "id");
        for (int i = 0; i < entries; ++i) {
            EXPECT_EQ(client_
                          ->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                      R"({"status":"Success","message":"step"})", admin_token())
                          .status,
                      201);
        }
        if (finish) {
            EXPECT_EQ(client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token())
                          .status,
                      200);
        }
        return id;
    }

    int status_of(const std::string& id) { return client_->get("/api/v1/jobSessions/" + id, admin_token()).status; }
};

TEST_F(Retention, DeletesOldSessionsByTheirPolicyOrTheDefaultAndRecordsItself)
{
    const auto keep_one_day = client_->send_json(
        "POST", "/api/v1/policies", R"({"name":"short","command":["true"],"retentionDays":1})", admin_token());
    ASSERT_EQ(keep_one_day.status, 201);
    const auto short_policy = str(keep_one_day.json(), "id");

    const auto policy_old = old_session(3, short_policy, 3);            // past its policy's 1 day: deleted
    const auto policy_recent = old_session(0.1, short_policy, 1);       // kept
    const auto plain_old = old_session(40, "", 2);                      // past the default 30 days: deleted
    const auto plain_recent = old_session(20, "", 1);                   // kept
    const auto other_policy_old = old_session(40, "no-such-policy", 0); // no policy retention: default, deleted
    const auto still_running = old_session(40, "", 1, false);           // running: never deleted
    run_retention_every_minute();

    // Wait for the job's own session, woken by the change feed.
    boost::json::object job;
    for (int round = 0; round < 100 && job.empty(); ++round) {
        const auto list = client_->get("/api/v1/jobSessions?Types=BackupRetention&Status=Success", admin_token());
        const auto results = list.json().at("results").as_array();
        if (!results.empty()) {
            job = results.at(0).as_object();
            break;
        }
        wait_for_change();
    }
    ASSERT_FALSE(job.empty()) << "the retention job did not run";
    EXPECT_EQ(job.at("retentionJobInfo").at("deletedRestorePointsCount").as_int64(), 3);

    EXPECT_EQ(status_of(policy_old), 404);
    EXPECT_EQ(status_of(plain_old), 404);
    EXPECT_EQ(status_of(other_policy_old), 404);
    EXPECT_EQ(status_of(policy_recent), 200);
    EXPECT_EQ(status_of(plain_recent), 200);
    EXPECT_EQ(status_of(still_running), 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + policy_old + "/log", admin_token()).status, 404);
    // totalCount follows the deletions.
    EXPECT_EQ(client_->get("/api/v1/jobSessions?Types=PolicyBackup", admin_token()).json().at("totalCount").as_int64(),
              3);

    const auto log = client_->get("/api/v1/jobSessions/" + str(job, "id") + "/log", admin_token()).json();
    std::vector<std::string> messages;
    for (const auto& entry : log.at("log").as_array()) {
        messages.emplace_back(entry.at("message").as_string());
    }
    ASSERT_EQ(messages.size(), 3U);
    EXPECT_EQ(messages[0], "Policy 'short': deleted 1 session(s) and 3 log entries older than 1 day(s).");
    EXPECT_EQ(messages[1], "Sessions without a policy retention: deleted 2 session(s) and 2 log entries older than "
                           "30 day(s).");
    EXPECT_EQ(messages[2], "Deleted 3 session(s) and 5 log entries in all.");
}

// The server says at start whether and when it deletes old sessions; "off" turns the job off.
TEST_F(Retention, TheStartSaysWhenSessionsAreDeletedOrThatTheJobIsOff)
{
    EXPECT_NE(server_->stderr_text().find("retention: on schedule '0 3 * * *', sessions without a policy retention "
                                          "are deleted after 90 days"),
              std::string::npos)
        << server_->stderr_text();
    ASSERT_EQ(server_->terminate(), 0);
    start(false, {"--retention-schedule", "OFF"});
    EXPECT_NE(server_->stderr_text().find("retention: off, no session is ever deleted"), std::string::npos)
        << server_->stderr_text();
    EXPECT_EQ(client_->get("/api/v1/jobSessions", admin_token()).status, 200);
}

TEST_F(Retention, ABadScheduleOrAgeStopsTheStart)
{
    const auto schedule = run_jobsessiond({"serve", "--retention-schedule", "3 am", "--data-dir", data_dir() + "2"});
    EXPECT_NE(schedule.exit_code, 0);
    EXPECT_NE(schedule.err.find("--retention-schedule: a schedule has five fields"), std::string::npos) << schedule.err;
    const auto days = run_jobsessiond({"serve", "--retention-days", "0", "--data-dir", data_dir() + "2"});
    EXPECT_NE(days.exit_code, 0);
    EXPECT_NE(days.err.find("--retention-days needs a whole number from 1 to 36500, not '0'"), std::string::npos)
        << days.err;
}

} // namespace
} // namespace jobsessions::test
