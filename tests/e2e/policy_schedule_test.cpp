// SPDX-License-Identifier: Apache-2.0
// Scheduled runs through the real server: ticks on time, overlapping ticks, and ticks missed while it was down.
#include "jobsessions/util/time.hpp"

#include "e2e/e2e_fixture.hpp"

#include <sqlite3.h>

namespace jobsessions::test {
namespace {

class PolicySchedule : public ServerTest {
protected:
    std::string define(const std::string& members)
    {
        const auto res = client_->send_json("POST", "/api/v1/policies", "{" + members + "}", admin_token());
        EXPECT_EQ(res.status, 201) << res.body;
        return str(res.json(), "id");
    }

    /// The policy's sessions, newest first.
    boost::json::array sessions_of(const std::string& policy)
    {
        return client_->get("/api/v1/jobSessions?PolicyId=" + policy, admin_token()).json().at("results").as_array();
    }

    /// Waits (woken by the change feed, never sleeping) until the policy has a session with `status`.
    boost::json::object wait_for_session(const std::string& policy, const std::string& status,
                                         std::chrono::seconds limit)
    {
        const auto give_up = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < give_up) {
            for (const auto& s : sessions_of(policy)) {
                if (str(s, "status") == status) {
                    return s.as_object();
                }
            }
            wait_for_change();
        }
        ADD_FAILURE() << "no " << status << " session of policy " << policy;
        return {};
    }

    std::string first_message(const std::string& session_id)
    {
        const auto log = client_->get("/api/v1/jobSessions/" + session_id + "/log", admin_token()).json();
        return std::string(log.at("log").as_array().at(0).at("message").as_string());
    }
};

// Takes up to two minutes: cron's smallest step is a minute.
TEST_F(PolicySchedule, ATickRunsOnTimeAndAnOverlappingTickIsRecordedAsNeverExecuted)
{
    const auto policy = define(R"("name":"minutely","schedule":"* * * * *","stopGraceSeconds":1,
                                  "command":["sh","-c","echo tick; exec sleep 150"])");
    const auto running = wait_for_session(policy, "Running", std::chrono::seconds(75));
    const auto running_id = str(running, "id");
    EXPECT_EQ(first_message(running_id), "Started by schedule: sh -c 'echo tick; exec sleep 150'");
    // The start time is the tick itself, give or take the moment it took to start.
    const auto start = util::parse_timestamp(str(running, "executionStartTime")).value();
    EXPECT_LT(start % (60 * util::kMicrosPerSecond), 5 * util::kMicrosPerSecond);

    const auto skipped = wait_for_session(policy, "NeverExecuted", std::chrono::seconds(75));
    const auto log = client_->get("/api/v1/jobSessions/" + str(skipped, "id") + "/log", admin_token()).json();
    EXPECT_EQ(std::string(log.at("log").as_array().at(0).at("message").as_string()),
              "Not run: the previous run was still going on, and the policy allows 1 at a time "
              "(maxConcurrentRuns).");
    EXPECT_EQ(str(skipped, "executionStartTime").substr(17), "00.000000Z");

    // Disabled: no more ticks. The running one is stopped by hand.
    EXPECT_EQ(client_
                  ->send_json("PUT", "/api/v1/policies/" + policy,
                              R"({"name":"minutely","schedule":"* * * * *","enabled":false,"command":["true"]})",
                              admin_token())
                  .status,
              200);
    EXPECT_EQ(client_->send_json("POST", "/api/v1/jobSessions/" + running_id + "/stop", "", admin_token()).status, 200);
    wait_for_session(policy, "Canceled", std::chrono::seconds(30));
}

// Sets a policy's last handled tick, as if the server had been down since then.
void set_last_tick(const std::string& db_path, const std::string& policy, util::Micros tick)
{
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE policies SET last_tick = " + std::to_string(tick) + " WHERE id = '" + policy + "'";
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_changes(db), 1);
    sqlite3_close(db);
}

TEST_F(PolicySchedule, ATickMissedWhileTheServerWasDownRunsOnceAtStartWithCatchUp)
{
    const auto catching = define(R"("name":"catch","schedule":"0 3 * * *","catchUp":true,"command":["echo","caught"])");
    const auto plain = define(R"("name":"plain","schedule":"0 3 * * *","command":["echo","plain"])");
    ASSERT_EQ(server_->terminate(), 0);
    const auto two_days_ago = util::now_micros() - 2 * 24 * 3600 * util::kMicrosPerSecond;
    set_last_tick(data_dir() + "/jobsessions.db", catching, two_days_ago);
    set_last_tick(data_dir() + "/jobsessions.db", plain, two_days_ago);
    start();
    admin_token_.clear();

    const auto caught = wait_for_session(catching, "Success", std::chrono::seconds(30));
    EXPECT_EQ(first_message(str(caught, "id")), "Started at server start for a scheduled run it missed: echo caught");
    // Two nightly ticks were missed; only one run makes up for them.
    EXPECT_EQ(sessions_of(catching).size(), 1U);
    EXPECT_TRUE(sessions_of(plain).empty());
}

} // namespace
} // namespace jobsessions::test
