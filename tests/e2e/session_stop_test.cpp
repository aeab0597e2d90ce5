// SPDX-License-Identifier: Apache-2.0
#include "e2e/e2e_fixture.hpp"

#include <thread>

namespace jobsessions::test {
namespace {

class SessionStop : public ServerTest {
protected:
    void SetUp() override
    {
        ServerTest::SetUp();
        agent_ = login_new_user("agent", "Agent");
        operator_ = login_new_user("operator", "Operator");
        viewer_ = login_new_user("viewer", "Viewer");
    }

    HttpResponse stop(const std::string& id, const std::string& token)
    {
        return client_->request("POST", "/api/v1/jobSessions/" + id + "/stop", "",
                                {{"Authorization", "Bearer " + token}});
    }

    std::string agent_;
    std::string operator_;
    std::string viewer_;
};

TEST_F(SessionStop, StopAsksTheAgentWhichSeesItAndReportsCanceled)
{
    const auto created = client_->send_json("POST", "/api/v1/jobSessions", R"({"type":"PolicyBackup"})", agent_);
    ASSERT_EQ(created.status, 201);
    const auto id = str(created.json(), "id");
    const auto usn = created.json().at("usn").as_int64();

    const auto stopped = stop(id, operator_);
    EXPECT_EQ(stopped.status, 200);
    EXPECT_TRUE(stopped.body.empty());
    EXPECT_EQ(str(client_->get("/api/v1/jobSessions/" + id, viewer_).json(), "status"), "Canceling");

    // The agent learns it from its next log append or PATCH, and from the change feed.
    const auto appended = client_->send_json("POST", "/api/v1/jobSessions/" + id + "/log",
                                             R"({"status":"Success","message":"copying"})", agent_);
    EXPECT_EQ(str(appended.json(), "sessionStatus"), "Canceling");
    const auto progress =
        client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"RunningWithWarning"})", agent_);
    EXPECT_EQ(str(progress.json(), "status"), "Canceling");
    const auto feed = client_->get("/api/v1/jobSessions/changes?usn=" + std::to_string(usn), agent_);
    ASSERT_EQ(feed.status, 200);
    EXPECT_EQ(str(feed.json().at("results").as_array().at(0), "status"), "Canceling");

    const auto canceled = client_->send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Canceled"})", agent_);
    EXPECT_EQ(str(canceled.json(), "status"), "Canceled");
    EXPECT_TRUE(canceled.json().at("executionStopTime").is_string());
    // Finished: stopping again is a conflict.
    EXPECT_EQ(stop(id, operator_).status, 409);
}

TEST_F(SessionStop, OnlyOperatorsAndAdministratorsStop)
{
    const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
    EXPECT_EQ(stop(id, viewer_).status, 403);
    EXPECT_EQ(stop(id, agent_).status, 403);
    EXPECT_EQ(stop("999", operator_).status, 404);
    EXPECT_EQ(stop(id, admin_token()).status, 200);
    // Stopping a session that is already being canceled is fine and changes nothing.
    const auto before = client_->get("/api/v1/jobSessions/" + id, viewer_).json().at("usn");
    EXPECT_EQ(stop(id, operator_).status, 200);
    EXPECT_EQ(client_->get("/api/v1/jobSessions/" + id, viewer_).json().at("usn"), before);
}

TEST_F(SessionStop, StopRacingTheAgentsFinishEndsOneWayOrTheOther)
{
    for (int round = 0; round < 10; ++round) {
        const auto id = str(create(R"({"type":"PolicyBackup"})"), "id");
        HttpResponse stop_answer;
        HttpResponse finish_answer;
        std::thread stopper([&] {
            HttpClient own(*server_);
            stop_answer = own.request("POST", "/api/v1/jobSessions/" + id + "/stop", "",
                                      {{"Authorization", "Bearer " + operator_}});
        });
        std::thread finisher([&] {
            HttpClient own(*server_);
            finish_answer =
                own.send_json("PATCH", "/api/v1/jobSessions/" + id, R"({"status":"Success"})", admin_token());
        });
        stopper.join();
        finisher.join();
        // The finish always lands (a final status wins over Canceling); the stop either came first (200) or
        // found the session finished (409).
        EXPECT_EQ(finish_answer.status, 200);
        EXPECT_TRUE(stop_answer.status == 200 || stop_answer.status == 409) << stop_answer.status;
        EXPECT_EQ(str(client_->get("/api/v1/jobSessions/" + id, viewer_).json(), "status"), "Success");
    }
}

} // namespace
} // namespace jobsessions::test
